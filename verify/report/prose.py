"""The words of a report, written from the verdicts of :mod:`.summary` (never parsed back).

Numbers, slopes with their one standard error, verdict texts, the per-estimator findings
("does it converge, how fast, where does it break"), the ladder sentences and the paired
comparisons ("is yours better than the baseline, and where").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from divergence_verify.verify.certificates import Rules
from divergence_verify.verify.pairing import Interval, PairedScenario, Verdict
from divergence_verify.verify.report.names import divergence_label, unit_label
from divergence_verify.verify.report.summary import Fit, Rate, Row, Rung, Status, Summary


def num(x: float | None, spec: str = ".4g") -> str:
    """Format ``x`` with ``spec``; "n/a" for None or NaN, "∞"/"-∞" for infinities."""
    if x is None or math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return format(x, spec)


def slope_text(rate: Rate) -> str:
    """``-0.54 ± 0.13``: the slope and the design's predicted standard error."""
    if rate.fit is Fit.NONE:
        return "n/a"
    se = f" ± {rate.se:.2f}" if math.isfinite(rate.se) else ""
    return f"{rate.slope:+.2f}{se}"


def fit_text(rate: Rate) -> str:
    """The power-law fit in a few words: good or poor with its p-value, or why untested."""
    if rate.fit is Fit.NONE:
        return "n/a"
    if rate.fit is Fit.UNTESTED:
        return "untested (2 sizes)"
    return f"{rate.fit.value}, p = {rate.p_value:.2g}"


ROOT_N = -0.5
"""The slope of a root-n consistent estimator's RMSE against n."""
_Z95 = 1.959963984540054  # the standard normal's 97.5% quantile


def speed(rate: Rate) -> str:
    """What the slope says about the speed, or why it says nothing."""
    if rate.fit is Fit.NONE:
        return "no rate fitted"
    if rate.fit is Fit.POOR:
        return (f"poor fit: not a power law (χ² = {rate.chi2:.3g} on {rate.dof} df, "
                f"p = {rate.p_value:.2g}), no rate claimed")
    # The speed is read from the slope's 95% interval (slope ± 1.96·SE, the design's SE), not
    # from fixed cut-offs: -0.30 ± 0.13 is consistent with root-n and must not be called slower.
    low, high = rate.slope - _Z95 * rate.se, rate.slope + _Z95 * rate.se
    if high < ROOT_N:
        text = "faster than root-n"
    elif low <= ROOT_N:
        text = "consistent with root-n"
    elif rate.slope <= Rules.max_slope:
        text = "slower than root-n"
    else:
        text = "not shrinking"
    return text + ("; two sizes, fit untested" if rate.fit is Fit.UNTESTED else "")


def convergence_note(row: Row, rules: Rules) -> str:
    """Why the convergence rule was waived or not judged ("" when it was judged)."""
    if row.convergence is Status.WAIVED:
        return (f"RMSE {row.last.rmse:.3g} below the precision floor "
                f"{rules.floor_fraction * row.tolerance:.3g}")
    if row.convergence is Status.NOT_JUDGED:
        return (f"design too noisy: predicted slope SE {row.rate.se:.2f} > "
                f"{rules.max_slope_se:g}")
    return ""


BORDERLINE_ACCURACY = ("the 95% interval of the error straddles ±tolerance: more seeds would "
                       "settle it")
"""What a certificate verdict adds when its accuracy evidence is borderline."""


def verdict_text(row: Row, rules: Rules) -> str:
    """A certificate row's verdict: PASS, FAIL or INCONCLUSIVE with its rules, and the waiver.

    The accuracy rule judges the mean error; where the error's 95% interval straddles the
    tolerance (``row.error_ci`` is BORDERLINE) the verdict says so, whichever way it went.
    """
    text = ("PASS" if row.status.passed
            else "FAIL (" + ", ".join(row.failed) + ")" if row.status is Status.FAIL
            else "INCONCLUSIVE (" + ", ".join(row.undecided) + ")")
    if row.error_ci is Status.BORDERLINE:
        text += f"; accuracy borderline ({BORDERLINE_ACCURACY})"
    if row.convergence is Status.WAIVED:
        text += f"; convergence waived ({convergence_note(row, rules)})"
    elif row.convergence is Status.NOT_JUDGED:
        text += f"; convergence not judged ({convergence_note(row, rules)})"
    return text


def error_ci(bias: float, low: float, high: float) -> str:
    """``+0.075 [-0.03, +0.18]``: an error with its interval."""
    return f"{num(bias, '+.3g')} [{num(low, '+.3g')}, {num(high, '+.3g')}]"


def rung_verdict(rung: Rung) -> str:
    """The verdict of a ladder rung, naming what decided it."""
    if rung.status is Status.WITHIN:
        return "within tolerance"
    parts = [what for what, status in (("error", rung.accuracy), ("RMSE", rung.spread))
             if status is rung.status]
    if rung.last.failures:
        parts.append(f"{rung.last.failures} runs failed")
    if rung.status is Status.BORDERLINE:
        return ("borderline: the " + " and ".join(parts)
                + (" intervals straddle their allowances" if len(parts) > 1
                   else " interval straddles its allowance"))
    return "outside tolerance (" + ", ".join(parts) + ")"


