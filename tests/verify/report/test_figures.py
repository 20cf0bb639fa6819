"""Figures: print sizes and fonts, both formats, robust ranges, log-axis labels, the grid."""

from __future__ import annotations

import dataclasses
import io
import itertools
import math
from pathlib import Path

import pytest
from matplotlib.text import Text
from PIL import Image

from divergence_verify.verify.report import figures, plotting
from divergence_verify.verify.report.page import GridCell
from divergence_verify.verify.report.run import load_results
from divergence_verify.verify.report.summary import Status, build_summary, rate_of
from divergence_verify.verify.sweeps import Record, SweepResult


@pytest.fixture(autouse=True)
def _close_figures() -> object:
    """Figures drawn but not encoded stay open in pyplot: close them after each test."""
    yield
    plotting.plt.close("all")


def _texts(fig: object) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


def _all_figures(smoke: Path) -> list[object]:
    from divergence_verify.verify.report.build import plan_figures, report_summary

    data = load_results(smoke / "results.json")
    return [(ref, draw()) for ref, draw in plan_figures(data, report_summary(data))]


def test_figures_are_sized_for_print_with_readable_text(smoke: Path) -> None:
    drawn = _all_figures(smoke)
    assert {ref.section for ref, _ in drawn} == {"summary", "ladder", "envelope", "rate",
                                                  "estimate"}
    for ref, fig in drawn:
        width = fig.get_size_inches()[0]
        assert width == pytest.approx(ref.width_in)
        assert width in (plotting.SINGLE, plotting.WIDE)
        sizes = [t.get_fontsize() for t in _texts(fig)]
        assert sizes and min(sizes) >= plotting.FONT_PT, ref.stem
        # Every text lies inside the figure: the saved file keeps the printed width (no
        # bounding box grown to hold a legend, which would shrink the text in a column).
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ticks = {id(t) for ax in fig.axes for t in [*ax.get_xticklabels(), *ax.get_yticklabels()]}
        for text in _texts(fig):
            if id(text) in ticks:  # matplotlib places (and hides) tick labels outside the view
                continue
            box = text.get_window_extent(renderer)
            assert box.x0 >= -1 and box.x1 <= fig.bbox.x1 + 1, (ref.stem, text.get_text())
            assert box.y0 >= -1 and box.y1 <= fig.bbox.y1 + 1, (ref.stem, text.get_text())
        png, svg = plotting.encode(fig)
        image = Image.open(io.BytesIO(png))
        assert image.info["dpi"][0] == pytest.approx(plotting.DPI, abs=1)
        assert image.width == round(ref.width_in * plotting.DPI), ref.stem
        assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg


def test_encoding_is_deterministic(smoke: Path) -> None:
    (_, one), = [d for d in _all_figures(smoke) if d[0].section == "ladder"]
    (_, two), = [d for d in _all_figures(smoke) if d[0].section == "ladder"]
    assert plotting.encode(one) == plotting.encode(two)


