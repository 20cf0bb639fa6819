"""The command line: ``python -m divergence_verify`` (console script ``divergence-verify``).

Subcommands: ``list``, ``demo``, ``certify``, ``sweep``, ``compare``, ``report``, ``cache``.
Exit codes: 0 success (or certified), 1 not certified, 3 inconclusive (the certificate's design
cannot decide; it says what to add), 2 bad usage or input (or any other error), 130
interrupted, 141 stdout closed early. Errors are one line on stderr; ``--debug``
shows the traceback.

This is the only module that uses argparse; the options the running commands share are data in
:mod:`~divergence_verify.verify.options`. Building the parser imports nothing heavy (no numpy,
torch, POT, scipy or matplotlib, not the estimators or the reference layer), so ``--help`` is
quick: each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from divergence_verify.verify import options
from divergence_verify.verify.design import (
    DEFAULT_SCENARIOS,
    DEFAULT_SEEDS,
    DEFAULT_SIZES,
    W1,
    Rules,
)
from divergence_verify.verify.resolve import (
    UsageError,
    cwd_on_path,
    describe_exception,
    one_line,
    parse_settings,
    resolve_estimator,
)

__all__ = ["UsageError", "build_parser", "main", "resolve_estimator"]


def _divergence_names() -> list[str]:
    from divergence_verify.reference import quantity_names

    return list(quantity_names())


def _check_divergence(name: str) -> str:
    if name not in _divergence_names():
        raise UsageError(
            f"unknown divergence {name!r}; expected one of: {', '.join(_divergence_names())}"
        )
    return name


def _scenarios(specs: Sequence[str] | None, divergence: str) -> list[Any]:
    """The scenarios of ``--scenario`` (names or ``module:attr``), or the divergence's defaults."""
    from divergence_verify.verify.resolve import resolve_scenario

    scens = [resolve_scenario(s) for s in (specs or DEFAULT_SCENARIOS.get(divergence, ()))]
    for scen in scens:
        if not scen.supports(divergence):
            raise UsageError(f"scenario {scen.name!r} has no finite exact {divergence!r}")
    return scens


def _check_out(folder: Path) -> Path:
    """Return ``folder`` if the command can write into it (creating it), else raise UsageError.

    Checked before anything runs, so that a mistyped ``--out`` does not cost a whole sweep.
    """
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder}: exists and is not a folder")
    existing = folder
    while not existing.exists():  # the nearest folder that exists must let us create the rest
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--out {folder}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {folder}: {existing} is not writable")
    return folder


def _out_folder(args: argparse.Namespace, divergence: str) -> Path:
    given = args.out or options.default_out(args.command, args.estimator, divergence)
    return _check_out(Path(given))


def _progress(args: argparse.Namespace) -> Any:
    from divergence_verify.verify.progress import ProgressBar

    return None if args.quiet else ProgressBar()


def _executor(args: argparse.Namespace) -> Any:
    """Where the runs happen: ``--scheduler``'s Dask cluster, else ``--workers`` processes."""
    return options.executor_for(args.workers, args.scheduler)


def _cache(args: argparse.Namespace) -> Any:
    from divergence_verify.verify.cache import Cache

    folder = options.cache_folder(args.cache, args.no_cache)
    return None if folder is None else Cache(folder)


def _design(args: argparse.Namespace) -> tuple[list[int], int]:
    """The sizes and seeds of certify and sweep: the options, or the certificate's defaults."""
    sizes = list(DEFAULT_SIZES) if args.sizes is None else args.sizes
    return sizes, DEFAULT_SEEDS if args.seeds is None else args.seeds


