"""The page: HTML and Markdown from one view-model, self-contained, saying what was tested."""

from __future__ import annotations

import html
import re
from pathlib import Path

from divergence_verify.verify.design import LADDER
from divergence_verify.verify.report import PRESETS
from divergence_verify.verify.scenarios import get_scenario

from .conftest import figure_names


def test_smoke_writes_every_file(smoke: Path) -> None:
    for name in ("index.html", "report.md", "results.json", "ladder.png", "summary.png",
                 "ladder.svg", "summary.svg"):
        assert (smoke / name).is_file(), name
    names = figure_names(smoke)
    assert {"rmse_kl.png", "rmse_w1.png", "rmse_js.png"} <= names
    assert "estimate_kl_gauss2d-kl0.5.png" in names
    assert all((smoke / n).stat().st_size < 200_000 for n in names)  # small images
    # Every figure in both formats.
    assert {n.removesuffix(".svg") for n in figure_names(smoke, ".svg")} == {
        n.removesuffix(".png") for n in names}
    assert all((smoke / n).read_text().lstrip().startswith("<?xml")
               for n in figure_names(smoke, ".svg"))


def test_html_is_self_contained(smoke: Path) -> None:
    page = (smoke / "index.html").read_text()
    assert not re.search(r"https?://", page)
    assert "<script" not in page
    assert '<link rel="stylesheet"' not in page and "<style>" in page  # the CSS is inlined
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == len(figure_names(smoke))
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert 'class="pass"' in page or 'class="fail"' in page


def test_the_css_is_the_one_file(smoke: Path) -> None:
    from divergence_verify.verify.report.render import TEMPLATES

    css = (TEMPLATES / "report.css").read_text()
    page = (smoke / "index.html").read_text()
    assert css.strip() in page


def test_markdown_answers_the_three_questions(smoke: Path) -> None:
    text = (smoke / "report.md").read_text()
    assert "Does it converge?" in text and "How fast?" in text and "Where does it break?" in text
    assert "| estimator | scenario |" in text
    assert "On the ladder at n = 400" in text
    for name in figure_names(smoke) | figure_names(smoke, ".svg"):
        assert f"({name})" in text


def test_title_says_what_was_tested(smoke: Path) -> None:
    preset = PRESETS["smoke"]
    text = (smoke / "report.md").read_text()
    title = text.splitlines()[0]
    assert title.startswith("# Convergence of 3 estimators of KL, JS and W1 on 3 scenarios")
    assert f"n = {min(preset.sizes)} to {max(preset.sizes)} per side, {preset.seeds} seeds" in title
    for entry in preset.entries:
        assert entry.label in text.split("## ")[0]
    rungs = ", ".join(f"{get_scenario(name).truth('kl').value:g}" for name in LADDER)
    assert f"**Ladder**: KL = {rungs} nats" in text
    page = (smoke / "index.html").read_text()
    assert f"<title>{title.removeprefix('# ')}</title>" in page


def test_summary_grid_is_embedded_under_the_certificate_heading(smoke: Path) -> None:
    text = (smoke / "report.md").read_text()
    section = text.split("## Does it converge?")[1].split("\n## ")[0]
    assert "(summary.png)" in section and "(summary.svg)" in section
    page = (smoke / "index.html").read_text()
    section = page.split("Does it converge?")[1].split("<h2>")[0]
    assert '<img src="data:image/png;base64,' in section


def test_smoke_report_says_convergence_is_not_judged(smoke: Path) -> None:
    text = (smoke / "report.md").read_text()
    assert "convergence not judged (design too noisy: predicted slope SE 0.51 > 0.15)" in text
    assert "pass every certificate rule judged" in text
    page = (smoke / "index.html").read_text()
    assert "convergence not judged" in page



def test_waived_and_unjudged_rules_have_their_own_status_and_colour(smoke: Path) -> None:
    from divergence_verify.verify.report.prose import verdict_text
    from divergence_verify.verify.report.run import load_results
    from divergence_verify.verify.report.summary import Status, build_summary

    data = load_results(smoke / "results.json")
    rows = build_summary(data.sweeps, data.ladder, data.rules).rows
    special = [r for r in rows if r.convergence in (Status.WAIVED, Status.NOT_JUDGED)]
    assert special  # the smoke design exercises both (too noisy; W1 below its floor)
    page = (smoke / "index.html").read_text()
    for row in special:
        css = row.status.value  # "waived" / "not-judged", or "fail" when another rule failed
        assert f'<td class="{css}">{html.escape(verdict_text(row, data.rules))}</td>' in page
        assert css != "pass"


def test_slope_uncertainty_is_defined_once(smoke: Path) -> None:
    text = (smoke / "report.md").read_text()
    assert text.count("**Slope ± SE**") == 1
    assert "predicted_slope_se" in text
    assert "slope ± SE" in text  # the table column it defines
    assert "slope ± se" not in text  # no second, residual-based uncertainty


def test_markdown_tables_are_unbroken(smoke: Path) -> None:
    lines = (smoke / "report.md").read_text().splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith("|---")]
    assert len(heads) >= 3  # glance, certificate summary, ladder
    for i in heads:
        width = lines[i - 1].count(" | ")
        body = []
        for line in lines[i + 1:]:
            if not line.startswith("|"):
                break
            body.append(line)
        assert body, lines[i - 1]
        assert all(line.count(" | ") >= width for line in body)
        assert lines[i + 1 + len(body)] == ""  # a blank line closes the table
