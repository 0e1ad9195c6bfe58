"""`make report`'s job end to end: simulator up, notebook headless, HTML that opens offline, simulator down."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
from shared_runs import TicketReport

from kit.present.report import build_report, strip_widgets

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ticket-report")]


@pytest.fixture(scope="module")
def report(ticket_report: TicketReport) -> tuple[Path, Path, str]:
    """``build_report`` on the ticket, made once per test session (tests/conftest.py) and read here."""
    return ticket_report.full, ticket_report.share, ticket_report.full.read_text()


def test_report_is_self_contained(report: tuple[Path, Path, str]) -> None:
    _, _, html = report
    external = re.findall(r"<(?:script|link|img|iframe)[^>]+(?:src|href)\s*=\s*[\"']?(?:https?:)?//[^\"'> ]+", html)
    assert not external, f"the report loads from other hosts: {external[:3]}"
    images = re.findall(r"<img[^>]+src=\"data:image/png;base64,", html)
    assert images, "plots must be embedded as images"


def test_report_shows_the_attempts_table_the_heatmap_and_the_findings(report: tuple[Path, Path, str]) -> None:
    _, _, html = report
    assert "request_id" in html and "req_" in html, "the attempts table with request ids"
    assert "invalid x-api-key" in html
    assert "stale-env-shadows-dotenv" in html, "the ticket's cause is named"


def test_share_variant_has_no_code(report: tuple[Path, Path, str]) -> None:
    _, share, full_html = report
    text = share.read_text()

    def code_cells(html: str) -> list[str]:
        return re.findall(r'<div class="(jp-Cell jp-CodeCell[^"]*)"', html)

    assert any("jp-mod-noInput" not in c for c in code_cells(full_html)), "the full report shows the code"
    assert code_cells(text) and all("jp-mod-noInput" in c for c in code_cells(text)), "the shared copy shows no code"
    assert "stale-env-shadows-dotenv" in text


def test_simulator_is_stopped_when_the_notebook_fails(tmp_path: Path) -> None:
    import nbformat

    from kit.errors import KitError

    broken = tmp_path / "broken.ipynb"
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    nb.cells = [
        nbformat.v4.new_code_cell('api_url = ""\nsandbox = ""\nmarker = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("open(marker, 'w').write(api_url)\nraise SystemExit(3)"),
    ]
    nbformat.write(nb, str(broken))
    with pytest.raises(KitError, match="failed in cell"):
        build_report(
            notebook=broken,
            out=tmp_path / "r.html",
            scenario="healthy",
            sandbox=None,
            extra_parameters={"marker": str(tmp_path / "url")},
        )
    url = urlparse((tmp_path / "url").read_text())
    with pytest.raises(OSError), socket.create_connection((url.hostname or "", url.port or 0), timeout=1):
        pass


def test_strip_widgets_removes_state_and_views() -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "1"}, "text/plain": "VBox()"}
        ),
        nbformat.v4.new_output("stream", name="stderr", text="10%\r50%\r100%\n"),
    ]
    nb.cells.append(cell)
    stripped = strip_widgets(nb)
    assert "widgets" not in stripped.metadata
    assert len(stripped.cells[0].outputs) == 1
    assert stripped.cells[0].outputs[0]["text"] == "100%\n"


def test_report_html_share_and_the_kept_notebook_are_private(report: tuple[Path, Path, str]) -> None:
    """Issue 17 item 6: reports and the executed notebook hold hints and fingerprints: 0600, not 0644."""
    full, share, _ = report
    for path in (full, share, full.with_suffix(".ipynb")):
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_report_out_must_be_html(tmp_path: Path) -> None:
    """Issue 17 item 7: --out x.ipynb overwrote the executed notebook with HTML, then a NotJSONError traceback."""
    from kit.errors import UsageError

    with pytest.raises(UsageError, match=r"name the report x\.html"):
        build_report(out=tmp_path / "x.ipynb", scenario="healthy", sandbox=None)
    assert not (tmp_path / "x.ipynb").exists()


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "no-fork"])
def test_both_exports_come_out_alike_with_or_without_a_forked_copy(
    ticket_report: TicketReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    import os

    from kit.present.report import export_both

    if not fork:
        monkeypatch.delattr(os, "fork")  # a system without fork renders both here, one after the other
    full, share = export_both(ticket_report.executed, tmp_path / "r.html", tmp_path / "r-share.html")
    assert full.read_text() == ticket_report.full.read_text()
    assert share.read_text() == ticket_report.share.read_text()


def test_the_warm_up_thread_imports_nothing_the_kernel_start_also_imports() -> None:
    """Two threads importing one package at once can leave it half initialised for the whole process (seen:
    ``'IPython' has no attribute 'core'`` after the render's lexer and the kernel's start met). So the
    packages the warm-up render needs are imported before its thread starts; this checks in a fresh process
    which packages appear while the thread runs."""
    import json
    import subprocess
    import sys

    script = (
        "import json, sys, threading\n"
        "from kit.present import report\n"
        "seen = {}\n"
        "start = threading.Thread.start\n"
        "def recording(self):\n"
        "    seen['before'] = set(sys.modules)\n"
        "    start(self)\n"
        "threading.Thread.start = recording\n"
        "report._warm_exporters().join()\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - seen['before']})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    imported_by_thread = set(json.loads(done.stdout))
    shared = {"IPython", "jupyter_client", "jupyter_core", "traitlets", "zmq", "nbformat", "papermill", "nbclient"}
    assert not imported_by_thread & shared, imported_by_thread
