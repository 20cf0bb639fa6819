"""The ``cache info``, ``cache prune`` and ``cache clear`` commands."""

import os
import time

import pytest

from divergence_verify.verify.cache import Cache
from divergence_verify.verify.cli import main


def _sweep(cache):
    return main(["sweep", "--estimator", "knn", "--divergence", "kl", "--scenario",
                 "gauss2d-kl0.5", "--sizes", "200", "400", "--seeds", "2", "--cache",
                 str(cache), "--out", str(cache.parent / "out"), "--quiet"])


def test_info_prune_and_clear(tmp_path, capsys):
    cache = tmp_path / "cache"
    assert _sweep(cache) == 0
    (tmp_path / "cache" / "notes.txt").write_text("mine")  # a file of the user's: never touched
    capsys.readouterr()
    assert main(["cache", "info", "--cache", str(cache)]) == 0
    assert "records: 4" in capsys.readouterr().out
    other = Cache(cache)
    assert other.claim("ab" * 32)
    claim = next(cache.rglob("*.claim"))
    old = time.time() - 3600
    os.utime(claim, (old, old))  # its process stopped an hour ago
    assert main(["cache", "prune", "--cache", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "1 stale claims" in out and "0 records" in out
    assert not list(cache.rglob("*.claim"))
    assert main(["cache", "prune", "--cache", str(cache), "--older-than", "0"]) == 0
    assert "4 records" in capsys.readouterr().out
    assert _sweep(cache) == 0
    assert main(["cache", "clear", "--cache", str(cache)]) == 0
    assert "removed 4 files" in capsys.readouterr().out
    assert (cache / "notes.txt").read_text() == "mine"


def test_bad_cache_options_exit_2(tmp_path, capsys):
    assert main(["cache", "info", "--cache", str(tmp_path), "--older-than", "1"]) == 2
    assert "--older-than goes with 'cache prune'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["cache", "prune", "--cache", str(tmp_path), "--older-than", "-1"])
    assert exit_.value.code == 2
    assert "must be a finite number >= 0" in capsys.readouterr().err
