"""Convergence reports: ``python -m divergence_verify report``, the suite's main output.

A report runs every estimator of a *preset* over a ladder of sample sizes and seeds on scenarios
with exact values (through :func:`divergence_verify.verify.sweep`, so runs are cached and an
interrupted report resumes), judges each sweep with the certificate rules
(:func:`divergence_verify.verify.certificates.judge`), runs the breakdown ladder (KL 0.1 to 10
nats at one n) and writes into ``<out-root>/<name>/`` (``name`` one folder name):

``results.json``
    Every estimate with its estimator configuration, seed, time, library versions and device
    (strict JSON). The report is always drawn from this file, so ``report --from
    results.json`` redraws it identically without running any estimator.
``report.md`` and ``index.html``
    What was tested, the answers ("does it converge, how fast, where does it break"), how to
    read them, the certificate summary, the ladder, the figures and the configuration. The HTML
    is self-contained (its CSS inlined, figures as data URIs, no network).
``*.png`` and ``*.svg``
    Every figure in both formats: the certificate summary grid (``summary``), the ladder
    (``ladder``), RMSE versus n per divergence (``rmse_<div>``), estimate versus n per
    divergence and scenario (``estimate_<div>_<scenario>``).
``.divergence-verify-manifest.json``
    The files the report wrote; a later report into the folder removes only those of them it
    does not write again, never a file of the user's.

The package, one module per job: :mod:`.presets` (what runs, as data), :mod:`.run` (running a
preset, ``results.json``), :mod:`.summary` (the verdicts, built once: status values),
:mod:`.prose` and :mod:`.page` (the words and the view-model), :mod:`.render` (Jinja2
templates), :mod:`.plotting` and :mod:`.figures` (matplotlib), :mod:`.outputs` (the folder:
names, atomic writes, manifest) and :mod:`.build` (writing a report; the command). Importing
this package loads no numpy, torch, scipy, matplotlib or Jinja2: they load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from divergence_verify._lazy import lazy_module_attributes
from divergence_verify.verify.report.presets import PRESET_NAMES, PRESETS, Entry, Preset

if TYPE_CHECKING:
    from divergence_verify.verify.report.build import report_command, write
    from divergence_verify.verify.report.run import ReportData, load_results, run_preset

_LAZY = {"report_command": "build", "write": "build", "ReportData": "run",
         "load_results": "run", "run_preset": "run", "with_overrides": "run"}

__all__ = ["PRESETS", "PRESET_NAMES", "Entry", "Preset", "ReportData", "load_results",
           "report_command", "run_preset", "with_overrides", "write"]


__getattr__, __dir__ = lazy_module_attributes(__name__, _LAZY, (), __all__)
