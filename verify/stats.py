"""Statistics of repeated estimates: bias with a confidence interval, RMSE, and the rate in n."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class SizeStats:
    """Summary of the estimates at one sample size (over seeds).

    Attributes
    ----------
    n : int
        Sample size per side.
    runs : int
        Number of finite estimates (failed runs are counted in ``failures``).
    mean, sd : float
        Mean and standard deviation (ddof = 1) of the estimates.
    bias : float
        ``mean - truth``.
    bias_low, bias_high : float
        Student-t confidence interval for the bias at the chosen level.
    rmse : float
        Root mean squared error, sqrt(mean((estimate - truth)^2)).
    median_seconds : float
        Median wall time of one estimate.
    failures : int
        Runs that raised instead of returning a number.
    """

    n: int
    runs: int
    mean: float
    sd: float
    bias: float
    bias_low: float
    bias_high: float
    rmse: float
    median_seconds: float
    failures: int

    def to_dict(self) -> dict[str, float | int]:
        """Return the fields as a dict."""
        return asdict(self)


def size_stats(
    n: int,
    estimates: Sequence[float],
    truth: float,
    seconds: Sequence[float],
    failures: int = 0,
    confidence: float = 0.95,
) -> SizeStats:
    """Summarise the finite ``estimates`` at sample size ``n`` against the exact ``truth``."""
    x = np.asarray(estimates, dtype=float)
    k = x.size
    if k == 0:
        nan = math.nan
        return SizeStats(n, 0, nan, nan, nan, nan, nan, nan, nan, failures)
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if k > 1 else math.nan
    bias = mean - truth
    if k > 1:
        half = float(stats.t.ppf(0.5 + confidence / 2, k - 1)) * sd / math.sqrt(k)
    else:
        half = math.inf  # one run says nothing about its own spread
    rmse = float(np.sqrt(np.mean((x - truth) ** 2)))
    med = float(np.median(seconds)) if len(seconds) else math.nan
    return SizeStats(n, k, mean, sd, bias, bias - half, bias + half, rmse, med, failures)


@dataclass(frozen=True)
class SlopeFit:
    """Least-squares fit of log RMSE = a + slope · log n.

    Attributes
    ----------
    slope : float
        Fitted exponent (a consistent, root-n estimator gives about -0.5).
    stderr : float
        Standard error of the slope (NaN with two sizes: no residual degrees of freedom).
    intercept : float
        Fitted ``a``.
    """

    slope: float
    stderr: float
    intercept: float

    def to_dict(self) -> dict[str, float]:
        """Return the fields as a dict."""
        return asdict(self)


def fit_rate(sizes: Sequence[int], rmse: Sequence[float]) -> SlopeFit:
    """Fit the log-log slope of RMSE against n (sizes with RMSE <= 0 or NaN are skipped)."""
    n = np.asarray(sizes, dtype=float)
    r = np.asarray(rmse, dtype=float)
    ok = np.isfinite(r) & (r > 0)
    if ok.sum() < 2:
        return SlopeFit(math.nan, math.nan, math.nan)
    x, y = np.log(n[ok]), np.log(r[ok])
    res = stats.linregress(x, y)
    stderr = float(res.stderr) if ok.sum() > 2 else math.nan
    return SlopeFit(float(res.slope), stderr, float(res.intercept))
