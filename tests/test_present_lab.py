"""`make lab`: the demo notebook gets the simulator's URL and the ticket sandbox; JupyterLab's news prompt is off."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from kit.present.lab import lab_command, prepare


def test_the_demo_notebook_has_its_parameters_filled_in(tmp_path: Path) -> None:
    notebook = prepare("http://127.0.0.1:8700", tmp_path / "lab")
    nb = nbformat.read(str(notebook), as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'api_url = "http://127.0.0.1:8700"' in injected[0].source
    assert 'sandbox = "ticket"' in injected[0].source
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "prepared, not executed"


def test_jupyterlab_listens_on_loopback_with_the_news_prompt_off(tmp_path: Path) -> None:
    notebook = tmp_path / "reports" / "lab" / "00-investigation.ipynb"
    notebook.parent.mkdir(parents=True)
    command = lab_command(tmp_path, notebook, 8899)
    assert "--ip=127.0.0.1" in command and "--LabApp.news_url=" in command
    assert any(c.endswith("/lab/tree/reports/lab/00-investigation.ipynb") for c in command)
    settings = notebook.parent / ".lab-settings" / "@jupyterlab" / "apputils-extension"
    assert json.loads((settings / "notification.jupyterlab-settings").read_text())["fetchNews"] == "false"
