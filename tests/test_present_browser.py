"""The ticket report and its share copy in Chromium at 1280×900: the answer is on the first screen.

Acceptance of issue 14: the top cause and its fix are visible without scrolling; no horizontal scroll; no
``NaN``; every fix command of every finding appears verbatim in the page text; no ``mailto:`` link.
The verdict card's screenshot is the README's hero image (``KEYLAB_UPDATE_SCREENSHOT=1`` refreshes it).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from shared_runs import TicketReport

from kit.present.report import ROOT
from kit.present.text import commands

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.xdist_group("present-browser"),  # one worker, one Chromium for the module
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (run `make browser`)"),
]
HERO = ROOT / "docs" / "img" / "verdict.png"


@pytest.fixture(scope="module")
def report(ticket_report: TicketReport) -> tuple[Path, Path, list[str]]:
    """``make report``'s run on the ticket (the suite's one, ``conftest.ticket_report``) and the fix commands
    its cards name."""
    full, share, out = ticket_report.full, ticket_report.share, ticket_report.executed
    nb = nbformat.read(str(out), as_version=4)
    markdown = [
        o["data"]["text/markdown"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if "text/markdown" in o.get("data", {})
    ]
    fixes = [line for m in markdown for line in m.splitlines() if "**Fix:**" in line]
    wanted = sorted({c for line in fixes for c in commands(line)})
    assert "unset ANTHROPIC_API_KEY" in wanted and any(c.startswith("printf %s") for c in wanted), wanted
    return full, share, wanted


@pytest.fixture(scope="module")
def page_of() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
        context.route(
            "**/*",
            lambda route: route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort(),
        )
        yield context
        browser.close()


@pytest.mark.parametrize("which", ["full", "share"])
def test_the_answer_is_on_the_first_screen_and_everything_fits(
    report: tuple[Path, Path, list[str]], page_of: object, which: str, tmp_path: Path
) -> None:
    full, share, wanted = report
    page = page_of.new_page()  # type: ignore[attr-defined]
    page.goto((full if which == "full" else share).as_uri())
    page.wait_for_load_state("load")
    card = page.locator("h2:has-text('The exported ANTHROPIC_API_KEY')").first
    command = page.locator("pre:has-text('unset ANTHROPIC_API_KEY')").first
    for element in (card, command):
        box = element.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 900, f"below the first screen: {box}"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"horizontal scroll: the page is {width} px wide"
    text = page.inner_text("body")
    assert not re.search(r"\bNaN\b", text), "NaN on the page"
    missing = [c for c in wanted if c not in text]
    assert not missing, f"fix commands not verbatim on the page: {missing}"
    assert page.locator("a[href^='mailto:']").count() == 0
    if which == "share":
        shot = tmp_path / "verdict.png"
        page.locator(".jp-OutputArea-output:has(h2:has-text('The exported ANTHROPIC_API_KEY'))").first.screenshot(
            path=str(shot)
        )
        assert shot.stat().st_size > 10_000, "the verdict card screenshot is not blank"
        if os.environ.get("KEYLAB_UPDATE_SCREENSHOT"):
            HERO.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, HERO)
    page.close()
