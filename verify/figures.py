"""Figures of a convergence report: estimate versus n, RMSE versus n, and the breakdown ladder.

Each function draws one PNG from :class:`~verify.sweeps.SweepResult` objects and returns its path.
Drawing uses matplotlib's Agg backend (no display needed) and only the numbers in the results,
so a report regenerated from ``results.json`` draws the same figures.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: reports are built on servers and in CI, never shown

import matplotlib.pyplot as plt  # after use(): the backend is fixed when pyplot loads
import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    NullLocator,
)
from PIL import Image

from divergence_verify.verify.certificates import Rules
from divergence_verify.verify.sweeps import SweepResult

DPI = 100
"""Resolution of every PNG: small files that stay sharp in a browser at 100% zoom."""

_UNITS = {"kl": "nats", "reverse_kl": "nats", "jeffreys": "nats", "js": "nats", "gan": "nats",
          "tv": "", "chi2": "", "hellinger": "", "w1": "distance"}
_NAMES = {"kl": "KL", "reverse_kl": "reverse KL", "jeffreys": "Jeffreys", "js": "JS", "gan": "GAN",
          "tv": "TV", "chi2": "χ²", "hellinger": "squared Hellinger", "w1": "W1"}
_MARKERS = "os^Dv<>ph*"


def divergence_label(divergence: str) -> str:
    """Return the display name of ``divergence`` (``"kl"`` -> ``"KL"``)."""
    return _NAMES.get(divergence, divergence)


def unit_label(divergence: str) -> str:
    """Return the unit of ``divergence``: nats, distance, or "" for the unitless ones."""
    return _UNITS.get(divergence, "nats")


def axis_label(what: str, divergence: str, scale: str = "") -> str:
    """Return ``what (unit, scale)``, leaving out what is empty (``"TV"`` has no unit)."""
    parts = [p for p in (unit_label(divergence), scale) if p]
    return f"{what} ({', '.join(parts)})" if parts else what


def _palette(results: Sequence[SweepResult], order: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Colour and marker per estimator name: ``order`` first, then by first appearance."""
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    names = list(dict.fromkeys([*order, *(r.estimator for r in results)]))
    return {name: {"color": colors[i % len(colors)], "marker": _MARKERS[i % len(_MARKERS)]}
            for i, name in enumerate(names)}


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    for ax in fig.axes:
        if ax.get_visible() and ax.get_yscale() == "log":
            _label_log_axis(ax)
        elif ax.get_visible() and ax.get_yscale() == "symlog":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    if not fig.get_constrained_layout():
        fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    # A 256-colour palette makes line plots a third of matplotlib's RGBA size, with no visible
    # change, so that the committed example report and its self-contained HTML stay small.
    Image.open(buffer).convert("RGB").quantize(colors=256).save(path, optimize=True)
    return path


_LEADS = ((1,), (1, 2, 5), (1, 2, 3, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9))
"""Candidate series of labelled log ticks (leading digits per decade), sparsest first."""


def log_ticks(low: float, high: float) -> list[float]:
    """Return the labelled ticks of a log axis from ``low`` to ``high`` (both > 0).

    Candidates: the decade series of :data:`_LEADS` and evenly spaced round numbers (1, 2, 2.5
    or 5 times a power of ten apart), each with three to eight labels in range (more on an axis
    of over three decades). The one whose widest unlabelled stretch (the ends of the axis
    included) is the smallest fraction of the axis wins, with the stretch above the top label
    counting extra and fewer labels breaking near-ties. So every part of the axis, the top
    where large errors sit included, has a labelled tick near it, even on an axis spanning less
    than a decade, where matplotlib labels one value or none.
    """
    lo, hi = math.log10(low), math.log10(high)
    span = hi - lo

    def series(leads: tuple[int, ...]) -> list[float]:
        ticks = (float(f"{lead * 10.0 ** e:.6g}")
                 for e in range(math.floor(lo), math.ceil(hi) + 1) for lead in leads)
        return [t for t in ticks if low <= t <= high]

    def even(bins: int) -> list[float]:
        ticks = MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
        return [float(f"{t:.6g}") for t in ticks if low <= t <= high and t > 0]

    def score(ticks: list[float]) -> float:
        points = [lo, *(math.log10(t) for t in ticks), hi]
        widest = max(b - a for a, b in itertools.pairwise(points))
        return (widest + 0.5 * (hi - points[-2])) / span + 0.02 * len(ticks)

    candidates = [series(leads) for leads in _LEADS] + [even(b) for b in range(3, 8)]
    candidates = [c for c in candidates if 3 <= len(c) <= max(8, 3 * span)]
    if not candidates:  # a sliver of an axis: its two ends
        return [float(f"{low:.3g}"), float(f"{high:.3g}")]
    return min(candidates, key=score)


