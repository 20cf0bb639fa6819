"""On-disk cache of single estimates, written atomically, so an interrupted sweep resumes.

One JSON file per (estimator configuration, scenario, divergence, sample size, seed, library
versions), named by the SHA-256 of that key, written atomically under the suite's JSON policy
(:mod:`divergence_verify.verify.jsonio`): a crash leaves either the old state or the complete new
file, never half a record.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from divergence_verify.verify.jsonio import read_json, write_json_atomic


def library_versions() -> dict[str, str]:
    """Versions that can change an estimate: this package, numpy, scipy, torch, POT.

    This package is also identified by a hash of its source (``divergence-verify-source``):
    its version number does not change while a checkout is being edited, and a cached run must
    not outlive the code of the estimator or scenario that produced it.
    """
    from importlib import metadata

    out = {}
    for dist in ("divergence-verify", "numpy", "scipy", "torch", "pot"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    out["divergence-verify-source"] = suite_source_sha256()
    return out


@functools.lru_cache(maxsize=1)
def suite_source_sha256() -> str:
    """SHA-256 (first 16 hex digits) of the Python sources of reference, estimators, verify."""
    import importlib.util

    digest = hashlib.sha256()
    for package in ("reference", "estimators", "verify"):
        # The folder of each layer, found without importing it (checkout or installed wheel).
        spec = importlib.util.find_spec(f"divergence_verify.{package}")
        assert spec is not None and spec.submodule_search_locations is not None
        folder = Path(next(iter(spec.submodule_search_locations)))
        for path in sorted(folder.rglob("*.py")):
            digest.update(f"{package}/{path.relative_to(folder).as_posix()}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def record_key(fields: dict[str, Any]) -> str:
    """Return the SHA-256 hex digest of ``fields`` serialised canonically (sorted keys)."""
    blob = json.dumps(fields, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class Cache:
    """A folder of cached records.

    Parameters
    ----------
    root : str or Path
        The folder (created on first write).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """Return the record stored under ``key``, or None (also for an unreadable file)."""
        path = self._path(key)
        try:
            found = read_json(path)
        except (FileNotFoundError, ValueError):  # ValueError: malformed or not strict JSON
            return None
        return found if isinstance(found, dict) else None

    def put(self, key: str, record: dict[str, Any]) -> None:
        """Store ``record`` under ``key`` atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, record)
