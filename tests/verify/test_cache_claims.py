"""Cache claims: processes sharing one cache never compute a run twice; dead claims expire."""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from divergence_verify.verify import cache as cache_module
from divergence_verify.verify.cache import CLAIM_SUFFIX, CLAIM_TTL, Cache

KEY = "ab" * 32


def _claim_file(root: Path, key: str = KEY) -> Path:
    return root / key[:2] / f"{key}{CLAIM_SUFFIX}"


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _write_claim(root: Path, key: str = KEY, **fields: object) -> Path:
    """A claim file made by someone else (by default: another host, a live claim)."""
    path = _claim_file(root, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    claim = {"owner": "someone-else", "host": "elsewhere.invalid", "pid": 12345,
             "time": time.time(), **fields}
    path.write_text(json.dumps(claim))
    return path


def _owner(path: Path) -> str:
    return json.loads(path.read_text())["owner"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the pid no longer exists
    return child.pid


def test_the_claim_ttl_is_two_minutes() -> None:
    assert CLAIM_TTL == 120.0


def test_a_second_instance_is_refused_while_the_first_holds_the_claim(tmp_path: Path) -> None:
    first, second = Cache(tmp_path), Cache(tmp_path)
    assert first.owner != second.owner and len(first.owner) == 32
    assert first.claim(KEY)
    assert first.claim(KEY)  # held already: still True
    assert not second.claim(KEY)
    assert second.claimed_by_other(KEY) and not first.claimed_by_other(KEY)
    claim = json.loads(_claim_file(tmp_path).read_text())
    assert claim["owner"] == first.owner
    assert claim["host"] == socket.gethostname() and claim["pid"] == os.getpid()
    assert abs(claim["time"] - time.time()) < 60
    assert second.claim("cd" * 32)  # other keys are free


def test_release_by_a_non_owner_does_nothing(tmp_path: Path) -> None:
    first, second = Cache(tmp_path), Cache(tmp_path)
    assert first.claim(KEY)
    second.release(KEY)
    assert _owner(_claim_file(tmp_path)) == first.owner
    first.release(KEY)
    assert not _claim_file(tmp_path).exists()
    first.release(KEY)  # absent: no error
    second.release("ef" * 32)  # never claimed, shard folder missing: no error
    assert second.claim(KEY)


def test_a_claim_older_than_the_ttl_is_taken_over(tmp_path: Path) -> None:
    first, second = Cache(tmp_path), Cache(tmp_path)
    assert first.claim(KEY)
    _age(_claim_file(tmp_path), 10.0)
    assert second.claimed_by_other(KEY, ttl=60.0)
    assert not second.claimed_by_other(KEY, ttl=5.0)
    assert not second.claim(KEY, ttl=60.0)
    assert second.claim(KEY, ttl=5.0)
    assert _owner(_claim_file(tmp_path)) == second.owner
    first.release(KEY)  # no longer its claim: nothing happens
    assert _owner(_claim_file(tmp_path)) == second.owner
    assert first.claimed_by_other(KEY, ttl=5.0)
    assert [p.name for p in _claim_file(tmp_path).parent.iterdir()] == [f"{KEY}{CLAIM_SUFFIX}"]


def test_a_fresh_claim_of_a_dead_process_on_this_host_is_taken_over(tmp_path: Path) -> None:
    path = _write_claim(tmp_path, host=socket.gethostname(), pid=_dead_pid())
    store = Cache(tmp_path)
    assert not store.claimed_by_other(KEY)
    assert store.claim(KEY)
    assert _owner(path) == store.owner


def test_a_claim_of_a_live_process_or_of_another_host_is_not_taken_over(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    _write_claim(tmp_path, host=socket.gethostname(), pid=os.getpid())  # another instance here
    assert not store.claim(KEY) and store.claimed_by_other(KEY)
    other = "cd" * 32
    _write_claim(tmp_path, other, pid=_dead_pid())  # pids of other hosts say nothing here
    assert not store.claim(other) and store.claimed_by_other(other)


@pytest.mark.parametrize("pid", [0, -1, True, "12", None, 2**80])
def test_a_claim_with_a_bad_pid_is_judged_by_its_age(tmp_path: Path, pid: object) -> None:
    path = _write_claim(tmp_path, host=socket.gethostname(), pid=pid)
    store = Cache(tmp_path)
    assert not store.claim(KEY)
    _age(path, 10.0)
    assert store.claim(KEY, ttl=5.0)


@pytest.mark.parametrize("content", [b"", b"{\"owner\": ", b"\xff\xfe", b"[]", b'{"pid": 1}'])
def test_a_garbled_claim_is_live_until_it_is_older_than_the_ttl(
    tmp_path: Path, content: bytes
) -> None:
    path = _claim_file(tmp_path)
    path.parent.mkdir()
    path.write_bytes(content)  # an empty one may be a claim being written
    store = Cache(tmp_path)
    assert not store.claim(KEY, ttl=5.0) and store.claimed_by_other(KEY, ttl=5.0)
    _age(path, 10.0)
    assert not store.claimed_by_other(KEY, ttl=5.0)
    assert store.claim(KEY, ttl=5.0)
    assert _owner(path) == store.owner


def test_refresh_keeps_a_claim_live(tmp_path: Path) -> None:
    first, second = Cache(tmp_path), Cache(tmp_path)
    assert first.claim(KEY)
    path = _claim_file(tmp_path)
    _age(path, 10.0)
    second.refresh([KEY])  # not its claim: untouched
    assert time.time() - path.stat().st_mtime > 9.0
    first.refresh([KEY, "cd" * 32])  # a key it holds no claim on is passed over
    assert time.time() - path.stat().st_mtime < 5.0
    assert second.claimed_by_other(KEY, ttl=5.0)
    assert not second.claim(KEY, ttl=5.0)
    assert not _claim_file(tmp_path, "cd" * 32).exists()


def test_claiming_again_refreshes_the_owners_claim(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    assert store.claim(KEY)
    _age(_claim_file(tmp_path), 10.0)
    assert store.claim(KEY, ttl=5.0)
    assert Cache(tmp_path).claimed_by_other(KEY, ttl=5.0)


def test_put_stores_the_record_then_releases_the_claim(tmp_path: Path) -> None:
    first, second = Cache(tmp_path), Cache(tmp_path)
    assert first.claim(KEY)
    second.put(KEY, {"estimate": 2.0})  # not its claim: kept
    assert _owner(_claim_file(tmp_path)) == first.owner
    first.put(KEY, {"estimate": 1.0})
    assert not _claim_file(tmp_path).exists()
    assert second.get(KEY) == {"estimate": 1.0}


def test_a_claim_is_never_read_as_a_record(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    assert store.claim(KEY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert store.get(KEY) is None
    assert [p.name for p in _claim_file(tmp_path).parent.iterdir()] == [f"{KEY}{CLAIM_SUFFIX}"]


def test_a_claim_refreshed_since_it_was_found_stale_is_not_removed(tmp_path: Path) -> None:
    first = Cache(tmp_path)
    assert first.claim(KEY)
    path = _claim_file(tmp_path)
    _age(path, 10.0)
    found = cache_module._read_claim(path)
    assert found is not None and found.stale(5.0)
    first.refresh([KEY])  # its owner's heartbeat, just after another process judged it stale
    assert not cache_module._remove_claim(path, found)
    assert _owner(path) == first.owner


def test_a_fresh_claim_moved_aside_by_a_late_racer_is_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A racer found a stale claim; before its move, another took it over and claimed anew."""
    path = _write_claim(tmp_path)
    _age(path, 10.0)
    late, quick = Cache(tmp_path), Cache(tmp_path)
    rename = os.rename

    def quick_takes_over_first(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        monkeypatch.setattr(os, "rename", rename)
        assert quick.claim(KEY, ttl=5.0)  # between the late racer's check and its move
        rename(src, dst)

    monkeypatch.setattr(os, "rename", quick_takes_over_first)
    assert not late.claim(KEY, ttl=5.0)
    assert _owner(path) == quick.owner
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.parametrize("ttl", [-1.0, float("nan")])
def test_a_negative_ttl_is_refused(tmp_path: Path, ttl: float) -> None:
    store = Cache(tmp_path)
    with pytest.raises(ValueError, match="ttl"):
        store.claim(KEY, ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        store.claimed_by_other(KEY, ttl=ttl)


KEYS = [f"{i:02x}" * 32 for i in range(0, 200, 10)]
PROCESSES = 4


def _race(root: str, barrier: Any, results: Any, ttl: float) -> None:
    store = Cache(root)
    barrier.wait()
    won = [key for key in KEYS if store.claim(key, ttl=ttl)]
    results.put((store.owner, won))


@pytest.mark.parametrize("stale", [False, True], ids=["free keys", "stale claims"])
def test_processes_racing_claim_each_key_exactly_once(tmp_path: Path, stale: bool) -> None:
    if stale:  # every key held by a claim long dead: the racers all try to take it over
        for key in KEYS:
            _age(_write_claim(tmp_path, key), 1000.0)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    racers = [context.Process(target=_race, args=(str(tmp_path), barrier, results, 60.0))
              for _ in range(PROCESSES)]
    for racer in racers:
        racer.start()
    won = dict(results.get(timeout=60) for _ in racers)
    for racer in racers:
        racer.join(timeout=60)
        assert racer.exitcode == 0
    assert len(won) == PROCESSES
    winners = sorted(key for keys in won.values() for key in keys)
    assert winners == sorted(KEYS)  # every key claimed, by exactly one racer
    for owner, keys in won.items():
        for key in keys:
            assert _owner(_claim_file(tmp_path, key)) == owner
    leftovers = [p.name for p in tmp_path.rglob("*") if p.is_file() and p.suffix != CLAIM_SUFFIX]
    assert leftovers == []
