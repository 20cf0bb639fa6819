"""Verification of divergence estimators: scenarios, sweeps, certificates, reports.

The public entry points, re-exported here so that ``verify.sweep(...)`` and
``verify.certify(...)`` are the functions (their modules are :mod:`~.verify.sweeps` and
:mod:`~.verify.certificates`):

* :func:`sweep` runs an estimator over sample sizes and seeds on a scenario with a known truth;
* :func:`certify` judges it against the declared :class:`Rules` and returns a
  :class:`Certificate`;
* :data:`SCENARIOS` / :func:`get_scenario` / :func:`register_scenario` hold the scenarios;
* :func:`size_stats` and :func:`fit_rate` are the statistics behind the verdicts;
* :func:`operating_characteristic` measures how often the rules certify synthetic estimators
  (:mod:`~.verify.operating`).

The names load on first use (PEP 562): importing this package, its command line or its pytest
plugin loads none of torch, POT, scipy or matplotlib. The command line is
``python -m divergence_verify`` (:mod:`~.verify.cli`), the pytest plugin
:mod:`~.verify.pytest_plugin`, and the Hypothesis strategies :mod:`~.verify.strategies`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from divergence_verify._lazy import lazy_module_attributes

# Public name -> the submodule that defines it (imported when the name is first used).
_EXPORTS = {
    "Certificate": "certificates",
    "RuleResult": "certificates",
    "Rules": "certificates",
    "ScenarioVerdict": "certificates",
    "certify": "certificates",
    "judge": "certificates",
    "OperatingCharacteristic": "operating",
    "operating_characteristic": "operating",
    "SCENARIOS": "scenarios",
    "Scenario": "scenarios",
    "get_scenario": "scenarios",
    "register_scenario": "scenarios",
    "SizeStats": "stats",
    "SlopeFit": "stats",
    "fit_rate": "stats",
    "size_stats": "stats",
    "Record": "sweeps",
    "SweepResult": "sweeps",
    "sweep": "sweeps",
}

__all__ = [
    "SCENARIOS",
    "Certificate",
    "OperatingCharacteristic",
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
    "operating_characteristic",
    "register_scenario",
    "size_stats",
    "sweep",
]

if TYPE_CHECKING:
    from divergence_verify.verify.certificates import (
        Certificate,
        RuleResult,
        Rules,
        ScenarioVerdict,
        certify,
        judge,
    )
    from divergence_verify.verify.operating import (
        OperatingCharacteristic,
        operating_characteristic,
    )
    from divergence_verify.verify.scenarios import (
        SCENARIOS,
        Scenario,
        get_scenario,
        register_scenario,
    )
    from divergence_verify.verify.stats import SizeStats, SlopeFit, fit_rate, size_stats
    from divergence_verify.verify.sweeps import Record, SweepResult, sweep


__getattr__, __dir__ = lazy_module_attributes(__name__, _EXPORTS, (), __all__)