def _check_fits(sizes: Sequence[int], scens: Sequence[Any], est: Any) -> None:
    """Refuse, before running, sizes whose runs need more memory than is available."""
    dim = max((scen.dim for scen in scens), default=1)
    try:
        options.check_sizes_fit(sizes, dim, est)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _tolerance(text: str) -> float:
    """An argparse type: a finite number >= 0 (``--atol -1``, ``nan`` and ``inf`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def listing() -> dict[str, Any]:
    """The listing of ``list --json``: divergences, estimators, families and scenarios.

    Each scenario carries its dimension, split (for MI), tags and, per divergence with an exact
    method, ``{"value", "error", "method"}`` (the value in the suite's JSON encoding: ``"inf"``
    where the divergence is infinite); a divergence with no exact method is left out.
    """
    from divergence_verify import estimators, reference
    from divergence_verify.verify.jsonio import encode_float
    from divergence_verify.verify.scenarios import FAMILIES, MI, SCENARIOS

    def truths(scen: Any) -> dict[str, Any]:
        out = {}
        for name in [*_divergence_names(), *([MI] if scen.split is not None else [])]:
            try:
                exact = scen.truth(name)
            except NotImplementedError:
                continue
            out[name] = {"value": encode_float(exact.value), "error": encode_float(exact.error),
                         "method": exact.method}
        return out

    return {
        "divergences": [{"name": name, "label": label, "unit": unit}
                        for name in _divergence_names()
                        for label, unit in [reference.quantity_label(name)]],
        "estimators": [{"kind": kind, "description": e.description,
                        "divergences": list(e.divergences), "neural": e.neural}
                       for kind, e in sorted(estimators.ESTIMATORS.items())],
        "families": [{"name": f.name, "description": f.description,
                      "parameters": dict(f.defaults), "tags": list(f.tags)}
                     for f in FAMILIES.values()],
        "scenarios": [{"name": name, "description": scen.description, "dim": scen.dim,
                       "split": scen.split, "tags": list(scen.tags), "truths": truths(scen)}
                      for name, scen in SCENARIOS.items()],
    }


def cmd_list(args: argparse.Namespace) -> int:
    """Print the divergences, scenarios and estimators (``--json``: :func:`listing`)."""
    from divergence_verify import estimators, reference
    from divergence_verify.verify.scenarios import SCENARIOS

    if args.json:
        from divergence_verify.verify.jsonio import dumps

        print(dumps(listing(), indent=1))
        return 0
    print("divergences:")
    for name, div in reference.DIVERGENCES.items():
        print(f"  {name:<12} {div.title}")
    print(f"  {W1:<12} Wasserstein-1 (Kantorovich-Rubinstein), Euclidean cost")
    print("\nscenarios (exact values known for):")
    for name, scen in SCENARIOS.items():
        known = [d for d in _divergence_names() if scen.supports(d)]
        print(f"  {name:<22} d={scen.dim:<3} {scen.description}")
        print(f"  {'':<22}       [{', '.join(known)}]")
    print("\nestimators:")
    for kind, entry in sorted(estimators.ESTIMATORS.items()):
        print(f"  {kind:<14} {entry.description}  [{', '.join(entry.divergences)}]")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Print exact divergences on the scenarios and a duality check."""
    import numpy as np

    from divergence_verify import reference
    from divergence_verify.verify.scenarios import SCENARIOS, get_scenario

    names = list(reference.DIVERGENCES)
    print("Exact divergences (nats) between each scenario's P and Q ('-' none known, inf):")
    print(f"{'scenario':<22}" + "".join(f"{n:>12}" for n in [*names, W1]))
    for scen in SCENARIOS.values():
        cells = []
        for n in [*names, W1]:
            try:
                value = scen.truth(n).value
                cells.append(f"{value:>12.6g}" if math.isfinite(value) else f"{'inf':>12}")
            except NotImplementedError:
                cells.append(f"{'-':>12}")
        print(f"{scen.name:<22}" + "".join(cells))
    print("\nDuality: variational objective at T* = f'(p/q) vs D_f, Bernoulli(0.7) vs (0.4):")
    p, q = np.array([0.3, 0.7]), np.array([0.6, 0.4])
    for n in names:
        exact = reference.divergence(n, p, q)
        dual = reference.variational_objective(n, p, q, reference.optimal_critic(n, p, q))
        print(f"  {n:<11} D_f = {exact:.15f}   J(T*) = {dual:.15f}   |gap| = {abs(exact-dual):.1e}")
    x = get_scenario("translate2d").p.sample(300, 0)
    y = get_scenario("translate2d").q.sample(300, 1)
    dual = reference.wasserstein1_dual(x, y)
    primal = reference.wasserstein1(x, y, method="lp")
    print(f"\nKantorovich-Rubinstein on 300 vs 300 points: LP primal {primal:.12f}, "
          f"dual {dual.value:.12f}, |gap| {abs(primal - dual.value):.1e}")
    return 0


