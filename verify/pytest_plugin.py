"""pytest plugin: certify an estimator from a test in a few lines.

Registered through the ``pytest11`` entry point, so it is active wherever this package is
installed. It provides the fixture ``certify_estimator`` and the command-line option
``--verify-cache``::

    def test_my_kl_estimator(certify_estimator):
        certify_estimator(my_estimator, "kl", scenarios=["gauss2d-kl0.5"])

The fixture runs :func:`verify.certify`; when the estimator is not certified the test
fails with the certificate's table as its message, and the certificate's JSON is attached to the
test report's ``user_properties`` (so ``--junitxml`` carries it). Outside a fixture,
:func:`assert_certified` does the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from divergence_verify.verify.certificates import Certificate


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--verify-cache``: a folder where certification runs are cached between sessions."""
    group = parser.getgroup("divergence-verify")
    group.addoption("--verify-cache", default=None,
                    help="cache certification runs in this folder (default: no cache)")


def assert_certified(
    estimator: Any, divergence: str, request: pytest.FixtureRequest | None = None, **kwargs: Any
) -> Certificate:
    """Certify ``estimator`` (see :func:`verify.certify` for the keywords).

    Returns the certificate when certified; otherwise fails the current test with its table.
    With ``request``, the certificate's JSON is attached to the test's ``user_properties``.
    """
    from divergence_verify.verify.certificates import certify

    cert = certify(estimator, divergence, **kwargs)
    if request is not None:
        request.node.user_properties.append(("certificate", cert.to_json(indent=None)))
    if not cert.passed:
        pytest.fail(cert.table(), pytrace=False)
    return cert


@pytest.fixture
def certify_estimator(request: pytest.FixtureRequest) -> Callable[..., Certificate]:
    """Return ``certify_estimator(estimator, divergence, **certify_kwargs) -> Certificate``.

    The test fails with the certificate's table when the estimator is not certified; runs are
    cached in ``--verify-cache`` when given.
    """
    cache = request.config.getoption("--verify-cache")

    def run(estimator: Any, divergence: str, **kwargs: Any) -> Certificate:
        kwargs.setdefault("cache", cache)
        return assert_certified(estimator, divergence, request, **kwargs)

    return run
