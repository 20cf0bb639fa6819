"""Adversarial estimators against the real :func:`certify`: cheats are never certified.

Each adversary is run through :func:`~divergence_verify.verify.certificates.certify` itself
(sampling, seeding, fresh instances, every rule), not through the rules alone:

* a *seed memoriser* returns the exact truth for the samples it saw while "training" on the
  named scenarios at seeds 0..7; only a new seed base or fresh instances defeat it;
* a *scenario oracle* recognises a named scenario from raw sample moments and returns its truth;
  fresh instances (random permutation, signs, scales, shifts) defeat it, new seeds do not;
* *synthetic* estimators that are told the truth and add a stated error: a 10% or 20% relative
  bias, a bias 0.3/log n, noise shrinking like n^-0.1 and noise that does not shrink. They are
  the synthetics of :data:`~divergence_verify.verify.operating.SYNTHETICS`, so their operating
  characteristic (below) is exactly what these tests sample from;
* genuine root-n estimators must be certified: the Gaussian maximum-likelihood plug-in and the
  synthetic oracle ``truth + N(0, (tol/3)² n_max/n)``.

Everything is deterministic: the samples come from the run's seed, and every synthetic draws
its noise from a generator seeded by that seed (it takes the ``seed`` keyword, see
:mod:`divergence_verify.estimators.hooks`), the sample size and the dimension. The fixed seed
bases are not chosen to make cheats fail: the operating characteristic, measured with
``operating_characteristic(TRUTHS, reps=4000, seed=0)`` over the four scenarios of
:data:`SCENARIOS` (the default design: sizes 250..4000, 8 seeds), certifies

===================  =============  =============  =============
synthetic            CERTIFIED      NOT CERTIFIED  INCONCLUSIVE
===================  =============  =============  =============
root-n unbiased      1.000          0 (< 0.00075)  0.001
10% bias             0 (< 0.00075)  1 (> 0.999)    0 (< 0.00075)
20% bias             0 (< 0.00075)  1 (> 0.999)    0 (< 0.00075)
bias 0.3/log n       0 (< 0.00075)  0.868          0.132
noise n^-0.1         0.001          0.575          0.424
non-shrinking noise  0 (< 0.00075)  0.999          0.001
===================  =============  =============  =============

(0 of 4000 is quoted with the rule of three, ``p < 3/reps``.) A cheat certified by chance would
therefore be a one-in-a-thousand event per seed base at most. The same figures for a *single*
scenario are much weaker (the rate rule then has one slope with standard error 0.11): bias
0.3/log n is certified with probability 0.15 on ``gauss1d-scale`` and 0.18 on ``flow8d-kl1``
alone, which is why the convergence adversaries are judged on four scenarios at once.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field

import numpy as np
import pytest

from divergence_verify import reference
from divergence_verify.verify.certificates import (
    CERTIFIED,
    NOT_CERTIFIED,
    Certificate,
    certify,
    predicted_slope_se,
)
from divergence_verify.verify.design import DEFAULT_SCENARIOS, DEFAULT_SEEDS, DEFAULT_SIZES, Rules
from divergence_verify.verify.operating import SYNTHETICS, Synthetic
from divergence_verify.verify.rules import PASS
from divergence_verify.verify.scenarios import get_scenario
from divergence_verify.verify.seedbase import SEED_BASE_ENV, SEED_BASE_LIMIT

KL_DEFAULTS = DEFAULT_SCENARIOS["kl"]
"""The default KL scenarios: gauss2d-kl0.5, gauss1d-scale, mixture1d, flow8d-kl1."""

SCENARIOS = ("gauss1d-scale", "gauss2d-kl0.5", "gauss3d-cov", "flow8d-kl1")
"""Four scenarios of distinct dimensions (1, 2, 3, 8), every truth >= 0.3 nats.

A synthetic estimator looks its truth up by the sample's dimension, which a fresh instance
keeps, as it keeps the truth; so one certificate judges all four, rate rule included.
"""

TRUTHS = {name: get_scenario(name).truth("kl").value for name in SCENARIOS}

FRESH_BASE = 12345
"""A seed base other than 0 for the adversaries' fresh certificates (any would do)."""

