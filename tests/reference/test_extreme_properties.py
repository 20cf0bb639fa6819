"""Property-based tests over scales 1e-300 ... 1e300 (issue 15, part 7).

For every divergence and every generated pair: no NaN, ``0 <= D <= bound`` (JS <= log 2,
TV <= 1, squared Hellinger <= 2, GAN <= log 4; KL, chi² and Jeffreys may be ``inf``); W1 is
exactly symmetric and scale-equivariant. Examples are small (a few points, d <= 3) so that the
derandomized ``ci`` profile runs them in seconds.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from divergence_verify import reference
from divergence_verify.reference.distributions import Gaussian
from divergence_verify.reference.wasserstein import wasserstein1, wasserstein1_translation

NAMES = sorted(reference.DIVERGENCES)
BOUND = {name: reference.get_divergence(name).upper_bound for name in NAMES}

decades = st.integers(-300, 300)
mantissas = st.floats(1.0, 10.0, exclude_max=True)
magnitudes = st.builds(lambda m, e: m * 10.0**e, mantissas, decades)
signed = st.builds(lambda s, v: s * v, st.sampled_from([-1.0, 1.0]), magnitudes)


def _in_range(name: str, value: float) -> None:
    assert not math.isnan(value), f"{name} is NaN"
    assert 0.0 <= value <= BOUND[name], f"{name} = {value!r} outside [0, {BOUND[name]}]"


@st.composite
def extreme_probability_vectors(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Two probability vectors whose entries span up to 600 decades (and exact zeros)."""
    k = draw(st.integers(2, 5))
    cells = st.one_of(st.just(0.0), st.builds(lambda e: 10.0**e, st.integers(-300, 0)))
    out = []
    for _ in range(2):
        raw = np.array(draw(st.lists(cells, min_size=k, max_size=k)))
        assume(raw.sum() > 0)
        out.append(raw / math.fsum(raw))
    return out[0], out[1]


@st.composite
def extreme_gaussian_pairs(draw: st.DrawFn) -> tuple[Gaussian, Gaussian]:
    """1-D or 2-D Gaussians with means up to 1e300 and standard deviations 1e-150 ... 1e150."""
    d = draw(st.sampled_from([1, 2]))
    sd = st.builds(lambda m, e: m * 10.0**e, mantissas, st.integers(-150, 149))
    laws = []
    for _ in range(2):
        mean = [draw(signed) for _ in range(d)]
        cov = np.diag([draw(sd) ** 2 for _ in range(d)])
        laws.append(Gaussian(mean, cov))
    return laws[0], laws[1]


@st.composite
def overlapping_gaussian_pairs(draw: st.DrawFn) -> tuple[Gaussian, Gaussian]:
    """1-D Gaussians at a location up to 1e300 and a scale 1e-150 ... 1e150 that overlap.

    ``P = N(L + delta S, (a S)^2)``, ``Q = N(L, (b S)^2)`` with ``|delta| <= 30`` and
    ``a, b`` in [1/4, 4]: the bounded divergences are then computed by quadrature (or, far
    apart, are their bound), at every location and scale float64 has.
    """
    location = draw(st.one_of(st.just(0.0), signed))
    scale = draw(st.builds(lambda m, e: m * 10.0**e, mantissas, st.integers(-150, 149)))
    delta = draw(st.floats(-30.0, 30.0))
    a, b = (draw(st.floats(0.25, 4.0)) for _ in range(2))
    return (Gaussian([location + delta * scale], [[(a * scale) ** 2]]),
            Gaussian([location], [[(b * scale) ** 2]]))


CLOSED_FORMS = ("kl", "reverse_kl", "jeffreys", "hellinger", "chi2")


@settings(max_examples=40)
@given(extreme_probability_vectors())
def test_discrete_divergences_stay_in_range(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    for name in NAMES:
        _in_range(name, reference.divergence(name, p, q))


@settings(max_examples=40)
@given(extreme_gaussian_pairs())
def test_gaussian_closed_forms_stay_in_range(pq: tuple[Gaussian, Gaussian]) -> None:
    p, q = pq
    for name in CLOSED_FORMS:
        _in_range(name, reference.divergence(name, p, q))


@settings(max_examples=15)  # quadrature: ~0.2 s an example
@given(overlapping_gaussian_pairs())
def test_gaussian_bounded_divergences_stay_in_range(pq: tuple[Gaussian, Gaussian]) -> None:
    p, q = pq
    for name in ("js", "tv", "gan", "hellinger"):
        _in_range(name, reference.divergence(name, p, q))


@st.composite
def cloud_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Two small clouds of unit-scale points in d = 1 ... 3."""
    d = draw(st.integers(1, 3))
    coord = st.floats(-1.0, 1.0, allow_subnormal=False)
    clouds = []
    for _ in range(2):
        n = draw(st.integers(1, 4))
        clouds.append(np.array(draw(st.lists(coord, min_size=n * d, max_size=n * d))).reshape(n, d))
    return clouds[0], clouds[1]


@settings(max_examples=40)
@given(cloud_pairs(), st.integers(-300, 300))
def test_w1_is_symmetric_and_scale_equivariant(
    xy: tuple[np.ndarray, np.ndarray], decade: int
) -> None:
    x, y = xy
    scale = 10.0**decade
    unit = wasserstein1(x, y)
    scaled = wasserstein1(x * scale, y * scale)
    assert not math.isnan(scaled) and scaled >= 0.0
    assert wasserstein1(y * scale, x * scale) == scaled  # exactly
    # |x| <= 1 per coordinate, so nothing overflows and the relation holds to rounding.
    assert math.isclose(scaled, unit * scale, rel_tol=1e-9, abs_tol=1e-12 * scale)


@settings(max_examples=40)
@given(st.lists(signed, min_size=1, max_size=4))
def test_w1_translation_is_finite_at_every_scale(shift: list[float]) -> None:
    value = wasserstein1_translation(shift)
    largest = max(abs(s) for s in shift)
    assert largest <= value <= 2.0 * largest  # |s|_inf <= |s|_2 <= sqrt(d) |s|_inf
