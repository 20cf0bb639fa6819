r"""Classifier (probabilistic-classification) density-ratio estimator of any f-divergence.

A logistic regression separating the P sample (label 1) from the Q sample (label 0) has
posterior log-odds :math:`z(x) = \log\frac{n_P\,p(x)}{n_Q\,q(x)}` at its population optimum, so

.. math::
    \hat r(x) = \frac{n_Q}{n_P}\, e^{z(x)} \approx \frac{p(x)}{q(x)}

with :math:`n_P, n_Q` the *training* sample sizes (Qin 1998, Biometrika 85(3); Sugiyama, Suzuki &
Kanamori 2012, *Density Ratio Estimation in Machine Learning*, Ch. 4 "probabilistic
classification"). The ratio, fitted on a training split, is plugged into the table's generator
``f`` (``reference.fdivergences``) on the held-out split:

.. math::
    \hat D_f = \frac{1}{|Q_{\rm test}|}\sum_{x \in Q_{\rm test}} f(\hat r(x))
    \quad(\text{E}_Q\text{ form}), \qquad
    \hat D_f = \frac{1}{|P_{\rm test}|}\sum_{x \in P_{\rm test}} \frac{f(\hat r(x))}{\hat r(x)}
    \quad(\text{E}_P\text{ form}),

both equal to :math:`D_f(P\|Q)` when :math:`\hat r = p/q` and P, Q are mutually absolutely
continuous. For KL the E_P form is the mean held-out log-ratio :math:`\log \hat r`, of much smaller
variance than the E_Q form's :math:`\hat r \log \hat r`; prefer it there.

Features and model. ``features="quadratic"`` uses :math:`(x_a)_a` and
:math:`(x_a x_b)_{a \le b}` (:math:`d + d(d+1)/2` columns) plus an intercept: for two Gaussians
the log-ratio is exactly quadratic in x, so the model is well specified and the estimate is
consistent. ``"linear"`` is exact for Gaussians with a shared covariance. Columns are
standardised with the training mean and standard deviation (an affine change that leaves the model
class unchanged and conditions L-BFGS); the loss is the mean logistic loss over the pooled
training points plus :math:`\tfrac{\lambda}{2}\|w\|^2` on the non-intercept weights (the ridge
shrinks :math:`\hat r` towards the constant :math:`n_P/n_Q` ratio of the intercept). It is
minimised by ``scipy.optimize.minimize(method="L-BFGS-B")`` with the analytic gradient.

Outside the model class (non-quadratic log-ratios) the estimate converges to the divergence of the
best logistic approximation, not to :math:`D_f`.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from divergence_verify.estimators.base import BaseEstimator, TrainingDivergedError
from divergence_verify.estimators.validation import check_seed
from divergence_verify.reference.fdivergences import get_divergence


def _features(x: np.ndarray, kind: str) -> np.ndarray:
    """Return the raw feature columns: ``x`` itself, plus its pairwise products if quadratic."""
    if kind == "linear":
        return x
    rows, cols = np.triu_indices(x.shape[1])
    return np.concatenate([x, x[:, rows] * x[:, cols]], axis=1)


def _split(
    n: int, fraction: float, rng: np.random.Generator, label: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return (train, test) index arrays of a random split of ``range(n)``."""
    n_train = round(fraction * n)
    if not 1 <= n_train <= n - 1:
        raise ValueError(
            f"{label} has {n} points: a train_fraction of {fraction} leaves an empty training or "
            "held-out part (need at least one point in each)"
        )
    order = rng.permutation(n)
    return order[:n_train], order[n_train:]


def _fit_logistic(design: np.ndarray, labels: np.ndarray, l2: float, max_iter: int) -> np.ndarray:
    """Return the weights minimising the mean logistic loss + l2/2 |w[1:]|^2 (column 0: bias)."""
    signs = 2.0 * labels - 1.0
    penalised = np.ones(design.shape[1])
    penalised[0] = 0.0

    def loss_and_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        margin = signs * (design @ w)
        loss = np.mean(np.logaddexp(0.0, -margin)) + 0.5 * l2 * np.sum(penalised * w * w)
        grad = -(design.T @ (signs * expit(-margin))) / design.shape[0] + l2 * penalised * w
        return float(loss), grad

    result = minimize(
        loss_and_grad,
        np.zeros(design.shape[1]),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter},
    )
    if not (np.isfinite(result.fun) and np.all(np.isfinite(result.x))):
        raise TrainingDivergedError(f"logistic regression diverged: {result.message}")
    return result.x


