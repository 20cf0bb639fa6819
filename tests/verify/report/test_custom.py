"""A report of the user's own estimator beside built-in baselines, on the same samples."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from divergence_verify.estimators import ESTIMATORS
from divergence_verify.reference import quantity_names
from divergence_verify.verify.design import DEFAULT_SCENARIOS, ENVELOPE, LADDER
from divergence_verify.verify.report import PRESETS, run
from divergence_verify.verify.report.build import report_command
from divergence_verify.verify.report.presets import (
    BASELINE,
    DEFAULT_BASELINES,
    YOURS,
    custom_preset,
)
from divergence_verify.verify.report.run import load_results
from divergence_verify.verify.report.summary import comparison_pairs
from divergence_verify.verify.resolve import UsageError

MODULE = "dv_report_user"
USER = """
import numpy as np
from divergence_verify import reference


def gauss_kl(x_p, x_q):
    fit_p = reference.Gaussian(x_p.mean(0), np.atleast_2d(np.cov(x_p.T)))
    fit_q = reference.Gaussian(x_q.mean(0), np.atleast_2d(np.cov(x_q.T)))
    return reference.divergence("kl", fit_p, fit_q)
"""
SPEC = f"{MODULE}:gauss_kl"
SCENARIOS = ["gauss2d-kl0.5", "gauss1d-scale"]
RUN: dict[str, Any] = {"preset": None, "from_path": None, "name": None, "device": "cpu",
                       "cache": None, "quiet": True}


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The report of a user's module beside knn, run from a folder outside the repository."""
    home = tmp_path_factory.mktemp("outside")
    (home / f"{MODULE}.py").write_text(textwrap.dedent(USER))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(home)
        mp.syspath_prepend(str(home))
        importlib.invalidate_caches()
        status = report_command(**RUN, out_root="reports", sizes=[60, 120], seeds=3,
                                estimators=[SPEC], divergence="kl", scenarios=SCENARIOS,
                                baselines=["knn"])
        assert status == 0
        sys.modules.pop(MODULE, None)
        yield home / "reports" / f"{MODULE}_gauss_kl-kl"


def test_the_report_names_the_users_estimator_beside_the_baseline(custom: Path) -> None:
    page = (custom / "index.html").read_text()
    title = page.split("<title>")[1].split("</title>")[0]
    assert title.startswith(f"Convergence of your estimator {SPEC} beside 1 baseline "
                            "(knn[kl]) estimating KL on 2 scenarios")
    assert f"{SPEC} (yours)" in page and "knn[kl] (baseline)" in page
    assert "Paired comparison on the same samples" in page
    text = (custom / "report.md").read_text()
    section = text.split("## Which is better?")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith(f"| {SPEC} (yours)")]
    assert len(rows) == len(SCENARIOS) + len(LADDER)  # every scenario and ladder rung
    assert all(line.count("|") == rows[0].count("|") for line in section.splitlines()
               if line.startswith("|"))  # an unbroken Markdown table
    assert f"{SPEC} against knn[kl], on the same samples, at the largest n:" in section
    assert "Paired comparison" in text.split("## How to read this")[1]


def test_results_record_the_roles_and_the_same_design(custom: Path) -> None:
    data = load_results(custom / "results.json")
    assert data.roles() == {SPEC: YOURS, "knn[kl]": BASELINE}
    assert [(e.kind, e.role) for e in data.preset.entries] == [(SPEC, YOURS), ("knn", BASELINE)]
    assert data.preset.sizes == (60, 120) and data.preset.seeds == 3
    assert {(r.estimator, r.scenario) for r in data.ladder} == {
        (name, rung) for name in (SPEC, "knn[kl]") for rung in LADDER}
    seeds = {tuple((rec.n, rec.seed) for rec in r.records) for r in data.sweeps}
    assert len(seeds) == 1  # every sweep ran the same sizes and seeds: the same samples
    assert {(r.estimator, r.scenario) for r in data.envelope} == {
        (SPEC, cell) for cell in ENVELOPE}  # the user's envelope, at the largest n
    assert {rec.n for r in data.envelope for rec in r.records} == {120}
    section = (custom / "report.md").read_text().split("## Where is it valid?")[1]
    assert f"- {SPEC} (yours): Validity envelope at n = 120" in section.split("\n## ")[0]


