"""One pytest test per scenario and divergence, and accuracy beside speed in pytest-benchmark.

:func:`parametrize_certification` is to divergence estimators what scikit-learn's
``parametrize_with_checks`` is to its estimators: a decorator that makes one test per case, with
an id that says what it checks (``kl-gauss2d-kl0.5``: the divergence, then the scenario), and
known failures declared as strict expected failures::

    from divergence_verify.verify.checks import parametrize_certification

    @parametrize_certification(my_kl, "kl", xfail={"mixture1d": "a Gaussian fit"})
    def test_my_kl(certification_case):
        certification_case.check()

Each case certifies the estimator on its one scenario (:func:`verify.certify`) with the
session's design (``--verify-sizes``, ``--verify-seeds``, ``--verify-preset``; see
:mod:`~divergence_verify.verify.pytest_plugin`); a failing case fails with the certificate's
table, and every certificate is attached to its test's ``user_properties`` (``--junitxml``,
``--verify-json``).

:func:`benchmark_accuracy` (the plugin's ``accuracy_benchmark`` fixture) sweeps an estimator
once under pytest-benchmark's clock and stores the accuracy at each sample size in
``benchmark.extra_info``, so that ``pytest --benchmark-json`` holds bias, RMSE and the rate in n
beside the time.

Importing this module loads neither numpy nor the scenarios: they load at collection, when a
decorator resolves its scenarios.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from divergence_verify.verify.design import DEFAULT_SCENARIOS, W1, Rules

if TYPE_CHECKING:
    from divergence_verify.verify.certificates import Certificate
    from divergence_verify.verify.scenarios import Scenario
    from divergence_verify.verify.sweeps import SweepResult

__all__ = [
    "CertificationCase",
    "assert_certified",
    "benchmark_accuracy",
    "parametrize_certification",
    "session_design",
]

DESIGN_KEY = pytest.StashKey[tuple[list[int], int]]()
"""Where the plugin keeps the session's ``(sizes, seeds)`` (its ``--verify-*`` options)."""
SEED_BASE_KEY = pytest.StashKey["int | None"]()
"""Where the plugin keeps ``--verify-seed-base`` (None: every certificate draws a fresh one)."""
MAX_SEEDS_KEY = pytest.StashKey["int | None"]()
"""Where the plugin keeps ``--verify-max-seeds`` (None: one look)."""

XfailKey = str | tuple[str, str]
"""A key of ``xfail``: a scenario name (every divergence on it) or ``(divergence, scenario)``."""


def session_design(config: pytest.Config) -> tuple[list[int], int]:
    """Return the session's ``(sizes, seeds)`` from the ``--verify-*`` options."""
    return config.stash[DESIGN_KEY]


def assert_certified(
    estimator: Any, divergence: str, request: pytest.FixtureRequest | None = None, **kwargs: Any
) -> Certificate:
    """Certify ``estimator`` (see :func:`verify.certify` for the keywords).

    Returns the certificate when certified; otherwise (NOT CERTIFIED or INCONCLUSIVE) fails the
    current test with its table, which names the seed base that replays it. With ``request``,
    the session's ``--verify-*`` sizes, seeds, seed base, sequential budget and cache apply
    where ``kwargs`` gives none, and the certificate's JSON is attached to the test's
    ``user_properties`` (so ``--junitxml`` and ``--verify-json`` carry it).
    """
    from divergence_verify.verify.certificates import certify

    if request is not None:
        sizes, seeds = session_design(request.config)
        kwargs = {"sizes": sizes, "seeds": seeds,
                  "seed_base": request.config.stash.get(SEED_BASE_KEY, None),
                  "max_seeds": request.config.stash.get(MAX_SEEDS_KEY, None),
                  "cache": request.config.getoption("--verify-cache"), **kwargs}
    cert = certify(estimator, divergence, **kwargs)
    if request is not None:
        request.node.user_properties.append(("certificate", cert.to_json(indent=None)))
    if not cert.passed:
        if cert.verdict != "NOT CERTIFIED":  # INCONCLUSIVE: say so first, it is not a pass
            pytest.fail(f"{cert.verdict}: the design cannot decide (each undecided rule says "
                        f"what to add)\n{cert.table()}", pytrace=False)
        pytest.fail(cert.table(), pytrace=False)
    return cert


