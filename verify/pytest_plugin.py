"""pytest plugin: certify an estimator from a test in a few lines.

Registered through the ``pytest11`` entry point, so it is active wherever this package is
installed. It provides the fixtures ``certify_estimator``, ``certification_case`` (the case of a
test parametrized by :func:`~divergence_verify.verify.checks.parametrize_certification`) and
``accuracy_benchmark`` (with pytest-benchmark), and these command-line options:

``--verify-sizes N,N,...``
    Sample sizes per side of every certification that names none (comma separated, at least
    two different sizes, each at least 2).
``--verify-seeds K``
    Seeds per size (at least 2).
``--verify-preset smoke|default``
    ``default`` (the default): the certificate's sizes and seeds
    (:data:`~divergence_verify.verify.design.DEFAULT_SIZES`, ``DEFAULT_SEEDS``); ``smoke``:
    :data:`SMOKE_SIZES` and :data:`SMOKE_SEEDS`, quick (18 runs per scenario)
    and still precise enough for a certificate to judge convergence.
    ``--verify-sizes`` and ``--verify-seeds`` override the preset's.
``--verify-seed-base N``
    Seed base of every certification that names none (the seeds are ``N, N + 1, ...`` and the
    fresh scenario instances are drawn from ``N``), to replay a session. Without it each
    certificate draws a fresh base (or takes ``$DIVERGENCE_VERIFY_SEED_BASE``) and its table,
    shown when the test fails, names it.
``--verify-max-seeds K``
    The sequential design of :func:`verify.certify`: while a certificate is INCONCLUSIVE,
    double its seeds per size up to ``K`` (every look at Bonferroni-corrected confidence).
``--verify-json PATH``
    At the end of the session, write every certificate of the session to ``PATH`` as strict
    JSON: ``{node id: [certificate, ...]}`` in the order the tests made them.
``--verify-cache DIR``
    Cache certification runs in this folder between sessions.

A design (sizes and seeds) that a certificate refuses to judge (see
:func:`~divergence_verify.verify.design.predicted_slope_se`) is refused when pytest starts.
::

    def test_my_kl_estimator(certify_estimator):
        certify_estimator(my_estimator, "kl", scenarios=["gauss2d-kl0.5"])

The fixture runs :func:`verify.certify`; when the estimator is not certified (NOT
CERTIFIED, or INCONCLUSIVE: the design cannot decide) the test fails with the certificate's
table as its message, and the certificate's JSON is attached to the test report's
``user_properties`` (so ``--junitxml`` carries it). Outside a fixture, :func:`assert_certified`
does the same.

Importing this module loads neither numpy nor the certificates: they load when a test first
certifies.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from divergence_verify.verify.checks import (
    DESIGN_KEY,
    MAX_SEEDS_KEY,
    SEED_BASE_KEY,
    assert_certified,
    session_design,
)
from divergence_verify.verify.design import (
    DEFAULT_SEEDS,
    DEFAULT_SIZES,
    Rules,
    predicted_slope_se,
)

if TYPE_CHECKING:
    from divergence_verify.verify.certificates import Certificate
    from divergence_verify.verify.scenarios import Scenario
    from divergence_verify.verify.sweeps import SweepResult

SMOKE_SIZES: tuple[int, ...] = (100, 400, 1600)
"""Sample sizes of ``--verify-preset smoke``."""
SMOKE_SEEDS = 6
"""Seeds per size of ``--verify-preset smoke``: with :data:`SMOKE_SIZES`, a predicted slope
standard error of 0.147, just within ``Rules.max_slope_se`` (the report's smoke preset, three
sizes over a 4-fold range with 2 seeds, is too noisy for a certificate to judge)."""

PRESETS: dict[str, tuple[tuple[int, ...], int]] = {
    "smoke": (SMOKE_SIZES, SMOKE_SEEDS),
    "default": (DEFAULT_SIZES, DEFAULT_SEEDS),
}
"""``--verify-preset`` choices: name -> (sizes, seeds)."""



def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--verify-*`` options (see the module's documentation)."""
    group = parser.getgroup("divergence-verify")
    group.addoption("--verify-cache", default=None,
                    help="cache certification runs in this folder (default: no cache)")
    group.addoption("--verify-sizes", default=None, metavar="N,N,...",
                    help="sample sizes per side of every certification that names none, comma "
                         "separated (default: the preset's)")
    group.addoption("--verify-seeds", default=None, metavar="K",
                    help="seeds per size (default: the preset's)")
    group.addoption("--verify-preset", default="default", choices=tuple(PRESETS),
                    help=f"design of the certifications: smoke (sizes {_commas(SMOKE_SIZES)}, "
                         f"{SMOKE_SEEDS} seeds) or default (sizes {_commas(DEFAULT_SIZES)}, "
                         f"{DEFAULT_SEEDS} seeds)")
    group.addoption("--verify-seed-base", default=None, metavar="N",
                    help="seed base of every certification (default: a fresh one per "
                         "certificate, or $DIVERGENCE_VERIFY_SEED_BASE)")
    group.addoption("--verify-max-seeds", default=None, metavar="K",
                    help="sequential design: while inconclusive, double the seeds per size up "
                         "to K (default: one look)")
    group.addoption("--verify-json", default=None, metavar="PATH",
                    help="write every certificate of the session to PATH (strict JSON, keyed "
                         "by test node id)")


