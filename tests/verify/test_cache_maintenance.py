"""Cache maintenance: info counts each kind of file, prune and clear delete only the cache's own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from divergence_verify.verify.cache import CLAIM_SUFFIX, CORRUPT_SUFFIX, Cache, CacheInfo

DAY = 86400.0
NEW, OLD = "a1" * 32, "a2" * 32  # two records of one shard
OTHER = "b3" * 32  # a record of another shard
LIVE, STALE = "c4" * 32, "d5" * 32  # claims
BROKEN = "e6" * 32  # a corrupt record, alone in its shard


def _age(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def _interrupted_write(root: Path, key: str) -> Path:
    """A record write killed between its temporary file and the move: jsonio's own leftover."""
    code = ("import os, sys\n"
            "from divergence_verify.verify.cache import Cache\n"
            "os.replace = lambda *args: os._exit(3)  # the process dies before the move\n"
            "Cache(sys.argv[1]).put(sys.argv[2], {'estimate': 1.0})\n")
    done = subprocess.run([sys.executable, "-c", code, str(root), key], check=False)
    assert done.returncode == 3
    (leftover,) = (root / key[:2]).glob(".*.tmp")
    return leftover


def _foreign(root: Path) -> list[Path]:
    """Files a user keeps in the cache folder, named unlike the cache's."""
    files = [root / "notes.txt", root / "a1" / "README", root / "a1" / f"{NEW}.JSON",
             root / "a1" / f"{OTHER}.json", root / "zz" / f"{'zz' * 32}.json",
             root / "ff" / "keep.claim", root / "a1" / f"{NEW}.json~"]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("mine")
    return files


def _populate(root: Path) -> dict[str, Path]:
    """A cache with a file of each kind, the old ones aged."""
    store, other = Cache(root), Cache(root)
    for key in (NEW, OLD, OTHER, BROKEN):
        store.put(key, {"estimate": 1.0})
    _age(root / "a2" / f"{OLD}.json", 40 * DAY)
    broken = root / "e6" / f"{BROKEN}.json"
    broken.write_text("[]")
    with pytest.warns(UserWarning, match="corrupt"):
        assert store.get(BROKEN) is None  # moved aside
    assert other.claim(LIVE)
    assert other.claim(STALE)
    paths = {
        "live": root / "c4" / f"{LIVE}{CLAIM_SUFFIX}",
        "stale": _age(root / "d5" / f"{STALE}{CLAIM_SUFFIX}", 600.0),
        "corrupt": root / "e6" / f"{BROKEN}.json{CORRUPT_SUFFIX}",
        "old temporary": _age(_interrupted_write(root, NEW), 600.0),
        "new temporary": _interrupted_write(root, OTHER),
    }
    assert all(path.is_file() for path in paths.values())
    return paths


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_info_counts_each_kind(tmp_path: Path) -> None:
    paths = _populate(tmp_path)
    _foreign(tmp_path)
    info = Cache(tmp_path).info(ttl=60.0)
    own = [tmp_path / "a1" / f"{NEW}.json", tmp_path / "a2" / f"{OLD}.json",
           tmp_path / "b3" / f"{OTHER}.json", *paths.values()]
    size = sum(path.stat().st_size for path in own)
    assert info == CacheInfo(root=str(tmp_path), records=3, bytes=size, corrupt=1, live_claims=1,
                             stale_claims=1, temporary=2)
    assert Cache(tmp_path).info(ttl=1000.0).stale_claims == 0


def test_info_lines_give_one_fact_each() -> None:
    info = CacheInfo(root="/c", records=3, bytes=3 * 2**20, corrupt=1, live_claims=2,
                     stale_claims=4, temporary=5)
    assert info.lines() == ["cache folder: /c", "records: 3",
                            f"size: {3 * 2**20} bytes (3.00 MiB)", "corrupt records: 1",
                            "live claims: 2", "stale claims: 4", "temporary files: 5"]


