"""The page of a report: the view-model both templates (HTML and Markdown) render.

:func:`build_page` turns the results and their :class:`~.summary.Summary` into a :class:`Page`
of finished cells, each carrying its :class:`~.summary.Status` (the CSS class and colour), the
figures with their captions, and the texts of :mod:`.prose`. The templates only lay it out. In a
report of the user's estimators, each is marked "(yours)" and each built-in one run beside them
"(baseline)", and the paired comparison has its own section.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from divergence_verify.verify.design import ENVELOPE, ENVELOPE_DIMS, Rules
from divergence_verify.verify.pairing import PairedScenario, Verdict
from divergence_verify.verify.report import prose
from divergence_verify.verify.report.envelope import (
    envelope_maps,
    envelope_sentence,
    envelope_short,
    valid_to,
)
from divergence_verify.verify.report.names import divergence_label, unit_label
from divergence_verify.verify.report.presets import BASELINE, YOURS, Entry
from divergence_verify.verify.report.run import ReportData
from divergence_verify.verify.report.summary import FIT_LEVEL, Fit, Row, Status, Summary


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, and the status that colours it (None: plain)."""

    text: str
    status: Status | Fit | None = None
    left: bool = False

    @property
    def css(self) -> str:
        """CSS class: the status's (or fit's) value, ``text`` for a left-aligned cell, or ""."""
        return self.status.value if self.status else ("text" if self.left else "")


@dataclass(frozen=True)
class Table:
    """A table: its header and rows of cells."""

    head: tuple[str, ...]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class FigureRef:
    """A figure of the report: files (PNG and SVG, in the report folder), caption, width."""

    section: str
    stem: str
    caption: str
    width_in: float

    @property
    def png(self) -> str:
        """The PNG's file name."""
        return f"{self.stem}.png"

    @property
    def svg(self) -> str:
        """The SVG's file name."""
        return f"{self.stem}.svg"


@dataclass(frozen=True)
class GridCell:
    """One cell of the summary grid figure: its row, column, status and lines (status first)."""

    estimator: str
    scenario: str
    status: Status
    lines: tuple[str, ...]


@dataclass
class Page:
    """Everything the templates show, in order."""

    title: str
    tested: list[tuple[str, str]]
    facts: list[str]
    headline: str
    glance: Table
    findings: list[tuple[str, str]]
    how_to_read: list[tuple[str, str]]
    summary_intro: str
    summary: Table
    rules_line: str
    notes: list[str]
    ladder: Table | None
    failures: list[str]
    configuration: list[str]
    preset: str
    figures: list[FigureRef] = field(default_factory=list)
    comparison: Table | None = None
    comparison_intro: str = ""
    comparison_findings: list[str] = field(default_factory=list)
    envelope: Table | None = None
    envelope_findings: list[str] = field(default_factory=list)

    def figures_in(self, section: str) -> list[FigureRef]:
        """The figures of one section (summary, ladder, envelope, rate, estimate), in order."""
        return [f for f in self.figures if f.section == section]


def marked(label: str, roles: Mapping[str, str]) -> str:
    """``label`` with its role: ``"my_kl (yours)"``, ``"knn[kl] (baseline)"``, or as is."""
    role = roles.get(label)
    return f"{label} ({role})" if role else label


def _quantity(name: str) -> str:
    unit = unit_label(name)
    return f"{divergence_label(name)} ({unit})" if unit else divergence_label(name)


