"""The validity envelope: cells judged as ladder rungs, read per dimension, drawn and shown."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest

from divergence_verify.verify.certificates import Rules
from divergence_verify.verify.design import ENVELOPE, ENVELOPE_DIMS, ENVELOPE_KLS, envelope_name
from divergence_verify.verify.report import figures
from divergence_verify.verify.report.envelope import (
    envelope_maps,
    envelope_sentence,
    envelope_short,
    valid_to,
)
from divergence_verify.verify.report.page import build_page
from divergence_verify.verify.report.presets import Entry, Preset
from divergence_verify.verify.report.render import render_markdown
from divergence_verify.verify.report.run import ReportData
from divergence_verify.verify.report.summary import Status, build_summary
from divergence_verify.verify.scenarios import get_scenario
from divergence_verify.verify.sweeps import Record, SweepResult

N, SEEDS = 4000, 6


def _cell(estimator: str, dim: int, kl: float, bias: float, spread: float) -> SweepResult:
    """An envelope sweep at one n whose estimates are truth + bias ± spread (alternating)."""
    scen = get_scenario(envelope_name(dim, kl))
    truth = scen.truth("kl")
    records = [Record(N, s, truth.value + bias + (spread if s % 2 else -spread), 0.01)
               for s in range(SEEDS)]
    return SweepResult(estimator, {"name": estimator}, scen.name, "kl", truth, records)


def _grid(estimator: str, bias_of: Callable[[int, float], float]) -> list[SweepResult]:
    return [_cell(estimator, d, kl, bias_of(d, kl), 1e-4) for d in ENVELOPE_DIMS
            for kl in ENVELOPE_KLS]


# "good" is exact up to KL 5 and then 50% low; "bad" is 50% low everywhere but in d = 1.
GOOD = _grid("good[kl]", lambda d, kl: 0.0 if kl <= 5 else -0.5 * kl)
BAD = _grid("bad[kl]", lambda d, kl: 0.0 if d == 1 else -0.5 * kl)


def test_cells_are_judged_as_rungs_and_read_upwards_per_dimension() -> None:
    summary = build_summary([], [], Rules(), envelope=[*GOOD, *BAD])
    good, bad = envelope_maps(summary.cells)
    assert (good.estimator, bad.estimator) == ("good[kl]", "bad[kl]")
    assert good.dims == ENVELOPE_DIMS and good.kls == ENVELOPE_KLS and good.n == N
    assert all(valid_to(good, d) == 5.0 for d in ENVELOPE_DIMS)
    assert valid_to(bad, 1) == 20.0 and all(valid_to(bad, d) is None for d in ENVELOPE_DIMS[1:])
    assert good.counts() == {Status.WITHIN: 15, Status.BORDERLINE: 0, Status.OUTSIDE: 10}
    assert good.status(8, 10.0) is Status.OUTSIDE and good.status(8, 5.0) is Status.WITHIN
    text = envelope_sentence(bad)
    assert "d = 1: KL ≤ 20; d = 2: none" in text and "5 of 25 cells within" in text


def test_a_cell_that_is_not_within_ends_the_range_even_if_higher_ones_are() -> None:
    holes = _grid("holes[kl]", lambda d, kl: -0.5 if kl == 1.0 else 0.0)
    (grid,) = envelope_maps(build_summary([], [], Rules(), envelope=holes).cells)
    assert grid.status(2, 1.0) is Status.OUTSIDE and grid.status(2, 5.0) is Status.WITHIN
    assert valid_to(grid, 2) == 0.1  # the range is contiguous from the smallest KL
    # A cell that did not run ends it too.
    (partial,) = envelope_maps(build_summary([], [], Rules(), envelope=GOOD[:2]).cells)
    assert partial.dims == (1,) and valid_to(partial, 1) == 1.0 and partial.status(2, 0.1) is None


def test_a_borderline_cell_is_not_within() -> None:
    # Bias exactly at the tolerance of KL 0.1 with a spread: the error's interval straddles it.
    tol = Rules().tolerance(0.1)
    cell = _cell("edge[kl]", 1, 0.1, tol, 0.5 * tol)
    (grid,) = envelope_maps(build_summary([], [], Rules(), envelope=[cell]).cells)
    assert grid.status(1, 0.1) is Status.BORDERLINE and valid_to(grid, 1) is None


def _data(envelope: list[SweepResult]) -> ReportData:
    names = list(dict.fromkeys(r.estimator.split("[")[0] for r in envelope))
    preset = Preset("t", "test", (N,), SEEDS, entries=(),
                    envelope=tuple(Entry(name, "kl", tuple(ENVELOPE)) for name in names))
    return ReportData(preset, "2026-01-01T00:00:00+00:00", 1.0, "cpu", "cpu", {}, Rules(),
                      [], [], envelope=envelope)


def test_results_keep_the_envelope_and_old_results_load_without_one() -> None:
    data = _data([*GOOD, *BAD])
    raw = json.loads(json.dumps(data.to_dict()))
    again = ReportData.from_dict(raw)
    assert again.to_dict() == data.to_dict()
    assert [r.scenario for r in again.envelope] == [r.scenario for r in data.envelope]
    assert again.preset.envelope == data.preset.envelope
    assert again.runs == 2 * len(ENVELOPE) * SEEDS
    del raw["envelope"], raw["preset"]["envelope"]  # written before the envelope existed
    old = ReportData.from_dict(raw)
    assert old.envelope == [] and old.preset.envelope == ()


def test_the_page_shows_the_envelope_table_and_findings() -> None:
    data = _data([*GOOD, *BAD])
    summary = build_summary([], [], data.rules, envelope=data.envelope)
    page = build_page(data, summary, [])
    assert page.envelope is not None
    assert dict(page.tested)["Envelope"] == ("KL 0.1, 1, 5, 10, 20 nats in d = 1, 2, 8, 32, 128 "
                                             "dimensions (N(μ, I) vs N(0, I)) at n = 4000: "
                                             "good[kl], bad[kl]")
    assert [row[0].text for row in page.envelope.rows] == ["good[kl]", "bad[kl]"]
    good_row, bad_row = ([c.text for c in row] for row in page.envelope.rows)
    assert good_row[2:] == ["≤ 5"] * 5 + ["15 / 0 / 10"]
    assert bad_row[2:] == ["≤ 20", *["none"] * 4, "5 / 0 / 20"]
    assert page.envelope.rows[1][2].status is Status.WITHIN
    assert page.envelope.rows[1][3].status is Status.OUTSIDE
    text = render_markdown(page)
    assert "## Where is it valid? The validity envelope" in text
    assert "- bad[kl]: Validity envelope at n = 4000" in text
    bare = dataclasses.replace(data, envelope=[],
                               preset=dataclasses.replace(data.preset, envelope=()))
    none = build_page(bare, build_summary([], [], data.rules), [])
    assert none.envelope is None and "validity envelope" not in render_markdown(none)


def test_an_envelope_alone_says_what_ran_and_no_empty_sweep_lines() -> None:
    data = _data([*GOOD, *BAD])
    summary = build_summary([], [], data.rules, envelope=data.envelope)
    page = build_page(data, summary, [])
    assert page.title == "Validity envelope of good[kl], bad[kl] at n = 4000 per side, 6 seeds"
    assert [key for key, _ in page.tested] == ["Design", "Envelope", "Preset"]
    text = render_markdown(page)
    assert "**No convergence sweeps here: only the validity envelope, judged at one sample " \
        "size.**" in text
    assert "0 of 0" not in text and "Predicted standard error of every RMSE slope" not in text
    good, bad = envelope_maps(summary.cells)
    assert envelope_short(good) == "envelope: KL ≤ 5 in d = 1, 2, 8, 32, 128"
    assert envelope_short(bad) == "envelope: KL ≤ 20 in d = 1; none in d = 2, 8, 32, 128"
    holes = _grid("holes[kl]", lambda d, kl: -0.5 * kl)
    (grid,) = envelope_maps(build_summary([], [], Rules(), envelope=holes).cells)
    assert envelope_short(grid) == "envelope: valid in none of d = 1, 2, 8, 32, 128"
    assert "| good[kl] | not swept | n/a | envelope: KL ≤ 5 in d = 1, 2, 8, 32, 128 |" in text
    assert "- **bad[kl]**: Not swept: it ran in the validity envelope only (below)." in text


def test_the_map_has_a_panel_per_estimator_and_the_error_in_tolerances() -> None:
    summary = build_summary([], [], Rules(), envelope=[*GOOD, *BAD])
    fig = figures.envelope_map(envelope_maps(summary.cells))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["good[kl]", "bad[kl]"]
    texts = [t.get_text() for t in panels[0].texts]
    assert len(texts) == len(ENVELOPE)
    assert texts.count("+0.0") == 15  # exact cells (the spread is 1e-4)
    assert "-9.8" in texts  # KL 10: error -5 against the tolerance 0.01 + 0.05 * 10
    assert [t.get_text() for t in panels[0].get_xticklabels()] == [str(d) for d in ENVELOPE_DIMS]


@pytest.mark.parametrize(("ratio", "text"), [(0.4213, "+0.4"), (-3.14, "-3.1"), (-9.96, "-10"),
                                            (12.4, "+12"), (123.4, "+123")])
def test_errors_are_written_short(ratio: float, text: str) -> None:
    assert figures._tolerances(ratio) == text
