"""The report's drawing toolkit: print sizes and fonts, PNG/SVG encoding, robust axis ranges.

Figures are sized for print: :data:`SINGLE` inches wide for one panel, :data:`WIDE` for the
others, text at :data:`FONT_PT` points or more, PNG at :data:`DPI`. Axis ranges are robust
(:func:`robust_limits`): one estimator's outliers cannot flatten the others; a point beyond the
range is drawn on the axis edge as a triangle pointing the way it is off
(:func:`clip_points`), and the legend counts them. Log axes are labelled with plain numbers
over their whole height (:func:`log_ticks`).
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import matplotlib

matplotlib.use("Agg")  # headless: reports are built on servers and in CI, never shown

import matplotlib.pyplot as plt  # after use(): the backend is fixed when pyplot loads
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    NullLocator,
)
from matplotlib.transforms import ScaledTranslation
from PIL import Image

SINGLE = 3.4
"""Width in inches of a one-panel figure: one column of a two-column paper."""
WIDE = 7.0
"""Width in inches of a multi-panel figure: the full text width."""
FONT_PT = 9
"""Smallest font size of any text, in points."""
DPI = 200
"""Resolution of every PNG."""
LEGEND_DROP = 0.45
"""How far below its axes a panel's legend hangs, in inches (under the tick labels and the
x label at :data:`FONT_PT` points)."""
FENCE = 3.0
"""Tukey's far-out fence: points beyond ``FENCE`` interquartile ranges are outliers."""

_STYLE = {"font.size": FONT_PT, "axes.titlesize": FONT_PT, "axes.labelsize": FONT_PT,
          "xtick.labelsize": FONT_PT, "ytick.labelsize": FONT_PT, "legend.fontsize": FONT_PT,
          "figure.titlesize": FONT_PT + 1, "svg.hashsalt": "divergence-verify"}
_MARKERS = "os^Dv<>ph*"

F = TypeVar("F", bound=Callable[..., Figure])


def styled(draw: F) -> F:
    """Run ``draw`` under the report's style (fonts of at least :data:`FONT_PT` points)."""
    def wrapped(*args: Any, **kwargs: Any) -> Figure:
        with plt.rc_context(_STYLE):
            return draw(*args, **kwargs)

    wrapped.__doc__, wrapped.__name__ = draw.__doc__, draw.__name__
    return wrapped  # type: ignore[return-value]


def encode(fig: Figure) -> tuple[bytes, bytes]:
    """Return ``(png, svg)`` of ``fig`` and close it.

    The PNG is quantised to a 256-colour palette (a third of matplotlib's RGBA size, no visible
    change, so that the committed example and its self-contained HTML stay small); the SVG has
    no date and fixed ids, so both are the same bytes for the same figure.
    """
    with plt.rc_context(_STYLE):
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=DPI)
        svg = io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None})
    plt.close(fig)
    out = io.BytesIO()
    Image.open(png).convert("RGB").quantize(colors=256).save(out, format="png", optimize=True,
                                                             dpi=(DPI, DPI))
    return out.getvalue(), svg.getvalue()