def title_and_tested(data: ReportData) -> tuple[str, list[tuple[str, str]]]:
    """The title (what was tested, in one line) and the list of what was tested."""
    from divergence_verify.reference import quantity_names
    from divergence_verify.verify.scenarios import SCENARIOS

    p = data.preset
    roles = data.roles()
    labels = list(dict.fromkeys(r.estimator for r in data.sweeps))
    kinds = list(dict.fromkeys(r.config.get("kind", r.estimator) for r in data.sweeps))
    table = {name: i for i, name in enumerate(quantity_names())}  # the table's order
    divs = sorted(dict.fromkeys(r.divergence for r in data.sweeps),
                  key=lambda d: table.get(d, len(table)))
    scens = list(dict.fromkeys(r.scenario for r in data.sweeps))
    names = [divergence_label(d) for d in divs]
    joined = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] if names \
        else "nothing"
    sizes = f"n = {min(p.sizes)} to {max(p.sizes)}" if len(p.sizes) > 1 else f"n = {p.sizes[0]}"
    pairs = f" ({len(labels)} estimator-quantity pairs)" if len(labels) != len(kinds) else ""
    yours = [label for label in labels if roles.get(label) == YOURS]
    if yours:
        others = [label for label in labels if label not in yours]
        who = (f"your estimator{'s' if len(yours) > 1 else ''} {', '.join(yours)}"
               + (f" beside {len(others)} baseline{'s' if len(others) > 1 else ''} "
                  f"({', '.join(others)})" if others else "") + " estimating")
    else:
        who = f"{len(kinds)} estimators{pairs} of"
    title = (f"Convergence of {who} {joined} on {len(scens)} scenarios, {sizes} per side, "
             f"{p.seeds} seeds")
    tested = [
        ("Estimators", ", ".join(marked(label, roles) for label in labels)),
        ("Quantities", ", ".join(_quantity(d) for d in divs)),
        ("Scenarios", "; ".join(f"{s} ({SCENARIOS[s].description})" if s in SCENARIOS else s
                                for s in scens)),
    ]
    if not data.sweeps:  # a ladder or envelope alone (benchmarks/bench_envelope.py)
        parts = [what for what, runs in (("ladder", data.ladder),
                                         ("validity envelope", data.envelope)) if runs]
        alone = ", ".join(dict.fromkeys(r.estimator for r in [*data.ladder, *data.envelope]))
        title = (f"{' and '.join(parts).capitalize() or 'Nothing'} of {alone or 'no estimator'}"
                 f" at n = {max(p.sizes)} per side, {p.seeds} seeds")
        tested = []
    tested.append(("Design", f"n = {', '.join(map(str, p.sizes))} points per side, {p.seeds} "
                             f"seeds per size (seeds 0 to {p.seeds - 1})"))
    if data.ladder:
        truths = sorted({r.truth.value for r in data.ladder})
        ladder_labels = ", ".join(dict.fromkeys(r.estimator for r in data.ladder))
        div = data.ladder[0].divergence
        tested.append(("Ladder", f"{divergence_label(div)} = {', '.join(f'{t:g}' for t in truths)}"
                                 f" {unit_label(div)} (2-D Gaussians N(μ, I) vs N(0, I)) at "
                                 f"n = {max(p.sizes)}: {ladder_labels}"))
    if data.envelope:
        labels = ", ".join(dict.fromkeys(r.estimator for r in data.envelope))
        cells = [ENVELOPE[r.scenario] for r in data.envelope if r.scenario in ENVELOPE]
        dims = sorted({d for d, _ in cells})
        kls = sorted({kl for _, kl in cells})
        tested.append(("Envelope", f"KL {', '.join(f'{kl:g}' for kl in kls)} nats in "
                                   f"d = {', '.join(map(str, dims))} dimensions "
                                   f"(N(μ, I) vs N(0, I)) at n = {max(p.sizes)}: {labels}"))
    tested.append(("Preset", f"{p.name}: {p.description}"))
    return title, tested


def header_facts(data: ReportData) -> list[str]:
    """When, where and how long; the design's slope standard error; the versions."""
    p = data.preset
    versions = ", ".join(f"{k} {v}" for k, v in data.versions.items())
    if data.cached_runs is None:
        cached = "whether runs came from the cache was not recorded"
    elif data.cached_runs == 0:
        cached = "none read from the cache"
    else:
        cached = (f"{data.cached_runs} of them read from the cache, computed by an earlier "
                  "invocation")
    facts = [
        f"Created {data.created} on {data.device_name} (device {data.device}).",
        f"{data.runs} runs ({cached}); computing time {data.compute_seconds:.0f} s (the sum of "
        f"the run times); this invocation took {data.wall_seconds:.0f} s of wall time.",
    ]
    if data.sweeps:
        facts.append(f"Predicted standard error of every RMSE slope: {_design_se(data)} (the "
                     f"convergence rule is judged when it is at most "
                     f"{data.rules.max_slope_se:g}); the ladder runs at n = {max(p.sizes)}.")
    return [*facts, f"Versions: {versions}."]