def test_prune_removes_exactly_what_is_no_longer_needed(tmp_path: Path) -> None:
    paths = _populate(tmp_path)
    foreign = _foreign(tmp_path)
    before = _files(tmp_path)
    store = Cache(tmp_path)
    assert store.prune(ttl=60.0) == {"corrupt": 1, "stale_claims": 1, "temporary": 1,
                                     "records": 0}
    gone = {p.relative_to(tmp_path).as_posix()
            for p in (paths["corrupt"], paths["stale"], paths["old temporary"])}
    assert _files(tmp_path) == before - gone
    assert not (tmp_path / "d5").exists() and not (tmp_path / "e6").exists()  # emptied
    assert store.prune(older_than_days=30.0, ttl=60.0) == {
        "corrupt": 0, "stale_claims": 0, "temporary": 0, "records": 1}
    assert not (tmp_path / "a2").exists()
    assert paths["live"].is_file() and paths["new temporary"].is_file()
    assert all(path.read_text() == "mine" for path in foreign)
    assert store.get(NEW) == {"estimate": 1.0} and store.get(OTHER) == {"estimate": 1.0}
    assert Cache(tmp_path).claimed_by_other(LIVE)


def test_prune_keeps_a_young_record_and_a_refreshed_claim(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    store.put(NEW, {"estimate": 1.0})
    _age(tmp_path / "a1" / f"{NEW}.json", 2 * DAY)
    assert store.claim(LIVE)
    _age(tmp_path / "c4" / f"{LIVE}{CLAIM_SUFFIX}", 600.0)
    store.refresh([LIVE])
    assert store.prune(older_than_days=3.0, ttl=60.0) == dict.fromkeys(
        ("corrupt", "stale_claims", "temporary", "records"), 0)
    assert store.get(NEW) is not None and (tmp_path / "c4" / f"{LIVE}{CLAIM_SUFFIX}").exists()
    assert store.prune(older_than_days=0.0)["records"] == 1


def test_clear_removes_every_cache_file_and_leaves_foreign_ones(tmp_path: Path) -> None:
    _populate(tmp_path)
    foreign = _foreign(tmp_path)
    assert Cache(tmp_path).clear() == 8  # 3 records, 1 corrupt, 2 claims (live too), 2 temporary
    assert _files(tmp_path) == {p.relative_to(tmp_path).as_posix() for p in foreign}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a1", "ff", "notes.txt", "zz"]
    assert Cache(tmp_path).info() == CacheInfo(str(tmp_path), 0, 0, 0, 0, 0, 0)


def test_clear_removes_a_folder_left_empty(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    _populate(root)
    assert Cache(root).clear() == 8
    assert not root.exists()
    store = Cache(root)
    store.put(NEW, {"estimate": 2.0})  # usable again afterwards
    assert store.get(NEW) == {"estimate": 2.0}


def test_a_missing_folder_is_an_empty_cache(tmp_path: Path) -> None:
    root = tmp_path / "never-written"
    store = Cache(root)
    assert store.info() == CacheInfo(str(root), 0, 0, 0, 0, 0, 0)
    assert store.prune(older_than_days=1.0) == dict.fromkeys(
        ("corrupt", "stale_claims", "temporary", "records"), 0)
    assert store.clear() == 0
    assert not root.exists()


@pytest.mark.parametrize("days", [-1.0, float("nan")])
def test_prune_refuses_a_negative_age(tmp_path: Path, days: float) -> None:
    with pytest.raises(ValueError, match="older_than_days"):
        Cache(tmp_path).prune(older_than_days=days)


def test_an_interrupted_write_leaves_a_temporary_file_the_cache_knows(tmp_path: Path) -> None:
    leftover = _interrupted_write(tmp_path, NEW)
    assert leftover.name.startswith(f".{NEW}.json.") and leftover.name.endswith(".tmp")
    store = Cache(tmp_path)
    assert store.get(NEW) is None and store.info().temporary == 1
    assert store.prune()["temporary"] == 0  # young: perhaps a write in progress
    assert store.prune(ttl=0.0)["temporary"] == 1
    assert _files(tmp_path) == set() and not (tmp_path / NEW[:2]).exists()