BASES = (7, 4242, 1_000_003)
"""Seed bases over which the synthetics are certified: three independent certificates each."""


def kl_of_gaussian_fits(x_p, x_q):
    """Gaussian maximum-likelihood plug-in: the closed-form KL between the two fits.

    Root-n consistent on Gaussian pairs, and affine equivariant (a fresh instance's coordinate
    map moves both fits alike, so it estimates the same number on the mapped samples).

    Parameters
    ----------
    x_p, x_q : numpy.ndarray
        Samples of shape ``(n, d)``.

    Returns
    -------
    float
    """
    fit_p = reference.Gaussian(x_p.mean(0), np.atleast_2d(np.cov(x_p.T)))
    fit_q = reference.Gaussian(x_q.mean(0), np.atleast_2d(np.cov(x_q.T)))
    return reference.divergence("kl", fit_p, fit_q)


def sample_key(x_p):
    """SHA-256 of a sample's bytes: what the memoriser recognises."""
    return hashlib.sha256(np.ascontiguousarray(x_p).tobytes()).hexdigest()


class SeedMemoriser:
    """Returns the exact truth on every sample it saw in training, a constant otherwise.

    Training samples the named scenarios exactly as :func:`certify` does with ``seed_base=0``
    and ``fresh=False`` (seeds 0..7 at every default size) and stores the truth under a hash of
    each ``x_p``. Elsewhere it answers the mean of the truths it knows.

    Parameters
    ----------
    scenarios : sequence of str
        The scenarios to memorise.
    seeds : sequence of int
        The seeds it saw.
    """

    name = "seed-memoriser"

    def __init__(self, scenarios, seeds=range(DEFAULT_SEEDS)):
        self.table = {}
        for name in scenarios:
            scen = get_scenario(name)
            truth = scen.truth("kl").value
            for n in DEFAULT_SIZES:
                for seed in seeds:
                    self.table[sample_key(scen.sample(n, seed)[0])] = truth
        self.fallback = float(np.mean(list(self.table.values())))

    def estimate(self, x_p, x_q, *, seed):
        """The memorised truth of this exact sample, else the fallback constant."""
        return self.table.get(sample_key(x_p), self.fallback)


def moments(x_p, x_q):
    """Per-coordinate means and SDs of both samples, shape ``(4, d)``."""
    return np.stack([x_p.mean(0), x_q.mean(0), x_p.std(0), x_q.std(0)])


class ScenarioOracle:
    """Recognises a named scenario from raw sample moments and returns its exact truth.

    Each scenario's reference moments (per-coordinate means and SDs of P and Q) come from one
    large sample. A sample matches the scenario of its dimension whose moments are nearest in
    units of the reference SDs, if within ``0.5`` SD everywhere (the largest miss over the named
    scenarios at seeds 0..7 and 12345..12352 is 0.38 SD, on ``flow8d-kl1`` at n = 250);
    otherwise the oracle answers the mean of the truths.

    Parameters
    ----------
    scenarios : sequence of str
        The scenarios it knows.
    standardise : bool
        Match moments invariant under coordinate-wise affine maps instead: P's mean offset from
        Q's and P's SD, both in units of Q's SD, as absolute values sorted over coordinates. The
        fresh instances' maps (permutation, signs, scales, shifts) leave these unchanged.
    """

    name = "scenario-oracle"

    def __init__(self, scenarios, standardise=False):
        self.standardise = standardise
        self.known = []
        for name in scenarios:
            scen = get_scenario(name)
            ref = self.features(*scen.sample(20_000, 10**9))
            self.known.append((ref, scen.truth("kl").value))
        self.fallback = float(np.mean([truth for _, truth in self.known]))

    def features(self, x_p, x_q):
        """The moments matched: raw, or standardised as described above."""
        m = moments(x_p, x_q)
        if not self.standardise:
            return m
        offset, ratio = np.abs(m[0] - m[1]) / m[3], m[2] / m[3]
        order = np.lexsort((ratio, offset))
        return np.stack([offset[order], ratio[order]])

    def estimate(self, x_p, x_q, *, seed):
        """The truth of the recognised scenario, else the fallback constant."""
        seen = self.features(x_p, x_q)
        best, truth = math.inf, self.fallback
        for ref, value in self.known:
            if ref.shape != seen.shape:
                continue
            scale = np.maximum(np.abs(ref[-1:]), 1.0) if self.standardise else ref[2:].repeat(2, 0)
            distance = float(np.max(np.abs(seen - ref) / scale))
            if distance < best:
                best, truth = distance, value
        return truth if best < 0.5 else self.fallback


