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

Claims
------
Several processes, or machines on a shared filesystem, may share one cache. So that none of them
computes a run another is already computing, a process first **claims** the run's key
(:meth:`Cache.claim`): it creates ``<key>.claim`` next to where the record will be, with
``O_CREAT | O_EXCL`` (atomic on local filesystems and on NFSv3 and later), holding the claimant's
``owner`` token (one per :class:`Cache` instance), host name, process id and time. Only one
creation succeeds; the others are told the run is taken. :meth:`Cache.put` stores the record and
then releases the claim, so a process waiting on the key sees the claim or the record, never
neither.

A claim expires, so the claim of a crashed process does not block its run for ever. It is
**stale** when its file was last modified more than ``ttl`` seconds ago (:data:`CLAIM_TTL`, 120 s
by default; a long run keeps its claims fresh with :meth:`Cache.refresh`), or when it was made on
this host by a process that no longer exists. A stale claim is taken over by moving it to a
unique name (of the racers, only one move succeeds), checking that the file moved is the one found
stale (not a fresh claim another racer made meanwhile, which is put back), deleting it and
creating a new claim. Claims make duplicate work unlikely, not impossible (clocks of machines on
a shared filesystem may disagree, and a racer may be slow); a run computed twice is only wasted
time, because every record is written atomically.

Maintenance
-----------
The cache owns only the files of its own naming inside its two-hex-digit shard folders
(``root/ab/``): records ``<key>.json``, corrupt records ``<key>.json.corrupt``, claims
``<key>.claim`` and the temporary files that an interrupted atomic write leaves behind
(:func:`~divergence_verify.verify.jsonio.write_bytes_atomic` names them ``.<name>.<random>.tmp``).
:meth:`Cache.info` counts them (:class:`CacheInfo`), :meth:`Cache.prune` deletes what is no longer
useful (corrupt records, stale claims, old temporary files and, if asked, old records) and
:meth:`Cache.clear` deletes them all. Any other file in the folder is left alone.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import socket
import stat
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from divergence_verify.verify.jsonio import dumps, encode, loads, write_json_atomic

CHECKSUM_FIELD = "checksum"
"""The field of a cache record that holds :func:`record_checksum` of the rest."""

CORRUPT_SUFFIX = ".corrupt"
"""Appended to the name of a corrupt record when it is moved aside."""

CLAIM_SUFFIX = ".claim"
"""The suffix of a claim file: ``<key>.claim``, in the shard folder of the key's record."""

CLAIM_TTL: float = 120.0
"""Seconds after its file was last modified that a claim expires (is stale), by default.

A claim also expires when the process that made it, on this host, no longer exists. A process
that computes one run for longer than this keeps its claim with :meth:`Cache.refresh`.
"""

_SHARD = re.compile(r"[0-9a-f]{2}")
# The cache's own files in a shard folder, by the key they belong to (which starts with the
# folder's name): a record, a corrupt record moved aside, a claim.
_OWN_FILE = re.compile(r"(?P<key>[0-9a-f]{2,})(?P<suffix>\.json|\.json\.corrupt|\.claim)")
# A temporary file: jsonio.write_bytes_atomic's ``tempfile.mkstemp(prefix=f".{name}.",
# suffix=".tmp")`` of a record (its random part is letters, digits and underscores), or a claim
# moved aside to be deleted (see _remove_claim), named likewise.
_TEMPORARY_FILE = re.compile(r"\.(?P<key>[0-9a-f]{2,})\.(?:json|claim)\.[a-z0-9_]+\.tmp")
_KINDS = {".json": "record", ".json" + CORRUPT_SUFFIX: "corrupt", CLAIM_SUFFIX: "claim"}

_T = TypeVar("_T")


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


