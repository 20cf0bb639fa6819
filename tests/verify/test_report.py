"""The convergence report: smoke run end to end, regeneration from results.json, HTML, CLI."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import verify.report as report
import verify.sweeps
from verify.certificates import RuleResult, Rules
from verify.cli import main
from verify.report import PRESETS, ReportData, load_results


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smoke preset, run once through the command line into a temporary folder."""
    root = tmp_path_factory.mktemp("reports")
    status = main(["report", "--preset", "smoke", "--out-root", str(root),
                   "--cache", str(root / "cache"), "--quiet"])
    assert status == 0
    return root / "smoke"


def _figures(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.png")}


def test_smoke_writes_every_file(smoke: Path) -> None:
    for name in ("index.html", "report.md", "results.json", "ladder.png"):
        assert (smoke / name).is_file(), name
    names = _figures(smoke)
    assert {"rmse_kl.png", "rmse_w1.png", "rmse_js.png"} <= names
    assert "estimate_kl_gauss2d-kl0.5.png" in names
    assert all((smoke / n).stat().st_size < 200_000 for n in names)  # small images


def test_results_json_holds_every_run_with_its_context(smoke: Path) -> None:
    data = json.loads((smoke / "results.json").read_text())
    preset = PRESETS["smoke"]
    assert data["preset"]["name"] == "smoke"
    assert data["device"] in ("cpu", "cuda")
    assert {"numpy", "torch", "divergence-verify"} <= set(data["versions"])
    assert data["created"]
    n_sweeps = sum(len(e.scenarios) for e in preset.entries)
    assert len(data["sweeps"]) == n_sweeps
    assert len(data["ladder"]) == sum(len(e.scenarios) for e in preset.ladder)
    for sweep in data["sweeps"]:
        assert sweep["config"]["kind"]
        assert len(sweep["records"]) == len(preset.sizes) * preset.seeds
        assert {r["seed"] for r in sweep["records"]} == set(range(preset.seeds))
    # Strict JSON: no NaN or Infinity tokens.
    json.loads((smoke / "results.json").read_text(), parse_constant=_reject)


def _reject(token: str) -> None:
    raise AssertionError(f"non-standard JSON constant {token}")


def test_regenerates_identically_without_running_estimators(
    smoke: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_runs(*args: object, **kwargs: object) -> None:
        raise AssertionError("--from must not run any estimator")

    monkeypatch.setattr(verify.sweeps, "sweep", no_runs)
    monkeypatch.setattr(report, "sweep", no_runs)
    status = main(["report", "--from", str(smoke / "results.json"), "--out-root",
                   str(tmp_path), "--name", "again", "--quiet"])
    assert status == 0
    again = tmp_path / "again"
    assert (again / "report.md").read_text() == (smoke / "report.md").read_text()
    assert (again / "index.html").read_text() == (smoke / "index.html").read_text()
    assert _figures(again) == _figures(smoke)
    first, second = load_results(smoke / "results.json"), load_results(again / "results.json")
    assert first.to_dict() == second.to_dict()


def test_round_trip_of_report_data(smoke: Path) -> None:
    data = load_results(smoke / "results.json")
    assert ReportData.from_dict(json.loads(json.dumps(data.to_dict()))).to_dict() == data.to_dict()
    assert data.preset == PRESETS["smoke"]


def test_html_is_self_contained(smoke: Path) -> None:
    page = (smoke / "index.html").read_text()
    assert not re.search(r"https?://", page)
    assert "<script" not in page
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == len(_figures(smoke))
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert 'class="pass"' in page or 'class="fail"' in page


def test_markdown_answers_the_three_questions(smoke: Path) -> None:
    text = (smoke / "report.md").read_text()
    assert "Does it converge?" in text and "How fast?" in text and "Where does it break?" in text
    assert "| estimator | scenario |" in text
    assert "On the ladder at n = 400" in text
    for name in _figures(smoke):
        assert f"({name})" in text


def test_missing_from_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["report", "--from", str(tmp_path / "nope.json")])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_malformed_from_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "results.json"
    bad.write_text("{not json")
    assert main(["report", "--from", str(bad)]) == 2
    bad.write_text(json.dumps({"format": "something else"}))
    assert main(["report", "--from", str(bad)]) == 2
    assert "not a report" in capsys.readouterr().err


def test_from_refuses_run_options(smoke: Path) -> None:
    assert main(["report", "--from", str(smoke / "results.json"), "--sizes", "100", "200"]) == 2


def test_overrides_replace_sizes_and_seeds() -> None:
    preset = report.with_overrides(PRESETS["smoke"], [400, 100, 100], 3)
    assert preset.sizes == (100, 400)
    assert preset.seeds == 3
    with pytest.raises(ValueError, match="seeds"):
        report.with_overrides(PRESETS["smoke"], None, 0)


def test_presets_name_registered_estimators_and_scenarios() -> None:
    import estimators
    from verify.scenarios import SCENARIOS

    for preset in PRESETS.values():
        for entry in (*preset.entries, *preset.ladder):
            assert entry.kind in estimators.ESTIMATORS, entry
            assert entry.divergence in estimators.ESTIMATORS[entry.kind].divergences
            assert all(SCENARIOS[s].supports(entry.divergence) for s in entry.scenarios)
    default = PRESETS["default"]
    kinds = {(e.kind, e.divergence) for e in default.entries}
    assert {("fgan", "kl"), ("fgan", "js"), ("fgan", "tv"), ("dv", "kl"), ("w1_critic", "w1"),
            ("knn", "kl"), ("empirical_w1", "w1")} <= kinds


def _rung(truth: float, good: bool) -> report.SummaryRow:
    rules = (RuleResult("runs", True, ""), RuleResult("accuracy", good, ""),
             RuleResult("spread", good, ""), RuleResult("convergence", False, "one n"))
    return report.SummaryRow("est[kl]", "kl", f"ladder-kl{truth:g}", truth, 1000, truth, 0.0,
                             -0.1, 0.1, 0.01, math.nan, math.nan, 0.1, 0, rules)


@pytest.mark.parametrize(("pattern", "expected"), [
    ((True, True, True, True), "within tolerance at KL = 0.1, 1, 5, 10 nats (the top"),
    ((True, True, False, False), "within tolerance at KL = 0.1, 1 nats and breaks at KL = 5 nats"),
    ((False, True, False, False), "also outside tolerance at KL = 0.1 nats"),
    ((False, False, False, False), "outside tolerance on every rung"),
])
def test_ladder_sentence_says_where_it_breaks(pattern: tuple[bool, ...], expected: str) -> None:
    rungs = [_rung(t, g) for t, g in zip((0.1, 1.0, 5.0, 10.0), pattern, strict=True)]
    ((label, text),) = report.findings([], rungs, Rules())
    assert label == "est[kl]"
    assert expected in text
