"""The rules' hint for an undecided accuracy rule: how many seeds would decide it."""

import math

import pytest
from scipy import stats

from divergence_verify.verify.rules import _seeds_needed


def half_width(k: int, sd: float, confidence: float) -> float:
    """The Student-t interval's half-width of the mean of k runs."""
    return stats.t.ppf(0.5 + confidence / 2, k - 1) * sd / math.sqrt(k)


@pytest.mark.parametrize(("sd", "margin", "confidence", "runs"), [
    (1.0, 0.1, 0.90, 8), (0.05, 0.02, 0.95, 6), (0.3, 0.29, 0.90, 2), (2.0, 0.05, 0.99, 40),
])
def test_the_hint_is_a_count_whose_interval_fits_inside_the_margin(
        sd: float, margin: float, confidence: float, runs: int) -> None:
    k = _seeds_needed(sd, margin, confidence, runs)
    assert k is not None and k > runs
    assert half_width(k, sd, confidence) < margin
    # The search steps by 10% (at least 1): the hint is at most 10% above the fewest count.
    start = max(runs + 1, 2)
    fewest = next(j for j in range(start, k + 1) if half_width(j, sd, confidence) < margin)
    assert fewest <= k <= math.ceil(1.1 * fewest) + 1


def test_no_hint_without_a_spread_or_a_margin() -> None:
    assert _seeds_needed(0.0, 0.1, 0.9, 8) is None
    assert _seeds_needed(1.0, 0.0, 0.9, 8) is None
    assert _seeds_needed(math.inf, 0.1, 0.9, 8) is None
    assert _seeds_needed(1.0, 1e-9, 0.9, 8) is None  # beyond the search's limit