def _check_device(args: argparse.Namespace) -> None:
    """Refuse ``--device cuda`` without CUDA, for every estimator (not a silent CPU run).

    The thread policy (one torch thread per worker on the CPU) is the units' own
    (:data:`~divergence_verify.verify.units.DEFAULT_THREADS`).
    """
    if args.device == "cuda":
        options.resolve_device("cuda")  # raises ValueError when CUDA is not available


INVOCATION_KEYS = ("estimator", "divergence", "scenario", "set", "sizes", "seeds", "atol", "rtol",
                   "seed_base", "no_fresh", "max_seeds", "device")
"""The arguments of ``certify`` that decide its runs, stored in the certificate for replay."""


def _reproduce(args: argparse.Namespace) -> dict[str, Any]:
    """Load ``--reproduce FILE``: set the certificate's arguments on ``args``; return the file."""
    from divergence_verify.verify.jsonio import read_json

    given = [k for k in ("estimator", "divergence", "scenario", "sizes", "seeds", "seed_base",
                         "max_seeds")
             if getattr(args, k) not in (None, [])] + (["set"] if args.set else [])
    if given:
        raise UsageError(f"--reproduce replays the certificate's own arguments; do not also give "
                         f"{', '.join('--' + k.replace('_', '-') for k in given)}")
    try:
        old = read_json(args.reproduce)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--reproduce {args.reproduce}: {one_line(exc)}") from None
    invocation = old.get("invocation") if isinstance(old, dict) else None
    if not isinstance(invocation, dict) or not set(INVOCATION_KEYS) <= set(invocation):
        base = old.get("seed_base") if isinstance(old, dict) else None
        raise UsageError(f"--reproduce {args.reproduce}: not a certificate written by the "
                         "command line (no 'invocation'); from Python, call certify(..., "
                         f"seed_base={base}) with the same estimator and design")
    for key in INVOCATION_KEYS:
        setattr(args, key, invocation[key])
    args.atol, args.rtol = float(args.atol), float(args.rtol)
    return old