def _glance(summary: Summary) -> Table:
    out = []
    for label in summary.estimators:
        mine = [r for r in summary.rows if r.estimator == label]
        passed = sum(r.status.passed for r in mine)
        if not mine:
            cert = Cell("not swept", left=True)
        else:
            text = f"{passed} of {len(mine)} PASS"
            kinds = {r.status for r in mine}
            for status, words in ((Status.WAIVED, "convergence waived"),
                                  (Status.NOT_JUDGED, "convergence not judged")):
                count = sum(r.status is status for r in mine)
                if count:
                    text += f" ({count} with {words})"
            status = (Status.FAIL if passed == 0 else Status.MIXED if passed < len(mine)
                      else Status.PASS if kinds == {Status.PASS}
                      else Status.NOT_JUDGED if Status.NOT_JUDGED in kinds else Status.WAIVED)
            cert = Cell(text, status)
        fitted = sorted(r.rate.slope for r in mine if r.rate.fit in (Fit.GOOD, Fit.UNTESTED))
        speed = ("n/a" if not fitted else f"{fitted[0]:+.2f}" if len(fitted) == 1
                 else f"{fitted[0]:+.2f} to {fitted[-1]:+.2f}")
        poor = [r.scenario for r in mine if r.rate.fit is Fit.POOR]
        if poor:
            speed += f"; poor fit on {', '.join(poor)}"
        where = [f"{words} on {', '.join(r.scenario for r in mine if r.status is status)}"
                 for status, words in ((Status.FAIL, "fails"),
                                       (Status.INCONCLUSIVE, "inconclusive"))
                 if any(r.status is status for r in mine)]
        rungs = summary.rungs_of(label)
        if rungs:
            where.append(prose.ladder_short(rungs))
        where.extend(envelope_short(g) for g in envelope_maps(summary.cells)
                     if g.estimator == label)
        out.append([Cell(marked(label, summary.roles), left=True), cert, Cell(speed, left=True),
                    Cell("; ".join(where) or "no failure here (not on the ladder)", left=True)])
    return Table(("estimator", "converges? (certificate)", "how fast? (RMSE slope)",
                  "where does it break?"), out)


def _summary_table(summary: Summary, data: ReportData) -> Table:
    rows = [[Cell(r.estimator, left=True), Cell(r.scenario, left=True), Cell(prose.num(r.truth)),
             Cell(prose.error_ci(r.last.bias, r.last.bias_low, r.last.bias_high)),
             Cell(f"±{r.tolerance:.3g}"), Cell(r.error_ci.value, r.error_ci),
             Cell(prose.num(r.last.rmse, ".3g")), Cell(prose.slope_text(r.rate)),
             Cell(prose.fit_text(r.rate), Fit.POOR if r.rate.fit is Fit.POOR else None),
             Cell(prose.num(r.last.median_seconds, ".3g")),
             Cell(prose.verdict_text(r, data.rules), r.status)] for r in summary.rows]
    return Table(("estimator", "scenario", "truth", "error [95% CI]", "tolerance",
                  "error CI vs tolerance", "RMSE", "slope ± SE", "power-law fit", "s/run",
                  "verdict"), rows)


def _summary_intro(summary: Summary, data: ReportData) -> str:
    sizes = sorted({r.n for r in summary.rows})
    at = ", ".join(map(str, sizes)) or "-"
    return (f"Error, RMSE and time at the largest sample size (n = {at} per side, "
            f"{data.preset.seeds} seeds); slopes over every size.")


def _ladder_table(summary: Summary) -> Table:
    rows = [[Cell(r.estimator, left=True), Cell(prose.num(r.truth, "g")), Cell(str(r.n)),
             Cell(prose.num(r.last.mean)),
             Cell(prose.error_ci(r.last.bias, r.last.bias_low, r.last.bias_high)),
             Cell(f"±{r.tolerance:.3g}"),
             Cell(f"{prose.num(r.last.rmse, '.3g')} [{prose.num(r.rmse_low, '.3g')}, "
                  f"{prose.num(r.rmse_high, '.3g')}]"),
             Cell(prose.num(r.allowed_rmse, ".3g")), Cell(prose.rung_verdict(r), r.status)]
            for r in summary.rungs]
    return Table(("estimator", "truth", "n", "mean", "error [95% CI]", "tolerance",
                  "RMSE [95% CI]", "allowed RMSE", "verdict"), rows)


