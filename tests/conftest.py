"""Suite-wide pytest configuration: Hypothesis profiles.

The ``"ci"`` profile (derandomized, fixed number of examples, no deadline) is loaded unless the
``HYPOTHESIS_PROFILE`` environment variable names another registered profile (e.g. ``dev``).
"""

import os

from divergence_verify.verify.strategies import register_profiles
from hypothesis import settings

register_profiles()
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
