"""The convergence report: smoke run end to end, regeneration from results.json, HTML, CLI."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

import divergence_verify.verify.report as report
from divergence_verify import verify
from divergence_verify.verify import figures
from divergence_verify.verify.certificates import RuleResult, Rules, predicted_slope_se
from divergence_verify.verify.cli import main
from divergence_verify.verify.report import PRESETS, ReportData, load_results
from divergence_verify.verify.scenarios import get_scenario
from divergence_verify.verify.sweeps import Record, SweepResult


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
    for name in ("index.html", "report.md", "results.json", "ladder.png", "summary.png"):
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
    from divergence_verify import estimators
    from divergence_verify.verify.scenarios import SCENARIOS

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


# -- the certificate summary figure ---------------------------------------------------------------
def test_summary_grid_is_embedded_under_the_certificate_heading(smoke: Path) -> None:
    text = (smoke / "report.md").read_text()
    section = text.split("## Does it converge?")[1].split("\n## ")[0]
    assert "(summary.png)" in section
    page = (smoke / "index.html").read_text()
    section = page.split("Does it converge?")[1].split("<h2>")[0]
    assert '<img src="data:image/png;base64,' in section


def test_summary_grid_has_a_cell_per_swept_pair(tmp_path: Path) -> None:
    cells = [figures.GridCell("a[kl]", "s1", "pass", ("PASS", "error +0.01", "slope -0.5")),
             figures.GridCell("b[kl]", "s2", "fail", ("FAIL", "accuracy", "error +0.3")),
             figures.GridCell("b[kl]", "s1", "partial", ("PASS", "(conv. not judged)"))]
    path = figures.certificate_grid(cells, tmp_path / "grid.png", title="t", note="n")
    from PIL import Image

    width, height = Image.open(path).size
    assert width > height > 100


# -- the convergence rule needs a design that can judge it --------------------------------------
def _flat_sweep(sizes: tuple[int, ...], seeds: int) -> SweepResult:
    """Unbiased estimates whose RMSE stays at 0.05 at every n: accurate enough, not converging."""
    scen = get_scenario("gauss2d-kl0.5")
    truth = scen.truth("kl")
    records = [Record(n, s, truth.value + (0.05 if s % 2 else -0.05), 0.01)
               for n in sizes for s in range(seeds)]
    return SweepResult("flat[kl]", {"name": "flat"}, scen.name, "kl", truth, records)


def test_convergence_is_judged_on_a_design_that_can_judge_it() -> None:
    rules = Rules()
    row = report.summarize(_flat_sweep((250, 500, 1000, 2000, 4000), 8), rules)
    assert not row.unjudged
    assert row.failed == ["convergence"]
    assert report._verdict(row) == "FAIL (convergence)"


def test_convergence_is_not_judged_on_a_noisy_design() -> None:
    rules = Rules()
    sizes, seeds = (250, 500, 1000, 2000), 4
    se = predicted_slope_se(sizes, seeds)
    assert se > rules.max_slope_se
    row = report.summarize(_flat_sweep(sizes, seeds), rules)
    assert "convergence" not in {r.rule for r in row.rules}
    assert row.passed  # on the rules judged: runs, accuracy, spread
    expected = f"not judged (design too noisy: predicted slope SE {se:.2f} > 0.15)"
    assert expected in report._verdict(row)
    assert report._verdict(row).startswith("PASS")
    assert report._status_class(report._verdict(row)) == "partial"
    assert report._grid_cell(row).status == "partial"


def test_presets_that_judge_convergence_meet_the_design_threshold() -> None:
    limit = Rules().max_slope_se
    for name in ("default", "full"):
        preset = PRESETS[name]
        assert predicted_slope_se(preset.sizes, preset.seeds) <= limit, name
    smoke = PRESETS["smoke"]
    assert predicted_slope_se(smoke.sizes, smoke.seeds) > limit  # exercised below


def test_smoke_report_says_convergence_is_not_judged(smoke: Path) -> None:
    text = (smoke / "report.md").read_text()
    assert "convergence not judged (design too noisy: predicted slope SE 0.51 > 0.15)" in text
    assert "pass every certificate rule judged" in text
    page = (smoke / "index.html").read_text()
    assert "convergence not judged" in page


# -- computing time and cache use -------------------------------------------------------------
def test_header_reports_computing_time_and_cache_hits(smoke: Path, tmp_path: Path) -> None:
    data = load_results(smoke / "results.json")
    assert data.cached_runs == 0  # a fresh cache
    assert data.compute_seconds == pytest.approx(
        sum(rec.seconds for r in [*data.sweeps, *data.ladder] for rec in r.records))
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
    assert "not recorded" in report._header_facts(data)[1]


# -- figures: limits and tick labels ------------------------------------------------------------
@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The figures passed to figures._save (still holding their axes after saving)."""
    out: list[Any] = []
    save = figures._save

    def keep(fig: Any, path: Any) -> Path:
        out.append(fig)
        return save(fig, path)

    monkeypatch.setattr(figures, "_save", keep)
    return out


def test_estimate_figure_shows_a_truth_beyond_every_estimate(
    smoke: Path, tmp_path: Path, drawn: list[Any]
) -> None:
    res = load_results(smoke / "results.json").sweeps[0]
    top = max(r.estimate for r in res.records if r.ok)
    for truth in (top + 1.0, -abs(top) - 1.0):
        moved = dataclasses.replace(res, truth=dataclasses.replace(res.truth, value=truth))
        figures.estimate_vs_n([moved], tmp_path / "e.png")
        low, high = drawn[-1].axes[0].get_ylim()
        margin = 0.03 * (high - low)
        assert low + margin < truth < high - margin


def test_ladder_leaves_room_above_the_highest_error_bar(
    smoke: Path, tmp_path: Path, drawn: list[Any]
) -> None:
    data = load_results(smoke / "results.json")
    figures.ladder(data.ladder, tmp_path / "l.png", data.rules)
    left = drawn[-1].axes[0]
    highest = max(r.truth.value + r.per_size()[-1].bias_high for r in data.ladder)
    assert left.get_ylim()[1] > 1.1 * highest


def test_log_axes_label_their_top(smoke: Path, tmp_path: Path, drawn: list[Any]) -> None:
    data = load_results(smoke / "results.json")
    figures.rmse_vs_n([r for r in data.sweeps if r.divergence == "kl"], tmp_path / "r.png")
    for ax in drawn[-1].axes:
        if ax.get_visible():
            low, high = ax.get_ylim()
            ticks = [t for t in ax.yaxis.get_majorticklocs() if low <= t <= high]
            assert len(ticks) >= 3
            assert math.log10(high / max(ticks)) <= 0.4 * math.log10(high / low)


@pytest.mark.parametrize(("low", "high"), [
    (0.048, 0.135), (0.028, 0.45), (0.017, 0.083), (0.038, 0.19), (0.115, 0.13), (0.5, 2.0),
    (0.05, 2.1), (0.0015, 1.5), (0.05, 60.0), (1e-9, 1e3),
])
def test_log_ticks_cover_the_axis(low: float, high: float) -> None:
    ticks = figures.log_ticks(low, high)
    span = math.log10(high / low)
    assert 3 <= len(ticks) <= max(8, 3 * span)
    assert all(low <= t <= high for t in ticks)
    points = [math.log10(low), *(math.log10(t) for t in ticks), math.log10(high)]
    assert max(b - a for a, b in itertools.pairwise(points)) <= 0.4 * span
    assert math.log10(high / ticks[-1]) <= span / 3  # a label in the top third
