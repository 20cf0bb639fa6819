"""On-disk cache of single estimates, written atomically, so an interrupted sweep resumes.

One JSON file per (estimator configuration, scenario, divergence, sample size, seed, library
versions), named by the SHA-256 of that key, written atomically under the suite's JSON policy
(:mod:`divergence_verify.verify.jsonio`): a crash leaves either the old state or the complete new
file, never half a record.

Each record carries a ``checksum``: the SHA-256 of its canonical JSON (sorted keys, no spaces,
the policy's encoding) without that field. :meth:`Cache.get` treats a record that fails any
check as a miss, so the run is recomputed and the rerun completes:

* not UTF-8, not strict JSON, not a JSON object, or (with ``check``) not a valid record: a
  **corrupt** record. It is named in one warning line (:class:`CorruptCacheRecordWarning`, with
  the file's path) and moved aside to ``<name>.corrupt``, where it can be inspected;
* a checksum that does not match (an edited estimate, a damaged file): corrupt, likewise;
* a record with an ``estimate`` but no checksum, written before checksums existed: a silent
  miss. It is recomputed and overwritten with a checksummed record.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from divergence_verify.verify.jsonio import encode, loads, write_json_atomic

CHECKSUM_FIELD = "checksum"
"""The field of a cache record that holds :func:`record_checksum` of the rest."""

CORRUPT_SUFFIX = ".corrupt"
"""Appended to the name of a corrupt record when it is moved aside."""


class CorruptCacheRecordWarning(UserWarning):
    """A cache record could not be trusted: it was moved aside and its run is recomputed."""


def record_checksum(record: dict[str, Any]) -> str:
    """Return the SHA-256 hex digest of ``record``'s canonical strict JSON, less its checksum.

    Canonical: keys sorted, no spaces, non-finite numbers encoded by the JSON policy. A record
    read back from its file therefore hashes to the same digest as the one that was written.
    """
    body = {k: v for k, v in encode(record).items() if k != CHECKSUM_FIELD}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


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

    def get(
        self, key: str, check: Callable[[dict[str, Any]], object] | None = None
    ) -> dict[str, Any] | None:
        """Return the record stored under ``key`` (without its checksum), or None for a miss.

        Parameters
        ----------
        key : str
            The record's key (:func:`record_key`).
        check : callable, optional
            Called on the record; if it raises ValueError, TypeError or KeyError the record is
            corrupt (a sweep checks that it decodes to a run with a numeric estimate).

        A missing file is a miss; a corrupt one is a miss that is warned about and moved aside;
        a checksum-less record of an older version is a silent miss (module docstring).
        """
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            found = loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            return self._corrupt(path, "not UTF-8 text")
        except ValueError as exc:  # malformed, or not strict JSON (a bare NaN)
            return self._corrupt(path, f"not strict JSON: {exc}")
        if not isinstance(found, dict):
            return self._corrupt(path, f"a JSON {type(found).__name__}, not a record object")
        stored = found.pop(CHECKSUM_FIELD, None)
        if stored is None:
            if "estimate" in found:
                return None  # written before checksums: recomputed and overwritten
            return self._corrupt(path, "no checksum and no estimate: not a record")
        if stored != record_checksum(found):
            return self._corrupt(path, "checksum mismatch: edited or damaged")
        if check is not None:
            try:
                check(found)
            except (ValueError, TypeError, KeyError) as exc:
                return self._corrupt(path, f"not a valid record: {type(exc).__name__}: {exc}")
        return found

    def put(self, key: str, record: dict[str, Any]) -> None:
        """Store ``record`` under ``key`` atomically, with its checksum."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {k: v for k, v in record.items() if k != CHECKSUM_FIELD}
        write_json_atomic(path, {**body, CHECKSUM_FIELD: record_checksum(body)})

    def _corrupt(self, path: Path, reason: str) -> None:
        """Move a corrupt record aside to ``<name>.corrupt`` and warn once, naming it."""
        aside = path.with_name(path.name + CORRUPT_SUFFIX)
        try:
            os.replace(path, aside)
            where = f"moved to {aside.name}"
        except OSError as exc:  # a read-only cache: the record stays, and is recomputed
            where = f"could not be moved aside ({exc.strerror})"
        warnings.warn(
            f"cache record {path} is corrupt ({reason}); {where}; its run is recomputed",
            CorruptCacheRecordWarning,
            stacklevel=3,
        )
        return None
