"""--set KEY=VALUE: JSON values, strict booleans, and every bad setting refused (exit 2) first."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from divergence_verify.verify import cli
from divergence_verify.verify.resolve import UsageError, parse_settings, resolve_estimator


@pytest.mark.parametrize(("text", "value"), [
    ("5", 5), ("-2", -2), ("1e-3", 1e-3), ("0.5", 0.5), ('"text"', "text"), ('"True"', "True"),
    ("[1, 2]", [1, 2]), ('{"a": 1}', {"a": 1}), ("true", True), ("false", False),
    ("null", None), ("relu", "relu"), ("leaky_relu", "leaky_relu"), ("_x-1.b", "_x-1.b"),
    (" 7 ", 7), ('"a=b"', "a=b"),
])
def test_values_are_json_or_a_plain_word(text, value):
    parsed = parse_settings([f"key={text}"])
    assert parsed == {"key": value} and type(parsed["key"]) is type(value)


@pytest.mark.parametrize(("text", "message"), [
    ("True", "booleans are strict JSON: write true or false"),
    ("False", "booleans are strict JSON: write true or false"),
    ("TRUE", "booleans are strict JSON: write true or false"),
    ("yes", "booleans are strict JSON: write true or false"),
    ("no", "booleans are strict JSON: write true or false"),
    ("None", "write null for no value"),
    ("NaN", "NaN is not a finite number"),
    ("Infinity", "Infinity is not a finite number"),
    ("-Infinity", "-Infinity is not a finite number"),
    ("[1, NaN]", "NaN is not a finite number"),
    ("nan", "not a finite number"),
    ("inf", "not a finite number"),
    ("1e400", "beyond float64"),
    ("", "empty value"),
    ("  ", "empty value"),
    ("1e-3x", "not a JSON value"),
    ("3rd", "not a JSON value"),
    ("-relu", "not a JSON value"),
    ("two words", "not a JSON value"),
    ("[1, 2", "not a JSON value"),
    ("'single'", "not a JSON value"),
    ('{"a": 1, "a": 2}', "repeated key 'a' in a JSON object"),
])
def test_bad_values_are_refused_naming_the_setting(text, message):
    with pytest.raises(UsageError) as info:
        parse_settings([f"lr={text}"])
    assert str(info.value).startswith(f"--set lr={text}: ") and message in str(info.value)


@pytest.mark.parametrize(("pairs", "message"), [
    (["lr"], "--set expects KEY=VALUE, got 'lr'"),
    (["=1"], "--set expects KEY=VALUE, got '=1'"),
    (["my-key=1"], "the key 'my-key' is not a setting name"),
    (["lr=1", "lr=2"], "--set lr is given twice"),
])
def test_bad_pairs_are_refused(pairs, message):
    with pytest.raises(UsageError, match=message):
        parse_settings(pairs)


USER_MODULE = '''
import dataclasses
from pathlib import Path
from typing import Literal, Optional


def _ran():
    with open("ran", "a") as fh:
        fh.write("x")


class Shifted:
    def __init__(self, bias: float = 0.0, mode: Literal["add", "sub"] = "add",
                 hidden: tuple[int, ...] = (8, 8), scale: Optional[float] = None,
                 pair: tuple[int, str] = (1, "a"), weights: dict[str, float] | None = None,
                 folder: Path = Path("."), loose=0):
        self.bias = bias

    def estimate(self, x_p, x_q):
        _ran()
        return 0.5 + self.bias


@dataclasses.dataclass
class Fields:
    bias: float = 0.0
    steps: int = 10
    flags: list[bool] = dataclasses.field(default_factory=list)

    def estimate(self, x_p, x_q):
        _ran()
        return 0.5 + self.bias


class Unresolvable:
    def __init__(self, bias: "NotDefinedAnywhere" = 0.0):
        self.bias = bias

    def estimate(self, x_p, x_q):
        return 0.5


def function(x_p, x_q, bias: float = 0.0):
    _ran()
    return 0.5 + bias
'''


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory with the user's estimator module ``user_est.py``."""
    (tmp_path / "user_est.py").write_text(USER_MODULE)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    sys.modules.pop("user_est", None)  # the next test imports its own copy


