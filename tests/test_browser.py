"""In a real browser: the exported report offline; and the JupyterLab server the notebook tests in
``test_present_lab_browser.py`` use (the guided notebook run there with Run All, its probe button clicked).

Uses Debian's Chromium (`make browser`) driven by Playwright; skipped with a reason when it is absent.
Everything stays on loopback: the report is opened from a file with every non-file request refused,
and JupyterLab is started on 127.0.0.1 with a random token.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from shared_runs import TicketReport

from kit.present.kernel import lab_kernel_options
from kit.present.report import ROOT
from kit.testing import stop_process

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (run `make browser`)"),
]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = ROOT / "docs" / "img" / "report.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield instance
        instance.close()


@pytest.mark.xdist_group("ticket-report")
def test_exported_report_renders_offline_with_findings_and_heatmaps(
    browser: object, tmp_path: Path, ticket_report: TicketReport
) -> None:
    full = ticket_report.full  # build_report on the ticket, made once per session (tests/conftest.py)
    context = browser.new_context(viewport={"width": 1200, "height": 900}, offline=True)  # type: ignore[attr-defined]
    outside: list[str] = []

    def guard(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(("file://", "data:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", guard)
    page = context.new_page()
    page.goto(full.as_uri())
    page.wait_for_load_state("load")
    body = page.inner_text("body")
    assert "stale-env-shadows-dotenv" in body, "the findings are visible"
    decoded = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert decoded and all(ok and w > 50 and h > 50 for ok, w, h in decoded), f"images not decoded: {decoded}"
    assert len(decoded) >= 2, "at least the outcome heatmap and one more plot"
    assert not outside, f"the page requested {outside[:3]}"
    findings = page.locator("text=stale-env-shadows-dotenv").first
    findings.scroll_into_view_if_needed()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 20_000, "the screenshot is not blank"
    if os.environ.get("KEYLAB_UPDATE_SCREENSHOT"):
        shutil.copy(shot, SCREENSHOT)
    context.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _jupyterlab(root: Path) -> Iterator[Callable[[str], str]]:
    """JupyterLab on ``root`` (loopback, a random token, news prompt off); yields the URL of a notebook there."""
    port, token = _free_port(), secrets.token_hex(16)
    # JupyterLab 4 leaves off-screen cells out of the page; render them all so the panels can be found.
    settings = root / ".lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none", "autoStartDefaultKernel": true}')
    (root / ".lab-settings" / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (root / ".lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_", "ANTHROPIC_"))}
    env["JUPYTER_TOKEN"] = token
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.open_browser=False",
            "--LabApp.news_url=",
            f"--LabApp.user_settings_dir={root / '.lab-settings'}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the tests wait for the kernel's session
            *lab_kernel_options(),  # as make lab: the kernel on Unix sockets
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],  # CI runs as root
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert proc.poll() is None, "JupyterLab exited at start"
            time.sleep(0.3)
        # ?reset: an empty workspace, so a page opens only its notebook, not the tabs an earlier page left
        yield lambda notebook: f"http://127.0.0.1:{port}/lab/tree/{notebook}?reset&token={token}"
    finally:
        stop_process(proc)