@dataclasses.dataclass(frozen=True)
class CertificationCase:
    """One estimator, one divergence, one scenario: what one parametrized test certifies.

    Attributes
    ----------
    estimator : estimator, object with ``estimate``, or callable ``(x_p, x_q) -> float``
        What is certified.
    divergence : str
        The quantity it estimates.
    scenario : Scenario
        The pair with a known truth it is certified on.
    rules : Rules, optional
        Thresholds of the certificate (default: :class:`Rules`).
    request : pytest.FixtureRequest, optional
        The test it belongs to, set by the ``certification_case`` fixture (:meth:`bind`).
    """

    estimator: Any
    divergence: str
    scenario: Scenario
    rules: Rules | None = None
    request: pytest.FixtureRequest | None = dataclasses.field(
        default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The test id: ``divergence-scenario``, e.g. ``kl-gauss2d-kl0.5``."""
        return f"{self.divergence}-{self.scenario.name}"

    def bind(self, request: pytest.FixtureRequest) -> CertificationCase:
        """Return this case bound to the test of ``request``."""
        return dataclasses.replace(self, request=request)

    def check(self, request: pytest.FixtureRequest | None = None) -> Certificate:
        """Certify the estimator on the scenario; fail the test with the table if not certified.

        Parameters
        ----------
        request : pytest.FixtureRequest, optional
            The test, if the case was not bound to it (a case from the ``certification_case``
            fixture is). With a test, the session's ``--verify-*`` design and cache apply and
            the certificate is attached to the test's ``user_properties``; without one, the
            certificate's default design runs and nothing is recorded.

        Returns
        -------
        Certificate
            When certified (otherwise the test fails with the certificate's table).
        """
        return assert_certified(self.estimator, self.divergence,
                                request if request is not None else self.request,
                                scenarios=[self.scenario], rules=self.rules)


def _divergence_list(divergences: str | Sequence[str]) -> list[str]:
    from divergence_verify.reference import get_divergence

    names = [divergences] if isinstance(divergences, str) else list(divergences)
    if not names:
        raise ValueError("parametrize_certification: no divergences given")
    for name in names:
        if name != W1:
            get_divergence(name)  # an unknown name raises, listing the known ones
    return names


def _cases(
    estimator: Any, divergences: list[str], scenarios: Sequence[str | Scenario] | None,
    rules: Rules | None,
) -> list[CertificationCase]:
    from divergence_verify.verify.scenarios import get_scenario

    cases = []
    for divergence in divergences:
        if scenarios is None and divergence not in DEFAULT_SCENARIOS:
            raise ValueError(f"parametrize_certification: no default scenarios for "
                             f"{divergence!r}; name them (scenarios=...)")
        names = DEFAULT_SCENARIOS[divergence] if scenarios is None else scenarios
        for given in names:
            scen = get_scenario(given) if isinstance(given, str) else given
            if not scen.supports(divergence):
                raise ValueError(f"parametrize_certification: scenario {scen.name!r} has no "
                                 f"finite exact {divergence!r}")
            cases.append(CertificationCase(estimator, divergence, scen, rules))
    ids = [case.id for case in cases]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"parametrize_certification: repeated cases {', '.join(repeated)}")
    return cases


def _xfail_reasons(
    cases: list[CertificationCase], xfail: Mapping[XfailKey, str]
) -> dict[str, str]:
    """Map case ids to the reason of their expected failure, refusing keys that match none."""
    scenarios = sorted({case.scenario.name for case in cases})
    pairs = {(case.divergence, case.scenario.name): case.id for case in cases}
    by_scenario: dict[str, str] = {}
    by_pair: dict[str, str] = {}
    for key, reason in xfail.items():
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"parametrize_certification: xfail[{key!r}] must be a reason "
                             f"(a non-empty string), got {reason!r}")
        if isinstance(key, str):
            if key not in scenarios:
                raise ValueError(f"parametrize_certification: xfail names scenario {key!r}, "
                                 f"which is not among the cases' scenarios: "
                                 f"{', '.join(scenarios)}")
            by_scenario[key] = reason
        elif isinstance(key, tuple) and key in pairs:
            by_pair[pairs[key]] = reason
        else:
            raise ValueError(f"parametrize_certification: xfail key {key!r} is not a case; "
                             f"expected a scenario name or a (divergence, scenario) pair of: "
                             f"{', '.join(map(str, pairs))}")
    # A (divergence, scenario) reason is more specific than a scenario's.
    return {case.id: by_pair.get(case.id, by_scenario.get(case.scenario.name))
            for case in cases if case.id in by_pair or case.scenario.name in by_scenario}


def parametrize_certification(
    estimator: Any,
    divergences: str | Sequence[str],
    scenarios: Sequence[str | Scenario] | None = None,
    xfail: Mapping[XfailKey, str] | None = None,
    *,
    rules: Rules | None = None,
) -> pytest.MarkDecorator:
    """Parametrize a test with one :class:`CertificationCase` per divergence × scenario.

    The test takes the fixture ``certification_case`` and calls its
    :meth:`~CertificationCase.check`. Ids are ``divergence-scenario`` (``kl-gauss2d-kl0.5``).

    Parameters
    ----------
    estimator : estimator, object with ``estimate``, or callable ``(x_p, x_q) -> float``
        What is certified.
    divergences : str or sequence of str
        Table names or ``"w1"``.
    scenarios : sequence of names or Scenario, optional
        Default: each divergence's
        :data:`~divergence_verify.verify.design.DEFAULT_SCENARIOS`.
    xfail : mapping, optional
        Known failures, ``{scenario: reason}`` (every divergence on that scenario) or
        ``{(divergence, scenario): reason}``: those cases are marked
        ``pytest.mark.xfail(reason=..., strict=True)``, so one that passes (a fixed estimator)
        fails the session as XPASS(strict).
    rules : Rules, optional
        Thresholds of every case's certificate.

    Returns
    -------
    pytest.MarkDecorator
        ``pytest.mark.parametrize("certification_case", ..., indirect=True)``.

    Raises
    ------
    ValueError
        At collection: an unknown divergence or scenario, a scenario without a finite exact
        value of a divergence, a repeated case, or an ``xfail`` key that names no case.
    """
    cases = _cases(estimator, _divergence_list(divergences), scenarios, rules)
    reasons = _xfail_reasons(cases, xfail or {})
    params = [pytest.param(case, id=case.id,
                           marks=[pytest.mark.xfail(reason=reasons[case.id], strict=True)]
                           if case.id in reasons else ())
              for case in cases]
    return pytest.mark.parametrize("certification_case", params, indirect=True)


def accuracy_info(result: SweepResult) -> dict[str, Any]:
    """What :func:`benchmark_accuracy` stores in ``extra_info``, as strict JSON values.

    ``per_size`` holds, for each n, the bias, SD and RMSE over seeds, the mean seconds of one
    run and the failed runs; ``rmse_slope`` is the log-log slope of RMSE against n
    (:meth:`~divergence_verify.verify.sweeps.SweepResult.rate`), with the design's standard
    error ``rmse_slope_se`` (:func:`~divergence_verify.verify.certificates.design_slope_se`).
    """
    from divergence_verify.verify.certificates import design_slope_se
    from divergence_verify.verify.jsonio import encode

    per_size = []
    for row in result.per_size():
        seconds = [r.seconds for r in result.records if r.n == row.n and r.ok]
        per_size.append({"n": row.n, "runs": row.runs, "failures": row.failures,
                         "mean": row.mean, "bias": row.bias, "sd": row.sd, "rmse": row.rmse,
                         "mean_seconds": sum(seconds) / len(seconds) if seconds else None})
    return encode({
        "estimator": result.estimator, "divergence": result.divergence,
        "scenario": result.scenario, "truth": result.truth.value,
        "seeds": len({r.seed for r in result.records}), "device": result.device,
        "per_size": per_size, "rmse_slope": result.rate().slope,
        "rmse_slope_se": design_slope_se(result),
    })


def benchmark_accuracy(
    benchmark: Any,
    estimator: Any,
    divergence: str,
    scenario: str | Scenario,
    sizes: Sequence[int],
    seeds: int | Sequence[int],
) -> SweepResult:
    """Sweep ``estimator`` once, timed by pytest-benchmark, with its accuracy in ``extra_info``.

    Parameters
    ----------
    benchmark : pytest-benchmark's ``benchmark`` fixture
        Times one round of the whole sweep (``benchmark.pedantic``, one iteration); one call
        per test, as the fixture allows.
    estimator : estimator, object with ``estimate``, or callable ``(x_p, x_q) -> float``
        What is measured.
    divergence : str
        The quantity it estimates.
    scenario : str or Scenario
        The pair with a known truth.
    sizes : sequence of int
        Sample sizes per side.
    seeds : int or sequence of int
        Seeds per size. Runs are never cached: each is timed.

    Returns
    -------
    SweepResult
        The sweep; :func:`accuracy_info` of it is merged into ``benchmark.extra_info``.
    """
    from divergence_verify.verify.sweeps import sweep

    result: SweepResult = benchmark.pedantic(
        sweep, args=(estimator, scenario, divergence, sizes, seeds), rounds=1, iterations=1)
    benchmark.extra_info.update(accuracy_info(result))
    return result
