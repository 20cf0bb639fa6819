"""Writing a report: figures, ``report.md``, ``index.html`` and ``results.json`` in one folder.

:func:`write` draws everything from ``results.json`` as read back, so a report regenerated with
``--from`` is identical to the one written after the run. :func:`report_command` is the
``report`` command behind the command line: a preset, a redraw, or a report of the user's own
estimators beside built-in baselines (:func:`~.presets.custom_preset`), all run on the same
samples and compared pairwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from divergence_verify.verify.options import DEFAULT_REPORT_ROOT, safe_name
from divergence_verify.verify.report import figures, plotting
from divergence_verify.verify.report.envelope import envelope_maps, envelope_sentence
from divergence_verify.verify.report.names import divergence_label
from divergence_verify.verify.report.outputs import OutputFolder, check_name, report_folder
from divergence_verify.verify.report.page import FigureRef, build_page, grid_cells
from divergence_verify.verify.report.presets import PRESETS, Preset, custom_preset
from divergence_verify.verify.report.prose import fit_text, num, slope_text, verdict_text
from divergence_verify.verify.report.render import render_html, render_markdown
from divergence_verify.verify.report.run import ReportData, load_results, run_preset, with_overrides
from divergence_verify.verify.report.summary import Summary, build_summary


def _stem(*parts: str) -> str:
    """A figure's file stem: its parts made path-safe by the suite's one rule, joined by ``_``."""
    return "_".join(safe_name(p) for p in parts)


def report_summary(data: ReportData) -> Summary:
    """Judge a report's sweeps, ladder and envelope, with its roles (the one call of it)."""
    return build_summary(data.sweeps, data.ladder, data.rules, data.roles(), data.envelope)


def plan_figures(data: ReportData, summary: Summary) -> list[tuple[FigureRef, Callable[[], Any]]]:
    """The figures of a report in order, each with the call that draws it."""
    from divergence_verify.verify.scenarios import SCENARIOS

    order = summary.estimators  # one colour per estimator across every figure
    plan: list[tuple[FigureRef, Callable[[], Any]]] = []
    rows = summary.rows
    if rows:
        top = max(r.n for r in rows)
        plan.append((FigureRef(
            "summary", "summary",
            "Certificate summary: one cell per estimator and scenario. Green PASS: every rule "
            "holds; blue: PASS with convergence waived (RMSE below the precision floor); "
            "yellow: PASS with convergence not judged (design too noisy); red FAIL with the "
            "failed rules. Each cell gives the error at the largest n and the RMSE slope, or "
            "'poor fit' where a power law does not describe the RMSE.", plotting.WIDE),
            lambda: figures.certificate_grid(
                grid_cells(rows), title=f"Certificate summary at n = {top} "
                                        f"({data.preset.seeds} seeds per size)")))
    if data.ladder:
        plan.append((FigureRef(
            "ladder", "ladder",
            "The breakdown ladder: 2-D Gaussians N(μ, I) vs N(0, I) with growing KL, at one "
            "sample size. Left: the error in units of the tolerance with its 95% interval, the "
            "allowance ±1 shaded; right: the RMSE with its 95% interval against the dashed "
            "allowance. Hollow markers: borderline (an interval straddles the allowance).",
            plotting.WIDE),
            lambda: figures.ladder(data.ladder, summary.rungs, data.rules, order)))
    if summary.cells:
        plan.append((FigureRef(
            "envelope", "envelope",
            "The validity envelope: N(μ, I) vs N(0, I) in d dimensions with true KL from 0.1 "
            "to 20 nats, at one sample size, one panel per estimator. Each cell gives the error "
            "in units of the tolerance; green: the 95% intervals of the error and of the RMSE "
            "lie within their allowances; amber: borderline (an interval straddles one); red: "
            "outside (or runs failed).", plotting.WIDE),
            lambda: figures.envelope_map(envelope_maps(summary.cells))))
    by_div: dict[str, list[int]] = {}
    by_pair: dict[tuple[str, str], list[int]] = {}
    for i, res in enumerate(data.sweeps):
        by_div.setdefault(res.divergence, []).append(i)
        by_pair.setdefault((res.divergence, res.scenario), []).append(i)
    for div, idx in by_div.items():
        wide = len({data.sweeps[i].scenario for i in idx}) > 1
        plan.append((FigureRef(
            "rate", _stem("rmse", div),
            f"RMSE of {divergence_label(div)} versus n (log-log), one panel per scenario, with "
            "fitted power laws (dotted: poor fit, no rate claimed) and the n^-1/2 reference.",
            plotting.WIDE if wide else plotting.SINGLE),
            lambda idx=idx: figures.rmse_vs_n([data.sweeps[i] for i in idx],
                                              [rows[i].rate for i in idx], order)))
    for (div, scen), idx in by_pair.items():
        label = divergence_label(div)
        desc = SCENARIOS[scen].description if scen in SCENARIOS else scen
        plan.append((FigureRef(
            "estimate", _stem("estimate", div, scen),
            f"{label} on {scen} ({desc}): mean estimate with 95% CI band, single runs as dots, "
            "exact value dashed.", plotting.SINGLE),
            lambda idx=idx, title=f"{label} on {scen}: {desc}": figures.estimate_vs_n(
                [data.sweeps[i] for i in idx], title=title, order=order)))
    stems = [ref.stem for ref, _ in plan]
    clashes = sorted({stem for stem in stems if stems.count(stem) > 1})
    if clashes:  # two scenarios whose names differ only in characters a file name cannot hold
        raise ValueError(f"figure names clash after making them path-safe: {', '.join(clashes)}; "
                         "rename the scenarios")
    return plan