@dataclass
class TruthAware:
    """A synthetic of :mod:`~divergence_verify.verify.operating` run as a real estimator.

    On a scenario of truth ``θ`` (looked up by the sample's dimension) a run of size ``n``
    returns ``θ(1 + b) + c/log n + σ (n/n_max)^-r Z`` with :class:`Synthetic`'s parameters
    and ``Z`` standard normal from a generator seeded by ``(seed, n, dimension)``: reproducible,
    and independent over runs, sizes and scenarios, as the operating characteristic assumes.

    Parameters
    ----------
    synthetic : Synthetic
    truths : dict
        Truth by dimension.
    """

    synthetic: Synthetic
    truths: dict[int, float] = field(default_factory=lambda: {
        get_scenario(name).dim: value for name, value in TRUTHS.items()})
    n_max: int = max(DEFAULT_SIZES)
    rules: Rules = field(default_factory=Rules)

    @property
    def name(self):
        """The synthetic's name."""
        return self.synthetic.name

    def estimate(self, x_p, x_q, *, seed):
        """One run: the synthetic's formula at this sample size and seed."""
        s, (n, dim) = self.synthetic, x_p.shape
        truth = self.truths[dim]
        sd = s.noise * (self.rules.tolerance(truth) if s.noise_scale == "tolerance" else 1.0)
        z = np.random.default_rng([seed, n, dim]).standard_normal()
        noise = sd * (n / self.n_max) ** -s.rate * z
        return truth * (1 + s.bias) + s.log_bias / math.log(n) + noise


def explain(cert: Certificate) -> str:
    """The certificate's table, for assertion messages."""
    return cert.table()


def estimates(cert: Certificate):
    """Every run's (scenario, n, seed, estimate)."""
    return [(v.scenario, r.n, r.seed, r.estimate) for v in cert.verdicts for r in v.sweep.records]


# --- 1. the seed memoriser ---------------------------------------------------------------


@pytest.fixture(scope="module")
def memoriser():
    """A memoriser of the default KL scenarios at seeds 0..7."""
    return SeedMemoriser(KL_DEFAULTS)


def test_the_memoriser_passes_the_seeds_it_memorised(memoriser):
    # The known seeds on the scenarios as named: every run is exact (RMSE 0, the precision
    # floor), so the memoriser is certified; this is what a fixed, public seed base would allow.
    cert = certify(memoriser, "kl", seed_base=0, fresh=False)
    assert cert.verdict == CERTIFIED, explain(cert)
    assert all(r.estimate == v.truth for v in cert.verdicts for r in v.sweep.records)
    assert cert.seeds == list(range(8))
    assert cert.seeding == ["keyword"]


@pytest.mark.parametrize(("seed_base", "fresh"), [(FRESH_BASE, True), (FRESH_BASE, False),
                                                   (0, True)],
                         ids=["new-base-fresh", "new-base-named", "base-0-fresh"])
def test_the_memoriser_fails_new_seeds_or_fresh_instances(memoriser, seed_base, fresh):
    # New seeds alone, or fresh instances alone, give samples it never saw: it answers its
    # constant everywhere, which misses every truth but at most one by far more than tolerance.
    cert = certify(memoriser, "kl", seed_base=seed_base, fresh=fresh)
    assert cert.verdict == NOT_CERTIFIED, explain(cert)
    assert {r.estimate for v in cert.verdicts for r in v.sweep.records} == {memoriser.fallback}


def test_the_memoriser_fails_the_default_seed_base(memoriser, monkeypatch):
    # The default: a random base (environment variable unset) and fresh instances. Not a
    # fluke: a random base overlapping 0..7 has probability 8 / 2**31, and fresh instances alone
    # already defeat it (the test above).
    monkeypatch.delenv(SEED_BASE_ENV, raising=False)
    cert = certify(memoriser, "kl")
    assert cert.fresh
    assert cert.verdict == NOT_CERTIFIED, explain(cert)