def _label_log_axis(ax: plt.Axes) -> None:
    """Label a log y axis with plain numbers (0.05, not 5×10⁻²) spread over its whole height.

    Matplotlib labels only powers of ten, so an axis spanning less than a decade can show one
    label or none; :func:`log_ticks` picks the labelled values, unlabelled minor ticks mark the
    rest of each decade.
    """
    low, high = ax.get_ylim()  # autoscaled now; fixed below so that the ticks cannot move it
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high):
        return
    ax.set_ylim(low, high)
    ticks = log_ticks(low, high)
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:.6g}"))
    ax.yaxis.set_minor_locator(LogLocator(subs=tuple(range(2, 10))))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _with_margin(values: Sequence[float], fraction: float = 0.06) -> tuple[float, float]:
    """Return limits spanning the finite ``values`` with ``fraction`` of the range either side."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    low, high = min(finite), max(finite)
    pad = fraction * (high - low) if high > low else 0.05 * abs(high) or 0.05
    return low - pad, high + pad


def estimate_vs_n(
    results: Sequence[SweepResult], path: str | Path, title: str = "", order: Sequence[str] = ()
) -> Path:
    """Plot each estimator's mean estimate against n with its 95% CI band and the exact value.

    Parameters
    ----------
    results : sequence of SweepResult
        Sweeps of one divergence on one scenario (one line per estimator).
    path : str or Path
        Where to write the PNG.
    title : str
        Figure title (default: divergence and scenario).
    order : sequence of str
        Estimator names in the order that fixes their colours (others follow).

    Returns
    -------
    Path
        ``path``.
    """
    first = results[0]
    truth = first.truth.value
    colors = _palette(results, order)
    fig, ax = plt.subplots(figsize=(6, 4.4), layout="constrained")
    sizes = sorted({n for r in results for n in r.sizes})
    shown = [truth]  # every y value drawn: the limits are set from them, the truth included
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
        shown += [*low[ok], *high[ok], *mean]
        ax.plot(n, mean, label=f"{res.estimator} mean, 95% CI", **style)
        # Faint dots: every single run, so the spread of one estimate is visible too.
        good = [r for r in res.records if r.ok]
        jitter = 1.0 + 0.04 * (i - (len(results) - 1) / 2)
        ax.scatter([r.n * jitter for r in good], [r.estimate for r in good], s=9,
                   color=style["color"], alpha=0.35, linewidths=0)
        shown += [r.estimate for r in good]
    ax.axhline(truth, color="black", linestyle="--", linewidth=1.2,
               label=f"exact value {truth:.4g}")
    # axhline does not widen the limits: without this a truth above (or below) every estimate
    # sits on the frame, hidden.
    ax.set_ylim(*_with_margin(shown))
    ax.set_xscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(n) for n in sizes])
    ax.xaxis.set_minor_locator(NullLocator())
    div = first.divergence
    ax.set_xlabel("sample size n per side (log scale)")
    ax.set_ylabel(axis_label(f"estimate of {divergence_label(div)}", div))
    ax.set_title(title or f"{divergence_label(div)} on {first.scenario}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=False)
    return _save(fig, path)


def rmse_vs_n(
    results: Sequence[SweepResult], path: str | Path, order: Sequence[str] = ()
) -> Path:
    """Plot RMSE against n on log-log axes, one panel per scenario, with a reference n^-1/2 line.

    Each estimator's fitted power law is drawn thin and its slope (± standard error) is in the
    legend.

    Parameters
    ----------
    results : sequence of SweepResult
        Sweeps of one divergence (one line per estimator in its scenario's panel).
    path : str or Path
        Where to write the PNG.
    order : sequence of str
        Estimator names in the order that fixes their colours (others follow).

    Returns
    -------
    Path
        ``path``.
    """
    div = results[0].divergence
    colors = _palette(results, order)
    scenarios = list(dict.fromkeys(r.scenario for r in results))
    ncols = min(3, len(scenarios))
    nrows = math.ceil(len(scenarios) / ncols)
    # Constrained layout makes room for the legends under each panel.
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.3 * ncols, 4.6 * nrows), squeeze=False,
                             layout="constrained")
    for k, ax in enumerate(axes.flat):
        if k >= len(scenarios):
            ax.set_visible(False)
            continue
        mine = [r for r in results if r.scenario == scenarios[k]]
        sizes = sorted({n for r in mine for n in r.sizes})
        anchors = []
        for res in mine:
            style = colors[res.estimator]
            rows = res.per_size()
            n = np.array([s.n for s in rows], dtype=float)
            rmse = np.array([s.rmse for s in rows])
            fit = res.rate()
            ax.plot(n, rmse, label=f"{res.estimator} ({_slope_text(fit.slope, fit.stderr)})",
                    **style)
            if math.isfinite(fit.slope):
                ax.plot(n, np.exp(fit.intercept) * n ** fit.slope, color=style["color"],
                        linewidth=0.8, alpha=0.6)
            if np.isfinite(rmse[0]) and rmse[0] > 0:
                anchors.append(rmse[0])
        if anchors:
            # Anchored at the geometric mean of the first RMSEs, so it sits among the lines.
            start = float(np.exp(np.mean(np.log(anchors))))
            grid = np.array(sizes, dtype=float)
            ax.plot(grid, start * (grid / grid[0]) ** -0.5, color="black", linestyle="--",
                    linewidth=1.2, label="reference n^-1/2")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(n) for n in sizes])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_title(scenarios[k], fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        # Under the panel, never over its lines.
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
        if k % ncols == 0:
            ax.set_ylabel(axis_label("RMSE", div, "log scale"))
        ax.set_xlabel("sample size n per side (log scale)")
    fig.suptitle(f"{divergence_label(div)}: RMSE versus n (thin lines: fitted power laws)",
                 fontsize=11)
    return _save(fig, path)


def _slope_text(slope: float, stderr: float) -> str:
    if not math.isfinite(slope):
        return "slope n/a"
    return f"slope {slope:+.2f}" + (f" ± {stderr:.2f}" if math.isfinite(stderr) else "")


def ladder(
    results: Sequence[SweepResult], path: str | Path, rules: Rules, order: Sequence[str] = ()
) -> Path:
    """Plot the breakdown ladder: estimate and RMSE against the true divergence.

    Left: mean estimate (95% CI bars) against the exact value, with the identity line. Right:
    RMSE against the exact value on log-log axes, with the certificate's allowance
    ``spread_factor · (atol + rtol · truth)``: points above it are where the estimator breaks.

    Parameters
    ----------
    results : sequence of SweepResult
        One sweep per (estimator, ladder scenario), all at the same n.
    path : str or Path
        Where to write the PNG.
    rules : Rules
        Certificate rules giving the tolerance line.
    order : sequence of str
        Estimator names in the order that fixes their colours (others follow).

    Returns
    -------
    Path
        ``path``.
    """
    div = results[0].divergence
    name = divergence_label(div)
    colors = _palette(results, order)
    groups: dict[str, list[SweepResult]] = {}
    for res in results:
        groups.setdefault(res.estimator, []).append(res)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    truths = sorted({r.truth.value for r in results})
    lowest, highest = 0.0, 0.0
    for label, group in groups.items():
        style = colors[label]
        group = sorted(group, key=lambda r: r.truth.value)
        truth = np.array([r.truth.value for r in group])
        last = [r.per_size()[-1] for r in group]
        mean = np.array([s.mean for s in last])
        lo = np.array([t + s.bias_low for t, s in zip(truth, last, strict=True)])
        hi = np.array([t + s.bias_high for t, s in zip(truth, last, strict=True)])
        err = np.vstack([np.where(np.isfinite(lo), mean - lo, 0.0),
                         np.where(np.isfinite(hi), hi - mean, 0.0)])
        left.errorbar(truth, mean, yerr=err, capsize=3, label=label, **style)
        lowest = min(lowest, float(np.nanmin(mean)))
        tops = np.concatenate([mean, hi])
        tops = tops[np.isfinite(tops)]
        if tops.size:
            highest = max(highest, float(tops.max()))
        right.plot(truth, [s.rmse for s in last], label=label, **style)
    line = np.array([min(truths), max(truths)])
    left.plot(line, line, color="black", linestyle="--", linewidth=1.2, label="exact (y = x)")
    grid = np.geomspace(min(truths), max(truths), 50)
    right.plot(grid, rules.spread_factor * (rules.atol + rules.rtol * grid), color="black",
               linestyle="--", linewidth=1.2,
               label=f"allowed RMSE {rules.spread_factor:g}·({rules.atol:g} + "
                     f"{rules.rtol:g}·{name})")
    n = results[0].sizes[-1]
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xticks(truths)
        ax.set_xticklabels([f"{t:g}" for t in truths])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel(axis_label(f"true {name}", div, "log scale"))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", framealpha=0.85)
    left.set_yscale("symlog", linthresh=0.1)
    # Negative means get room; otherwise the axis starts at 0 and a lower error bar that runs
    # below it is cut at the frame, instead of stretching the axis over empty negative decades.
    bottom = 1.5 * lowest if lowest < 0 else 0.0
    # Headroom above the highest error bar, measured on the symlog scale itself, so that the top
    # cap does not sit on the frame.
    scale = left.yaxis.get_transform()
    low_t, top_t = scale.transform(np.array([bottom, max(highest, max(truths))]))
    top = float(scale.inverted().transform(np.array([top_t + 0.08 * (top_t - low_t)]))[0])
    left.set_ylim(bottom, top)
    left.set_ylabel(axis_label("mean estimate", div, "symlog scale"))
    left.set_title(f"estimate versus truth at n = {n}", fontsize=10)
    right.set_yscale("log")
    right.set_ylabel(axis_label("RMSE", div, "log scale"))
    right.set_title(f"error versus truth at n = {n} (above the dashed line: broken)", fontsize=10)
    return _save(fig, path)


@dataclass(frozen=True)
class GridCell:
    """One cell of :func:`certificate_grid`.

    Attributes
    ----------
    estimator, scenario : str
        Its row and column.
    status : {"pass", "fail", "partial"}
        Colour: every rule passed, a rule failed, or every rule judged passed while one could
        not be judged.
    lines : tuple of str
        Text of the cell, the verdict first (drawn bold).
    """

    estimator: str
    scenario: str
    status: str
    lines: tuple[str, ...]


_CELL_COLORS = {"pass": ("#d9f2d9", "#145214"), "fail": ("#f8d7d7", "#8a1414"),
                "partial": ("#eef3c8", "#4a5200")}


def certificate_grid(
    cells: Sequence[GridCell], path: str | Path, title: str = "", note: str = ""
) -> Path:
    """Draw the certificate summary as a coloured grid: estimators down, scenarios across.

    Parameters
    ----------
    cells : sequence of GridCell
        One per (estimator, scenario) swept; rows and columns follow their first appearance,
        and a pair not swept is a grey dash.
    path : str or Path
        Where to write the PNG.
    title : str
        Figure title.
    note : str
        A line under the grid (how to read the cells).

    Returns
    -------
    Path
        ``path``.
    """
    rows = list(dict.fromkeys(c.estimator for c in cells))
    cols = list(dict.fromkeys(c.scenario for c in cells))
    at = {(c.estimator, c.scenario): c for c in cells}
    most = max((len(c.lines) for c in cells), default=1)
    cell_h = 0.2 + 0.16 * most
    fig, ax = plt.subplots(figsize=(1.6 + 1.85 * len(cols), 0.9 + cell_h * len(rows)),
                           layout="constrained")
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            cell = at.get((row, col))
            face, ink = _CELL_COLORS.get(cell.status, ("#eeeeee", "#333333")) if cell else (
                "#f4f4f4", "#999999")
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=face, edgecolor="white",
                                   linewidth=2))
            lines = cell.lines if cell else ("—",)
            for k, text in enumerate(lines):
                y = i + 0.5 + (k - (len(lines) - 1) / 2) * (0.8 / max(most, 1))
                ax.text(j + 0.5, y, text, ha="center", va="center", color=ink,
                        fontsize=9 if k == 0 else 7.5, fontweight="bold" if k == 0 else "normal")
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([j + 0.5 for j in range(len(cols))])
    ax.set_xticklabels(cols, fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks([i + 0.5 for i in range(len(rows))])
    ax.set_yticklabels(rows, fontsize=9)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    if note:
        ax.set_xlabel(note, fontsize=8, color="#444444")
    return _save(fig, path)