def _sweep(estimator: str, *settings: str) -> list[str]:
    argv = ["sweep", "--estimator", f"user_est:{estimator}", "--divergence", "kl", "--scenario",
            "gauss2d-kl0.5", "--sizes", "20", "40", "--seeds", "2", "--no-cache", "--quiet",
            "--out", "out"]
    for setting in settings:
        argv += ["--set", setting]
    return argv


@pytest.mark.parametrize(("estimator", "setting", "message"), [
    ("Shifted", "bias=abc", "bad setting --set bias=\"abc\" for estimator 'user_est:Shifted' "
                            "(expected float in JSON, like the default 0.0): its Shifted "
                            "declares bias: float"),
    ("Shifted", "bias=true", "--set bias=true"),
    ("Shifted", "bias=[1]", "--set bias=[1]"),
    ("Shifted", "bias=1e-3x", "--set bias=1e-3x: not a JSON value"),
    ("Shifted", "bias=True", "--set bias=True: booleans are strict JSON"),
    ("Shifted", "mode=mul", "--set mode=\"mul\""),
    ("Shifted", "hidden=[8, 2.5]", "(expected tuple[int, ...] in JSON, like the default [8, 8])"),
    ("Shifted", "hidden=8", "--set hidden=8"),
    ("Shifted", "scale=\"big\"", "declares scale: Optional[float]"),
    ("Shifted", "pair=[1, 2]", "--set pair=[1, 2]"),
    ("Shifted", "pair=[1]", "--set pair=[1]"),
    ("Shifted", "weights={\"a\": \"b\"}", "declares weights: dict[str, float] | None"),
    ("Fields", "steps=2.5", "bad setting --set steps=2.5 for estimator 'user_est:Fields' "
                            "(expected int in JSON, like the default 10)"),
    ("Fields", "flags=[1]", "--set flags=[1]"),
    ("Fields", "nope=1", "unexpected keyword argument 'nope'"),
    ("function", "bias=0.1", "--set applies to a class"),
])
def test_a_bad_setting_exits_2_before_any_run(user_dir, capsys, estimator, setting, message):
    status = cli.main(_sweep(estimator, setting))
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line]
    assert status == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert message in lines[0]
    assert not (user_dir / "ran").exists() and not (user_dir / "out").exists()


@pytest.mark.parametrize(("estimator", "settings", "estimate"), [
    ("Shifted", ["bias=0.25"], 0.75),
    ("Shifted", ["bias=1", "mode=sub", "hidden=[4]", "scale=null", "pair=[2, \"b\"]",
                 "weights={\"a\": 1}", "folder=\"out\"", "loose=anything"], 1.5),
    ("Fields", ["bias=-0.25", "steps=3", "flags=[true, false]"], 0.25),
    ("Unresolvable", ["bias=\"text\""], 0.5),  # annotations it cannot resolve: built as given
])
def test_settings_that_fit_the_annotations_run(user_dir, capsys, estimator, settings, estimate):
    status = cli.main(_sweep(estimator, *settings))
    assert status == 0, capsys.readouterr().err
    (data,) = json.loads((user_dir / "out" / "sweep.json").read_text())
    assert {r["estimate"] for r in data["records"]} == {estimate}


def test_resolve_estimator_checks_a_dataclass_before_building_it(user_dir):
    with pytest.raises(UsageError, match="declares bias: float"):
        resolve_estimator("user_est:Fields", "kl", "cpu", parse_settings(["bias=fast"]))
    est = resolve_estimator("user_est:Fields", "kl", "cpu", parse_settings(["bias=0.5"]))
    assert est.settings == {"bias": 0.5}
