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
    from verify.certificates import Certificate


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--verify-cache``: a folder where certification runs are cached between sessions."""
    group = parser.getgroup("divergence-verify")
    group.addoption("--verify-cache", default=None,
                    help="cache certification runs in this folder (default: no cache)")


def assert_certified(estimator: Any, divergence: str, **kwargs: Any) -> Certificate:
    """Certify ``estimator`` (see :func:`verify.certify` for the keywords).

    Returns the certificate when certified; otherwise fails the current test with its table.
    """
    from verify.certificates import certify

    cert = certify(estimator, divergence, **kwargs)
    if not cert.passed:
        pytest.fail(cert.table(), pytrace=False)
    return cert


@pytest.fixture
def certify_estimator(request: pytest.FixtureRequest) -> Callable[..., Certificate]:
    """Return ``certify_estimator(estimator, divergence, **certify_kwargs) -> Certificate``.

    The test fails with the certificate's table when the estimator is not certified.
    """
    cache = request.config.getoption("--verify-cache")

    def run(estimator: Any, divergence: str, **kwargs: Any) -> Certificate:
        from verify.certificates import certify

        kwargs.setdefault("cache", cache)
        cert = certify(estimator, divergence, **kwargs)
        request.node.user_properties.append(("certificate", cert.to_json(indent=None)))
        if not cert.passed:
            pytest.fail(cert.table(), pytrace=False)
        return cert

    return run
