"""Presets are data: registered names, designs that can judge convergence, overrides, light."""

from __future__ import annotations

import subprocess
import sys

import pytest

from divergence_verify.verify.certificates import Rules, predicted_slope_se
from divergence_verify.verify.report import PRESET_NAMES, PRESETS
from divergence_verify.verify.report.run import with_overrides


def test_presets_name_registered_estimators_and_scenarios() -> None:
    from divergence_verify import estimators
    from divergence_verify.verify.scenarios import SCENARIOS

    for preset in PRESETS.values():
        for entry in (*preset.entries, *preset.ladder, *preset.envelope):
            assert entry.kind in estimators.ESTIMATORS, entry
            assert entry.divergence in estimators.ESTIMATORS[entry.kind].divergences
            assert all(SCENARIOS[s].supports(entry.divergence) for s in entry.scenarios)
    default = PRESETS["default"]
    kinds = {(e.kind, e.divergence) for e in default.entries}
    assert {("fgan", "kl"), ("fgan", "js"), ("fgan", "tv"), ("dv", "kl"), ("w1_critic", "w1"),
            ("knn", "kl"), ("empirical_w1", "w1")} <= kinds
    assert PRESET_NAMES == tuple(sorted(PRESETS))


def test_ladder_entries_run_the_registered_ladder() -> None:
    from divergence_verify.verify.scenarios import LADDER

    for preset in PRESETS.values():
        assert all(entry.scenarios == LADDER for entry in preset.ladder)


def test_envelope_entries_map_every_cell_of_the_grid() -> None:
    from divergence_verify.verify.design import ENVELOPE, ENVELOPE_DIMS, ENVELOPE_KLS

    assert len(ENVELOPE) == len(ENVELOPE_DIMS) * len(ENVELOPE_KLS)
    for name in ("default", "full"):
        preset = PRESETS[name]
        assert {e.kind for e in preset.envelope} >= {"knn", "fgan"}, name
        assert all(e.scenarios == tuple(ENVELOPE) for e in preset.envelope), name


def test_presets_that_judge_convergence_meet_the_design_threshold() -> None:
    limit = Rules().max_slope_se
    for name in ("default", "full"):
        preset = PRESETS[name]
        assert predicted_slope_se(preset.sizes, preset.seeds) <= limit, name
    smoke = PRESETS["smoke"]
    assert predicted_slope_se(smoke.sizes, smoke.seeds) > limit  # exercised by the smoke tests


def test_overrides_replace_sizes_and_seeds() -> None:
    preset = with_overrides(PRESETS["smoke"], [400, 100, 100], 3)
    assert preset.sizes == (100, 400)
    assert preset.seeds == 3
    with pytest.raises(ValueError, match="seeds"):
        with_overrides(PRESETS["smoke"], None, 0)
    with pytest.raises(ValueError, match="sizes"):
        with_overrides(PRESETS["smoke"], [1, 100], None)


def test_importing_the_report_package_loads_nothing_heavy() -> None:
    code = ("import sys, divergence_verify.verify.report as r; r.PRESETS; "
            "print(sorted(m for m in ('numpy', 'torch', 'scipy', 'matplotlib', 'jinja2') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