def test_the_memoriser_fails_the_environments_seed_base(memoriser, monkeypatch):
    # Even a session that fixes the base at 0 certifies on fresh instances by default.
    monkeypatch.setenv(SEED_BASE_ENV, "0")
    cert = certify(memoriser, "kl")
    assert (cert.seed_base, cert.fresh) == (0, True)
    assert cert.verdict == NOT_CERTIFIED, explain(cert)


# --- 2. the scenario oracle --------------------------------------------------------------


@pytest.fixture(scope="module")
def oracle():
    """An oracle of the default KL scenarios' raw moments."""
    return ScenarioOracle(KL_DEFAULTS)


@pytest.mark.parametrize("seed_base", [0, FRESH_BASE])
def test_the_oracle_passes_the_named_scenarios_at_any_seeds(oracle, seed_base):
    # It recognises every sample of the named scenarios, at new seeds too: a random seed base
    # alone does not stop it, fresh instances must.
    cert = certify(oracle, "kl", seed_base=seed_base, fresh=False)
    assert cert.verdict == CERTIFIED, explain(cert)
    assert all(r.estimate == v.truth for v in cert.verdicts for r in v.sweep.records)


@pytest.mark.parametrize("seed_base", [0, FRESH_BASE, 2**31 - 8])
def test_the_oracle_fails_fresh_instances(oracle, seed_base):
    # The fresh maps scale each coordinate log-uniformly over [1/100, 100] and shift it by a
    # few scales: the raw moments match no named scenario, so it answers its constant. (A
    # one-dimensional instance can land near the original: over bases 0..1999 (n = 4000) it
    # recognised 2.7% of mixture1d's and 1.5% of gauss1d-scale's instances, none of
    # flow8d-kl1's 8-D ones; the certificate needs all four, so this does not help it.)
    cert = certify(oracle, "kl", seed_base=seed_base, fresh=True)
    assert cert.verdict == NOT_CERTIFIED, explain(cert)
    flow = next(v for v in cert.verdicts if v.scenario == "flow8d-kl1")
    assert {r.estimate for r in flow.sweep.records} == {oracle.fallback}
    assert sum(v.outcome == PASS for v in cert.verdicts) <= 1, explain(cert)


@pytest.mark.xfail(strict=True, reason="known limitation (verify/scenarios/instances.py): "
                   "coordinate-wise affine instances do not hide moments standardised per "
                   "coordinate; families with varying truths are the remedy")
def test_a_standardising_oracle_is_not_hidden_by_fresh_instances():
    # Documents what the instances' docstring says they cannot hide. Should fresh instances
    # ever mix the coordinates (a rotation), this passes and strict xfail flags it.
    cert = certify(ScenarioOracle(KL_DEFAULTS, standardise=True), "kl", seed_base=FRESH_BASE)
    assert cert.verdict != CERTIFIED, explain(cert)


# --- 3 and 4. biased and slowly converging estimators ------------------------------------


@pytest.mark.parametrize("name", ["10% bias", "20% bias"])
@pytest.mark.parametrize("seed_base", BASES)
def test_a_relative_bias_beyond_tolerance_is_never_certified(name, seed_base):
    # Every truth here is >= 0.3 nats, where tol = 0.01 + 0.05·θ is below 0.1·θ (a 10% bias
    # is 1.25 tol at θ = 0.334, 1.43 at 0.5, 1.65 at 0.93, 1.67 at 1). The accuracy interval
    # (half-width about 0.22 tol with 8 runs of SD tol/3) lies inside ±tol only if the mean at
    # n = 4000 falls 4 standard errors below its expectation on gauss3d-cov (p ~ 3e-5), more
    # elsewhere: no scenario passes.
    cert = certify(TruthAware(SYNTHETICS[name]), "kl", scenarios=SCENARIOS, seed_base=seed_base)
    assert cert.verdict == NOT_CERTIFIED, explain(cert)
    for v in cert.verdicts:
        assert v.truth >= 0.3
        assert v.outcome != PASS, explain(cert)
        accuracy = next(r for r in v.rules if r.rule == "accuracy")
        assert not accuracy.passed, explain(cert)


