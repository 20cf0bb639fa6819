"""``list --json``: a strict-JSON listing of divergences, estimators, families and scenarios."""

from __future__ import annotations

import json

import pytest

from divergence_verify.reference import quantity_names
from divergence_verify.verify.cli import main
from divergence_verify.verify.jsonio import decode_float
from divergence_verify.verify.scenarios import FAMILIES, SCENARIOS


def _reject(token: str) -> None:
    raise AssertionError(f"non-standard JSON constant {token}")


def test_list_json_holds_every_scenario_with_its_exact_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=_reject)
    assert [d["name"] for d in data["divergences"]] == list(quantity_names())
    assert {f["name"] for f in data["families"]} == set(FAMILIES)
    assert {e["kind"] for e in data["estimators"]} >= {"knn", "fgan", "w1_critic"}
    listed = {s["name"]: s for s in data["scenarios"]}
    assert set(listed) == set(SCENARIOS)
    for name, entry in listed.items():
        scen = SCENARIOS[name]
        assert entry["dim"] == scen.dim and entry["split"] == scen.split
        for div, exact in entry["truths"].items():
            # The same numbers as the scenario's own truths, decoded from the JSON policy.
            assert decode_float(exact["value"]) == scen.truth(div).value, (name, div)
            assert exact["method"] == scen.truth(div).method
        if scen.split is not None:
            assert "mi" in entry["truths"], name
    # The listing reaches the high-dimensional named instances (issue 10: up to 128 dims).
    assert max(entry["dim"] for entry in listed.values()) >= 128