@dataclass(frozen=True)
class CacheInfo:
    """What a cache folder holds (:meth:`Cache.info`).

    Attributes
    ----------
    root : str
        The cache folder.
    records : int
        Records (``<key>.json``).
    bytes : int
        The size of all the cache's files (every kind counted here): what :meth:`Cache.clear`
        would free.
    corrupt : int
        Corrupt records moved aside (``<key>.json.corrupt``).
    live_claims : int
        Claims that have not expired: runs being computed now.
    stale_claims : int
        Expired claims (:data:`CLAIM_TTL`), left by processes that stopped.
    temporary : int
        Temporary files of interrupted atomic writes.
    """

    root: str
    records: int
    bytes: int
    corrupt: int
    live_claims: int
    stale_claims: int
    temporary: int

    def lines(self) -> list[str]:
        """Return a human-readable summary, one fact a line (the size also in MiB).

        Returns
        -------
        list of str
        """
        return [
            f"cache folder: {self.root}",
            f"records: {self.records}",
            f"size: {self.bytes} bytes ({self.bytes / 2**20:.2f} MiB)",
            f"corrupt records: {self.corrupt}",
            f"live claims: {self.live_claims}",
            f"stale claims: {self.stale_claims}",
            f"temporary files: {self.temporary}",
        ]


@dataclass(frozen=True)
class _Claim:
    """A claim file as read: its identity, to tell it from a later file, and what it says."""

    identity: tuple[int, int, int, int, bytes]  # device, inode, mtime (ns), size, content
    mtime: float
    owner: str | None  # None: unreadable or garbled (perhaps still being written)
    host: str | None
    pid: int | None

    def stale(self, ttl: float, now: float | None = None) -> bool:
        """Whether the claim has expired: older than ``ttl``, or its process on this host gone."""
        if (time.time() if now is None else now) - self.mtime > ttl:
            return True
        return (self.host == socket.gethostname() and self.pid is not None
                and not _pid_alive(self.pid))


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host exists (True when that cannot be told)."""
    if os.name == "nt":  # there os.kill(pid, 0) would end the process, not probe it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, but belongs to another user
        return True
    except (OSError, OverflowError):  # cannot tell: the claim still expires by its age
        return True
    return True


def _read_claim(path: Path) -> _Claim | None:
    """Read the claim file ``path``; None if there is none."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError:  # unreadable: judged by its age alone
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        data = b""
    else:
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            try:
                data = fh.read(1 << 16)
            except OSError:
                data = b""
    owner = host = pid = None
    try:
        found = json.loads(data.decode("utf-8"))
    except ValueError:  # garbled, or still being written
        found = None
    if (isinstance(found, dict) and isinstance(found.get("owner"), str)
            and isinstance(found.get("host"), str)):
        owner, host, pid = found["owner"], found["host"], found.get("pid")
        if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
            pid = None  # never os.kill(0) or a negative pid (a process group)
    identity = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size, data)
    return _Claim(identity, st.st_mtime, owner, host, pid)


def _remove_claim(path: Path, found: _Claim) -> bool:
    """Delete the claim file ``path`` if it is still the one ``found``; True if this call did.

    It is moved to a unique name first: of several processes removing it, one move succeeds. A
    file moved that is not the one found (another process made a fresh claim meanwhile) is put
    back.
    """
    again = _read_claim(path)
    if again is None or again.identity != found.identity:
        return False  # gone, refreshed or replaced since it was read
    aside = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return False  # another process moved it first
    moved = _read_claim(aside)
    if moved is not None and moved.identity != found.identity:
        _put_back(aside, path)
        return False
    aside.unlink(missing_ok=True)
    return True


def _put_back(aside: Path, path: Path) -> None:
    """Move the claim ``aside`` back to ``path``, unless a claim has been made there since."""
    try:
        os.link(aside, path)  # fails, rather than replacing, if there is a claim at path
    except FileExistsError:
        pass
    except OSError:  # no hard links on this filesystem
        if not path.exists():
            os.replace(aside, path)
            return
    aside.unlink(missing_ok=True)


def _touch(path: Path) -> bool:
    """Set the modification time of ``path`` to now; False if it does not exist."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def _unlink(path: Path) -> bool:
    """Delete ``path``; False if it was already gone."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _in_folder(path: Path, write: Callable[[], _T]) -> _T:
    """Create the folder of ``path`` and call ``write``; again if the folder vanished meanwhile.

    A concurrent :meth:`Cache.prune` or :meth:`Cache.clear` removes empty shard folders.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return write()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return write()


def _check_non_negative(name: str, value: float) -> None:
    if not value >= 0:  # NaN too
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")


def _kind(shard: str, name: str) -> str | None:
    """The kind of the cache's file ``name`` in the folder ``shard``; None for a foreign file."""
    own = _OWN_FILE.fullmatch(name)
    if own is not None and own["key"][:2] == shard:
        return _KINDS[own["suffix"]]
    temporary = _TEMPORARY_FILE.fullmatch(name)
    if temporary is not None and temporary["key"][:2] == shard:
        return "temporary"
    return None