@dataclasses.dataclass
class ClassifierEstimator(BaseEstimator):
    r"""Density ratio from a logistic regression between the samples, plugged into :math:`D_f`.

    Formula, model and sources: see the module docstring. ``seed`` draws the train/held-out
    split.

    Attributes
    ----------
    train_fraction : float
        Fraction of each sample used to fit the classifier; the rest is held out for the
        average (in (0, 1); each part needs at least one point).
    features : {"quadratic", "linear"}
        Feature map of the logistic regression (quadratic: exact log-ratio for Gaussians).
    l2 : float
        Ridge coefficient :math:`\lambda \ge 0` on the standardised non-intercept weights.
    expectation : {"auto", "q", "p"}
        Average :math:`f(\hat r)` over held-out Q (``"q"``, the definition) or
        :math:`f(\hat r)/\hat r` over held-out P (``"p"``). ``"auto"`` (default) takes ``"p"``
        for KL and ``"q"`` otherwise: for KL the E_Q form averages :math:`r\log r`, whose
        variance :math:`\int p^2/q \,\log^2 r` is infinite whenever :math:`\chi^2(P\|Q)` is
        (e.g. P wider than Q), while the E_P form averages :math:`\log r`, of finite variance.
        Measured with ``verify.certify`` at n = 4000, 8 seeds, on N(0.5, 2²) vs N(0, 1) (KL
        0.932): E_Q bias +4.1 with RMSE 12.8; E_P bias -0.067 with RMSE 0.093.
    max_iter : int
        Iteration limit of L-BFGS.

    Raises
    ------
    TrainingDivergedError
        From :meth:`estimate`, if the fit produced non-finite weights or loss.
    """

    train_fraction: float = 0.5
    features: Literal["quadratic", "linear"] = "quadratic"
    l2: float = 1e-3
    expectation: Literal["auto", "q", "p"] = "auto"
    max_iter: int = 1000

    kind = "classifier"

    def __post_init__(self) -> None:
        self.seed = check_seed(self.seed)  # strict: 1.5, -1 or 2**70 is refused here
        get_divergence(self.divergence)  # raises ValueError, listing the known names
        if not 0.0 < self.train_fraction < 1.0:
            raise ValueError(f"train_fraction must lie in (0, 1), got {self.train_fraction!r}")
        if self.features not in ("quadratic", "linear"):
            raise ValueError(f"features must be 'quadratic' or 'linear', got {self.features!r}")
        if not np.isfinite(self.l2) or self.l2 < 0:
            raise ValueError(f"l2 must be finite and >= 0, got {self.l2!r}")
        if self.expectation not in ("auto", "q", "p"):
            raise ValueError(f"expectation must be 'auto', 'q' or 'p', got {self.expectation!r}")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter!r}")

    def _expectation(self) -> str:
        if self.expectation == "auto":
            return "p" if self.divergence == "kl" else "q"
        return self.expectation

    def _estimate(self, x_p: np.ndarray, x_q: np.ndarray, seed: int) -> float:
        rng = np.random.default_rng(seed)
        train_p, test_p = _split(x_p.shape[0], self.train_fraction, rng, "x_p")
        train_q, test_q = _split(x_q.shape[0], self.train_fraction, rng, "x_q")
        raw_train = _features(np.concatenate([x_p[train_p], x_q[train_q]]), self.features)
        centre = raw_train.mean(axis=0)
        scale = raw_train.std(axis=0)
        scale[scale == 0.0] = 1.0  # a constant column carries no information; keep it finite

        def design(raw: np.ndarray) -> np.ndarray:
            return np.concatenate([np.ones((raw.shape[0], 1)), (raw - centre) / scale], axis=1)

        labels = np.concatenate([np.ones(train_p.size), np.zeros(train_q.size)])
        weights = _fit_logistic(design(raw_train), labels, self.l2, self.max_iter)
        log_prior_ratio = np.log(train_q.size / train_p.size)
        on_q = self._expectation() == "q"
        held_out = x_q[test_q] if on_q else x_p[test_p]
        ratio = np.exp(design(_features(held_out, self.features)) @ weights + log_prior_ratio)
        f = get_divergence(self.divergence).f
        terms = f(ratio) if on_q else f(ratio) / ratio
        return float(np.mean(terms))