def _commas(sizes: tuple[int, ...]) -> str:
    return ",".join(map(str, sizes))


def _count(option: str, text: str, minimum: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise pytest.UsageError(f"{option}: expected an integer, got {text!r}") from None
    if minimum is not None and value < minimum:
        raise pytest.UsageError(f"{option}: expected an integer >= {minimum}, got {text!r}")
    return value


def _design(config: pytest.Config) -> tuple[list[int], int]:
    """The session's sizes and seeds: the preset's, with the explicit options over them."""
    sizes, seeds = PRESETS[config.getoption("--verify-preset")]
    given_sizes = config.getoption("--verify-sizes")
    given_seeds = config.getoption("--verify-seeds")
    if given_sizes is not None:
        words = given_sizes.replace(",", " ").split()
        sizes = tuple(_count("--verify-sizes", word) for word in words)
        if any(n < 2 for n in sizes):
            raise pytest.UsageError(f"--verify-sizes: every size must be >= 2, got {given_sizes}")
        if len(set(sizes)) < 2:
            raise pytest.UsageError("--verify-sizes: give at least two different sizes (the "
                                    f"convergence rule fits a slope), got {given_sizes!r}")
    if given_seeds is not None:
        seeds = _count("--verify-seeds", given_seeds)
        if seeds < 2:
            raise pytest.UsageError(f"--verify-seeds: at least 2 seeds per size are needed for "
                                    f"a confidence interval, got {seeds}")
    se, limit = predicted_slope_se(sizes, seeds), Rules().max_slope_se
    if se > limit:
        raise pytest.UsageError(
            f"--verify-sizes/--verify-seeds: sizes {_commas(tuple(sorted(set(sizes))))} with "
            f"{seeds} seeds cannot judge convergence: the fitted slope's standard error would be "
            f"about "
            f"{se:.2f} (at most {limit} needed); use more seeds or a wider range of sizes")
    return sorted(set(sizes)), seeds


def _json_path(config: pytest.Config) -> Path | None:
    given = config.getoption("--verify-json")
    if given is None:
        return None
    path = config.invocation_params.dir / given
    if path.is_dir():
        raise pytest.UsageError(f"--verify-json {given}: is a folder; name a file")
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
        raise pytest.UsageError(f"--verify-json {given}: {path.parent} is not a writable folder")
    return path


def pytest_configure(config: pytest.Config) -> None:
    """Check the ``--verify-*`` options before any test runs (pytest.UsageError if bad)."""
    config.stash[DESIGN_KEY] = _design(config)
    base = config.getoption("--verify-seed-base")
    config.stash[SEED_BASE_KEY] = (None if base is None
                                   else _count("--verify-seed-base", base, minimum=0))
    budget = config.getoption("--verify-max-seeds")
    seeds = config.stash[DESIGN_KEY][1]
    config.stash[MAX_SEEDS_KEY] = (None if budget is None
                                   else _count("--verify-max-seeds", budget, minimum=seeds))
    path = _json_path(config)
    # A pytest-xdist worker's reports reach the main process, whose log writes the file.
    if path is not None and not hasattr(config, "workerinput"):
        config.pluginmanager.register(CertificateLog(path), "divergence-verify-json")


class CertificateLog:
    """The ``--verify-json`` file: every certificate the session's tests attached, by node id.

    Read from each test's teardown report, whose ``user_properties`` hold every certificate the
    test made (in setup, call or teardown), and written at the end of the session.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.certificates: dict[str, list[Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the certificates of a finished test."""
        if report.when != "teardown":
            return
        from divergence_verify.verify.jsonio import loads

        found = [loads(value) for name, value in report.user_properties if name == "certificate"]
        if found:
            self.certificates.setdefault(report.nodeid, []).extend(found)

    def pytest_sessionfinish(self) -> None:
        """Write the file (strict JSON, atomically)."""
        from divergence_verify.verify.jsonio import write_json_atomic

        write_json_atomic(self.path, self.certificates, indent=2)


@pytest.fixture
def certify_estimator(request: pytest.FixtureRequest) -> Callable[..., Certificate]:
    """Return ``certify_estimator(estimator, divergence, **certify_kwargs) -> Certificate``.

    The test fails with the certificate's table when the estimator is not certified. Sizes,
    seeds and the cache not given come from ``--verify-sizes``, ``--verify-seeds``,
    ``--verify-preset`` and ``--verify-cache``.
    """

    def run(estimator: Any, divergence: str, **kwargs: Any) -> Certificate:
        return assert_certified(estimator, divergence, request, **kwargs)

    return run


@pytest.fixture
def certification_case(request: pytest.FixtureRequest) -> Any:
    """The :class:`~divergence_verify.verify.checks.CertificationCase` of this test, bound to it.

    Given by ``@parametrize_certification(...)``; ``certification_case.check()`` certifies.
    """
    case = getattr(request, "param", None)
    if not callable(getattr(case, "bind", None)):
        pytest.fail("the certification_case fixture is given by "
                    "@parametrize_certification(estimator, divergences, ...)", pytrace=False)
    return case.bind(request)


@pytest.fixture
def accuracy_benchmark(
    benchmark: Any, request: pytest.FixtureRequest
) -> Callable[..., SweepResult]:
    """Return ``accuracy_benchmark(estimator, divergence, scenario, sizes=None, seeds=None)``.

    Needs pytest-benchmark. It sweeps the estimator once, timed by the ``benchmark`` fixture, and
    stores bias, SD, RMSE and mean seconds per size and the RMSE's log-log slope in
    ``benchmark.extra_info`` (see :func:`~divergence_verify.verify.checks.benchmark_accuracy`);
    sizes and seeds default to the session's. Returns the sweep.
    """
    from divergence_verify.verify.checks import benchmark_accuracy

    def run(estimator: Any, divergence: str, scenario: str | Scenario,
            sizes: Sequence[int] | None = None,
            seeds: int | Sequence[int] | None = None) -> SweepResult:
        default_sizes, default_seeds = session_design(request.config)
        return benchmark_accuracy(benchmark, estimator, divergence, scenario,
                                  sizes=default_sizes if sizes is None else sizes,
                                  seeds=default_seeds if seeds is None else seeds)

    return run