def write(data: ReportData, out: str | os.PathLike[str]) -> list[Path]:
    """Write ``results.json``, the figures (PNG and SVG), ``report.md`` and ``index.html``.

    Every file is written atomically into ``out``; files of an earlier report there that this
    one does not write again are removed, and only those (see :mod:`.outputs`).

    Returns
    -------
    list of Path
        The files written (``index.html`` first).
    """
    folder = OutputFolder(out)
    results = folder.write_json("results.json", data.to_dict())
    data = load_results(results)
    summary = report_summary(data)
    refs, images, paths = [], {}, []
    for ref, draw in plan_figures(data, summary):
        png, svg = plotting.encode(draw())
        paths += [folder.write_bytes(ref.png, png), folder.write_bytes(ref.svg, svg)]
        images[ref.png] = png
        refs.append(ref)
    page = build_page(data, summary, refs)
    md = folder.write_text("report.md", render_markdown(page))
    index = folder.write_text("index.html", render_html(page, images))
    folder.finish()
    return [index, md, results, *paths]


def _chosen_preset(
    preset: str | None, estimators: list[str] | None, divergence: str | None,
    scenarios: list[str] | None, baselines: list[str] | None, settings: dict[str, Any] | None,
) -> Preset:
    """The preset a running ``report`` runs: a built-in one, or that of the user's estimators."""
    if estimators:
        if preset is not None:
            raise ValueError("--estimator cannot be combined with --preset: a report of your "
                             "estimators runs them beside the baselines (--baseline)")
        return custom_preset(estimators, divergence, scenarios, baselines, settings)
    given = [o for o, v in (("--divergence", divergence), ("--scenario", scenarios),
                            ("--baseline", baselines), ("--set", settings)) if v]
    if given:
        raise ValueError(f"{', '.join(given)} go{'es' if len(given) == 1 else ''} with "
                         "--estimator (a report of your own estimators)")
    if (preset or "default") not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}: expected one of {sorted(PRESETS)}")
    return PRESETS[preset or "default"]


