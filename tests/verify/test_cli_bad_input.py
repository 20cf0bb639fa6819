"""The command line refuses bad numbers and sizes that cannot fit, before running (issue 15)."""

from __future__ import annotations

import pytest

from divergence_verify.reference import memory
from divergence_verify.verify import cli, options


def _fail_if_run(*args: object, **kwargs: object) -> None:
    raise AssertionError("the command ran although its input should have been refused")


@pytest.mark.parametrize(
    ("flag", "value"), [("--atol", "-1"), ("--atol", "nan"), ("--rtol", "inf"), ("--rtol", "x")]
)
def test_bad_tolerances_exit_2_naming_the_option(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["certify", "--estimator", "knn", "--divergence", "kl", flag, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}:" in err and repr(value) in err


@pytest.mark.parametrize(
    ("command", "estimator", "divergence", "size", "what"),
    [
        ("sweep", "knn", "kl", 1_000_000_000, "samples in d = "),
        ("certify", "knn", "kl", 1_000_000_000, "samples in d = "),
        ("sweep", "empirical_w1", "w1", 30_000, "and the exact W1 LP"),
    ],
)
def test_sizes_that_cannot_fit_are_refused_up_front(
    command: str, estimator: str, divergence: str, size: int, what: str,
    tmp_path: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--sizes 1000000000 ran 145 s until the kernel killed it at 22.7 GB."""
    from divergence_verify.verify import certificates, sweeps

    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 2 * 2**30)
    monkeypatch.setattr(sweeps, "sweep", _fail_if_run)
    monkeypatch.setattr(certificates, "certify", _fail_if_run)
    code = cli.main([command, "--estimator", estimator, "--divergence", divergence,
                     "--sizes", str(size), "--no-cache", "--quiet", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: --sizes {size}: a run needs about ")
    assert what in err and "but only 2.0 GiB is available" in err
    assert len(err.splitlines()) == 1


def test_run_bytes_counts_samples_and_the_lp() -> None:
    assert options.run_bytes(1000, 2) == options.SAMPLE_COPIES * 2 * 1000 * 2 * 8
    assert options.run_bytes(1000, 2, 1000) == options.run_bytes(1000, 2) + memory.lp_bytes(
        1000, 1000
    )


def test_check_sizes_fit_uses_max_points(monkeypatch: pytest.MonkeyPatch) -> None:
    from divergence_verify.estimators import make_estimator

    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 2**30)
    capped = make_estimator("empirical_w1", "w1", max_points=500)
    options.check_sizes_fit([30_000], 2, capped)  # the LP is on 500 points: fits
    with pytest.raises(ValueError, match="exact W1 LP"):
        options.check_sizes_fit([30_000], 2, make_estimator("empirical_w1", "w1"))


def test_report_sizes_that_cannot_fit_are_refused_up_front(
    tmp_path: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from divergence_verify.verify.report import run

    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 2 * 2**30)
    monkeypatch.setattr(run, "run_preset", _fail_if_run)
    code = cli.main(["report", "--sizes", "100000000", "--no-cache", "--quiet",
                     "--out-root", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --sizes 100000000: a run needs about ")
    assert "but only 2.0 GiB is available" in err and len(err.splitlines()) == 1