def _envelope_table(summary: Summary) -> Table:
    """Per estimator and dimension, the largest KL up to which every cell is within."""
    maps = envelope_maps(summary.cells)
    dims = [d for d in ENVELOPE_DIMS if any(d in g.dims for g in maps)]
    rows = []
    for grid in maps:
        counts = grid.counts()
        cells = []
        for dim in dims:
            top = valid_to(grid, dim)
            # Red where even KL 0.1 is not within, green where the whole column is, plain
            # in between (the map shows which cells end the range).
            status = (Status.OUTSIDE if top is None else Status.WITHIN if top == grid.kls[-1]
                      else None)
            cells.append(Cell("none" if top is None else f"≤ {top:g}", status))
        rows.append([Cell(grid.estimator, left=True), Cell(str(grid.n)), *cells,
                     Cell(f"{counts[Status.WITHIN]} / {counts[Status.BORDERLINE]} / "
                          f"{counts[Status.OUTSIDE]}")])
    return Table(("estimator", "n", *(f"valid to KL, d = {d}" for d in dims),
                  "cells within / borderline / outside"), rows)


def _notes(summary: Summary) -> list[str]:
    rows = summary.rows
    out = []
    for status, text in (
        (Status.NOT_JUDGED, "Convergence is not judged for {which}: with these sizes and seeds "
                            "a fitted slope says too little, so those verdicts rest on the "
                            "other rules. Use more seeds or a wider range of sizes to judge it."),
        (Status.WAIVED, "Convergence is waived for {which}: the RMSE at the largest n is "
                        "already below the precision floor, where a slope says nothing; the "
                        "verdict rests on the other rules (blue in the grid)."),
    ):
        count = sum(r.convergence is status for r in rows)
        if count:
            which = "every pair" if count == len(rows) else f"{count} of {len(rows)} pairs"
            out.append(text.format(which=which))
    poor = [r for r in rows if r.rate.fit is Fit.POOR]
    if poor:
        out.append(f"A power law fits the RMSE points poorly (p < {FIT_LEVEL:g}) for "
                   + ", ".join(f"{r.estimator} on {r.scenario}" for r in poor)
                   + ": their slopes are shown but claim no rate.")
    return out


def how_to_read(data: ReportData) -> list[tuple[str, str]]:
    """The definitions of the report, once: slope SE, fit test, statuses, axes."""
    r = data.rules
    return [
        ("Runs", "Each estimator runs on pairs of distributions (P, Q) whose divergence is "
                 "known exactly, at every sample size n (points per side) with several seeds; "
                 "every number comes from those runs."),
        ("Estimate versus n", "the mean estimate with its 95% Student-t band and each run as a "
                              "faint dot; a converging estimator closes in on the dashed exact "
                              "value."),
        ("Slope ± SE", "the least-squares slope of log RMSE against log n (a root-n consistent "
                       "estimator has -0.5). Its one uncertainty, used everywhere in this "
                       "report, is the standard error the design predicts: with k seeds log "
                       "RMSE has a standard error of about 1/√(2k), so SE = (1/√(2k)) / "
                       "√(Σ(ln nᵢ − mean ln n)²) "
                       "(divergence_verify.verify.certificates.predicted_slope_se): "
                       f"{_design_se(data)} for this report's sizes and seeds. The certificate's "
                       "convergence rule judges the same slope."),
        ("Power-law fit", "χ² = Σ(residualᵢ · √(2kᵢ))² of the log-log line on (sizes − 2) "
                          f"degrees of freedom; p < {FIT_LEVEL:g} is a poor fit: the points are "
                          "not a power law (a step, a plateau) and no speed is claimed from "
                          "the slope (dotted fitted line in the figures)."),
        ("Certificate", "the certificate rules (divergence_verify.verify.judge): runs (every "
                        "run returned a number), accuracy (|error| ≤ tolerance at the largest n), "
                        f"spread "
                        f"(RMSE ≤ {r.spread_factor:g} tolerances), convergence (slope ≤ "
                        f"{r.max_slope:g}). PASS (green): every rule holds. PASS, convergence "
                        f"waived (blue): the RMSE is below the precision floor "
                        f"{r.floor_fraction:g}·tolerance, where the slope rule does not apply. "
                        "PASS, convergence not judged (yellow): the design's slope SE exceeds "
                        f"{r.max_slope_se:g}. FAIL (red): the failed rules are named. The "
                        "column 'error CI vs tolerance' places the error's 95% interval against "
                        "±tolerance as the ladder does (within, borderline, outside): the "
                        "evidence behind the accuracy verdict, which judges the mean error."),
        ("Ladder", "the KL estimators on 2-D Gaussians of growing KL at one n, judged through "
                   "95% intervals: of the error (Student-t) against ±tolerance and of the RMSE "
                   "(chi-square with k degrees of freedom, exact for normal errors) against "
                   f"{r.spread_factor:g}·tolerance. Within: both intervals inside. Outside: an "
                   "interval wholly beyond. Borderline (hollow markers): an interval straddles "
                   "the edge, so the runs cannot tell."),
        ("Axes", "y-ranges hold the points within Tukey's far-out fences (3 interquartile "
                 "ranges, all estimators pooled); a point beyond is drawn as a triangle on the "
                 "edge, pointing the way it is off, and the legend counts them."),
        ("Seeds", f"with {data.preset.seeds} seeds per size a verdict near a threshold can "
                  "flip from one run to the next: settle it with more seeds (--seeds, or the "
                  "full preset)."),
    ]


