"""Settings refused when the estimator is made, with strict types (issue 15, part 3)."""

from __future__ import annotations

import numpy as np
import pytest

from divergence_verify.estimators import list_estimators, make_estimator
from divergence_verify.estimators.validation import (
    MAX_SEED,
    check_batched_samples,
    check_bool,
    check_seed,
    member_seeds,
)

DIVERGENCE_OF = {"empirical_w1": "w1", "w1_critic": "w1"}


@pytest.mark.parametrize("kind", sorted(list_estimators()))
@pytest.mark.parametrize(
    ("seed", "error", "message"),
    [
        (1.5, TypeError, r"seed must be an integer, got 1\.5"),
        (True, TypeError, "seed must be an integer, got True"),
        ("3", TypeError, "seed must be an integer"),
        (-1, ValueError, r"seed must lie in \[0, 2\*\*63 - 1\], got -1"),
        (2**70, ValueError, f"got {2**70}"),
    ],
)
def test_every_estimator_refuses_a_bad_seed_when_made(
    kind: str, seed: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make_estimator(kind, DIVERGENCE_OF.get(kind, "kl"), seed=seed)


def test_the_largest_seed_is_accepted_and_numpy_seeds_are_ints() -> None:
    assert check_seed(MAX_SEED) == MAX_SEED
    assert type(check_seed(np.int64(7))) is int
    assert make_estimator("knn", "kl", seed=np.int64(3)).seed == 3


def test_member_seeds_refuse_negatives_and_an_empty_ensemble() -> None:
    with pytest.raises(ValueError, match=r"seeds\[1\] must lie in"):
        member_seeds(0, 2, [0, -5])
    with pytest.raises(ValueError, match="the ensemble is empty"):
        member_seeds(0, 0, None)
    with pytest.raises(ValueError, match=r"seed \+ 1 must lie in"):
        member_seeds(MAX_SEED, 2, None)


def test_an_empty_stacked_ensemble_is_refused() -> None:
    est = make_estimator("knn", "kl")
    empty = np.zeros((0, 10, 1))
    with pytest.raises(ValueError, match=r"the ensemble is empty.*0 members"):
        check_batched_samples(empty, empty)
    with pytest.raises(ValueError, match="the ensemble is empty"):
        est.estimate_many(empty, empty)


def test_max_points_one_is_refused() -> None:
    """W1 from a single point per side is the distance of two draws, not an estimate."""
    with pytest.raises(ValueError, match=r"max_points must be None or an integer >= 2, got 1"):
        make_estimator("empirical_w1", "w1", max_points=1)
    assert make_estimator("empirical_w1", "w1", max_points=2).max_points == 2


@pytest.mark.parametrize("value", ["no", "False", 0, 1, None])
def test_bias_correction_must_be_a_bool(value: object) -> None:
    """'no' is a truthy string: it turned the correction on."""
    with pytest.raises(TypeError, match=r"bias_correction must be True or False"):
        make_estimator("plugin", "kl", bias_correction=value)
    assert check_bool(np.bool_(True), "flag") is True


def test_unknown_activation_is_refused_when_made() -> None:
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match=r"unknown activation 'nope'; expected one of: relu"):
        make_estimator("fgan", "kl", activation="nope")
    with pytest.raises(TypeError, match="standardize must be True or False"):
        make_estimator("fgan", "kl", standardize="yes")


def test_folds_are_checked_when_made_and_against_n_at_estimate_time() -> None:
    """folds=1000 is valid for n >= 2000; below that the estimate says what it needs."""
    pytest.importorskip("torch")
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="folds must be a positive integer"):
            make_estimator("fgan", "kl", folds=bad)
    est = make_estimator("fgan", "kl", folds=1000, steps=1, device="cpu")
    x = np.zeros((500, 1))
    with pytest.raises(ValueError, match=r"x_p has 500 sample\(s\): 1000-fold cross-fitting "
                       r"needs at least 2000"):
        est.estimate(x, x)
