"""The README's Python examples run as written (each block is looked up by its first line)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _block(first_line: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    (block,) = [b for b in blocks if b.startswith(first_line)]
    return block


def test_scenario_example_runs_and_keeps_its_truths() -> None:
    names: dict[str, object] = {}
    exec(compile(_block("from divergence_verify.reference.flows import CouplingFlow"),
                 str(README), "exec"), names)
    base, flowed, rotated, both = (names[k] for k in ("base", "flowed", "rotated", "both"))
    # The invariances the example states: a flow keeps KL, a rotation keeps W1, a product adds KL.
    assert flowed.truth("kl").value == pytest.approx(base.truth("kl").value, rel=1e-12)
    assert rotated.truth("w1").value == pytest.approx(base.truth("w1").value, rel=1e-12)
    from divergence_verify.verify.scenarios import get_scenario

    mixture = get_scenario("mixture1d").truth("kl").value
    assert both.truth("kl").value == pytest.approx(base.truth("kl").value + mixture, rel=1e-9)
