"""Figures of a convergence report: estimates, RMSE, the ladder, the envelope, the summary grid.

Each function returns a matplotlib figure drawn from the numbers in the results (so a report
redrawn from ``results.json`` draws the same figures) and the verdicts of
:mod:`~divergence_verify.verify.report.summary`, under the print style of
:mod:`~divergence_verify.verify.report.plotting` (which also encodes them as PNG and SVG).
Divergence names and units come from :mod:`~divergence_verify.verify.report.names`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter

from divergence_verify.verify.report.names import axis_label, divergence_label
from divergence_verify.verify.report.plotting import (
    SINGLE,
    WIDE,
    clip_points,
    clipped_entry,
    finish,
    legend_below,
    log_x,
    n_label,
    palette,
    plt,
    robust_limits,
    styled,
)
from divergence_verify.verify.report.summary import Fit, Rate, Rung, Status

if TYPE_CHECKING:
    from divergence_verify.verify.design import Rules
    from divergence_verify.verify.report.envelope import EnvelopeMap
    from divergence_verify.verify.report.page import GridCell
    from divergence_verify.verify.sweeps import SweepResult


@styled
def estimate_vs_n(
    results: Sequence[SweepResult], title: str = "", order: Sequence[str] = ()
) -> Figure:
    """Plot each estimator's mean estimate against n with its 95% CI band and the exact value.

    Parameters
    ----------
    results : sequence of SweepResult
        Sweeps of one divergence on one scenario (one line per estimator).
    title : str
        Figure title (default: divergence and scenario), wrapped to the width.
    order : sequence of str
        Estimator names in the order that fixes their colours.

    Returns
    -------
    Figure
        One panel, :data:`SINGLE` inches wide.
    """
    first = results[0]
    truth = first.truth.value
    colors = palette([*order, *(r.estimator for r in results)])
    fig, ax = plt.subplots(figsize=(SINGLE, 2.6 + 0.2 * len(results)), layout="constrained")
    sizes = sorted({n for r in results for n in r.sizes})
    points: list[tuple[Any, list[float], list[float]]] = []
    for i, res in enumerate(results):
        style = colors[res.estimator]
        rows = res.per_size()
        n = np.array([s.n for s in rows], dtype=float)
        mean = np.array([s.mean for s in rows])
        # The band is the Student-t interval of the mean: truth + CI of the bias.
        low = np.array([truth + s.bias_low for s in rows])
        high = np.array([truth + s.bias_high for s in rows])
        ok = np.isfinite(low) & np.isfinite(high)
        ax.fill_between(n[ok], low[ok], high[ok], color=style["color"], alpha=0.13, linewidth=0)
        ax.plot(n, mean, label=res.estimator, markersize=4, **style)
        # Faint dots: every single run, so the spread of one estimate is visible too.
        good = [r for r in res.records if r.ok]
        jitter = 1.0 + 0.04 * (i - (len(results) - 1) / 2)
        xs, ys = [r.n * jitter for r in good], [r.estimate for r in good]
        ax.scatter(xs, ys, s=7, color=style["color"], alpha=0.35, linewidths=0)
        points.append((style, [*xs, *n], [*ys, *mean]))
    ax.axhline(truth, color="black", linestyle="--", linewidth=1.0, label=f"exact {truth:.4g}")
    # Fences at least half the truth (or 0.05) beyond the quartiles: runs that merely scatter
    # around the truth are not outliers, only ones far from everything else.
    ax.set_ylim(*robust_limits([y for _, _, ys in points for y in ys], keep=[truth],
                               min_fence=0.5 * max(abs(truth), 0.1)))
    clipped = sum(clip_points(ax, xs, ys, style) for style, xs, ys in points)
    log_x(ax, sizes, n_label)
    div = first.divergence
    ax.set_xlabel("sample size n per side")
    ax.set_ylabel(axis_label(f"estimate of {divergence_label(div)}", div))
    ax.set_title(textwrap.fill(title or f"{divergence_label(div)} on {first.scenario}", 42))
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    extra = clipped_entry(clipped)
    # Outside the axes, below them: constrained layout makes room, so it never covers a line.
    fig.legend([*handles, *extra], [*labels, *(h.get_label() for h in extra)],
               loc="outside lower center", ncol=2 if len(handles) > 2 else 1, frameon=False,
               handlelength=1.5, columnspacing=1.0)
    finish(fig)
    return fig


@styled
def rmse_vs_n(
    results: Sequence[SweepResult], rates: Sequence[Rate], order: Sequence[str] = ()
) -> Figure:
    """Plot RMSE against n on log-log axes, one panel per scenario, with a reference n^-1/2 line.

    Each estimator's fitted power law is drawn thin, dotted where the fit is poor
    (:class:`~divergence_verify.verify.report.summary.Fit`), and its legend entry gives the
    slope, or "poor fit" instead of a slope that describes nothing.

    Parameters
    ----------
    results : sequence of SweepResult
        Sweeps of one divergence (one line per estimator in its scenario's panel).
    rates : sequence of Rate
        The rate of each sweep, in the same order.
    order : sequence of str
        Estimator names in the order that fixes their colours.

    Returns
    -------
    Figure
        :data:`WIDE` inches wide (:data:`SINGLE` for one panel).
    """
    div = results[0].divergence
    colors = palette([*order, *(r.estimator for r in results)])
    scenarios = list(dict.fromkeys(r.scenario for r in results))
    ncols = min(3, len(scenarios))
    nrows = math.ceil(len(scenarios) / ncols)
    most = max(sum(r.scenario == s for r in results) for s in scenarios)
    width = WIDE if ncols > 1 else SINGLE
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, nrows * (2.4 + 0.2 * most)),
                             squeeze=False, layout="constrained")
    ses = {round(rate.se, 2) for rate in rates if math.isfinite(rate.se)}
    for k, ax in enumerate(axes.flat):
        if k >= len(scenarios):
            ax.set_visible(False)
            continue
        mine = [(r, q) for r, q in zip(results, rates, strict=True) if r.scenario == scenarios[k]]
        sizes = sorted({n for r, _ in mine for n in r.sizes})
        shown, points, anchors = [], [], []
        for res, rate in mine:
            style = colors[res.estimator]
            rows = res.per_size()
            n = np.array([s.n for s in rows], dtype=float)
            rmse = np.array([s.rmse for s in rows])
            kind = res.estimator.split("[")[0]
            text = "poor fit" if rate.fit is Fit.POOR else (
                "no slope" if rate.fit is Fit.NONE else f"{rate.slope:+.2f}")
            ax.plot(n, rmse, label=f"{kind}: {text}", markersize=4, **style)
            if rate.fit is not Fit.NONE:
                ax.plot(n, np.exp(rate.intercept) * n ** rate.slope, color=style["color"],
                        linewidth=0.9, alpha=0.7,
                        linestyle=":" if rate.fit is Fit.POOR else "-")
            shown += list(rmse)
            points.append((style, n, rmse))
            if np.isfinite(rmse[0]) and rmse[0] > 0:
                anchors.append(rmse[0])
        if anchors:
            # Anchored at the geometric mean of the first RMSEs, so it sits among the lines.
            start = float(np.exp(np.mean(np.log(anchors))))
            grid = np.array(sizes, dtype=float)
            ax.plot(grid, start * (grid / grid[0]) ** -0.5, color="black", linestyle="--",
                    linewidth=1.0, label="n^-1/2")
        ax.set_yscale("log")
        ax.set_ylim(*robust_limits(shown, scale="log"))
        clipped = sum(clip_points(ax, x, y, s) for s, x, y in points)
        log_x(ax, sizes, n_label)
        ax.set_title(scenarios[k])
        ax.grid(True, which="both", alpha=0.3)
        legend_below(ax, clipped_entry(clipped), handlelength=1.5)
        if k % ncols == 0:
            ax.set_ylabel(axis_label("RMSE", div, "log scale"))
        ax.set_xlabel("sample size n per side")
    se = f"; slopes ± {ses.pop():.2f} (predicted SE)" if len(ses) == 1 else ""
    # About 13 characters of 9 pt text per inch: wrapped, the title never leaves the figure.
    fig.suptitle(textwrap.fill(f"{divergence_label(div)}: RMSE versus n, fitted power laws "
                               f"thin (dotted: poor fit){se}", int(13 * width)))
    finish(fig)
    return fig




@styled
def ladder(results: Sequence[SweepResult], rungs: Sequence[Rung], rules: Rules,
           order: Sequence[str] = ()) -> Figure:
    """Plot the breakdown ladder: the error and the RMSE of each rung against their allowances.

    Left: the error (mean minus truth) in units of the tolerance ``atol + rtol·truth``, with its
    95% interval, against the shaded allowance ±1. Right: the RMSE with its 95% interval
    (:func:`~divergence_verify.verify.rules.rmse_interval`) against the dashed
    allowance ``spread_factor·tol``. A hollow marker is a *borderline* rung (an interval
    straddles an allowance edge); the verdicts are the table's
    (:func:`~divergence_verify.verify.report.summary.rung_of`).

    Parameters
    ----------
    results : sequence of SweepResult
        One sweep per (estimator, ladder scenario), all at the same n.
    rungs : sequence of Rung
        Their verdicts, in the same order.
    rules : Rules
        Certificate rules giving the allowances.
    order : sequence of str
        Colour order of the estimators, the same as in every other figure.

    Returns
    -------
    Figure
        Two panels, :data:`WIDE` inches wide.
    """
    div = results[0].divergence
    name = divergence_label(div)
    colors = palette([*order, *(r.estimator for r in results)])
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDE, 3.6), layout="constrained")
    truths = sorted({r.truth for r in rungs})
    errors, rmses, points = [], [], []
    labels = list(dict.fromkeys(r.estimator for r in rungs))
    for label in labels:
        style = colors[label]
        mine = sorted((r for r in rungs if r.estimator == label), key=lambda r: r.truth)
        truth = np.array([r.truth for r in mine])
        # A small offset per estimator keeps the interval bars of one rung apart.
        shift = truth * (1.0 + 0.06 * (labels.index(label) - (len(labels) - 1) / 2))
        err = np.array([r.last.bias / r.tolerance for r in mine])
        lo = np.array([r.last.bias_low / r.tolerance for r in mine])
        hi = np.array([r.last.bias_high / r.tolerance for r in mine])
        rmse = np.array([r.last.rmse for r in mine])
        r_lo = np.array([r.rmse_low for r in mine])
        r_hi = np.array([r.rmse_high for r in mine])
        hollow = [r.status is Status.BORDERLINE for r in mine]
        for ax, y, ylo, yhi in ((left, err, lo, hi), (right, rmse, r_lo, r_hi)):
            bars = np.vstack([np.where(np.isfinite(ylo), y - ylo, 0.0),
                              np.where(np.isfinite(yhi), yhi - y, 0.0)])
            ax.errorbar(shift, y, yerr=bars, capsize=2, color=style["color"], linewidth=1.0,
                        linestyle="-", marker="none")
            for x1, y1, empty in zip(shift, y, hollow, strict=True):
                ax.plot([x1], [y1], linestyle="none", marker=style["marker"], markersize=5,
                        color=style["color"], markerfacecolor="white" if empty else None)
        left.plot([], [], label=label, **style)
        errors += list(err)
        rmses += list(rmse)
        points.append((style, shift, err, rmse))
    left.axhspan(-1, 1, color="#888888", alpha=0.18, linewidth=0,
                 label=f"allowed: ±tol, tol = {rules.atol:g} + {rules.rtol:g}·{name}")
    left.axhline(0, color="black", linewidth=0.8)
    # Symlog: linear across the allowance (|error| < 2 tolerances), logarithmic beyond, so a
    # rung near the edge of the band is as visible as one far outside it.
    left.set_yscale("symlog", linthresh=2.0, linscale=1.5)
    left.set_ylim(*robust_limits(errors, scale="symlog", linthresh=2.0, keep=[-1.5, 1.5]))
    grid = np.geomspace(min(truths), max(truths), 50)
    allowed = rules.spread_factor * (rules.atol + rules.rtol * grid)
    right.plot(grid, allowed, color="black", linestyle="--", linewidth=1.0,
               label=f"allowed RMSE {rules.spread_factor:g}·tol")
    right.set_yscale("log")
    right.set_ylim(*robust_limits(rmses, scale="log", keep=[allowed[0], allowed[-1]]))
    clipped = sum(clip_points(left, x, e, s) for s, x, e, _ in points)
    clipped_right = sum(clip_points(right, x, r, s) for s, x, _, r in points)
    for ax in (left, right):
        log_x(ax, truths, lambda t: f"{t:g}")
        ax.set_xlabel(axis_label(f"true {name}", div, "log scale"))
        ax.grid(True, which="both", alpha=0.3)
    left.set_ylabel("error / tolerance (symlog scale)")
    low, high = left.get_ylim()
    left.yaxis.set_major_locator(FixedLocator([t for t in _SYMLOG_TICKS if low <= t <= high]))
    left.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    left.set_title(f"error / tolerance at n = {rungs[0].n}, 95% intervals")
    right.set_ylabel(axis_label("RMSE", div, "log scale"))
    right.set_title(f"RMSE at n = {rungs[0].n}, 95% intervals")
    hollow_entry = plt.Line2D([], [], color="#555555", marker="o", markerfacecolor="white",
                              linestyle="none", label="hollow: borderline")
    legend_below(left, [*clipped_entry(clipped), hollow_entry], ncol=2, handlelength=1.5)
    legend_below(right, clipped_entry(clipped_right))
    finish(fig)
    return fig


_SYMLOG_TICKS = (-1000, -100, -10, -5, -2, -1, 0, 1, 2, 5, 10, 100, 1000)

_CELL_COLORS = {Status.PASS: ("#d9f2d9", "#145214"), Status.FAIL: ("#f8d7d7", "#8a1414"),
                Status.WAIVED: ("#dbe6f5", "#1d3d6b"), Status.NOT_JUDGED: ("#f3efc6", "#5a4d00"),
                Status.INCONCLUSIVE: ("#fde7c4", "#6b4000")}
"""Face and ink colours of the summary grid's cells (the HTML's CSS uses the same)."""


_GRID_COLUMNS = 5
"""Most scenario columns in one block of the summary grid: at 9-point text a column of the 7-inch
figure then holds about 15 characters; more scenarios continue in a block below."""
_CHAR_IN = 0.075
"""Width of one character of 9-point text, inches (DejaVu Sans, with a margin)."""


@styled
def certificate_grid(cells: Sequence[GridCell], title: str = "", note: str = "") -> Figure:
    """Draw the certificate summary as a coloured grid: estimators down, scenarios across.

    Scenarios beyond :data:`_GRID_COLUMNS` continue in blocks below (each block showing only
    the estimators swept on its scenarios), and every line of a cell is wrapped to its column,
    so that no text runs into its neighbour's.

    Parameters
    ----------
    cells : sequence of GridCell
        One per (estimator, scenario) swept (see
        :func:`~divergence_verify.verify.report.page.grid_cells`); rows and columns follow
        their first appearance, and a pair not swept is a grey dash.
    title : str
        Figure title.
    note : str
        Lines under the grid (how to read the cells).

    Returns
    -------
    Figure
        :data:`WIDE` inches wide, every text at the report's smallest font size or larger; one
        axes per block of columns.
    """
    rows = list(dict.fromkeys(c.estimator for c in cells))
    cols = list(dict.fromkeys(c.scenario for c in cells))
    at = {(c.estimator, c.scenario): c for c in cells}
    count = math.ceil(len(cols) / _GRID_COLUMNS)
    per = math.ceil(len(cols) / count)
    blocks = [cols[i:i + per] for i in range(0, len(cols), per)]
    label_in = _CHAR_IN * max(len(r) for r in rows) + 0.2
    width = max(8, int((WIDE - label_in - 0.3) / per / _CHAR_IN))  # characters per column

    def lines_of(cell: GridCell | None) -> list[tuple[str, bool]]:
        if cell is None:
            return [("—", False)]
        return [(part, k == 0) for k, line in enumerate(cell.lines)
                for part in textwrap.wrap(line, width) or [""]]

    shown = [[r for r in rows if any((r, c) in at for c in block)] for block in blocks]
    most = max(len(lines_of(c)) for c in cells)
    line_in = 0.17  # inches per line of 9-point text, with leading
    cell_h = 0.12 + line_in * most
    heads = [0.35 * max(len(textwrap.wrap(c, width, break_on_hyphens=True)) for c in block)
             for block in blocks]
    heights = [head + cell_h * len(names) for head, names in zip(heads, shown, strict=True)]
    fig, axes = plt.subplots(len(blocks), 1, figsize=(WIDE, 0.6 + sum(heights)),
                             height_ratios=heights, squeeze=False, layout="constrained")
    for ax, block, names in zip(axes[:, 0], blocks, shown, strict=True):
        for i, row in enumerate(names):
            for j, col in enumerate(block):
                cell = at.get((row, col))
                face, ink = _CELL_COLORS.get(cell.status, ("#eeeeee", "#333333")) if cell else (
                    "#f4f4f4", "#999999")
                ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor=face, edgecolor="white",
                                           linewidth=2))
                lines = lines_of(cell)
                for k, (text, bold) in enumerate(lines):
                    y = i + 0.5 + (k - (len(lines) - 1) / 2) * (0.92 / most)
                    ax.text(j + 0.5, y, text, ha="center", va="center", color=ink,
                            fontweight="bold" if bold else "normal")
        ax.set_xlim(0, per)  # a shorter last block keeps the columns' width
        ax.set_ylim(len(names), 0)
        ax.set_xticks([j + 0.5 for j in range(len(block))])
        ax.set_xticklabels([textwrap.fill(c, width, break_on_hyphens=True) for c in block])
        ax.xaxis.tick_top()
        ax.set_yticks([i + 0.5 for i in range(len(names))])
        ax.set_yticklabels(names)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
    if title:
        fig.suptitle(textwrap.fill(title, 95))
    if note:
        axes[-1, 0].set_xlabel(textwrap.fill(note, 110), color="#444444")
    return fig


_ENVELOPE_COLORS = {Status.WITHIN: ("#d9f2d9", "#145214"),
                    Status.BORDERLINE: ("#fde7c4", "#6b4000"),
                    Status.OUTSIDE: ("#f8d7d7", "#8a1414")}
"""Face and ink colours of the envelope's cells (the HTML's CSS uses the same)."""


@styled
def envelope_map(maps: Sequence[EnvelopeMap]) -> Figure:
    """Draw each estimator's validity envelope: dimension across, true KL up, one panel each.

    A cell is green (within tolerance), amber (borderline: an interval straddles an
    allowance) or red (outside, or runs failed), as judged by
    :func:`~divergence_verify.verify.report.summary.rung_of`; its text is the error in units
    of the tolerance (``+0.4`` is 0.4 tolerances above the truth). A cell not run is grey.

    Parameters
    ----------
    maps : sequence of EnvelopeMap
        One per estimator (:func:`~divergence_verify.verify.report.envelope.envelope_maps`).

    Returns
    -------
    Figure
        :data:`WIDE` inches wide, up to three panels per row.
    """
    per_row = min(3, len(maps))
    rows = math.ceil(len(maps) / per_row)
    fig, axes = plt.subplots(rows, per_row, figsize=(WIDE, 0.6 + 2.5 * rows), squeeze=False,
                             layout="constrained")
    for ax, grid in zip(axes.flat, maps, strict=False):
        dims, kls = grid.dims, grid.kls
        for i, kl in enumerate(kls):
            for j, dim in enumerate(dims):
                cell = grid.cells.get((dim, kl))
                face, ink = (_ENVELOPE_COLORS[cell.status] if cell else ("#f4f4f4", "#999999"))
                ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor=face, edgecolor="white",
                                           linewidth=2))
                ratio = cell.last.bias / cell.tolerance if cell else math.nan
                text = "—" if not cell else ("fail" if not math.isfinite(ratio)
                                              else _tolerances(ratio))
                ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", color=ink)
        ax.set_xlim(0, len(dims))
        ax.set_ylim(0, len(kls))
        ax.set_xticks([j + 0.5 for j in range(len(dims))], [str(d) for d in dims])
        ax.set_yticks([i + 0.5 for i in range(len(kls))], [f"{kl:g}" for kl in kls])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel("dimension d")
        ax.set_ylabel("true KL (nats)")
        ax.set_title(textwrap.fill(grid.estimator, 30))
    for ax in list(axes.flat)[len(maps):]:
        ax.set_visible(False)
    n = maps[0].n
    fig.suptitle(f"Validity envelope at n = {n}: error / tolerance in each cell")
    return fig


def _tolerances(ratio: float) -> str:
    """An error in tolerances, short enough for a cell of a three-panel row: ``+0.4``, ``+12``."""
    return f"{ratio:+.1f}" if abs(ratio) < 9.95 else f"{ratio:+.0f}"
