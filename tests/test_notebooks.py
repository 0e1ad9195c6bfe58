"""Every notebook runs headless against the simulator; the report is offline; a canary key never leaks.

These execute real kernels (papermill → nbclient), so they are the slowest tests; each notebook gets
the same parameters a user would give: an API URL and a sandbox, never a key.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from kit.present.report import ROOT, execute_notebook, export_html
from kit.testing import assert_no_leak, canary_sandbox, fake_key, read_notebook, simulator

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GUIDED = ROOT / "notebooks" / "00-investigation.ipynb"
pytestmark = pytest.mark.slow


def _params(notebooks: list[Path]) -> list[object]:
    """The guided notebook on the ticket is `make report`'s run: its tests share one execution (one worker)."""
    return [
        pytest.param(p, id=p.stem, marks=pytest.mark.xdist_group("ticket-report"))
        if p == GUIDED
        else pytest.param(p, id=p.stem)
        for p in notebooks
    ]


@pytest.mark.parametrize("notebook", _params(NOTEBOOKS))
def test_notebook_runs_headless_against_the_simulator(
    notebook: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    out = tmp_path / notebook.name
    if notebook == GUIDED:  # the same parameters: api_url (the ticket simulator), sandbox "ticket", a run_dir
        out = request.getfixturevalue("ticket_report").executed
    else:
        url = request.getfixturevalue("sim_ticket")  # the worker's ticket simulator: nothing reads its log
        execute_notebook(notebook, out, {"api_url": url, "sandbox": "ticket", "run_dir": str(tmp_path / "runs")})
    assert not read_notebook(out).errors
    html = export_html(out, tmp_path / (notebook.stem + ".html"))
    text = html.read_text()
    assert "<img" in text or notebook.stem.startswith(("01", "02")), "every investigation notebook shows a plot"


def test_canary_key_never_reaches_notebook_html_logs_or_images(tmp_path: Path) -> None:
    canary = fake_key(f"canary-{uuid.uuid4().hex}")
    sandbox = canary_sandbox(tmp_path / "canary-sandbox", canary, models=["claude-haiku-4-5"])
    runs = tmp_path / "runs"
    executed = tmp_path / "00.ipynb"
    with simulator("ticket") as url:
        execute_notebook(
            ROOT / "notebooks" / "00-investigation.ipynb",
            executed,
            {"api_url": url, "sandbox": str(sandbox), "run_dir": str(runs)},
        )
    assert not read_notebook(executed).errors
    full = export_html(executed, tmp_path / "full.html")
    share = export_html(executed, tmp_path / "share.html", no_input=True)
    logs = sorted(runs.rglob("*.jsonl"))
    assert logs, "the probe wrote no attempt log"
    nb = json.loads(executed.read_text())
    assert_no_leak([executed, full, share, *logs, json.dumps(nb.get("metadata", {}))], [canary])
    for png in read_notebook(executed).images:
        assert_no_leak([png.decode("latin-1")], [canary])
    assert re.search(r"fingerprint|fp:", full.read_text()), "the report identifies keys by fingerprint"