def test_summary_grid_has_a_cell_per_swept_pair() -> None:
    cells = [GridCell("a[kl]", "s1", Status.PASS, ("PASS", "error +0.01", "slope -0.5")),
             GridCell("b[kl]", "s2", Status.FAIL, ("FAIL", "accuracy", "error +0.3")),
             GridCell("b[kl]", "s1", Status.WAIVED, ("PASS", "conv. waived"))]
    fig = figures.certificate_grid(cells, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["s1", "s2"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a[kl]", "b[kl]"]
    faces = {p.get_facecolor()[:3] for p in ax.patches}
    assert len(faces) == 4  # pass, fail, waived and the grey of the pair not swept
    width, height = Image.open(io.BytesIO(plotting.encode(fig)[0])).size
    assert width > height > 100


def test_many_scenarios_continue_in_blocks_and_no_cell_text_leaves_its_column() -> None:
    scenarios = [f"scenario-number-{k}" for k in range(7)]
    lines = ("INCONCL.", "accuracy, spread", "error -0.0227", "error CI borderline", "slope -0.52")
    cells = [GridCell("knn[kl]", s, Status.INCONCLUSIVE, lines) for s in scenarios[:5]]
    cells += [GridCell("empirical_w1[w1]", s, Status.PASS, ("PASS",)) for s in scenarios[5:]]
    fig = figures.certificate_grid(cells, title="t")
    first, second = fig.axes
    heads = [[t.get_text().replace("\n", "") for t in ax.get_xticklabels()] for ax in fig.axes]
    assert heads == [scenarios[:4], scenarios[4:]]
    # Each block shows only the estimators swept on its scenarios.
    assert [t.get_text() for t in first.get_yticklabels()] == ["knn[kl]"]
    assert [t.get_text() for t in second.get_yticklabels()] == ["knn[kl]", "empirical_w1[w1]"]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        column = ax.transData.transform((1, 0))[0] - ax.transData.transform((0, 0))[0]
        for text in ax.texts:
            assert text.get_window_extent(renderer).width <= column, text.get_text()


def test_estimate_figure_shows_a_truth_beyond_every_estimate(smoke: Path) -> None:
    res = load_results(smoke / "results.json").sweeps[0]
    top = max(r.estimate for r in res.records if r.ok)
    for truth in (top + 1.0, -abs(top) - 1.0):
        moved = dataclasses.replace(res, truth=dataclasses.replace(res.truth, value=truth))
        low, high = figures.estimate_vs_n([moved]).axes[0].get_ylim()
        margin = 0.03 * (high - low)
        assert low + margin < truth < high - margin


def _outlier_sweeps() -> tuple[SweepResult, SweepResult, float]:
    """Two estimators with normal errors; one run of the second is 1000 above the truth."""
    import numpy as np

    from divergence_verify.verify.scenarios import get_scenario

    scen = get_scenario("gauss2d-kl0.5")
    truth = scen.truth("kl")
    noise = np.random.default_rng(0).standard_normal((2, 4, 20))
    sweeps = []
    for k, name in enumerate(("good[kl]", "wild[kl]")):
        records = [Record(n, s, truth.value + 0.3 * noise[k, i, s] / math.sqrt(n / 250), 0.01)
                   for i, n in enumerate((250, 500, 1000, 2000)) for s in range(20)]
        sweeps.append(SweepResult(name, {"name": name}, scen.name, "kl", truth, records))
    far = truth.value + 1000.0
    sweeps[1].records[0] = dataclasses.replace(sweeps[1].records[0], estimate=far)
    return sweeps[0], sweeps[1], far


def test_one_estimators_outlier_cannot_flatten_the_others() -> None:
    good, bad, far = _outlier_sweeps()
    fig = figures.estimate_vs_n([good, bad])
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert high < far / 10  # the outlier does not set the range
    runs = [r.estimate for r in good.records if r.ok]
    assert low <= min(runs) and max(runs) <= high  # the others keep their detail
    edge = [o for o in ax.collections if len(o.get_offsets())
            and all(math.isclose(y, high) for _, y in o.get_offsets())]
    assert edge  # drawn as a marker on the top edge
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("off the axis" in t for t in legend)


def test_rmse_figure_clips_outliers_too() -> None:
    good, bad, _ = _outlier_sweeps()
    ax = figures.rmse_vs_n([good, bad], [rate_of(good), rate_of(bad)]).axes[0]
    rmse_bad = max(s.rmse for s in bad.per_size())
    assert ax.get_ylim()[1] < rmse_bad
    assert any("off the axis" in t.get_text() for t in ax.get_legend().get_texts())


def test_robust_limits_keep_what_must_be_seen() -> None:
    values = [1.0, 1.1, 0.9, 1.05, 0.95, 50.0]
    low, high = plotting.robust_limits(values, keep=[2.0])
    assert 2.0 < high < 50.0 and low < 0.9
    assert plotting.robust_limits(values, scale="log")[1] < 50.0
    errors = [-0.5, 0.2, 0.7, 0.1, -0.3, 0.4, 0.6, -0.2, 1e6]
    low, high = plotting.robust_limits(errors, scale="symlog", linthresh=2.0, keep=[-1.5, 1.5])
    assert low < -1.5 and 1.5 < high < 10.0


def test_ladder_shows_the_bias_allowance_and_its_verdicts(smoke: Path) -> None:
    data = load_results(smoke / "results.json")
    summary = build_summary(data.sweeps, data.ladder, data.rules)
    fig = figures.ladder(data.ladder, summary.rungs, data.rules)
    left, right = fig.axes[:2]
    low, high = left.get_ylim()
    assert low < -1 and high > 1  # the ±1 tolerance band is in view, with room around it
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert any(label.startswith("allowed: ±tol") for label in labels)
    hollow = [line for line in left.get_lines() if line.get_markerfacecolor() == "white"]
    borderline = sum(r.status is Status.BORDERLINE for r in summary.rungs)
    assert len(hollow) == borderline  # one hollow marker per borderline rung
    assert any("allowed RMSE" in t.get_text() for t in right.get_legend().get_texts())
    # Headroom: every point in range, error-bar caps included, sits clear of the frame.
    for ax in (left, right):
        low, high = ax.get_ylim()
        top, bottom = (ax.transData.transform((1.0, v))[1] for v in (high, low))
        for line in ax.get_lines():
            for x, y in line.get_xydata():
                if low < y < high and line.get_marker() not in ("None", "none", ""):
                    pixel = ax.transData.transform((x, y))[1]
                    assert top - pixel >= 2 and pixel - bottom >= 2


def test_log_axes_label_their_top(smoke: Path) -> None:
    data = load_results(smoke / "results.json")
    kl = [r for r in data.sweeps if r.divergence == "kl"]
    fig = figures.rmse_vs_n(kl, [rate_of(r) for r in kl])
    for ax in fig.axes:
        if ax.get_visible():
            low, high = ax.get_ylim()
            ticks = [t for t in ax.yaxis.get_majorticklocs() if low <= t <= high]
            assert len(ticks) >= 3
            assert math.log10(high / max(ticks)) <= 0.4 * math.log10(high / low)


@pytest.mark.parametrize(("low", "high"), [
    (0.048, 0.135), (0.028, 0.45), (0.017, 0.083), (0.038, 0.19), (0.115, 0.13), (0.5, 2.0),
    (0.05, 2.1), (0.0015, 1.5), (0.05, 60.0), (1e-9, 1e3),
])
def test_log_ticks_cover_the_axis(low: float, high: float) -> None:
    ticks = plotting.log_ticks(low, high)
    span = math.log10(high / low)
    assert 3 <= len(ticks) <= max(8, 3 * span)
    assert all(low <= t <= high for t in ticks)
    points = [math.log10(low), *(math.log10(t) for t in ticks), math.log10(high)]
    assert max(b - a for a, b in itertools.pairwise(points)) <= 0.4 * span
    assert math.log10(high / ticks[-1]) <= span / 3  # a label in the top third


def test_names_and_units_come_from_the_divergence_table() -> None:
    from divergence_verify.reference import get_divergence
    from divergence_verify.verify.report.names import axis_label, quantity_label

    kl = get_divergence("kl")
    assert quantity_label("kl") == (kl.label, kl.unit)
    assert quantity_label("w1") == ("W1", "distance")
    assert axis_label("RMSE", "tv", "log scale") == "RMSE (log scale)"  # TV has no unit
    assert quantity_label("my_quantity") == ("my_quantity", "")
