"""The command line: ``python -m divergence_verify`` (console script ``divergence-verify``).

Subcommands: ``list``, ``demo``, ``certify``, ``sweep``, ``report``. Exit codes: 0 success (or
certified), 1 not certified, 2 bad usage or input (or any other error), 130 interrupted, 141
stdout closed early. Errors are one line on stderr; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import math
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from divergence_verify import estimators, reference
from divergence_verify.verify.cache import Cache
from divergence_verify.verify.certificates import DEFAULT_SEEDS, DEFAULT_SIZES, Rules, certify
from divergence_verify.verify.jsonio import write_json_atomic
from divergence_verify.verify.options import DEFAULT_CACHE
from divergence_verify.verify.progress import ProgressBar
from divergence_verify.verify.scenarios import DEFAULT_SCENARIOS, SCENARIOS, W1, get_scenario
from divergence_verify.verify.sweeps import sweep

__all__ = ["DEFAULT_CACHE", "UsageError", "build_parser", "main", "resolve_estimator"]


class UsageError(Exception):
    """Bad usage or input: reported on one line, exit status 2."""


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _parse_settings(pairs: Sequence[str]) -> dict[str, Any]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {pair!r}")
        out[key.strip()] = _parse_value(value)
    return out


def _one_line(text: object) -> str:
    """Return ``text`` on one line (exception messages may span several)."""
    return "; ".join(line.strip() for line in str(text).splitlines() if line.strip())


def _describe_exception(exc: BaseException) -> str:
    """``Type: message`` on one line; a SyntaxError with its file and line."""
    if isinstance(exc, SyntaxError):
        return f"{type(exc).__name__}: {exc.msg} ({exc.filename}, line {exc.lineno})"
    return f"{type(exc).__name__}: {_one_line(exc)}" if str(exc) else type(exc).__name__


def _settings_text(settings: dict[str, Any]) -> str:
    return " ".join(f"--set {k}={json.dumps(v)}" for k, v in settings.items())


def resolve_estimator(spec: str, divergence: str, device: str, settings: dict[str, Any]) -> Any:
    """Return an estimator from a registry kind or a ``module:attr`` reference.

    Parameters
    ----------
    spec : str
        A key of :data:`estimators.ESTIMATORS`, or ``module:attr`` naming a callable
        ``(x_p, x_q) -> float``, an object with ``estimate``, or a class (built with
        ``settings``).
    divergence : str
        The quantity to estimate.
    device : str
        Device of a built-in neural estimator (``auto``, ``cpu`` or ``cuda``).
    settings : dict
        The ``--set`` values: keywords of the built-in kind or of the user's class. For a user's
        estimator they are recorded in its configuration (and so in every cache key).

    Raises
    ------
    UsageError
        For anything wrong with the estimator: an unknown kind, a module that does not import
        (including a SyntaxError in it) or lacks the attribute, settings the class or kind
        rejects (naming the setting and what it expects), an estimator of another divergence.
    """
    if ":" in spec:
        return _resolve_user_estimator(spec, divergence, settings)
    entry = estimators.ESTIMATORS.get(spec)
    if entry is None:
        known = ", ".join(sorted(estimators.ESTIMATORS))
        raise UsageError(f"unknown estimator {spec!r}; expected one of: {known}, or module:attr")
    if divergence not in entry.divergences:
        raise UsageError(f"estimator {spec!r} does not estimate {divergence!r}; "
                         f"it supports: {', '.join(entry.divergences)}")
    if "divergence" in settings:
        raise UsageError("choose the divergence with --divergence, not --set divergence=...")
    base = {"device": device} if entry.neural else {}
    try:
        return estimators.make_estimator(spec, divergence=divergence, **{**base, **settings})
    except (TypeError, ValueError) as exc:
        raise UsageError(_bad_setting_message(spec, entry, divergence, base, settings, exc)) \
            from None


def _bad_setting_message(
    spec: str, entry: Any, divergence: str, base: dict[str, Any], settings: dict[str, Any],
    exc: Exception,
) -> str:
    """Say which ``--set`` a built-in kind rejected and what it expects.

    Each setting is tried alone (building a built-in estimator only validates its fields), so
    the message names the culprit even when several were given.
    """
    fields = ({f.name: f for f in dataclasses.fields(entry.factory)}
              if dataclasses.is_dataclass(entry.factory) else {})
    for key, value in settings.items():
        try:
            estimators.make_estimator(spec, divergence=divergence, **{**base, key: value})
        except (TypeError, ValueError) as alone:
            field = fields.get(key)
            if field is None and fields:
                known = ", ".join(f for f in fields if f not in ("divergence",))
                return f"unknown setting {key!r} for estimator {spec!r}; its settings: {known}"
            expected = ""
            if field is not None:
                expected = f" (expected {field.type} in JSON"
                if field.default is not dataclasses.MISSING:
                    default = field.default
                    example = list(default) if isinstance(default, tuple) else default
                    expected += f", like the default {json.dumps(example, default=str)}"
                expected += ")"
            return (f"bad setting --set {key}={json.dumps(value)} for estimator {spec!r}"
                    f"{expected}: {_one_line(alone)}")
    # No single setting is at fault: a combination of them, or the device.
    given = f" with {_settings_text(settings)}" if settings else ""
    return f"cannot build estimator {spec!r}{given}: {_one_line(exc)}"


def _resolve_user_estimator(spec: str, divergence: str, settings: dict[str, Any]) -> Any:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UsageError(f"estimator {spec!r}: expected module:attr, e.g. mypkg.mod:my_kl")
    try:
        # Anything the user's module raises while it is imported (a SyntaxError, an ImportError
        # of its own dependencies, an error in module-level code) is bad input, not a crash.
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise UsageError(f"cannot import module {module_name!r} of estimator {spec!r}: "
                         f"{_describe_exception(exc)}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(f"cannot load estimator {spec!r}: {module_name!r} has no attribute "
                             f"{attr!r}") from None
    if isinstance(obj, type):
        try:
            obj = obj(**settings)
        except Exception as exc:
            given = f" with {_settings_text(settings)}" if settings else ""
            raise UsageError(f"cannot build estimator {spec!r}{given}: "
                             f"{_describe_exception(exc)}") from None
    elif settings:
        raise UsageError(f"--set applies to a class, but {spec!r} is a {type(obj).__name__}: "
                         f"drop {_settings_text(settings)}")
    try:
        est = estimators.as_estimator(obj, divergence=divergence, name=spec)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"estimator {spec!r}: {_one_line(exc)}") from None
    if isinstance(est, estimators.CallableEstimator):
        # The settings are part of its configuration, hence of every cache key: a run with
        # other --set values must not reuse these.
        est = dataclasses.replace(est, settings=dict(settings))
    return est


def _divergence_names() -> list[str]:
    return [*reference.DIVERGENCES, W1]


def _check_divergence(name: str) -> str:
    if name not in _divergence_names():
        raise UsageError(
            f"unknown divergence {name!r}; expected one of: {', '.join(_divergence_names())}"
        )
    return name


def _scenarios(names: Sequence[str] | None, divergence: str) -> list[str]:
    if not names:
        return list(DEFAULT_SCENARIOS.get(divergence, ()))
    for name in names:
        try:
            scen = get_scenario(name)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if not scen.supports(divergence):
            raise UsageError(f"scenario {name!r} has no finite exact {divergence!r}")
    return list(names)


def cmd_list(args: argparse.Namespace) -> int:
    """Print the divergences, scenarios and estimators."""
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


def _progress(args: argparse.Namespace) -> ProgressBar | None:
    return None if args.quiet else ProgressBar()


def _cache(args: argparse.Namespace) -> Cache | None:
    return None if args.no_cache else Cache(args.cache)


def cmd_certify(args: argparse.Namespace) -> int:
    """Certify an estimator; exit 0 when certified, 1 when not."""
    div = _check_divergence(args.divergence)
    est = resolve_estimator(args.estimator, div, args.device, _parse_settings(args.set))
    rules = Rules(atol=args.atol, rtol=args.rtol)
    cert = certify(est, div, scenarios=_scenarios(args.scenario, div), sizes=args.sizes,
                   seeds=args.seeds, rules=rules, cache=_cache(args), progress=_progress(args))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cert.save(str(out / "certificate.json"))
    print(cert.table())
    if not args.quiet:
        print(f"wrote {out / 'certificate.json'}", file=sys.stderr)
    return 0 if cert.passed else 1


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run one sweep and print its per-size statistics."""
    div = _check_divergence(args.divergence)
    est = resolve_estimator(args.estimator, div, args.device, _parse_settings(args.set))
    results = []
    for name in _scenarios(args.scenario, div):
        res = sweep(est, name, div, args.sizes, args.seeds, cache=_cache(args),
                    progress=_progress(args))
        results.append(res)
        rate = res.rate()
        print(f"{res.estimator} on {name}: truth {res.truth.value:.5f} ({res.truth.method})")
        print(f"  {'n':>6} {'mean':>9} {'bias':>9} {'bias 95% CI':>21} {'sd':>8} {'RMSE':>8} "
              f"{'s/run':>7} fails")
        for s in res.per_size(confidence=0.95):
            ci = f"[{s.bias_low:+.4f}, {s.bias_high:+.4f}]"
            print(f"  {s.n:>6} {s.mean:>9.4f} {s.bias:>+9.4f} {ci:>21} {s.sd:>8.4f} "
                  f"{s.rmse:>8.4f} {s.median_seconds:>7.3f} {s.failures:>5}")
        print(f"  log-log slope of RMSE vs n: {rate.slope:+.3f} ± {rate.stderr:.3f}")
        errors = [r.error for r in res.records if r.error]
        if errors:
            print(f"  {len(errors)} of {len(res.records)} runs failed; first error: {errors[0]}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "sweep.json", [r.to_dict() for r in results], indent=2)
    if not args.quiet:
        print(f"wrote {out / 'sweep.json'}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Build a convergence report (see :mod:`verify.report`)."""
    from divergence_verify.verify.report import run_report_command

    return run_report_command(args)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--estimator", required=True,
                   help="a registered kind (see 'list') or module:attr of your own")
    p.add_argument("--divergence", required=True, help="kl, js, tv, ..., or w1")
    p.add_argument("--scenario", action="append",
                   help="scenario name (repeatable); default: the divergence's defaults")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="estimator setting (JSON value), e.g. --set steps=500")
    p.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                   help=f"sample sizes per side (default {' '.join(map(str, DEFAULT_SIZES))})")
    p.add_argument("--seeds", type=int, default=DEFAULT_SEEDS,
                   help=f"seeds per size (default {DEFAULT_SEEDS})")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="device of neural estimators (default auto: CUDA when present)")
    p.add_argument("--cache", default=DEFAULT_CACHE,
                   help=f"folder of cached runs, so interrupted work resumes ({DEFAULT_CACHE})")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    p.add_argument("--quiet", action="store_true", help="no progress output")


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
    p.set_defaults(func=cmd_list)
    _add_debug_option(p)
    p = sub.add_parser("demo", help="exact divergences and a duality check")
    p.set_defaults(func=cmd_demo)
    _add_debug_option(p)
    p = sub.add_parser("certify", help="certify an estimator (exit 0 certified, 1 not)")
    _add_run_options(p)
    p.add_argument("--atol", type=float, default=Rules.atol, help="absolute tolerance")
    p.add_argument("--rtol", type=float, default=Rules.rtol, help="relative tolerance")
    p.add_argument("--out", default=".", help="folder for certificate.json (default .)")
    p.set_defaults(func=cmd_certify)
    _add_debug_option(p)
    p = sub.add_parser("sweep", help="run an estimator over sizes and seeds")
    _add_run_options(p)
    p.add_argument("--out", default=".", help="folder for sweep.json (default .)")
    p.set_defaults(func=cmd_sweep)
    _add_debug_option(p)
    from divergence_verify.verify.report import add_report_arguments

    p = sub.add_parser("report", help="convergence report (HTML, Markdown, JSON, PNG)")
    add_report_arguments(p)
    p.set_defaults(func=cmd_report)
    _add_debug_option(p)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """Print a warning as one line, like the errors."""
    print(f"warning: {_one_line(message)}", file=file or sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    0: success (or certified); 1: not certified; 2: bad usage or input, or any other error,
    reported on one line on stderr (``--debug`` raises it with its traceback instead); 130:
    interrupted; 141: stdout closed early (as by ``| head``). Failures of the estimator's own
    runs are not errors: they are recorded, and fail the ``runs`` rule of a certificate.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
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
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.debug:
            raise
        print(f"error: unexpected {_describe_exception(exc)} (run with --debug for the "
              "traceback)", file=sys.stderr)
        return 2
