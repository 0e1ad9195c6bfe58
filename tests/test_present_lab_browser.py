"""Notebooks 00 and 02 in JupyterLab (Chromium) on the ticket demo: the verdict card first, no math, one copy of a
step's results after a re-run, no mailto link, nothing from KeyLab in the Log Console.

Uses the JupyterLab fixture of ``tests/test_browser.py`` (loopback, a random token, news prompt off). The
notebook-00 test also takes the README's JupyterLab screenshot (``KEYLAB_UPDATE_SCREENSHOT=1`` refreshes it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kit.present.report import ROOT

test_browser = pytest.importorskip("test_browser")
pytestmark = [*test_browser.pytestmark, pytest.mark.xdist_group("jupyterlab")]  # one worker, one JupyterLab
browser = test_browser.browser

LAB_SHOT = ROOT / "docs" / "img" / "lab.png"
#: The ticket's top cause, as the card's heading says it (notebooks 00 and 02 alike).
CARD = ".jp-OutputArea-output h2:has-text('The exported ANTHROPIC_API_KEY')"
KERNEL_DIALOG = ".jp-Dialog button:has-text('Select')"
KERNEL_IDLE = ".jp-Notebook-ExecutionIndicator[data-status='idle']"


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: the folder it serves and the URL that opens a notebook there."""

    root: Path
    url_of: Callable[[str], str]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One JupyterLab for the module's notebooks (each test opens its own notebook in it)."""
    root = tmp_path_factory.mktemp("lab")
    with test_browser._jupyterlab(root) as url_of:
        yield Lab(root, url_of)


@contextlib.contextmanager
def _ran_all(
    browser: Any, lab: Lab, tmp_path: Path, notebook: str, parameters: dict[str, Any], finished: str
) -> Iterator[Any]:
    """``notebook`` with ``parameters`` filled in (as papermill would, not executed), opened in JupyterLab at
    1440×900 and run with Run ▸ Run All Cells; yields the page once ``finished`` shows in an output and the
    kernel is idle. On a failure, a full-page screenshot and the notebook's text are left in ``tmp_path``."""
    import papermill

    papermill.execute_notebook(
        str(ROOT / "notebooks" / notebook),
        str(lab.root / notebook),
        prepare_only=True,
        parameters=parameters,
        progress_bar=False,
    )
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(lab.url_of(notebook))
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        _kernel_ready(page)
        page.click(".lm-MenuBar-itemLabel:text-is('Run')", timeout=30_000)
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')", timeout=30_000)
        page.locator(f".jp-OutputArea-output :text('{finished}')").first.wait_for(timeout=240_000)
        page.wait_for_selector(KERNEL_IDLE, timeout=120_000)
        yield page
    except Exception:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(tmp_path / "lab-failure.png"), full_page=True)
            (tmp_path / "lab-failure.txt").write_text(page.inner_text(".jp-Notebook"), encoding="utf-8")
            print("left for reading:", tmp_path / "lab-failure.png", tmp_path / "lab-failure.txt")
        raise
    finally:
        page.close()


#: True once the open notebook's session is ready and its kernel connected and idle (``window.jupyterapp``).
_READY_JS = """() => {
  const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const context = widget && widget.sessionContext;
  const kernel = context && context.session && context.session.kernel;
  return !!kernel && context.isReady && kernel.connectionStatus === "connected" && kernel.status === "idle";
}"""


def _kernel_ready(page: Any, timeout_s: float = 60.0) -> None:
    """Wait until the notebook's kernel can take Run All (a dialog asking which kernel, from older settings,
    is answered). The toolbar's idle dot alone is not enough: it can show before the session is ready, and a
    Run All then stops after the first cell."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(_READY_JS):
        if page.locator(KERNEL_DIALOG).count():
            page.click(KERNEL_DIALOG, timeout=5_000)
        assert time.monotonic() < deadline, "the notebook's kernel did not become ready"
        page.wait_for_timeout(200)


def _card_first_no_math_no_mailto(page: Any, first_step: str) -> None:
    """The verdict card sits above the first step's panel; no output is rendered as math; no mailto link."""
    card = page.locator(CARD).first
    step = page.locator(f".widget-html b:text-is('{first_step}')").first
    card_box, step_box = card.bounding_box(), step.bounding_box()
    assert card_box and step_box and card_box["y"] < step_box["y"], f"the verdict card comes before {first_step!r}"
    maths = page.locator(".jp-OutputArea-output mjx-container, .jp-OutputArea-output .MathJax").count()
    assert maths == 0, f"{maths} output element(s) rendered as math"
    assert page.locator(".jp-OutputArea-output a[href^='mailto:']").count() == 0


def _rerun_leaves_one_copy(page: Any, results: str, button: str) -> None:
    """Clicking ``button`` puts the step's results in its panel and leaves exactly as many copies as before (one)."""
    shown = page.locator(results)
    assert shown.count() == 1, f"{shown.count()} copies of {results} after Run All"
    clicked = page.locator(f"button:has-text('{button}')").first
    clicked.scroll_into_view_if_needed()
    clicked.click()
    page.locator(f".widget-output {results}").first.wait_for(timeout=120_000)
    page.wait_for_selector(KERNEL_IDLE, timeout=120_000)
    assert shown.count() == 1, f"{shown.count()} copies of {results} after clicking {button!r}"


