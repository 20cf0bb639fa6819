"""Verification of divergence estimators: scenarios, sweeps, certificates, reports.

The public entry points, re-exported here so that ``verify.sweep(...)`` and
``verify.certify(...)`` are the functions (their modules are :mod:`verify.sweeps` and
:mod:`verify.certificates`):

* :func:`sweep` runs an estimator over sample sizes and seeds on a scenario with a known truth;
* :func:`certify` judges it against the declared :class:`Rules` and returns a
  :class:`Certificate`;
* :data:`SCENARIOS` / :func:`get_scenario` / :func:`register_scenario` hold the scenarios;
* :func:`size_stats` and :func:`fit_rate` are the statistics behind the verdicts.

The command line is ``python -m divergence_verify`` (:mod:`verify.cli`), the pytest plugin
:mod:`verify.pytest_plugin`, and the Hypothesis strategies :mod:`verify.strategies`.
"""

from divergence_verify.verify.certificates import (
    Certificate,
    RuleResult,
    Rules,
    ScenarioVerdict,
    certify,
    judge,
)
from divergence_verify.verify.scenarios import SCENARIOS, Scenario, get_scenario, register_scenario
from divergence_verify.verify.stats import SizeStats, SlopeFit, fit_rate, size_stats
from divergence_verify.verify.sweeps import Record, SweepResult, sweep

__all__ = [
    "SCENARIOS",
    "Certificate",
    "Record",
    "RuleResult",
    "Rules",
    "Scenario",
    "ScenarioVerdict",
    "SizeStats",
    "SlopeFit",
    "SweepResult",
    "certify",
    "fit_rate",
    "get_scenario",
    "judge",
    "register_scenario",
    "size_stats",
    "sweep",
]
