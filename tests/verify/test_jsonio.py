"""The one JSON policy: strict JSON in every file the suite writes, ±inf and NaN encoded once."""

import json
import math

import numpy as np
import pytest

from divergence_verify.verify import jsonio
from divergence_verify.verify.cache import Cache
from divergence_verify.verify.certificates import Rules, certify
from divergence_verify.verify.sweeps import Record, SweepResult, sweep
from tests.verify._estimators import gaussian_mle_kl, sometimes_nan


def strict(text):
    """Parse ``text`` as a strict JSON parser does: bare NaN/Infinity are an error."""

    def reject(name):
        raise AssertionError(f"bare {name} in JSON output")

    return json.loads(text, parse_constant=reject)


def test_non_finite_floats_have_one_encoding_and_decode_back():
    values = [math.inf, -math.inf, math.nan, 1.5, -0.0, None]
    text = jsonio.dumps({"x": values, "t": (math.inf,)})
    data = strict(text)
    assert data == {"x": ["inf", "-inf", None, 1.5, -0.0, None], "t": ["inf"]}
    back = [jsonio.decode_float(v) for v in data["x"]]
    assert back[:2] == [math.inf, -math.inf] and math.isnan(back[2]) and math.isnan(back[5])
    assert back[3] == 1.5 and math.copysign(1, back[4]) == -1
    assert jsonio.decode_optional(None) is None and jsonio.decode_optional("-inf") == -math.inf


def test_numpy_values_are_encoded_like_python_floats():
    data = strict(jsonio.dumps({"a": np.array([np.inf, 2.0]), "b": np.float32(-np.inf),
                                "c": np.int64(3), "d": np.float64(np.nan)}))
    assert data == {"a": ["inf", 2.0], "b": "-inf", "c": 3, "d": None}


@pytest.mark.parametrize("value", ["infinity", "nan", True, [1.0], {}])
def test_decode_float_rejects_what_the_policy_never_writes(value):
    with pytest.raises(ValueError, match="expected a number"):
        jsonio.decode_float(value)


def test_unserialisable_objects_are_a_type_error():
    with pytest.raises(TypeError, match="cannot write object as JSON"):
        jsonio.dumps({"x": object()})


@pytest.mark.parametrize("text", ['{"a": NaN}', "[Infinity]", "-Infinity"])
def test_loads_rejects_bare_non_finite_constants(text, tmp_path):
    with pytest.raises(ValueError, match="not strict JSON"):
        jsonio.loads(text)
    path = tmp_path / "x.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="not strict JSON"):
        jsonio.read_json(path)


def test_atomic_writes_leave_the_old_file_when_a_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    jsonio.write_json_atomic(path, {"a": 1})

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(jsonio.os, "fsync", boom)
    for write, data in ((jsonio.write_json_atomic, {"a": 2}), (jsonio.write_text_atomic, "x"),
                        (jsonio.write_bytes_atomic, b"x")):
        with pytest.raises(OSError, match="disk full"):
            write(path, data)
        assert jsonio.read_json(path) == {"a": 1}
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_atomic_text_and_bytes_writes_are_shared_readable(tmp_path):
    jsonio.write_text_atomic(tmp_path / "a.md", "é\n")
    jsonio.write_bytes_atomic(tmp_path / "b.png", b"\x89PNG")
    assert (tmp_path / "a.md").read_text(encoding="utf-8") == "é\n"
    assert (tmp_path / "b.png").read_bytes() == b"\x89PNG"
    assert {(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()} == {0o644}


def test_a_certificate_with_infinite_and_missing_numbers_is_strict_json(tmp_path):
    # NaN runs make NaN statistics; a one-seed sweep has no spread.
    cert = certify(sometimes_nan, "kl", scenarios=["gauss2d-kl0.5"], sizes=[100, 200], seeds=2,
                   rules=Rules(max_slope_se=10.0))
    path = tmp_path / "certificate.json"
    cert.save(str(path))
    for text in (path.read_text(), cert.to_json(), cert.to_json(indent=None)):
        data = strict(text)
        assert data["certified"] is False


def test_a_one_seed_sweep_round_trips_through_strict_json():
    res = sweep(gaussian_mle_kl, "gauss2d-kl0.5", "kl", [100, 200], [0])
    data = strict(jsonio.dumps(res.to_dict()))
    first = res.per_size()[0]
    assert not math.isfinite(first.bias_low)  # one run: no finite interval, the case at stake
    assert data["per_size"][0]["bias_low"] == jsonio.encode_float(first.bias_low)
    assert data["per_size"][0]["bias_low"] in ("-inf", None)
    back = SweepResult.from_dict(data)
    assert [r.estimate for r in back.records] == [r.estimate for r in res.records]
    assert back.truth == res.truth


def test_infinite_estimates_survive_a_round_trip():
    res = sweep(gaussian_mle_kl, "gauss2d-kl0.5", "kl", [100, 200], [0, 1])
    res.records[0] = Record(100, 0, math.inf, 0.1, "non-finite")
    res.records[1] = Record(100, 1, math.nan, 0.1, "non-finite")
    data = strict(jsonio.dumps(res.to_dict()))
    assert data["records"][0]["estimate"] == "inf" and data["records"][1]["estimate"] is None
    back = SweepResult.from_dict(data)
    assert back.records[0].estimate == math.inf and not back.records[0].ok
    assert back.records[1].estimate is None and back.records[1].error == "non-finite"


def test_cache_records_are_strict_json_and_a_bare_nan_is_ignored(tmp_path):
    store = Cache(tmp_path)
    key = "cd" * 32
    store.put(key, {"estimate": 1.0, "seconds": math.inf})
    path = tmp_path / "cd" / f"{key}.json"
    written = strict(path.read_text())
    assert written.pop("checksum")  # every record carries one (tests/verify/test_cache.py)
    assert written == {"estimate": 1.0, "seconds": "inf"}
    path.write_text('{"estimate": NaN}')  # written by an older version: not trusted
    assert store.get(key) is None
