"""Suite-wide pytest configuration: Hypothesis profiles.

The ``"ci"`` profile (derandomized, fixed number of examples, no deadline) is loaded unless the
``HYPOTHESIS_PROFILE`` environment variable names another registered profile (e.g. ``dev``).
"""

import os

from hypothesis import settings

from divergence_verify.verify.strategies import register_profiles

register_profiles()
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
