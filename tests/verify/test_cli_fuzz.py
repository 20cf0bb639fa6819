"""Fuzz: every command given bad input exits 2 with one error line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from divergence_verify.verify import cli

BASE = ["--estimator", "knn", "--divergence", "kl", "--no-cache", "--quiet"]


def _exit_code(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exc:  # argparse's own refusals
        return int(exc.code or 0)


def _check(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = _exit_code(argv)
    err = capsys.readouterr().err
    assert code == 2, f"{argv} exited {code}: {err}"
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    return errors[0]


def test_bad_command_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    out = ["--out", str(tmp_path / "out")]
    cases = [
        (["sweep", *BASE, "--sizes", "0", *out], "sizes"),
        (["sweep", *BASE, "--sizes", "1", *out], "sizes"),
        (["sweep", *BASE, "--sizes", "abc", *out], "--sizes"),
        (["sweep", *BASE, "--seeds", "0", *out], "seeds"),
        (["sweep", *BASE, "--seeds", "-3", *out], "seeds"),
        (["sweep", *BASE, "--set", "k=1.5", *out], "k"),
        (["sweep", *BASE, "--set", "nope=1", *out], "nope"),
        (["sweep", *BASE, "--set", "novalue", *out], "novalue"),
        (["sweep", *BASE, "--set", "seed=-1", *out], "seed"),
        (["sweep", *BASE, "--device", "tpu", *out], "--device"),
        (["sweep", *BASE, "--scenario", "no-such-scenario", *out], "no-such-scenario"),
        (["sweep", "--estimator", "no_such_kind", "--divergence", "kl", *out], "no_such_kind"),
        (["sweep", "--estimator", "no_such_module:f", "--divergence", "kl", *out],
         "no_such_module"),
        (["sweep", "--estimator", "knn", "--divergence", "nope", *out], "nope"),
        (["sweep", *BASE, "--out", str(a_file)], str(a_file)),
        (["certify", *BASE, "--atol", "-1", *out], "--atol"),
        (["certify", *BASE, "--rtol", "nan", *out], "--rtol"),
        (["report", "--preset", "no-such-preset", "--quiet"], "no-such-preset"),
    ]
    for argv, named in cases:
        line = _check(argv, capsys)
        assert named in line, f"{argv}: {line!r} does not name {named!r}"


bad_numbers = st.one_of(
    st.integers(-10**6, 1).map(str),
    st.sampled_from(["nan", "inf", "-inf", "2.5", "1e3", "", "0x10", "ten"]),
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flag=st.sampled_from(["--sizes", "--seeds"]), value=bad_numbers)
def test_bad_sizes_and_seeds_are_refused(
    flag: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if flag == "--seeds" and value == "1":
        return  # one seed is a valid count
    _check(["sweep", *BASE, flag, value, "--out", str(tmp_path / "o")], capsys)
