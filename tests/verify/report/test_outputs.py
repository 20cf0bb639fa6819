"""Outputs are safe: one folder name under the root, a manifest, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from divergence_verify.verify.cli import main
from divergence_verify.verify.report import build, outputs
from divergence_verify.verify.report.outputs import MANIFEST, OutputFolder, check_name


@pytest.mark.parametrize("name", ["../../x", "..", ".", "a/b", "/abs/path", "", "a\\b",
                                  ".hidden"])
def test_a_name_that_is_not_one_folder_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="one folder name"):
        check_name(name)


@pytest.mark.parametrize("name", ["../escaped", "/tmp/absolute-report"])
def test_report_refuses_a_name_that_escapes_the_root(
    smoke: Path, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "root"
    status = main(["report", "--from", str(smoke / "results.json"), "--out-root", str(root),
                   "--name", name, "--quiet"])
    assert status == 2
    assert "one folder name" in capsys.readouterr().err
    assert not (tmp_path / "escaped").exists() and not Path(name).joinpath("index.html").exists()
    assert not root.exists()


def test_a_users_files_in_the_folder_survive_a_report(smoke: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    # Names an earlier suite deleted by prefix: the user's, so they must stay.
    for name in ("estimate_my_plot.png", "summary_notes.png", "ladder-sketch.svg"):
        (folder / name).write_bytes(b"user data")
    assert main(["report", "--from", str(smoke / "results.json"), "--out-root", str(tmp_path),
                 "--name", "mine", "--quiet"]) == 0
    for name in ("estimate_my_plot.png", "summary_notes.png", "ladder-sketch.svg"):
        assert (folder / name).read_bytes() == b"user data"
    listed = json.loads((folder / MANIFEST).read_text())["files"]
    assert "index.html" in listed and "estimate_my_plot.png" not in listed


def test_only_stale_files_of_the_previous_manifest_are_removed(tmp_path: Path) -> None:
    first = OutputFolder(tmp_path)
    first.write_text("old_figure.png", "x")
    first.write_text("kept.png", "x")
    first.finish()
    (tmp_path / "users.png").write_text("mine")
    second = OutputFolder(tmp_path)
    second.write_text("kept.png", "y")
    assert second.finish() == ["old_figure.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "kept.png", "users.png"]


def test_a_manifest_cannot_point_outside_its_folder(tmp_path: Path) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / MANIFEST).write_text(json.dumps(
        {"format": outputs.MANIFEST_FORMAT, "files": ["../precious.txt", str(outside), 3]}))
    OutputFolder(folder).finish()
    assert outside.read_text() == "keep"


def test_writes_are_atomic_and_leave_no_temporary_files(
    smoke: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["report", "--from", str(smoke / "results.json"), "--out-root", str(tmp_path),
            "--name", "atomic", "--quiet"]
    assert main(args) == 0
    folder = tmp_path / "atomic"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert not [n for n in before if n.endswith(".tmp")]
    # A drawing that fails half way: every file already there is whole, none half-written.
    calls = {"n": 0}
    encode = build.plotting.encode

    def failing(fig: object) -> tuple[bytes, bytes]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return encode(fig)

    monkeypatch.setattr(build.plotting, "encode", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        main([*args, "--debug"])
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert set(after) == set(before)
    assert after["index.html"] == before["index.html"]
    assert after["report.md"] == before["report.md"]
