"""Running a preset and its results.json: every run recorded, strict JSON, redrawn identically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from divergence_verify import verify
from divergence_verify.verify.cli import main
from divergence_verify.verify.report import PRESETS, run
from divergence_verify.verify.report.page import header_facts
from divergence_verify.verify.report.run import ReportData, load_results

from .conftest import figure_names


def _reject(token: str) -> None:
    raise AssertionError(f"non-standard JSON constant {token}")


def test_results_json_holds_every_run_with_its_context(smoke: Path) -> None:
    data = json.loads((smoke / "results.json").read_text())
    preset = PRESETS["smoke"]
    assert data["preset"]["name"] == "smoke"
    assert data["device"] in ("cpu", "cuda")
    assert {"numpy", "torch", "divergence-verify"} <= set(data["versions"])
    assert data["created"]
    assert len(data["sweeps"]) == sum(len(e.scenarios) for e in preset.entries)
    assert len(data["ladder"]) == sum(len(e.scenarios) for e in preset.ladder)
    for sweep in data["sweeps"]:
        assert sweep["config"]["kind"]
        assert len(sweep["records"]) == len(preset.sizes) * preset.seeds
        assert {r["seed"] for r in sweep["records"]} == set(range(preset.seeds))
    # Strict JSON: no NaN or Infinity tokens.
    json.loads((smoke / "results.json").read_text(), parse_constant=_reject)


def test_regenerates_identically_without_running_estimators(
    smoke: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_runs(*args: object, **kwargs: object) -> None:
        raise AssertionError("--from must not run any estimator")

    monkeypatch.setattr(verify.sweeps, "sweep", no_runs)
    monkeypatch.setattr(run, "run_sweeps", no_runs)
    status = main(["report", "--from", str(smoke / "results.json"), "--out-root",
                   str(tmp_path), "--name", "again", "--quiet"])
    assert status == 0
    again = tmp_path / "again"
    assert (again / "report.md").read_text() == (smoke / "report.md").read_text()
    assert (again / "index.html").read_text() == (smoke / "index.html").read_text()
    assert figure_names(again) == figure_names(smoke)
    for name in figure_names(smoke, ".svg"):
        assert (again / name).read_bytes() == (smoke / name).read_bytes(), name
    first, second = load_results(smoke / "results.json"), load_results(again / "results.json")
    assert first.to_dict() == second.to_dict()


def test_round_trip_of_report_data(smoke: Path) -> None:
    data = load_results(smoke / "results.json")
    assert ReportData.from_dict(json.loads(json.dumps(data.to_dict()))).to_dict() == data.to_dict()
    assert data.preset == PRESETS["smoke"]


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


def test_header_reports_computing_time_and_cache_hits(smoke: Path, tmp_path: Path) -> None:
    data = load_results(smoke / "results.json")
    assert data.cached_runs == 0  # a fresh cache
    assert data.compute_seconds == pytest.approx(
        sum(rec.seconds for r in data.every_sweep for rec in r.records))
    text = (smoke / "report.md").read_text()
    assert f"{data.runs} runs (none read from the cache); computing time" in text
    status = main(["report", "--preset", "smoke", "--out-root", str(tmp_path),
                   "--cache", str(smoke.parent / "cache"), "--quiet"])
    assert status == 0
    again = load_results(tmp_path / "smoke" / "results.json")
    assert again.cached_runs == again.runs == data.runs
    assert f"{data.runs} runs ({data.runs} of them read from the cache" in (
        tmp_path / "smoke" / "report.md").read_text()


def test_results_without_cache_count_still_load(smoke: Path) -> None:
    raw = json.loads((smoke / "results.json").read_text())
    del raw["cached_runs"]  # written before the count was recorded
    data = ReportData.from_dict(raw)
    assert data.cached_runs is None
    assert "not recorded" in header_facts(data)[1]