def report_command(
    *, preset: str | None, from_path: str | None, name: str | None, out_root: str | None,
    device: str, sizes: list[int] | None, seeds: int | None, cache: str | None, quiet: bool,
    executor: Any = None, estimators: list[str] | None = None, divergence: str | None = None,
    scenarios: list[str] | None = None, baselines: list[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> int:
    """Run ``python -m divergence_verify report``; print the summary; return 0.

    ``cache`` None is ``--no-cache``. Without ``--name`` and ``--out-root``, ``--from`` writes
    beside its results file; otherwise the report goes to ``out_root/name`` (``name`` one
    folder name, default the preset's). ``executor`` is where the runs happen (see
    :func:`~divergence_verify.verify.report.run.run_preset`).

    With ``estimators`` (``--estimator``: ``module:attr`` references or registry kinds) the
    report runs them, with ``settings`` (``--set``), beside the ``baselines`` (built-in kinds;
    None: :data:`~.presets.DEFAULT_BASELINES` of the divergence) on ``scenarios`` (default:
    the divergence's) and the ladder, with the default preset's sizes and seeds unless
    ``sizes``/``seeds`` replace them (:func:`~.presets.custom_preset`). Every estimator sees
    the same samples, so the report pairs the user's errors with each baseline's. A report
    of user estimators is redrawn by ``--from`` without importing them.

    Raises
    ------
    ValueError
        For contradictory options (``estimators`` with ``preset`` or ``from_path``;
        ``divergence``, ``scenarios``, ``baselines`` or ``settings`` without ``estimators``),
        an unknown preset, divergence, scenario or baseline, a baseline that does not estimate
        the divergence, sizes that do not fit in memory, or a name that is not one folder name.
    UsageError
        For a user's estimator that cannot be resolved (before anything runs).
    FileNotFoundError
        For a missing ``--from`` file.
    """
    from divergence_verify.verify.progress import ProgressBar

    if name is not None:
        check_name(name)
    if from_path:
        given = [o for o, v in (("--preset", preset), ("--sizes", sizes), ("--seeds", seeds))
                 if v is not None]
        given += [o for o, v in (("--estimator", estimators), ("--divergence", divergence),
                                 ("--scenario", scenarios), ("--baseline", baselines),
                                 ("--set", settings)) if v]
        if given:
            raise ValueError(f"{', '.join(given)} cannot be combined with --from: the results "
                             "file holds what was run")
        data = load_results(from_path)
    else:
        chosen = with_overrides(
            _chosen_preset(preset, estimators, divergence, scenarios, baselines, settings),
            sizes, seeds)
        if estimators:
            _check_fits(chosen)
        data = run_preset(chosen, device=device, cache=cache, executor=executor,
                          progress=None if quiet else ProgressBar())
    if from_path and name is None and out_root is None:
        out = Path(from_path).parent
    else:
        out = report_folder(out_root or DEFAULT_REPORT_ROOT, name or data.preset.name)
    paths = write(data, out)
    data = load_results(out / "results.json")
    summary = report_summary(data)
    _print_summary(data, summary)
    figures_written = sum(p.suffix == ".png" for p in paths)
    print(f"wrote {paths[0]} (and report.md, results.json, {figures_written} figures as PNG and "
          "SVG)", file=sys.stderr)
    return 0


def _check_fits(preset: Preset) -> None:
    """Refuse, before running, sizes whose runs need more memory than is available."""
    from divergence_verify.verify.options import check_sizes_fit
    from divergence_verify.verify.scenarios import get_scenario

    names = {s for entry in (*preset.entries, *preset.ladder, *preset.envelope)
             for s in entry.scenarios}
    check_sizes_fit(preset.sizes, max(get_scenario(s).dim for s in names), None)


def _print_summary(data: ReportData, summary: Summary) -> None:
    from divergence_verify.verify.report.page import comparison_findings
    from divergence_verify.verify.report.prose import findings, headline

    print(headline(summary))
    for row in summary.rows:
        print(f"  {row.estimator:<18} {row.scenario:<20} error {num(row.last.bias, '+.3g'):>9} "
              f"RMSE {num(row.last.rmse, '.3g'):>8} slope {slope_text(row.rate):>13} "
              f"fit {fit_text(row.rate)}  {verdict_text(row, data.rules)}")
    ladder_only = Summary([], summary.rungs)
    for label, text in findings(ladder_only, data.rules):
        print(f"  {label}: {text}")
    for grid in envelope_maps(summary.cells):
        print(f"  {grid.estimator}: {envelope_sentence(grid)}")
    for line in comparison_findings(summary):
        print(f"  {line}")