def _values(rungs: Sequence[Rung]) -> str:
    name, unit = divergence_label(rungs[0].divergence), unit_label(rungs[0].divergence)
    return f"{name} = " + ", ".join(f"{r.truth:g}" for r in rungs) + (f" {unit}" if unit else "")


def _detail(rung: Rung) -> str:
    return (f"mean {num(rung.last.mean, '.3g')} for {rung.truth:g}: error "
            f"{error_ci(rung.last.bias, rung.last.bias_low, rung.last.bias_high)} against "
            f"±{rung.tolerance:.3g}, RMSE {num(rung.last.rmse, '.3g')} "
            f"[{num(rung.rmse_low, '.3g')}, {num(rung.rmse_high, '.3g')}] against "
            f"{rung.allowed_rmse:.3g} allowed")


def split_ladder(rungs: Sequence[Rung]) -> tuple[list[Rung], list[Rung], Rung | None, list[Rung]]:
    """Split rungs (ascending truth) into within, borderline, the breaking point and early ones.

    The breaking point is the first rung of the trailing run of *outside* rungs (every larger
    rung is outside too), None when the top rung is not outside; an outside rung below a rung
    that is not is an early failure, reported on its own so that a non-monotone ladder is not
    hidden.
    """
    tail = len(rungs)
    while tail > 0 and rungs[tail - 1].status is Status.OUTSIDE:
        tail -= 1
    within = [r for r in rungs if r.status is Status.WITHIN]
    borderline = [r for r in rungs if r.status is Status.BORDERLINE]
    early = [r for r in rungs[:tail] if r.status is Status.OUTSIDE]
    return within, borderline, (rungs[tail] if tail < len(rungs) else None), early


def ladder_sentence(rungs: Sequence[Rung]) -> str:
    """Say at which rungs the estimator is within tolerance, borderline, and where it breaks."""
    within, borderline, broken, early = split_ladder(rungs)
    where = f"On the ladder at n = {rungs[0].n}"
    if not within and not borderline:
        return (f"{where} it is outside tolerance on every rung ({_values(rungs)}; at the "
                f"smallest: {_detail(rungs[0])}).")
    said = []
    if within:
        said.append((within[0].truth, f"within tolerance at {_values(within)}"))
    if borderline:
        said.append((borderline[0].truth,
                     f"borderline at {_values(borderline)} ("
                     + "; ".join(_detail(r) for r in borderline) + ": an interval straddles "
                     "its allowance, so these runs cannot tell; more seeds would)"))
    text = f"{where} it is " + "; ".join(words for _, words in sorted(said))
    if broken is not None:
        text += f" and breaks at {_values([broken])} ({_detail(broken)})"
    elif rungs[-1].status is Status.WITHIN:
        text += " (the top of the ladder)"
    if early:
        text += f"; it is also outside tolerance at {_values(early)} ({_detail(early[0])})"
    return text + "."


def ladder_short(rungs: Sequence[Rung]) -> str:
    """The ladder in a table cell: within at ..., borderline at ..., breaks at ...."""
    name = divergence_label(rungs[0].divergence)
    within, borderline, broken, early = split_ladder(rungs)
    if not within and not borderline:
        return f"ladder: outside tolerance from {name} {rungs[0].truth:g} on"
    said = []
    if within:
        said.append((within[0].truth, "within tolerance at"
                     + "".join(f" {r.truth:g}," for r in within)))
    if borderline:
        said.append((borderline[0].truth, "borderline at"
                     + "".join(f" {r.truth:g}," for r in borderline)))
    if broken is not None:
        said.append((broken.truth, f"breaks at {broken.truth:g}"))
    text = f"ladder ({name}): " + " ".join(words for _, words in sorted(said)).rstrip(",")
    if early:
        text += " (outside at " + ", ".join(f"{r.truth:g}" for r in early) + ")"
    return text


def rates_sentence(rows: Sequence[Row]) -> str:
    """How the RMSE falls on each scenario; a poor fit claims no rate, and says why."""
    said = []
    fitted = [r for r in rows if r.rate.fit in (Fit.GOOD, Fit.UNTESTED)]
    if fitted:
        said.append("RMSE falls like " + ", ".join(
            f"n^{r.rate.slope:.2f} ± {r.rate.se:.2f} on {r.scenario} ({speed(r.rate)})"
            for r in fitted) + ".")
    for r in rows:
        if r.rate.fit is Fit.POOR:
            said.append(f"On {r.scenario} a power law does not describe the RMSE points "
                        f"(χ² = {r.rate.chi2:.3g} on {r.rate.dof} df, p = {r.rate.p_value:.2g}): "
                        f"the fitted slope {r.rate.slope:+.2f} claims no rate.")
        elif r.rate.fit is Fit.NONE:
            said.append(f"No rate on {r.scenario} (fewer than two sizes with an RMSE).")
    return " ".join(said)