def _design_se(data: ReportData) -> str:
    from divergence_verify.verify.certificates import predicted_slope_se

    p = data.preset
    return prose.num(predicted_slope_se(p.sizes, p.seeds) if len(set(p.sizes)) > 1
                     else math.inf, ".2f")


def rules_line(r: Rules) -> str:
    """The rules' numbers in one line."""
    return ("Rules (divergence_verify.verify.Rules): tolerance = "
            f"{r.atol:g} + {r.rtol:g}·|truth|; RMSE allowed "
            f"{r.spread_factor:g}·tolerance; slope at most {r.max_slope:g} unless RMSE < "
            f"{r.floor_fraction:g}·tolerance, judged only when the design's predicted slope "
            f"standard error is at most {r.max_slope_se:g}; {r.confidence:.0%} intervals.")


def _entry_line(entry: Entry, grouped: bool, group: str = "the ladder") -> str:
    settings = json.dumps(entry.settings) if entry.settings else "defaults"
    where = group if grouped else ", ".join(entry.scenarios)
    role = f" ({entry.role})" if entry.role else ""
    return f"{entry.label}{role} on {where}; settings: {settings}"


def _comparison_table(summary: Summary) -> Table:
    """One row per compared (A, B, scenario): the differences at the largest n, the verdicts.

    Where A is the user's estimator and B a baseline, a verdict for A is green and one for B
    red; other verdicts are not coloured.
    """
    rows = []
    for c in summary.comparisons:
        last = c.last
        colour = {Verdict.A_BETTER: Status.PASS, Verdict.B_BETTER: Status.FAIL} \
            if _yours_vs_baseline(c, summary.roles) else {}
        rows.append([
            Cell(marked(c.a, summary.roles), left=True), Cell(marked(c.b, summary.roles),
                                                              left=True),
            Cell(c.scenario, left=True), Cell(str(last.n)),
            Cell(prose.num(last.abs_a, ".3g")), Cell(prose.num(last.abs_b, ".3g")),
            Cell(prose.difference_ci(last.abs_diff)), Cell(prose.difference_ci(last.sq_diff)),
            Cell(prose.verdict_words(last.abs_diff.verdict, c.a, c.b),
                 colour.get(last.abs_diff.verdict)),
            Cell(f"{prose.verdict_words(c.overall.verdict, c.a, c.b)} "
                 f"({prose.difference_ci(c.overall)})", colour.get(c.overall.verdict))])
    # No "|" in a header: it would end a Markdown cell.
    return Table(("A", "B", "scenario", "n", "mean absolute error of A", "of B",
                  "difference of absolute errors, A − B [95% CI]",
                  "difference of squared errors, A − B [95% CI]", "verdict at this n",
                  "over all sizes: verdict (difference [95% CI])"), rows)


