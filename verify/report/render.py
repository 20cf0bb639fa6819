"""HTML and Markdown of a report, rendered by Jinja2 from one view-model (:class:`.page.Page`).

The templates live in ``templates/``: ``report.html.j2`` (autoescaped, with ``report.css``
inlined and the figures as base64 PNG data URIs, so the page is one self-contained file) and
``report.md.j2`` (figures linked by file name).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

import jinja2

from divergence_verify.verify.report.page import Page

TEMPLATES = Path(__file__).with_name("templates")


def environment() -> jinja2.Environment:
    """The templates' environment: HTML autoescaped, undefined names an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",)),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    # A Markdown table cell: a "|" in the text would end the cell.
    env.filters["cell"] = lambda text: str(text).replace("|", "\\|")
    return env


def render_html(page: Page, images: Mapping[str, bytes]) -> str:
    """Return ``index.html``; ``images`` maps each figure's PNG file name to its bytes."""
    encoded = {name: base64.b64encode(data).decode("ascii") for name, data in images.items()}
    return environment().get_template("report.html.j2").render(page=page, images=encoded)


def render_markdown(page: Page) -> str:
    """Return ``report.md``: the same content as the HTML, figures linked by file name."""
    return environment().get_template("report.md.j2").render(page=page)