def findings(summary: Summary, rules: Rules) -> list[tuple[str, str]]:
    """Answer, per estimator: does it converge, how fast, and where does it break.

    Returns
    -------
    list of (str, str)
        ``(estimator, plain-text paragraph)``, in the order the estimators first appear.
    """
    out = []
    for label in summary.estimators:
        mine = [r for r in summary.rows if r.estimator == label]
        parts = []
        if mine:
            failed = [r for r in mine if not r.status.passed]
            verdict = f"PASS on {len(mine) - len(failed)} of {len(mine)} scenarios"
            for status, words in ((Status.WAIVED, "waived"), (Status.NOT_JUDGED, "not judged")):
                notes = [f"{r.scenario}: {convergence_note(r, rules)}"
                         for r in mine if r.convergence is status]
                if notes:
                    verdict += f"; convergence {words} ({'; '.join(notes)})"
            for status, words in ((Status.FAIL, "fails"), (Status.INCONCLUSIVE, "inconclusive")):
                these = [r for r in failed if r.status is status]
                if these:
                    verdict += f"; {words} on " + "; ".join(
                        f"{r.scenario} ({', '.join(r.failed or r.undecided)}: error "
                        f"{num(r.last.bias, '+.3g')}, RMSE {num(r.last.rmse, '.3g')} at n = {r.n}"
                        + ("; accuracy borderline" if r.error_ci is Status.BORDERLINE else "")
                        + ")" for r in these)
            parts.append(verdict + ".")
            parts.append(rates_sentence(mine))
        rungs = summary.rungs_of(label)
        if rungs:
            parts.append(ladder_sentence(rungs))
        if not parts:
            parts.append("Not swept: it ran in the validity envelope only (below).")
        out.append((label, " ".join(parts)))
    return out


def headline(summary: Summary) -> str:
    """The one-sentence result of the certificate summary."""
    rows = summary.rows
    if not rows:
        judged = [what for what, runs in (("ladder", summary.rungs),
                                          ("validity envelope", summary.cells)) if runs]
        return (f"No convergence sweeps here: only the {' and '.join(judged) or 'nothing'}, "
                "judged at one sample size.")
    passed = sum(r.status.passed for r in rows)
    top = max((r.n for r in rows), default=0)
    judged = " judged" if any(r.convergence is Status.NOT_JUDGED for r in rows) else ""
    text = (f"{passed} of {len(rows)} estimator-scenario pairs pass every certificate "
            f"rule{judged} (sizes up to n = {top})")
    waived = sum(r.status is Status.WAIVED for r in rows)
    if waived:
        text += (f"; {waived} of them with convergence waived (RMSE already below the precision "
                 "floor)")
    if judged:
        text += "; convergence not judged where the design is too noisy"
    return text + "."


PAIRED = ("every estimator ran on the same samples: at each sample size n, seed s draws the "
          "same pair of samples for all of them. The difference |error of A| − |error of B| is "
          "taken seed by seed, and its 95% paired Student-t interval over the seeds assumes "
          "independent, roughly normal differences (exact for normal ones). A is better when "
          "the interval lies below zero, B when it lies above; otherwise no difference is "
          "detectable with these seeds. 'Over all sizes' averages each seed's differences over "
          "the sizes first. Each interval is at its own 95% level: among many scenarios one "
          "may miss zero by chance.")
"""The definition of the paired comparison, for the report's "how to read this"."""


def verdict_words(verdict: Verdict, a: str, b: str) -> str:
    """The verdict with the estimators' names: ``"<a> better"``, ``"<b> better"`` or as is."""
    return {Verdict.A_BETTER: f"{a} better", Verdict.B_BETTER: f"{b} better"}.get(
        verdict, verdict.value)


def difference_ci(interval: Interval) -> str:
    """``-0.012 [-0.02, -0.004]``: a mean difference with its interval."""
    return error_ci(interval.mean, interval.low, interval.high)


def comparison_sentence(pairs: Sequence[PairedScenario]) -> str:
    """Say where A's error is smaller than B's, where larger, and where no difference is seen.

    ``pairs`` are the comparisons of one (A, B) on its scenarios, judged at the largest n of
    each, then over all sizes; the numbers are in the comparison table.
    """
    a, b = pairs[0].a, pairs[0].b
    said = []
    for verdict, words in ((Verdict.A_BETTER, "smaller error on"),
                           (Verdict.B_BETTER, "larger error on"),
                           (Verdict.NO_DIFFERENCE, "no detectable difference on")):
        mine = [p.scenario for p in pairs if p.last.abs_diff.verdict is verdict]
        if mine:
            said.append(f"{words} {', '.join(mine)}")
    overall = [p.overall.verdict for p in pairs]
    counts = ", ".join(f"{verdict_words(v, a, b)} on {overall.count(v)}" for v in Verdict
                       if v in overall)
    unpaired = sum(size.unpaired for p in pairs for size in p.sizes)
    left_out = (f" {unpaired} runs whose partner failed are left out (see the failed runs)."
                if unpaired else "")
    return (f"{a} against {b}, on the same samples, at the largest n: " + "; ".join(said)
            + f". Over all sizes: {counts} of {len(pairs)}.{left_out}")
