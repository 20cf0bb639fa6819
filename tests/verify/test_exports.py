"""Exports (issue item 6): every run as CSV next to the JSON, and to_frame() on sweep results and
certificates (pandas an optional extra)."""

import csv
import json
import math
import sys

import pytest

from divergence_verify.verify import certify, cli, sweep
from divergence_verify.verify.exports import RUN_COLUMNS, runs_rows, write_runs_csv
from divergence_verify.verify.units import Record
from tests.verify._estimators import gaussian_mle_kl

SCENARIO = "gauss2d-kl0.5"
MLE = "tests.verify._estimators:gaussian_mle_kl"


@pytest.fixture(scope="module")
def result():
    return sweep(gaussian_mle_kl, SCENARIO, "kl", [50, 100], 2)


@pytest.fixture
def odd():
    """``result`` with a run that raised, an infinite one and a NaN one."""
    res = sweep(gaussian_mle_kl, SCENARIO, "kl", [50, 100], 2)
    res.records[0] = Record(50, 0, None, 0.1, "ValueError: bad")
    res.records[1] = Record(50, 1, math.inf, 0.1, "non-finite")
    res.records[2] = Record(100, 0, -math.inf, 0.1, "non-finite")
    res.records[3] = Record(100, 1, math.nan, 0.1, "non-finite")
    return res


def _read(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def test_runs_rows_hold_one_row_per_run_with_its_error(result):
    rows = runs_rows([result, result])
    assert len(rows) == 2 * len(result.records)
    truth = result.truth.value
    for row, record in zip(rows, result.records, strict=False):
        assert list(row) == list(RUN_COLUMNS)
        assert (row["n"], row["seed"], row["estimate"]) == (record.n, record.seed,
                                                            record.estimate)
        assert row["error"] == record.estimate - truth and row["truth"] == truth
        assert (row["estimator"], row["scenario"], row["divergence"]) == (
            "gaussian_mle_kl", SCENARIO, "kl")
        assert (row["failure"], row["batched"], row["seeding"], row["printed"]) == (
            None, False, "global", False)


def test_the_csv_reads_back_exactly_with_empty_and_infinite_numbers(result, odd, tmp_path):
    path = write_runs_csv(tmp_path / "runs.csv", [result, odd])
    assert path == tmp_path / "runs.csv"
    assert [p.name for p in tmp_path.iterdir()] == ["runs.csv"]  # no temporary file left
    header, *rows = _read(path)
    assert header == list(RUN_COLUMNS) and len(rows) == 8
    col = {name: k for k, name in enumerate(header)}
    for row, record in zip(rows[:4], result.records, strict=True):
        assert float(row[col["estimate"]]) == record.estimate  # the shortest exact text
        assert float(row[col["seconds"]]) == record.seconds
    odd_rows = rows[4:]
    assert [r[col["estimate"]] for r in odd_rows] == ["", "inf", "-inf", ""]
    assert [r[col["error"]] for r in odd_rows] == ["", "inf", "-inf", ""]
    assert odd_rows[0][col["failure"]] == "ValueError: bad"
    assert rows[0][col["failure"]] == ""


def test_to_frame_of_a_sweep_and_a_certificate(result):
    pd = pytest.importorskip("pandas")
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(RUN_COLUMNS)
    assert frame["estimate"].tolist() == [r.estimate for r in result.records]
    cert = certify(gaussian_mle_kl, "kl", scenarios=[SCENARIO, "gauss1d-shift"],
                   sizes=[100, 400, 1600], seeds=8)
    runs = cert.to_frame()
    assert len(runs) == 48 and set(runs["scenario"]) == {SCENARIO, "gauss1d-shift"}
    assert runs.groupby("scenario")["error"].mean().abs().max() < 0.1


def test_to_frame_keeps_failed_runs_as_nan(odd):
    pytest.importorskip("pandas")
    frame = odd.to_frame()
    assert frame["estimate"].dtype == "float64" and math.isnan(frame["estimate"][0])
    assert frame["failure"][0] == "ValueError: bad"


def test_to_frame_without_pandas_says_how_to_install_it(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'divergence-verify\[pandas\]'"):
        result.to_frame()


@pytest.mark.parametrize(("command", "written"), [("sweep", "sweep.json"),
                                                  ("certify", "certificate.json")])
def test_the_commands_write_runs_csv_next_to_their_json(command, written, tmp_path, capsys):
    sizes = ["--sizes", "100", "400", "1600", "--seeds", "8"]
    status = cli.main([command, "--estimator", MLE, "--divergence", "kl", "--scenario", SCENARIO,
                       *sizes, "--out", str(tmp_path), "--no-cache"])
    _, err = capsys.readouterr()
    assert status == 0, err
    assert f"wrote {tmp_path / written}" in err and f"wrote {tmp_path / 'runs.csv'}" in err
    data = json.loads((tmp_path / written).read_text())
    records = (data[0] if command == "sweep" else data["scenarios"][0]["sweep"])["records"]
    header, *rows = _read(tmp_path / "runs.csv")
    assert len(rows) == len(records) == 24
    estimate = header.index("estimate")
    assert [float(r[estimate]) for r in rows] == [r["estimate"] for r in records]