@pytest.mark.parametrize("name", ["bias 0.3/log n", "noise n^-0.1", "non-shrinking noise"])
@pytest.mark.parametrize("seed_base", BASES)
def test_slower_than_polynomial_convergence_is_never_certified(name, seed_base):
    # 0.3/log n is 0.036 at n = 4000 (about one tolerance) and has a local RMSE slope near
    # -0.15; n^-0.1 noise has slope -0.1; noise of SD 0.15 at every n has slope 0 and is
    # 2-4 tolerances wide. The rate rule needs the mean slope shown below -0.2.
    # What catches each (simulated as above, 2000 certificates): the rate rule passes n^-0.1
    # noise with probability 0.0005 and non-shrinking noise never; it passes the log bias 13%
    # of the time, but then gauss3d-cov's accuracy rule does not: the bias there is 1.36
    # tolerances at n = 4000, 5 standard errors from what the rule could pass.
    cert = certify(TruthAware(SYNTHETICS[name]), "kl", scenarios=SCENARIOS, seed_base=seed_base)
    assert cert.verdict != CERTIFIED, explain(cert)
    if name == "bias 0.3/log n":
        cov = next(v for v in cert.verdicts if v.scenario == "gauss3d-cov")
        assert not next(r for r in cov.rules if r.rule == "accuracy").passed, explain(cert)
    else:
        assert not cert.rate.passed, explain(cert)


# --- 5. genuine root-n estimators ---------------------------------------------------------


MLE_BASE = 2024
"""Seed base of the Gaussian MLE's certificate.

Measured offline over the 200 bases 0, 1000, ..., 199000 (fresh instances, the two Gaussian
default scenarios): CERTIFIED 142, INCONCLUSIVE 58 (mostly ``gauss1d-scale``'s accuracy
interval straddling its tolerance with 8 seeds), NOT CERTIFIED 0. A genuine estimator is never
rejected; 2024 is one of its many certified bases.
"""


