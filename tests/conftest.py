"""Suite-wide pytest configuration: Hypothesis profiles, and one worker per command.

The ``"ci"`` profile (derandomized, fixed number of examples, no deadline) is loaded unless the
``HYPOTHESIS_PROFILE`` environment variable names another registered profile (e.g. ``dev``).

The commands' default ``--workers`` is one process per core; the many small commands the tests
run would each start a pool, so they run in process (``DIVERGENCE_VERIFY_WORKERS=1``) unless a
test asks for workers, as the executor tests do.

Certificates draw a fresh random seed base by default; the suite fixes it
(``DIVERGENCE_VERIFY_SEED_BASE=0``) so that every certificate a test makes is reproducible. The
tests of fresh randomness itself unset it (``tests/verify/test_adversaries.py``).
"""

import os

os.environ.setdefault("DIVERGENCE_VERIFY_WORKERS", "1")
os.environ.setdefault("DIVERGENCE_VERIFY_SEED_BASE", "0")

from hypothesis import settings

from divergence_verify.verify.strategies import register_profiles

register_profiles()
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
