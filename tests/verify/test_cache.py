"""Cache faults (issue 15, part 5): a corrupt or edited record is a warned miss, moved aside."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest

from divergence_verify.estimators import make_estimator
from divergence_verify.verify.cache import (
    CHECKSUM_FIELD,
    CORRUPT_SUFFIX,
    Cache,
    CorruptCacheRecordWarning,
    record_checksum,
)
from divergence_verify.verify.sweeps import sweep

SCENARIO, DIVERGENCE = "gauss2d-kl0.5", "kl"


def _run(root: Path):
    return sweep(make_estimator("knn", DIVERGENCE), SCENARIO, DIVERGENCE, [64], [0], cache=root)


def _edit_estimate(text: str) -> bytes:
    data = json.loads(text)
    data["estimate"] = data["estimate"] + 1.0
    return json.dumps(data).encode()


def _non_numeric_estimate(text: str) -> bytes:
    """Valid checksum, but the estimate is text: the sweep's check rejects it."""
    data = json.loads(text)
    data["estimate"] = "many"
    data[CHECKSUM_FIELD] = record_checksum(data)
    return json.dumps(data).encode()


CORRUPTIONS = {
    "not UTF-8": (lambda text: b'{"estimate": \xff\xfe}', "not UTF-8 text"),
    "a list": (lambda text: b"[]", "a JSON list, not a record object"),
    "foo": (lambda text: b'{"foo": 1}', "no checksum and no estimate"),
    "truncated": (lambda text: text[:20].encode(), "not strict JSON"),
    "bare NaN": (lambda text: b'{"estimate": NaN}', "not strict JSON"),
    "edited estimate": (_edit_estimate, "checksum mismatch"),
    "non-numeric estimate": (_non_numeric_estimate, "not a valid record: ValueError"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_corrupt_record_is_a_warned_miss_moved_aside(tmp_path: Path, case: str) -> None:
    first = _run(tmp_path)
    (path,) = tmp_path.rglob("*.json")
    corrupt, reason = CORRUPTIONS[case]
    path.write_bytes(corrupt(path.read_text()))
    with pytest.warns(CorruptCacheRecordWarning) as caught:
        again = _run(tmp_path)
    messages = [str(w.message) for w in caught if w.category is CorruptCacheRecordWarning]
    assert len(messages) == 1 and "\n" not in messages[0]
    assert str(path) in messages[0] and reason in messages[0]
    assert again.records[0].estimate == first.records[0].estimate  # recomputed, not the edit
    assert path.with_name(path.name + CORRUPT_SUFFIX).exists()
    assert json.loads(path.read_text())[CHECKSUM_FIELD]  # rewritten, checksummed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _run(tmp_path).records[0].estimate == first.records[0].estimate  # a clean hit


def test_an_old_record_without_checksum_is_a_silent_miss(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    key = "ef" * 32
    store.put(key, {"estimate": 1.5, "seconds": math.inf})
    path = tmp_path / "ef" / f"{key}.json"
    data = json.loads(path.read_text())
    assert data.pop(CHECKSUM_FIELD) == record_checksum(data)
    assert store.get(key) == {"estimate": 1.5, "seconds": "inf"}
    path.write_text(json.dumps(data))  # as written before checksums existed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert store.get(key) is None
    assert path.exists()  # not moved: the recomputed run overwrites it


def test_the_command_line_names_the_file_on_one_line_and_completes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One corrupt record made every rerun exit 2 without naming the file."""
    from divergence_verify.verify import cli

    argv = ["sweep", "--estimator", "knn", "--divergence", DIVERGENCE, "--scenario", SCENARIO,
            "--sizes", "64", "--seeds", "1", "--quiet", "--cache", str(tmp_path / "c"),
            "--out", str(tmp_path / "out")]
    assert cli.main(argv) == 0
    (path,) = (tmp_path / "c").rglob("*.json")
    path.write_bytes(b"[]")
    capsys.readouterr()
    assert cli.main(argv) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning")]
    assert len(warned) == 1 and str(path) in warned[0]