def test_the_gaussian_mle_is_certified_on_fresh_gaussian_instances():
    gaussians = ("gauss2d-kl0.5", "gauss1d-scale")
    assert all("gaussian" in get_scenario(name).tags for name in gaussians)
    cert = certify(kl_of_gaussian_fits, "kl", scenarios=gaussians, seed_base=MLE_BASE)
    assert cert.fresh
    assert cert.verdict == CERTIFIED, explain(cert)
    # The fresh instance keeps the truth, and the equivariant MLE estimates the same numbers on
    # the mapped samples as on the named scenario's (the same draws, before the map).
    named = certify(kl_of_gaussian_fits, "kl", scenarios=gaussians, seed_base=MLE_BASE,
                    fresh=False)
    assert [v.truth for v in cert.verdicts] == [v.truth for v in named.verdicts]
    np.testing.assert_allclose([e for *_, e in estimates(cert)],
                               [e for *_, e in estimates(named)], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("seed_base", BASES)
def test_the_root_n_synthetic_oracle_is_certified(seed_base):
    # truth + N(0, (tol/3)² n_max/n): certified with probability 1.000 (0.001 inconclusive)
    # on these four scenarios.
    cert = certify(TruthAware(SYNTHETICS["root-n unbiased"]), "kl", scenarios=SCENARIOS,
                   seed_base=seed_base)
    assert cert.verdict == CERTIFIED, explain(cert)


# --- 6. seed bases: recorded, distinct, reproducible ----------------------------------------


def first_coordinate_sum(x_p, x_q):
    """Not affine invariant: it tells the instances' samples apart."""
    return float(x_p[:, 0].sum())


def test_seed_bases_give_other_seeds_instances_and_samples():
    one = certify(first_coordinate_sum, "kl", scenarios=["gauss2d-kl0.5"], seed_base=11)
    two = certify(first_coordinate_sum, "kl", scenarios=["gauss2d-kl0.5"], seed_base=12)
    assert (one.seed_base, one.fresh, two.seed_base, two.fresh) == (11, True, 12, True)
    assert one.seeds == list(range(11, 19))
    assert two.seeds == list(range(12, 20))
    assert {r.seed for r in one.verdicts[0].sweep.records} == set(one.seeds)
    assert "fresh instance 11" in one.verdicts[0].instance
    assert "fresh instance 12" in two.verdicts[0].instance
    assert one.verdicts[0].instance != two.verdicts[0].instance
    # Seeds 12..18 are common, but each base draws its own map: no two samples are alike.
    # (An affine-equivariant estimator, such as the Gaussian MLE above, would give the same
    # numbers on the common seeds: the map moves the same draws.)
    assert not {e for *_, e in estimates(one)} & {e for *_, e in estimates(two)}
    record = one.to_dict()
    assert (record["seed_base"], record["fresh_instances"]) == (11, True)
    assert record["scenarios"][0]["instance"] == one.verdicts[0].instance
    assert "seed base 11" in one.table()


def test_a_seed_base_replays_exactly():
    args = (kl_of_gaussian_fits, "kl")
    kwargs = {"scenarios": ["gauss2d-kl0.5", "gauss1d-scale"], "seed_base": 987_654}
    first, again = certify(*args, **kwargs), certify(*args, **kwargs)
    assert estimates(first) == estimates(again)
    assert [v.instance for v in first.verdicts] == [v.instance for v in again.verdicts]
    # The whole record agrees but for the runs' wall times.
    assert first.verdict == again.verdict
    assert [v.rules for v in first.verdicts] == [v.rules for v in again.verdicts]
    assert first.rate == again.rate

    def untimed(cert):
        return [{k: v for k, v in scenario.items() if k != "sweep"}
                for scenario in cert.to_dict()["scenarios"]]

    assert untimed(first) == untimed(again)


def test_named_scenarios_are_recorded_as_not_fresh():
    cert = certify(kl_of_gaussian_fits, "kl", scenarios=["gauss2d-kl0.5"], seed_base=3,
                   fresh=False)
    assert (cert.seed_base, cert.fresh) == (3, False)
    assert cert.verdicts[0].instance == get_scenario("gauss2d-kl0.5").description
    assert cert.to_dict()["fresh_instances"] is False


# --- 7. the default seed base ---------------------------------------------------------------


TINY = {"scenarios": ["gauss1d-shift"], "sizes": (10, 160), "seeds": 6}
"""The cheapest design certify accepts: a 16-fold span of sizes with 6 seeds."""


def constant(x_p, x_q):
    """A constant estimator: nothing to compute, so only the seeding is exercised."""
    return 0.5


def test_the_tiny_design_is_accepted():
    assert predicted_slope_se(TINY["sizes"], TINY["seeds"]) <= Rules().max_slope_se
    assert predicted_slope_se(TINY["sizes"], TINY["seeds"] - 1) > Rules().max_slope_se


def test_the_default_seed_base_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(SEED_BASE_ENV, " 4242 ")
    cert = certify(constant, "kl", **TINY)
    assert (cert.seed_base, cert.fresh) == (4242, True)
    assert cert.seeds == list(range(4242, 4248))
    assert "fresh instance 4242" in cert.verdicts[0].instance
    # An explicit base wins over the environment.
    assert certify(constant, "kl", seed_base=5, **TINY).seed_base == 5
    monkeypatch.setenv(SEED_BASE_ENV, "not a number")
    with pytest.raises(ValueError, match=SEED_BASE_ENV):
        certify(constant, "kl", **TINY)


def test_without_the_environment_the_default_seed_base_is_random(monkeypatch):
    monkeypatch.delenv(SEED_BASE_ENV, raising=False)
    bases = []
    for _ in range(2):
        # Reseeding the global generators an estimator can reach does not fix the base.
        random.seed(0)
        np.random.seed(0)  # noqa: NPY002 - the legacy global generator, on purpose
        cert = certify(constant, "kl", **TINY)
        assert cert.seeds == list(range(cert.seed_base, cert.seed_base + TINY["seeds"]))
        assert 0 <= cert.seed_base < SEED_BASE_LIMIT
        bases.append(cert.seed_base)
    # Two independent draws from 2**31 values coincide with probability 2**-31.
    assert bases[0] != bases[1]