def _yours_vs_baseline(c: PairedScenario, roles: Mapping[str, str]) -> bool:
    return (roles.get(c.a), roles.get(c.b)) == (YOURS, BASELINE)


def _comparison_intro(summary: Summary, seeds: int) -> str:
    coloured = any(_yours_vs_baseline(c, summary.roles) for c in summary.comparisons)
    colours = " Green: your estimator's error is the smaller; red: the baseline's." \
        if coloured else ""
    return (f"Errors paired by sample size and seed, so on the same samples; {seeds} seeds per "
            "size; the ladder rungs at their one n. Negative differences: A is closer to the "
            f"truth.{colours}")


def comparison_findings(summary: Summary) -> list[str]:
    """One sentence per compared (A, B): where A's error is smaller, larger, or no different."""
    by_pair: dict[tuple[str, str], list[PairedScenario]] = {}
    for c in summary.comparisons:
        by_pair.setdefault((c.a, c.b), []).append(c)
    return [prose.comparison_sentence(pairs) for pairs in by_pair.values()]


def failures(data: ReportData) -> list[str]:
    """One line per sweep with failed runs, quoting the first error."""
    out = []
    for res in data.every_sweep:
        bad = [r for r in res.records if not r.ok]
        if bad:
            out.append(f"{res.estimator} on {res.scenario}: {len(bad)} of {len(res.records)} "
                       f"runs failed; first (n = {bad[0].n}, seed {bad[0].seed}): {bad[0].error}")
    return out


def grid_cells(rows: Sequence[Row]) -> list[GridCell]:
    """The cells of the summary grid: status, failed rules or waiver, error, slope or fit."""
    short = {"convergence": "conv."}
    out = []
    for row in rows:
        lines = ["PASS" if row.status.passed else "FAIL" if row.status is Status.FAIL
                 else "INCONCL."]
        if row.status is Status.FAIL:
            lines += textwrap.wrap(", ".join(short.get(r, r) for r in row.failed), 14)
        elif row.status is Status.INCONCLUSIVE:
            lines += textwrap.wrap(", ".join(short.get(r, r) for r in row.undecided), 14)
        if row.convergence is Status.WAIVED:
            lines.append("conv. waived")
        elif row.convergence is Status.NOT_JUDGED:
            lines.append("conv. not judged")
        lines.append(f"error {prose.num(row.last.bias, '+.2g')}")
        if row.error_ci is Status.BORDERLINE:
            lines.append("error CI borderline")
        lines.append("slope: poor fit" if row.rate.fit is Fit.POOR else "no slope"
                     if row.rate.fit is Fit.NONE else f"slope {row.rate.slope:+.2f}")
        out.append(GridCell(row.estimator, row.scenario, row.status, tuple(lines)))
    return out


def build_page(data: ReportData, summary: Summary, figures: Sequence[FigureRef]) -> Page:
    """Build the page of a report from its results, its summary and its figures."""
    title, tested = title_and_tested(data)
    p = data.preset
    paired = bool(summary.comparisons)
    return Page(
        title=title, tested=tested, facts=header_facts(data), headline=prose.headline(summary),
        glance=_glance(summary),
        findings=[(marked(label, summary.roles), text)
                  for label, text in prose.findings(summary, data.rules)],
        how_to_read=how_to_read(data) + ([("Paired comparison", prose.PAIRED)] if paired
                                         else []),
        summary_intro=_summary_intro(summary, data),
        summary=_summary_table(summary, data),
        rules_line=rules_line(data.rules), notes=_notes(summary),
        ladder=_ladder_table(summary) if summary.rungs else None, failures=failures(data),
        configuration=[*(_entry_line(e, False) for e in p.entries),
                       *(_entry_line(e, True) for e in p.ladder),
                       *(_entry_line(e, True, "the validity envelope") for e in p.envelope)],
        preset=p.name, figures=list(figures),
        comparison=_comparison_table(summary) if paired else None,
        comparison_intro=_comparison_intro(summary, p.seeds) if paired else "",
        comparison_findings=comparison_findings(summary),
        envelope=_envelope_table(summary) if summary.cells else None,
        envelope_findings=[f"{marked(g.estimator, summary.roles)}: {envelope_sentence(g)}"
                           for g in envelope_maps(summary.cells)])
