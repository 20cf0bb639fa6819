"""Figures of a convergence report: estimate versus n, RMSE versus n, and the breakdown ladder.

Each function draws one PNG from :class:`~verify.sweep.SweepResult` objects and returns its path.
Drawing uses matplotlib's Agg backend (no display needed) and only the numbers in the results,
so a report regenerated from ``results.json`` draws the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: reports are built on servers and in CI, never shown

import matplotlib.pyplot as plt  # after use(): the backend is fixed when pyplot loads
import numpy as np
from matplotlib.ticker import NullLocator

from verify.certify import Rules
from verify.sweep import SweepResult

DPI = 100
"""Resolution of every PNG: small files that stay sharp in a browser at 100% zoom."""

_UNITS = {"kl": "nats", "reverse_kl": "nats", "jeffreys": "nats", "js": "nats", "gan": "nats",
          "tv": "no unit", "chi2": "no unit", "hellinger": "no unit", "w1": "distance"}
_NAMES = {"kl": "KL", "reverse_kl": "reverse KL", "jeffreys": "Jeffreys", "js": "JS", "gan": "GAN",
          "tv": "TV", "chi2": "χ²", "hellinger": "squared Hellinger", "w1": "W1"}
_MARKERS = "os^Dv<>ph*"


def divergence_label(divergence: str) -> str:
    """Return the display name of ``divergence`` (``"kl"`` -> ``"KL"``)."""
    return _NAMES.get(divergence, divergence)


def unit_label(divergence: str) -> str:
    """Return the unit of ``divergence`` for axis labels (nats, distance or no unit)."""
    return _UNITS.get(divergence, "nats")


def _style(index: int) -> dict[str, object]:
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {"color": colors[index % len(colors)], "marker": _MARKERS[index % len(_MARKERS)]}


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def _legend(ax: plt.Axes, below: bool = False) -> None:
    if below:  # many entries: keep them off the data, under the axes
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2,
                  frameon=False)
    else:
        ax.legend(fontsize=8, loc="best", framealpha=0.85)


def estimate_vs_n(results: Sequence[SweepResult], path: str | Path, title: str = "") -> Path:
    """Plot each estimator's mean estimate against n with its 95% CI band and the exact value.

    Parameters
    ----------
    results : sequence of SweepResult
        Sweeps of one divergence on one scenario (one line per estimator).
    path : str or Path
        Where to write the PNG.
    title : str
        Figure title (default: divergence and scenario).

    Returns
    -------
    Path
        ``path``.
    """
    first = results[0]
    truth = first.truth.value
    fig, ax = plt.subplots(figsize=(6, 4))
    sizes = sorted({n for r in results for n in r.sizes})
    for i, res in enumerate(results):
        style = _style(i)
        rows = res.per_size()
        n = np.array([s.n for s in rows], dtype=float)
        mean = np.array([s.mean for s in rows])
        # The band is the Student-t interval of the mean: truth + CI of the bias.
        low = np.array([truth + s.bias_low for s in rows])
        high = np.array([truth + s.bias_high for s in rows])
        ok = np.isfinite(low) & np.isfinite(high)
        ax.fill_between(n[ok], low[ok], high[ok], color=style["color"], alpha=0.18, linewidth=0)
        ax.plot(n, mean, label=f"{res.estimator} mean, 95% CI", **style)
        # Faint dots: every single run, so the spread of one estimate is visible too.
        good = [r for r in res.records if r.ok]
        jitter = 1.0 + 0.04 * (i - (len(results) - 1) / 2)
        ax.scatter([r.n * jitter for r in good], [r.estimate for r in good], s=9,
                   color=style["color"], alpha=0.35, linewidths=0)
    ax.axhline(truth, color="black", linestyle="--", linewidth=1.2,
               label=f"exact value {truth:.4g}")
    ax.set_xscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(n) for n in sizes])
    ax.xaxis.set_minor_locator(NullLocator())
    div = first.divergence
    ax.set_xlabel("sample size n per side (log scale)")
    ax.set_ylabel(f"estimate of {divergence_label(div)} ({unit_label(div)})")
    ax.set_title(title or f"{divergence_label(div)} on {first.scenario}", fontsize=10)
    ax.grid(True, alpha=0.3)
    _legend(ax)
    return _save(fig, path)


def rmse_vs_n(results: Sequence[SweepResult], path: str | Path) -> Path:
    """Plot RMSE against n on log-log axes, with each fitted slope and a reference n^-1/2 line.

    Parameters
    ----------
    results : sequence of SweepResult
        Sweeps of one divergence (one line per estimator and scenario).
    path : str or Path
        Where to write the PNG.

    Returns
    -------
    Path
        ``path``.
    """
    div = results[0].divergence
    fig, ax = plt.subplots(figsize=(6, 4.6 if len(results) > 4 else 4))
    sizes = sorted({n for r in results for n in r.sizes})
    anchors = []
    for i, res in enumerate(results):
        style = _style(i)
        rows = res.per_size()
        n = np.array([s.n for s in rows], dtype=float)
        rmse = np.array([s.rmse for s in rows])
        fit = res.rate()
        slope = "slope n/a" if not math.isfinite(fit.slope) else (
            f"slope {fit.slope:+.2f}" + ("" if not math.isfinite(fit.stderr)
                                         else f" ± {fit.stderr:.2f}"))
        ax.plot(n, rmse, label=f"{res.estimator} on {res.scenario} ({slope})", **style)
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
    ax.set_xlabel("sample size n per side (log scale)")
    ax.set_ylabel(f"RMSE of {divergence_label(div)} ({unit_label(div)}, log scale)")
    ax.set_title(f"{divergence_label(div)}: error versus n (thin lines: fitted power laws)",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    _legend(ax, below=len(results) > 4)
    return _save(fig, path)


def ladder(results: Sequence[SweepResult], path: str | Path, rules: Rules) -> Path:
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

    Returns
    -------
    Path
        ``path``.
    """
    div = results[0].divergence
    unit = unit_label(div)
    name = divergence_label(div)
    groups: dict[str, list[SweepResult]] = {}
    for res in results:
        groups.setdefault(res.estimator, []).append(res)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    truths = sorted({r.truth.value for r in results})
    for i, (label, group) in enumerate(groups.items()):
        style = _style(i)
        group = sorted(group, key=lambda r: r.truth.value)
        truth = np.array([r.truth.value for r in group])
        last = [r.per_size()[-1] for r in group]
        mean = np.array([s.mean for s in last])
        lo = np.array([t + s.bias_low for t, s in zip(truth, last, strict=True)])
        hi = np.array([t + s.bias_high for t, s in zip(truth, last, strict=True)])
        err = np.vstack([np.where(np.isfinite(lo), mean - lo, 0.0),
                         np.where(np.isfinite(hi), hi - mean, 0.0)])
        left.errorbar(truth, mean, yerr=err, capsize=3, label=label, **style)
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
        ax.set_xlabel(f"true {name} ({unit}, log scale)")
        ax.grid(True, which="both", alpha=0.3)
        _legend(ax)
    left.set_yscale("symlog", linthresh=0.1)
    left.set_ylabel(f"mean estimate ({unit}, symlog scale)")
    left.set_title(f"estimate versus truth at n = {n}", fontsize=10)
    right.set_yscale("log")
    right.set_ylabel(f"RMSE ({unit}, log scale)")
    right.set_title(f"error versus truth at n = {n} (above the dashed line: broken)", fontsize=10)
    return _save(fig, path)