class Cache:
    """A folder of cached records, shared safely by several processes.

    Parameters
    ----------
    root : str or Path
        The folder (created on first write).

    Attributes
    ----------
    root : Path
        The folder.
    owner : str
        This instance's claim token (a random UUID, hex): the claims it holds carry it.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.owner = uuid.uuid4().hex

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def _claim_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{CLAIM_SUFFIX}"
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
        """Store ``record`` under ``key`` atomically, with its checksum; release the key's claim.

        The record is written first, then this instance's claim on ``key`` (if it holds one) is
        released, so a process waiting on the key sees the claim or the record, never neither.
        """
        path = self._path(key)
        body = {k: v for k, v in record.items() if k != CHECKSUM_FIELD}
        data = {**body, CHECKSUM_FIELD: record_checksum(body)}
        _in_folder(path, lambda: write_json_atomic(path, data))
        self.release(key)

    def claim(self, key: str, ttl: float = CLAIM_TTL) -> bool:
        """Claim the run of ``key`` for this instance, so that no other process computes it.

        Parameters
        ----------
        key : str
            The record's key (:func:`record_key`).
        ttl : float, default CLAIM_TTL
            Seconds after which another owner's claim that has not been refreshed is stale
            (module docstring): it is taken over.

        Returns
        -------
        bool
            True if this instance now holds the claim (also if it held it already: the claim is
            then refreshed), False if another owner holds a live one.

        Raises
        ------
        ValueError
            If ``ttl`` is negative or NaN.
        """
        _check_non_negative("ttl", ttl)
        path = self._claim_path(key)
        if self._create_claim(path):
            return True
        found = _read_claim(path)
        if found is None:  # released between the two calls
            return self._create_claim(path)
        if found.owner == self.owner:
            return _touch(path) or self._create_claim(path)
        if not found.stale(ttl):
            return False
        _remove_claim(path, found)  # if another racer removed it instead, one creation wins
        return self._create_claim(path)

    def _create_claim(self, path: Path) -> bool:
        """Create the claim file ``path`` for this instance; False if it exists."""
        body = dumps({"owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(),
                      "time": time.time()}).encode("utf-8")

        def create() -> bool:
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                return False
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(body)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return True

        return _in_folder(path, create)

    def release(self, key: str) -> None:
        """Release this instance's claim on ``key``; nothing happens if it holds none.

        Parameters
        ----------
        key : str
            The record's key.
        """
        path = self._claim_path(key)
        found = _read_claim(path)
        if found is not None and found.owner == self.owner:
            _remove_claim(path, found)

    def refresh(self, keys: Iterable[str]) -> None:
        """Keep this instance's claims on ``keys`` live: a heartbeat, for runs longer than ttl.

        Each claim file this instance owns has its modification time set to now; keys it holds
        no claim on are passed over.

        Parameters
        ----------
        keys : iterable of str
            The keys of the runs being computed.
        """
        for key in keys:
            path = self._claim_path(key)
            found = _read_claim(path)
            if found is not None and found.owner == self.owner:
                _touch(path)

    def claimed_by_other(self, key: str, ttl: float = CLAIM_TTL) -> bool:
        """Whether another owner holds a live claim on ``key`` (its run is being computed).

        Parameters
        ----------
        key : str
            The record's key.
        ttl : float, default CLAIM_TTL
            Seconds after which a claim not refreshed is stale, so not counted.

        Returns
        -------
        bool

        Raises
        ------
        ValueError
            If ``ttl`` is negative or NaN.
        """
        _check_non_negative("ttl", ttl)
        found = _read_claim(self._claim_path(key))
        return found is not None and found.owner != self.owner and not found.stale(ttl)

    def _shards(self) -> list[Path]:
        """The shard folders (two lowercase hex digits) in the root; none if it is missing."""
        try:
            with os.scandir(self.root) as entries:
                return sorted(Path(entry.path) for entry in entries if _SHARD.fullmatch(entry.name)
                              and entry.is_dir(follow_symlinks=False))
        except FileNotFoundError:
            return []

    def _files(self) -> Iterator[tuple[str, Path, os.stat_result]]:
        """Yield ``(kind, path, stat)`` for each file of the cache's own naming."""
        for shard in self._shards():
            try:
                with os.scandir(shard) as found:
                    entries = sorted(found, key=lambda entry: entry.name)
            except (FileNotFoundError, NotADirectoryError):  # removed meanwhile
                continue
            for entry in entries:
                kind = _kind(shard.name, entry.name)
                if kind is None:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    yield kind, Path(entry.path), st

    def _remove_empty_shards(self) -> None:
        for shard in self._shards():
            try:
                shard.rmdir()
            except OSError:  # not empty
                pass

    def info(self, ttl: float = CLAIM_TTL) -> CacheInfo:
        """Count the cache's files by kind (a missing folder is an empty cache).

        Parameters
        ----------
        ttl : float, default CLAIM_TTL
            Seconds after which a claim not refreshed is stale.

        Returns
        -------
        CacheInfo

        Raises
        ------
        ValueError
            If ``ttl`` is negative or NaN.
        """
        _check_non_negative("ttl", ttl)
        now = time.time()
        counts = dict.fromkeys(("record", "corrupt", "live", "stale", "temporary"), 0)
        size = 0
        for kind, path, st in self._files():
            if kind == "claim":
                found = _read_claim(path)
                if found is None:
                    continue
                kind = "stale" if found.stale(ttl, now) else "live"
            counts[kind] += 1
            size += st.st_size
        return CacheInfo(root=str(self.root), records=counts["record"], bytes=size,
                         corrupt=counts["corrupt"], live_claims=counts["live"],
                         stale_claims=counts["stale"], temporary=counts["temporary"])

    def prune(self, older_than_days: float | None = None, ttl: float = CLAIM_TTL) -> dict[str, int]:
        """Delete what the cache no longer needs; live claims and foreign files are kept.

        Deleted: corrupt records, stale claims, temporary files older than ``ttl`` (younger ones
        may belong to a write in progress) and, if ``older_than_days`` is given, the records last
        written longer ago than that. Shard folders left empty are removed.

        Parameters
        ----------
        older_than_days : float, optional
            Also delete the records whose modification time is older than this many days.
        ttl : float, default CLAIM_TTL
            Seconds after which a claim not refreshed is stale, and a temporary file abandoned.

        Returns
        -------
        dict of str to int
            How many files of each kind were deleted: ``"corrupt"``, ``"stale_claims"``,
            ``"temporary"``, ``"records"``.

        Raises
        ------
        ValueError
            If ``older_than_days`` or ``ttl`` is negative or NaN.
        """
        _check_non_negative("ttl", ttl)
        if older_than_days is not None:
            _check_non_negative("older_than_days", older_than_days)
        now = time.time()
        cutoff = None if older_than_days is None else now - older_than_days * 86400.0
        removed = dict.fromkeys(("corrupt", "stale_claims", "temporary", "records"), 0)
        for kind, path, st in self._files():
            if kind == "corrupt":
                removed["corrupt"] += _unlink(path)
            elif kind == "claim":
                found = _read_claim(path)
                if found is not None and found.stale(ttl, now):
                    removed["stale_claims"] += _remove_claim(path, found)
            elif kind == "temporary":
                if now - st.st_mtime > ttl:
                    removed["temporary"] += _unlink(path)
            elif cutoff is not None and st.st_mtime < cutoff:
                removed["records"] += _unlink(path)
        self._remove_empty_shards()
        return removed

    def clear(self) -> int:
        """Delete every file of the cache: records, claims, corrupt and temporary files.

        Only files of the cache's own naming in its shard folders are deleted (module
        docstring): anything else kept in the folder is left alone. Shard folders left empty are
        removed, and the folder itself if it is then empty.

        Returns
        -------
        int
            How many files were deleted.
        """
        removed = sum(_unlink(path) for _, path, _ in self._files())
        self._remove_empty_shards()
        try:
            self.root.rmdir()
        except OSError:  # missing, or holds files of others
            pass
        return removed

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
