"""Notebook 00 in JupyterLab (Chromium): the card first, no math, one copy after a re-run, nothing in the Log Console.

Uses the JupyterLab fixture of ``tests/test_browser.py`` (loopback, a random token, news prompt off).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from kit.present.report import ROOT

test_browser = pytest.importorskip("test_browser")
pytestmark = test_browser.pytestmark
browser = test_browser.browser


def test_notebook_00_in_jupyterlab_leads_with_the_card_and_reruns_cleanly(browser: object, tmp_path: Path) -> None:
    import papermill

    from kit.testing import simulator

    with simulator("ticket") as url:
        papermill.execute_notebook(
            str(ROOT / "notebooks" / "00-investigation.ipynb"),
            str(tmp_path / "00-investigation.ipynb"),
            prepare_only=True,
            parameters={
                "api_url": url,
                "sandbox": str(ROOT / "data" / "demo" / "ticket"),
                "run_dir": str(tmp_path / "runs"),
            },
            progress_bar=False,
        )
        with test_browser._jupyterlab(tmp_path) as lab_url:
            page = browser.new_page(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
            page.goto(lab_url)
            page.wait_for_selector(".jp-Notebook", timeout=90_000)
            with contextlib.suppress(Exception):
                page.click(".jp-Dialog button:has-text('Select')", timeout=5_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
            page.click(".lm-MenuBar-itemLabel:text-is('Run')", timeout=30_000)
            page.click(".lm-Menu-itemLabel:text-is('Run All Cells')", timeout=30_000)
            try:
                page.locator(".jp-OutputArea-output :text('KeyLab investigation summary')").first.wait_for(
                    timeout=240_000
                )
                page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
            except Exception:
                page.screenshot(path=str(tmp_path / "lab-failure.png"), full_page=True)
                raise
            card = page.locator(".jp-OutputArea-output h2:has-text('The exported ANTHROPIC_API_KEY')").first
            first_step = page.locator(".widget-html b:text-is('1 · Where the keys come from')").first
            card_box, step_box = card.bounding_box(), first_step.bounding_box()
            assert card_box and step_box and card_box["y"] < step_box["y"], "the verdict card comes before step 1"
            maths = page.locator(".jp-OutputArea-output mjx-container, .jp-OutputArea-output .MathJax").count()
            assert maths == 0, f"{maths} output element(s) rendered as math"
            assert page.locator(".jp-OutputArea-output a[href^='mailto:']").count() == 0

            path_results = page.locator(".jp-OutputArea-output .kl-tables:has-text('dns')")
            before = path_results.count()
            assert before >= 1
            button = page.locator("button:has-text('Run the checks')").first
            button.scroll_into_view_if_needed()
            button.click()
            page.locator(".widget-output .kl-tables:has-text('dns')").first.wait_for(timeout=120_000)
            assert path_results.count() == before, "re-running the path step leaves one copy of its results"

            probe = page.locator("button:has-text('Run the probe')").first
            probe.scroll_into_view_if_needed()
            probe.click()
            page.locator(".widget-output :text('stale-env-shadows-dotenv')").first.wait_for(timeout=120_000)
            page.click(".lm-MenuBar-itemLabel:text-is('View')", timeout=30_000)
            page.click(".lm-Menu-itemLabel:text-is('Show Log Console')", timeout=30_000)
            console = page.locator(".jp-LogConsolePanel").first
            console.wait_for(timeout=30_000)
            logged = console.inner_text()
            assert "probe" not in logged and "KeyLab" not in logged and "req" not in logged, logged[:500]
            page.close()