def palette(order: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Colour and marker per estimator name, in ``order`` (the same in every figure)."""
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {name: {"color": colors[i % len(colors)], "marker": _MARKERS[i % len(_MARKERS)]}
            for i, name in enumerate(dict.fromkeys(order))}


def robust_limits(
    values: Sequence[float], *, scale: str = "linear", linthresh: float = 1.0,
    keep: Sequence[float] = (), pad: float = 0.06, min_fence: float | None = None,
) -> tuple[float, float]:
    """Return axis limits spanning ``values`` but for outliers, and ``keep`` entirely.

    The range is that of the values within Tukey's far-out fences, ``[q1 - FENCE·iqr,
    q3 + FENCE·iqr]`` over every value given (all estimators pooled), widened to hold ``keep``
    (the exact value, an allowance) and padded by ``pad`` of its span on each side. All of this
    is done where the axis is linear: on log10 of the positive values for ``scale="log"``, on
    ``sign(v)·log10(1 + |v|/linthresh)`` for ``scale="symlog"``.

    The fences lie at least ``min_fence`` beyond the quartiles (default: one decade on a log
    axis, none otherwise), so that a few points that happen to agree closely (five sizes of one
    estimator) do not make their neighbours outliers.
    """
    if min_fence is None:
        min_fence = 1.0 if scale == "log" else 0.0
    forward, inverse = _SCALES[scale](linthresh)
    vals = [v for v in values if v is not None and math.isfinite(v)]
    kept = [k for k in keep if math.isfinite(k)]
    if scale == "log":
        vals, kept = [v for v in vals if v > 0], [k for k in kept if k > 0]
    t_vals = np.asarray([forward(v) for v in vals], dtype=float)
    t_keep = np.asarray([forward(k) for k in kept], dtype=float)
    if t_vals.size == 0 and t_keep.size == 0:
        return (0.1, 1.0) if scale == "log" else (0.0, 1.0)
    low, high = math.inf, -math.inf
    if t_vals.size:
        q1, q3 = np.percentile(t_vals, [25, 75])
        fence = max(FENCE * (q3 - q1), min_fence)
        inside = t_vals[(t_vals >= q1 - fence) & (t_vals <= q3 + fence)]
        low, high = float(inside.min()), float(inside.max())
    if t_keep.size:
        low, high = min(low, float(t_keep.min())), max(high, float(t_keep.max()))
    span = high - low if high > low else 0.1 * max(abs(high), 1.0)
    return inverse(low - pad * span), inverse(high + pad * span)


def _linear(_c: float) -> tuple[Callable[[float], float], Callable[[float], float]]:
    return (lambda v: v), (lambda t: t)


def _log(_c: float) -> tuple[Callable[[float], float], Callable[[float], float]]:
    return math.log10, (lambda t: 10.0 ** t)


def _symlog(c: float) -> tuple[Callable[[float], float], Callable[[float], float]]:
    return ((lambda v: math.copysign(math.log10(1 + abs(v) / c), v)),
            (lambda t: math.copysign(c * (10.0 ** abs(t) - 1), t)))


_SCALES = {"linear": _linear, "log": _log, "symlog": _symlog}


def clip_points(
    ax: plt.Axes, x: Sequence[float], y: Sequence[float], style: dict[str, Any],
    **kwargs: Any,
) -> int:
    """Draw the points of ``(x, y)`` beyond ``ax``'s y-limits as triangles on its edge.

    Returns
    -------
    int
        How many were beyond (call after the limits are set).
    """
    low, high = ax.get_ylim()
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    count = 0
    for beyond, edge, marker in ((ys > high, high, "^"), (ys < low, low, "v")):
        if beyond.any():
            ax.scatter(xs[beyond], np.full(beyond.sum(), edge), marker=marker,
                       color=style["color"], s=30, clip_on=False, zorder=5, **kwargs)
            count += int(beyond.sum())
    return count


def clipped_entry(count: int) -> list[Line2D]:
    """Return the legend entry counting the points drawn on an axis edge ([] for none)."""
    if not count:
        return []
    return [Line2D([], [], color="#555555", marker="^", linestyle="none",
                   label=f"{count} off the axis, at its edge")]


def legend_below(ax: plt.Axes, extra: Sequence[Any] = (), **kwargs: Any) -> None:
    """Draw ``ax``'s legend, frameless, under its x label, with ``extra`` handles after its own.

    The legend hangs :data:`LEGEND_DROP` inches below the axes, whatever their height, so it
    never covers the tick labels or the x label (constrained layout makes room for it).
    """
    handles, labels = ax.get_legend_handles_labels()
    handles += list(extra)
    labels += [h.get_label() for h in extra]
    below = ax.transAxes + ScaledTranslation(0, -LEGEND_DROP, ax.figure.dpi_scale_trans)
    # Compact spacing: at 9 pt two columns of estimator names must fit a 3.4 in column.
    kwargs = {"handlelength": 1.6, "columnspacing": 1.0, "handletextpad": 0.5, **kwargs}
    ax.legend(handles, labels, frameon=False, loc="upper center", bbox_to_anchor=(0.5, 0),
              bbox_transform=below, **kwargs)


def log_x(ax: plt.Axes, ticks: Sequence[float], fmt: Callable[[float], str]) -> None:
    """Make ``ax``'s x axis logarithmic, labelled exactly at ``ticks`` by ``fmt``."""
    ax.set_xscale("log")
    ax.set_xticks(list(ticks))
    ax.set_xticklabels([fmt(t) for t in ticks])
    ax.xaxis.set_minor_locator(NullLocator())


def n_label(n: float) -> str:
    """A sample size as a short tick label: 250, 500, 1k, 2k, 4k, 2.5k."""
    return f"{n:g}" if n < 1000 else f"{n / 1000:g}k"


def finish(fig: Figure) -> None:
    """Label every log y axis with plain numbers over its whole height."""
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)  # the axes' final heights decide how many labels fit
    for ax in fig.axes:
        if ax.get_visible() and ax.get_yscale() == "log":
            _label_log_axis(ax)


_LEADS = ((1,), (1, 3), (1, 2, 5), (1, 2, 3, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9))
"""Candidate series of labelled log ticks (leading digits per decade), sparsest first."""


def log_ticks(low: float, high: float, most: int | None = None) -> list[float]:
    """Return the labelled ticks of a log axis from ``low`` to ``high`` (both > 0).

    ``most`` caps the number of labels (what fits the axis's height; at least 3).

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
    limit = max(8, 3 * span) if most is None else max(3, most)
    candidates = [c for c in candidates if 3 <= len(c) <= limit]
    if not candidates:  # a sliver of an axis: its two ends
        return [float(f"{low:.3g}"), float(f"{high:.3g}")]
    return min(candidates, key=score)


def _label_log_axis(ax: plt.Axes) -> None:
    """Label a log y axis with plain numbers (0.05, not 5×10⁻²) spread over its whole height.

    Matplotlib labels only powers of ten, so an axis spanning less than a decade can show one
    label or none; :func:`log_ticks` picks the labelled values, unlabelled minor ticks mark the
    rest of each decade.
    """
    low, high = ax.get_ylim()
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high):
        return
    ax.set_ylim(low, high)
    # Labels at least 1.8 font heights apart, so that none overlaps on a short panel.
    height_pt = ax.get_position().height * ax.figure.get_size_inches()[1] * 72
    most = int(height_pt / (1.8 * FONT_PT))
    ax.yaxis.set_major_locator(FixedLocator(log_ticks(low, high, most)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:.6g}"))
    ax.yaxis.set_minor_locator(LogLocator(subs=tuple(range(2, 10))))
    ax.yaxis.set_minor_formatter(NullFormatter())
