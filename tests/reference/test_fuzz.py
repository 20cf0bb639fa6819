"""Fuzz: every public reference function given bad input raises a project error naming it.

A project error is a ValueError or TypeError whose message names the argument; anything else
(numpy's, scipy's or POT's own exceptions, an AttributeError, a NaN returned) is a failure. A
fuzzed value that happens to be valid may return: then the result must not be NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divergence_verify import reference
from divergence_verify.reference.distributions import Categorical, Gaussian, GaussianMixture

bad_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.complex_numbers(max_magnitude=10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(object()),
    st.dictionaries(st.text(max_size=1), st.integers(), max_size=1),
)
bad_arrays = st.one_of(
    bad_scalars,
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
    st.lists(st.one_of(st.text(max_size=1), st.none()), min_size=1, max_size=3),
    st.just([[1.0], [2.0, 3.0]]),  # ragged
    st.just([]),
    st.just([[]]),
    st.just(np.zeros((2, 2, 2))),
    st.lists(st.integers(-3, 3), min_size=1, max_size=4),
)

P, Q = [0.25, 0.75], [0.5, 0.5]
X, Y = [[0.0, 0.0], [1.0, 0.0]], [[0.0, 1.0]]
G = Gaussian([0.0], [[1.0]])

# function, valid arguments, {position: the label its message must name}
TARGETS: list[tuple[str, Callable[..., Any], tuple[Any, ...], dict[int, tuple[str, ...]]]] = [
    ("divergence/p", reference.divergence, ("kl", P, Q), {1: ("p",), 2: ("q",)}),
    ("discrete_divergence", reference.discrete_divergence, ("js", P, Q), {1: ("p",), 2: ("q",)}),
    ("divergence/name", reference.divergence, ("kl", P, Q), {0: ("divergence", "name")}),
    ("optimal_critic", reference.optimal_critic, ("kl", P, Q), {1: ("p",), 2: ("q",)}),
    ("variational_objective", reference.variational_objective, ("kl", P, Q, [0.0, 0.0]),
     {1: ("p",), 2: ("q",), 3: ("critic",)}),
    ("check_probability_vector", reference.check_probability_vector, (P,), {0: ("p",)}),
    ("wasserstein1", reference.wasserstein1, (X, Y), {0: ("x",), 1: ("y",)}),
    ("wasserstein1 weights", reference.wasserstein1, (X, Y, [0.5, 0.5], [1.0]),
     {2: ("a",), 3: ("b",)}),
    ("wasserstein1_1d", reference.wasserstein1_1d, ([0.0, 1.0], [2.0]), {0: ("x",), 1: ("y",)}),
    ("wasserstein1_dual", reference.wasserstein1_dual, (X, Y), {0: ("x",), 1: ("y",)}),
    ("wasserstein1_translation", reference.wasserstein1_translation, ([1.0, 2.0],),
     {0: ("shift",)}),
    ("Gaussian", Gaussian, ([0.0], [[1.0]]), {0: ("mean",), 1: ("cov",)}),
    ("Categorical", Categorical, (P,), {0: ("probs", "p")}),
    ("GaussianMixture", GaussianMixture, ([1.0], [0.0], [1.0]),
     {0: ("weights",), 1: ("means", "mean", "components"), 2: ("covs", "cov", "components")}),
    ("exact_divergence", reference.exact_divergence, ("kl", G, G), {1: ("P",), 2: ("Q",)}),
    ("sample", G.sample, (3, 0), {0: ("sample size", "n"), 1: ("seed",)}),
]


def _fuzz(fn: Callable[..., Any], args: tuple[Any, ...], position: int, value: Any,
          labels: tuple[str, ...]) -> None:
    bad = list(args)
    bad[position] = value
    try:
        with np.errstate(all="ignore"):
            result = fn(*bad)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert any(label in message for label in labels), (
            f"{type(exc).__name__} does not name {labels}: {message!r}"
        )
        return
    if isinstance(result, float):
        assert not math.isnan(result), f"{value!r} at position {position} returned NaN"


@pytest.mark.parametrize(("label", "fn", "args", "positions"), TARGETS,
                         ids=[t[0] for t in TARGETS])
@settings(max_examples=30)
@given(value=bad_arrays, pick=st.integers(0, 9))
def test_bad_input_gets_a_project_error_naming_it(
    label: str, fn: Callable[..., Any], args: tuple[Any, ...],
    positions: dict[int, tuple[str, ...]], value: Any, pick: int,
) -> None:
    position = sorted(positions)[pick % len(positions)]
    _fuzz(fn, args, position, value, positions[position])
