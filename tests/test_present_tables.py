"""Tables for people are left-aligned wherever their HTML is rendered, JupyterLab's output area included (issue 14).

JupyterLab right-aligns output tables with ``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td``, which outranks
the tables' own ``.kl-table td`` rule, and its sanitizer drops ``<style>`` from an untrusted notebook's outputs. So
every header and cell carries its alignment inline, and a Styler gets an id-scoped rule. The unit tests read the
HTML a notebook displays (the items a panel shows, through ``as_outputs``); the browser test renders it under
JupyterLab's own stylesheet (the one nbconvert's lab template ships) and asks Chromium what it computes.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from kit.keys.inspect import inspect_key
from kit.present import views
from kit.present.tables import PeopleTable
from kit.present.widgets import as_outputs
from kit.testing import fake_key
from kit.values import PathCheck

ROUTE = (("url", "http://127.0.0.1:4000"), ("clients", "KeyLab, httpx2"))
ROWS = (
    PathCheck("tcp", "127.0.0.1:4000", True, "IPv4 connect works", elapsed_ms=0.4, details=ROUTE),
    PathCheck("http", "127.0.0.1:4000", True, "the API itself answers: 401", elapsed_ms=2.0, details=ROUTE),
    PathCheck("base-url", "https://api.anthropic.com", True, "sends to the official API", client="sdk-python"),
)


class _Cells(HTMLParser):
    """Every ``<th>``/``<td>`` with its inline style, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("th", "td"):
            self.cells.append((tag, dict(attrs).get("style") or ""))


def _cells(markup: str) -> list[tuple[str, str]]:
    parser = _Cells()
    parser.feed(markup)
    return parser.cells


def _displayed_tables() -> list[PeopleTable]:
    """The people tables notebooks 03 and 00 display for a path check (what a panel passes to ``display``)."""
    shown = as_outputs([*views.path_detail(ROWS), *views.path_summary_items(ROWS)])
    tables = [item for item in shown if isinstance(item, PeopleTable)]
    assert len(tables) == 3, shown
    return tables


def test_every_header_and_cell_a_notebook_displays_is_left_aligned_inline() -> None:
    for table in _displayed_tables():
        markup = table._repr_html_()
        cells = _cells(markup)
        assert {tag for tag, _ in cells} == {"th", "td"}, markup
        for tag, style in cells:
            assert "text-align:left" in style.replace(" ", ""), (tag, style)


def test_the_folded_columns_are_left_aligned_too() -> None:
    table = next(t for t in _displayed_tables() if "<details" in t._repr_html_())
    folded = table._repr_html_().split("<details", 1)[1]
    assert _cells(folded) and all("text-align:left" in style for _, style in _cells(folded))


def test_a_styled_table_a_notebook_displays_is_left_aligned() -> None:
    report = inspect_key(fake_key("quoted") + "\n", alias="ANTHROPIC_API_KEY")
    assert report.defects
    styled = [item for item in as_outputs(views.keys_detail([report], [])) if type(item).__name__ == "Styler"]
    assert len(styled) == 1
    markup = styled[0].to_html()
    table_id = re.search(r'<table id="(T_\w+)"', markup)
    assert table_id, markup
    for tag in ("th", "td"):
        rule = re.search(rf"#{table_id.group(1)} {tag} \{{([^}}]*)\}}", markup)
        assert rule and "text-align: left" in rule.group(1), (tag, markup[:400])


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _lab_css() -> Path:
    from jupyter_core.paths import jupyter_path

    for root in jupyter_path("nbconvert", "templates", "lab", "static"):
        css = Path(root) / "index.css"
        if css.is_file():
            return css
    pytest.skip("nbconvert's lab template (JupyterLab's stylesheet) is not installed")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (run `make browser`)")
def test_jupyterlab_stylesheet_leaves_the_tables_left_aligned(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    table = _displayed_tables()[0]._repr_html_()
    sanitized = re.sub(r"<style>.*?</style>", "", table, flags=re.S)  # JupyterLab's sanitizer drops <style>
    report = inspect_key(fake_key("quoted") + "\n", alias="ANTHROPIC_API_KEY")
    styled = next(i for i in as_outputs(views.keys_detail([report], [])) if type(i).__name__ == "Styler").to_html()
    output = '<div class="jp-RenderedHTMLCommon jp-RenderedHTML jp-OutputArea-output" id="{}">{}</div>'
    body = "".join(output.format(name, markup) for name, markup in (("trusted", table), ("sanitized", sanitized)))
    body += output.format("styler", styled)
    page = tmp_path / "lab.html"
    page.write_text(
        f'<!doctype html><html><head><link rel="stylesheet" href="{_lab_css().as_uri()}"></head>'
        f'<body class="jp-ThemedContainer">{body}</body></html>',
        encoding="utf-8",
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            tab = browser.new_page()
            tab.goto(page.as_uri())
            probe: Any = tab.evaluate(
                "() => Object.fromEntries(['trusted', 'sanitized', 'styler'].map(id => [id,"
                " [...document.querySelectorAll(`#${id} th, #${id} td`)].map(c => getComputedStyle(c).textAlign)]))"
            )
            # The stylesheet really is JupyterLab's: a plain table in the same output area is right-aligned.
            tab.evaluate(
                "() => document.body.insertAdjacentHTML('beforeend', '<div class=\"jp-RenderedHTMLCommon "
                'jp-RenderedHTML" id="plain"><table><tr><td>x</td></tr></table></div>\')'
            )
            plain = tab.evaluate("() => getComputedStyle(document.querySelector('#plain td')).textAlign")
        finally:
            browser.close()
    assert plain == "right", "JupyterLab's stylesheet did not load: the test would prove nothing"
    for name, aligns in probe.items():
        assert aligns and set(aligns) == {"left"}, (name, aligns)