def _replay_check(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Compare the estimates of a replayed certificate with the file's, run by run."""
    def runs(cert: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(s["scenario"], r["n"], r["seed"], r.get("estimate"))
                for s in cert["scenarios"] for r in s["sweep"]["records"]]

    before, after = runs(old), runs(new)
    same = sum(a == b for a, b in zip(before, after, strict=False))
    text = f"replay: {same} of {len(before)} runs gave the same estimate as the certificate"
    if old.get("config") != new.get("config"):
        text += "; the estimator's settings or code fingerprint differ from the certificate's"
    return text


def cmd_certify(args: argparse.Namespace) -> int:
    """Certify an estimator; exit 0 certified, 1 not certified, 3 inconclusive.

    Writes ``certificate.json`` (the record: with ``--reproduce`` it replays the run) and
    ``runs.csv`` (every run: :mod:`.exports`).
    """
    from divergence_verify.verify.certificates import certify, resolve_seed_base
    from divergence_verify.verify.exports import write_runs_csv
    from divergence_verify.verify.jsonio import loads

    old = _reproduce(args) if args.reproduce else None
    if args.estimator is None or args.divergence is None:
        raise UsageError("certify needs --estimator and --divergence (or --reproduce FILE)")
    div = _check_divergence(args.divergence)
    out = _out_folder(args, div)
    est = resolve_estimator(args.estimator, div, args.device, parse_settings(args.set))
    sizes, seeds = _design(args)
    rules = Rules(atol=args.atol, rtol=args.rtol)
    names = _scenarios(args.scenario, div)
    _check_fits(sizes, names, est)
    _check_device(args)
    if args.seed_base is not None and args.seed_base < 0:
        raise UsageError(f"--seed-base must be a non-negative integer, got {args.seed_base}")
    if args.operating_reps < 0:
        raise UsageError(f"--operating-reps must be >= 0, got {args.operating_reps}")
    if args.max_seeds is not None and args.max_seeds < seeds:
        raise UsageError(f"--max-seeds ({args.max_seeds}) must be at least --seeds ({seeds})")
    args.seed_base = resolve_seed_base(args.seed_base)
    if not args.quiet:
        drawn = "scenarios as named" if args.no_fresh else "fresh scenario instances"
        print(f"seed base {args.seed_base} ({drawn}); --seed-base {args.seed_base} replays this "
              "run", file=sys.stderr)
    cert = certify(est, div, scenarios=names, sizes=sizes, seeds=seeds, rules=rules,
                   seed_base=args.seed_base, fresh=not args.no_fresh,
                   max_seeds=args.max_seeds, operating_reps=args.operating_reps,
                   cache=_cache(args),
                   progress=_progress(args), executor=_executor(args))
    cert.invocation = {key: getattr(args, key) for key in INVOCATION_KEYS}
    out.mkdir(parents=True, exist_ok=True)
    cert.save(str(out / "certificate.json"))
    runs = write_runs_csv(out / "runs.csv", [v.sweep for v in cert.verdicts])
    print(cert.table())
    if old is not None:
        print(_replay_check(old, loads(cert.to_json())))
    if not args.quiet:
        print(f"wrote {out / 'certificate.json'}", file=sys.stderr)
        print(f"wrote {runs}", file=sys.stderr)
    return cert.exit_code


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run one sweep and print its per-size statistics; write ``sweep.json`` and ``runs.csv``.

    What a third-party estimator printed or warned is kept in ``sweep.json`` only: the table
    says how many runs did.
    """
    from divergence_verify.verify.certificates import design_slope_se
    from divergence_verify.verify.exports import write_runs_csv
    from divergence_verify.verify.jsonio import write_json_atomic
    from divergence_verify.verify.sweeps import plan_sweep, run_sweeps

    div = _check_divergence(args.divergence)
    out = _out_folder(args, div)
    est = resolve_estimator(args.estimator, div, args.device, parse_settings(args.set))
    sizes, seeds = _design(args)
    names = _scenarios(args.scenario, div)
    _check_fits(sizes, names, est)
    _check_device(args)
    cache = _cache(args)
    jobs = [plan_sweep(est, scen, div, sizes, seeds, cached=cache is not None) for scen in names]
    results = run_sweeps(jobs, executor=_executor(args), cache=cache, progress=_progress(args))
    for res in results:
        name = res.scenario
        rate = res.rate()
        print(f"{res.estimator} on {name}: truth {res.truth.value:.5f} ({res.truth.method})")
        print(f"  {'n':>6} {'mean':>9} {'bias':>9} {'bias 95% CI':>21} {'sd':>8} {'RMSE':>8} "
              f"{'s/run':>7} fails")
        for s in res.per_size(confidence=0.95):
            ci = f"[{s.bias_low:+.4f}, {s.bias_high:+.4f}]"
            print(f"  {s.n:>6} {s.mean:>9.4f} {s.bias:>+9.4f} {ci:>21} {s.sd:>8.4f} "
                  f"{s.rmse:>8.4f} {s.median_seconds:>7.3f} {s.failures:>5}")
        # The slope's uncertainty is the design's predicted SE, as in certificates and reports.
        print(f"  log-log slope of RMSE vs n: {rate.slope:+.3f} ± {design_slope_se(res):.3f} "
              "(the design's predicted SE)")
        errors = [r.error for r in res.records if r.error]
        if errors:
            print(f"  {len(errors)} of {len(res.records)} runs failed; first error: {errors[0]}")
        if res.printed_runs:
            print(f"  {res.printed_runs} of {len(res.records)} runs printed output or warned "
                  "(kept in sweep.json: stdout, stderr, warnings)")
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "sweep.json", [r.to_dict() for r in results], indent=2)
    runs = write_runs_csv(out / "runs.csv", results)
    if not args.quiet:
        print(f"wrote {out / 'sweep.json'}", file=sys.stderr)
        print(f"wrote {runs}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Build a convergence report (see :mod:`~divergence_verify.verify.report`)."""
    from divergence_verify.verify.report import PRESETS, report_command

    if (args.sizes and not args.from_path and not args.estimator
            and (args.preset or "default") in PRESETS):
        # As for certify and sweep: sizes that cannot fit are refused before anything runs (the
        # exact W1 LP checks its own size when it starts; its runs then fail one by one).
        preset = PRESETS[args.preset or "default"]
        from divergence_verify.verify.scenarios import get_scenario

        names = {s for entry in (*preset.entries, *preset.ladder) for s in entry.scenarios}
        _check_fits(args.sizes, [get_scenario(n) for n in sorted(names)], None)
    return report_command(
        preset=args.preset, from_path=args.from_path, name=args.name, out_root=args.out_root,
        device=args.device, sizes=args.sizes, seeds=args.seeds,
        cache=options.cache_folder(args.cache, args.no_cache), quiet=args.quiet,
        executor=None if args.from_path else _executor(args),
        estimators=args.estimator, divergence=args.divergence, scenarios=args.scenario,
        baselines=args.baseline, settings=parse_settings(args.set))


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare two estimators on the same samples; print the paired table; exit 0."""
    from divergence_verify.verify.compare import compare_command

    div = _check_divergence(args.divergence)
    out = _check_out(Path(args.out or options.default_out("compare", f"{args.a}-vs-{args.b}",
                                                          div)))
    _check_device(args)
    return compare_command(
        args.a, args.b, divergence=div, scenarios=args.scenario,
        sizes=args.sizes, seeds=args.seeds, device=args.device,
        settings_a=parse_settings(args.set_a), settings_b=parse_settings(args.set_b),
        cache=options.cache_folder(args.cache, args.no_cache), quiet=args.quiet,
        executor=_executor(args), out=str(out))


def cmd_cache(args: argparse.Namespace) -> int:
    """``cache info``, ``cache prune`` or ``cache clear`` on the ``--cache`` folder."""
    from divergence_verify.verify.cache import Cache

    store = Cache(args.cache)
    if args.older_than is not None and args.action != "prune":
        raise UsageError("--older-than goes with 'cache prune'")
    if args.action == "info":
        print("\n".join(store.info().lines()))
        return 0
    if args.action == "prune":
        removed = store.prune(older_than_days=args.older_than)
        print(f"{args.cache}: removed " + ", ".join(f"{count} {kind.replace('_', ' ')}"
                                                    for kind, count in removed.items()))
        return 0
    print(f"{args.cache}: removed {store.clear()} files")
    return 0


def _add_option(parser: argparse.ArgumentParser, option: options.Option,
                default_help: str | None = None) -> None:
    """Add an :class:`~divergence_verify.verify.options.Option` to ``parser``.

    ``default_help`` says what the default is for this command, when the option's own help
    does not (``--sizes``: the certificate's sizes, or the report preset's).
    """
    text = option.help if default_help is None else f"{option.help} (default {default_help})"
    if option.switch:
        parser.add_argument(option.flag, action="store_true", default=option.default, help=text)
        return
    kwargs: dict[str, Any] = {"default": option.default, "help": text, "metavar": option.metavar}
    if option.type is not None:
        kwargs["type"] = option.type
    if option.many:
        kwargs["nargs"] = "+"
    if option.choices is not None:
        kwargs["choices"] = option.choices
    parser.add_argument(option.flag, **kwargs)


def _add_run_options(p: argparse.ArgumentParser, sizes_help: str, seeds_help: str) -> None:
    defaults = {options.SIZES: sizes_help, options.SEEDS: seeds_help}
    for option in options.RUN_OPTIONS:
        _add_option(p, option, defaults.get(option))


def _add_estimator_options(p: argparse.ArgumentParser, command: str, writes: str,
                           required: bool = True) -> None:
    p.add_argument("--estimator", required=required,
                   help="a registered kind (see 'list') or module:attr of your own")
    p.add_argument("--divergence", required=required, help="kl, js, tv, ..., or w1")
    p.add_argument("--scenario", action="extend", nargs="+", metavar="NAME|module:attr",
                   help="scenario names, or module:attr of a Scenario of yours (one or more, "
                        "repeatable); default: the divergence's defaults")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="estimator setting (JSON value), e.g. --set steps=500")
    _add_run_options(p, " ".join(map(str, DEFAULT_SIZES)), str(DEFAULT_SEEDS))
    example = options.default_out(command, "ESTIMATOR", "DIVERGENCE")
    p.add_argument("--out", default=None, metavar="FOLDER",
                   help=f"folder for {writes} (default {example})")


def _add_report_options(p: argparse.ArgumentParser) -> None:
    from divergence_verify.verify.report.presets import PRESET_NAMES  # data only: light

    p.add_argument("--preset", choices=PRESET_NAMES, default=None,
                   help="what to run: default (CPU, about 8 minutes on 2 cores), full "
                        "(certification, GPU advised), smoke (seconds); default: default")
    p.add_argument("--name", default=None,
                   help="report folder name under --out-root, one plain name (default: the "
                        "preset's; with --from: the folder of the results file)")
    p.add_argument("--out-root", default=None, metavar="FOLDER",
                   help=f"parent folder of reports (default {options.DEFAULT_REPORT_ROOT})")
    p.add_argument("--from", dest="from_path", default=None, metavar="RESULTS_JSON",
                   help="redraw a report from its results.json without running anything")
    from divergence_verify.verify.report.presets import DEFAULT_BASELINES  # data only: light

    p.add_argument("--estimator", action="extend", nargs="+", default=None,
                   metavar="NAME|module:attr",
                   help="report on your own estimators (module:attr, or a registered kind) "
                        "beside built-in baselines, on the same samples; needs --divergence; "
                        "not with --preset or --from")
    p.add_argument("--divergence", default=None,
                   help="with --estimator: the quantity they estimate (kl, js, tv, ..., w1)")
    p.add_argument("--scenario", action="extend", nargs="+", default=None,
                   help="with --estimator: scenario names (default: the divergence's defaults)")
    defaults = "; ".join(f"{div}: {' and '.join(kinds)}"
                         for div, kinds in DEFAULT_BASELINES.items())
    p.add_argument("--baseline", action="extend", nargs="+", default=None, metavar="KIND",
                   help="with --estimator: built-in kinds run beside yours on the same samples "
                        f"(default, per divergence: {defaults})")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="with --estimator: a setting of your estimators (JSON value), e.g. "
                        "--set steps=500; the baselines keep their settings")
    _add_run_options(p, "the preset's", "the preset's")


def _add_debug_option(p: argparse.ArgumentParser) -> None:
    # Also accepted after the subcommand; SUPPRESS keeps the main parser's value otherwise.
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show tracebacks on errors")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m divergence_verify``."""
    parser = argparse.ArgumentParser(
        prog="python -m divergence_verify",
        description="Certify divergence estimators against exact values, sweep them over "
                    "sample sizes and seeds, and write convergence reports.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="divergences, scenarios and estimators")
    p.add_argument("--json", action="store_true",
                   help="print a machine-readable listing (every scenario with its exact values)")
    p.set_defaults(func=cmd_list)
    _add_debug_option(p)
    p = sub.add_parser("demo", help="exact divergences and a duality check")
    p.set_defaults(func=cmd_demo)
    _add_debug_option(p)
    p = sub.add_parser("certify", help="certify an estimator (exit 0 certified, 1 not "
                                       "certified, 3 inconclusive)")
    # Required unless --reproduce gives them (checked in cmd_certify).
    _add_estimator_options(p, "certify", "certificate.json", required=False)
    _add_option(p, options.SEED_BASE)
    _add_option(p, options.MAX_SEEDS)
    _add_option(p, options.OPERATING_REPS)
    p.add_argument("--no-fresh", action="store_true",
                   help="run the scenarios as named instead of fresh instances drawn from the "
                        "seed base (what the reports do; an estimator can then recognise them)")
    p.add_argument("--reproduce", default=None, metavar="CERTIFICATE_JSON",
                   help="replay a certificate written by this command: the same estimator, "
                        "design, seed base and instances; says whether every estimate matches")
    p.add_argument("--atol", type=_tolerance, default=Rules.atol,
                   help=f"absolute tolerance (default {Rules.atol})")
    p.add_argument("--rtol", type=_tolerance, default=Rules.rtol,
                   help=f"relative tolerance (default {Rules.rtol})")
    p.set_defaults(func=cmd_certify)
    _add_debug_option(p)
    p = sub.add_parser("sweep", help="run an estimator over sizes and seeds")
    _add_estimator_options(p, "sweep", "sweep.json")
    p.set_defaults(func=cmd_sweep)
    _add_debug_option(p)
    p = sub.add_parser("compare", help="two estimators on the same samples: paired differences "
                                       "of their errors with paired confidence intervals")
    p.add_argument("a", metavar="A", help="a registered kind (see 'list') or module:attr")
    p.add_argument("b", metavar="B", help="the estimator to compare A with (kind or module:attr)")
    p.add_argument("--divergence", required=True, help="kl, js, tv, ..., w1 or mi")
    p.add_argument("--scenario", action="extend", nargs="+", default=None,
                   help="scenario names (default: the divergence's defaults)")
    p.add_argument("--set-a", action="append", default=[], metavar="KEY=VALUE",
                   help="setting of A (JSON value), e.g. --set-a steps=500")
    p.add_argument("--set-b", action="append", default=[], metavar="KEY=VALUE",
                   help="setting of B (JSON value)")
    _add_run_options(p, " ".join(map(str, DEFAULT_SIZES)), str(DEFAULT_SEEDS))
    example = options.default_out("compare", "A-vs-B", "DIVERGENCE")
    p.add_argument("--out", default=None, metavar="FOLDER",
                   help=f"folder for comparison.json (default {example})")
    p.set_defaults(func=cmd_compare)
    _add_debug_option(p)
    p = sub.add_parser("cache", help="what the cache of runs holds; prune or clear it")
    p.add_argument("action", choices=("info", "prune", "clear"),
                   help="info: counts and size; prune: delete corrupt records, expired claims, "
                        "leftovers of interrupted writes (and, with --older-than, old records); "
                        "clear: delete every file of the cache")
    _add_option(p, options.CACHE)
    p.add_argument("--older-than", type=_tolerance, default=None, metavar="DAYS",
                   help="with prune: also delete records last written more than DAYS ago")
    p.set_defaults(func=cmd_cache)
    _add_debug_option(p)
    p = sub.add_parser("report", help="convergence report (HTML, Markdown, JSON, figures)")
    _add_report_options(p)
    p.set_defaults(func=cmd_report)
    _add_debug_option(p)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """Print a warning as one line, like the errors."""
    print(f"warning: {one_line(message)}", file=file or sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    0: success (or certified); 1: not certified; 3: inconclusive (a certificate whose design
    cannot decide); 2: bad usage or input, or any other error,
    reported on one line on stderr (``--debug`` raises it with its traceback instead); 130:
    interrupted; 141: stdout closed early (as by ``| head``). Failures of the estimator's own
    runs are not errors: they are recorded, and fail the ``runs`` rule of a certificate.

    The command runs with the working directory on ``sys.path``, as under ``python -m``, so
    the console script loads ``--estimator mymod:f`` from it too.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings(), cwd_on_path():
            warnings.showwarning = _show_warning
            return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted: finished runs are in the cache; run again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away: point stdout at /dev/null so that the interpreter's final flush
        # does not raise again (the recipe of the Python documentation on SIGPIPE).
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is not a file (captured, closed): nothing to flush
            pass
        return 141
    except (UsageError, ValueError, TypeError, NotImplementedError, OSError) as exc:
        if args.debug:
            raise
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.debug:
            raise
        print(f"error: unexpected {describe_exception(exc)} (run with --debug for the "
              "traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":  # python -m divergence_verify.verify.cli works as the package does
    sys.exit(main())