def _log_console(page: Any) -> str:
    """The text of JupyterLab's Log Console (View ▸ Show Log Console).

    The menu is opened again when the panel does not appear: on a busy machine a click can land while the
    menu is still laying out, and the menu then closes without running the command.
    """
    console = page.locator(".jp-LogConsolePanel").first
    for attempt in range(3):
        page.click(".lm-MenuBar-itemLabel:text-is('View')", timeout=30_000)
        page.click(".lm-Menu-itemLabel:text-is('Show Log Console')", timeout=30_000)
        try:
            console.wait_for(timeout=10_000)
            break
        except Exception:
            page.keyboard.press("Escape")  # a menu left open
            if attempt == 2:
                raise
    return str(console.inner_text())


def _readme_shot(page: Any, tmp_path: Path) -> None:
    """The README's picture of the interactive demo: the verdict card down to step 1's panel, 1440 px wide.

    The file browser is folded away and the card scrolled to the top; the window is made taller for the shot
    (card, set-up lines, the "How KeyLab works" note and step 1 do not fit in 900 px) and the picture is cut
    just below step 1's panel and its one-line answer; then the window goes back to 1440×900.
    """
    sidebar = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")  # its open tab, if any
    if sidebar.count():
        sidebar.first.click(timeout=5_000)  # folds the sidebar
    page.set_viewport_size({"width": 1440, "height": 1500})
    try:
        card = page.locator(CARD).first
        card.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        step = page.locator(".widget-html b:text-is('1 · Where the keys come from')").first
        found = page.locator(".jp-OutputArea-output p:has-text('distinct credential(s) in')").first  # step 1's answer
        card_box, step_box, found_box = card.bounding_box(), step.bounding_box(), found.bounding_box()
        assert card_box and step_box and found_box, "the card and step 1's answer are on the page"
        bottom = min(found_box["y"] + found_box["height"] + 12, 1500)
        assert 0 <= card_box["y"] < step_box["y"] < bottom, f"card {card_box} and step 1 {step_box} not in the shot"
        shot = tmp_path / "lab.png"
        page.screenshot(path=str(shot), clip={"x": 0, "y": 0, "width": 1440, "height": bottom})
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})
    from PIL import Image

    with Image.open(shot) as image:  # 256 colours: the same picture at a fraction of the bytes
        image.convert("RGB").quantize(256).save(shot, optimize=True)
    assert shot.stat().st_size > 20_000, "the JupyterLab screenshot is not blank"
    if os.environ.get("KEYLAB_UPDATE_SCREENSHOT"):
        LAB_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, LAB_SHOT)


def test_notebook_00_in_jupyterlab_leads_with_the_card_and_reruns_cleanly(
    browser: object, lab: Lab, tmp_path: Path
) -> None:
    from kit.testing import simulator

    with simulator("ticket") as url:
        parameters = {
            "api_url": url,
            "sandbox": str(ROOT / "data" / "demo" / "ticket"),
            "run_dir": str(tmp_path / "runs"),
        }
        with _ran_all(
            browser, lab, tmp_path, "00-investigation.ipynb", parameters, "KeyLab investigation summary"
        ) as page:
            _card_first_no_math_no_mailto(page, "1 · Where the keys come from")
            _readme_shot(page, tmp_path)
            _rerun_leaves_one_copy(page, ".kl-tables:has-text('dns')", "Run the checks")

            probe = page.locator("button:has-text('Run the probe')").first
            probe.scroll_into_view_if_needed()
            probe.click()
            page.locator(".widget-output :text('stale-env-shadows-dotenv')").first.wait_for(timeout=120_000)
            logged = _log_console(page)
            assert "probe" not in logged and "KeyLab" not in logged and "req" not in logged, logged[:500]


def test_notebook_02_in_jupyterlab_leads_with_the_card_and_reruns_cleanly(
    browser: object, lab: Lab, tmp_path: Path
) -> None:
    parameters = {"sandbox": str(ROOT / "data" / "demo" / "ticket")}
    with _ran_all(browser, lab, tmp_path, "02-credential-sources.ipynb", parameters, "Who wins, per client") as page:
        _card_first_no_math_no_mailto(page, "Find every source and the winner per client")
        for anchor in ("1-·-Who-wins,-per-client", "What-shadows-what"):  # the card's evidence links lead somewhere
            assert page.locator(f"[data-jupyter-id='{anchor}']").count() >= 1, f"no heading with id {anchor!r}"
        _rerun_leaves_one_copy(page, "h3:text-is('Who wins, per client')", "Look again")
        assert page.locator(CARD).count() == 1, "the card is redrawn in place, not added"
        logged = _log_console(page)
        assert "KeyLab" not in logged and "sdk-python" not in logged and "sk-ant" not in logged, logged[:500]