def test_from_redraws_it_without_the_users_module(
    custom: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_runs(*args: object, **kwargs: object) -> None:
        raise AssertionError("--from must not run any estimator")

    monkeypatch.setattr(run, "run_sweeps", no_runs)
    module = custom.parent.parent / f"{MODULE}.py"
    if module.exists():
        module.unlink()
    assert MODULE not in sys.modules
    assert report_command(**{**RUN, "from_path": str(custom / "results.json"), "name": "again"},
                          out_root=str(tmp_path), sizes=None, seeds=None) == 0
    assert MODULE not in sys.modules
    again = tmp_path / "again"
    assert (again / "report.md").read_text() == (custom / "report.md").read_text()
    assert (again / "index.html").read_text() == (custom / "index.html").read_text()


def test_a_preset_report_has_no_roles_and_no_comparison(smoke: Path) -> None:
    data = json.loads((smoke / "results.json").read_text())
    assert all("role" not in e for e in data["preset"]["entries"])
    assert "Paired comparison" not in (smoke / "report.md").read_text()


def test_default_baselines_estimate_their_divergence() -> None:
    estimated = {d for kind in ESTIMATORS.values() for d in kind.divergences}
    assert set(DEFAULT_BASELINES) == estimated & set(quantity_names())
    for divergence, kinds in DEFAULT_BASELINES.items():
        assert len(kinds) == 2
        assert all(divergence in ESTIMATORS[k].divergences for k in kinds), divergence


def test_the_custom_preset_runs_every_estimator_on_the_same_design() -> None:
    preset = custom_preset(["a.mod:f", "fgan"], "kl", settings={"steps": 5})
    default = PRESETS["default"]
    assert (preset.sizes, preset.seeds) == (default.sizes, default.seeds)
    assert [(e.kind, e.role) for e in preset.entries] == [
        ("a.mod:f", YOURS), ("fgan", YOURS), ("knn", BASELINE), ("classifier", BASELINE)]
    assert all(e.scenarios == DEFAULT_SCENARIOS["kl"] for e in preset.entries)
    assert [e.settings for e in preset.entries[:2]] == [{"steps": 5}, {"steps": 5}]
    assert preset.entries[3].settings == {"expectation": "p"}  # the default preset's
    assert [e.kind for e in preset.ladder] == [e.kind for e in preset.entries]
    assert all(e.scenarios == LADDER for e in preset.ladder)
    # The envelope maps the user's estimators only (the baselines' maps are the presets').
    assert [(e.kind, e.role) for e in preset.envelope] == [("a.mod:f", YOURS), ("fgan", YOURS)]
    assert all(e.scenarios == tuple(ENVELOPE) for e in preset.envelope)
    assert preset.name == "a.mod_f-fgan-kl"
    assert "a.mod:f, fgan" in preset.description and "knn, classifier" in preset.description


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"baselines": ["nope"]}, "unknown baseline 'nope'"),
    ({"baselines": ["empirical_w1"]}, "does not estimate 'kl'"),
    ({"baselines": ["pkg:thing"]}, "give your own estimators with --estimator"),
    ({"baselines": ["knn", "knn"]}, "named twice"),
    ({"divergence": None}, "needs --divergence"),
    ({"divergence": "kullback"}, "unknown divergence"),
    ({"scenarios": ["no-such-scenario"]}, "no-such-scenario"),
    ({"estimators": []}, "at least one estimator"),
])
def test_the_custom_preset_refuses_bad_names(kwargs: dict[str, Any], match: str) -> None:
    args = {"estimators": [SPEC], "divergence": "kl", **kwargs}
    with pytest.raises(ValueError, match=match):
        custom_preset(**args)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"preset": "smoke", "estimators": [SPEC], "divergence": "kl"}, "--preset"),
    ({"from_path": "results.json", "estimators": [SPEC], "divergence": "kl"}, "--from"),
    ({"divergence": "kl"}, "--divergence goes with --estimator"),
    ({"baselines": ["knn"], "settings": {"k": 3}}, "--baseline, --set go with --estimator"),
    ({"estimators": [SPEC], "divergence": "kl", "sizes": [100, 10**12]}, "GiB"),
])
def test_report_command_refuses_contradictions_before_running(
    kwargs: dict[str, Any], match: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_runs(*args: object, **kw: object) -> None:
        raise AssertionError("nothing may run")

    monkeypatch.setattr(run, "run_sweeps", no_runs)
    options = {**RUN, "out_root": str(tmp_path), "sizes": None, "seeds": None, **kwargs}
    with pytest.raises(ValueError, match=match):
        report_command(**options)
    assert not list(tmp_path.iterdir())


def test_an_estimator_that_cannot_be_resolved_stops_the_report_before_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_runs(*args: object, **kw: object) -> None:
        raise AssertionError("nothing may run")

    monkeypatch.setattr(run, "run_sweeps", no_runs)
    with pytest.raises(UsageError, match="cannot import module"):
        report_command(**RUN, out_root=str(tmp_path), sizes=None, seeds=None,
                       estimators=["no_such_module_here:f"], divergence="kl")


def test_which_estimators_are_compared() -> None:
    roles = {"mine": YOURS, "b1": BASELINE, "b2": BASELINE}
    assert comparison_pairs(["mine", "b1", "b2"], roles) == [("mine", "b1"), ("mine", "b2")]
    assert comparison_pairs(["x", "y"], {}) == [("x", "y")]
    assert comparison_pairs(["x", "y", "z"], {}) == []
