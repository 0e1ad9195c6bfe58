"""notebooks/04-probe-matrix.ipynb: saved without outputs, runs headless on the ticket, shows the matrix, no leak."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from kit.present.report import ROOT, execute_notebook
from kit.testing import assert_no_leak, fake_key, read_notebook

NOTEBOOK = ROOT / "notebooks" / "04-probe-matrix.ipynb"


def test_the_parameters_cell_comes_first():
    """(Clean-commit checks for every notebook live in tests/test_layout.py.)"""
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])


@pytest.mark.slow
def test_runs_headless_on_the_ticket_and_shows_the_matrix(tmp_path: Path, sim_ticket: str):
    out = tmp_path / "04.ipynb"
    execute_notebook(
        NOTEBOOK, out, {"api_url": sim_ticket, "sandbox": "ticket", "run_dir": str(tmp_path / "runs"), "plan": "full"}
    )
    nb = nbformat.read(str(out), as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    text = read_notebook(out).text
    assert "What changes the outcome" in text and "comparisons that changed the verdict" in text
    assert "Every request, one row each" in text and "invalid x-api-key" in text
    assert "LocalProtocolError" in text  # the key files' newline, refused by h11
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 4  # three heatmaps and the latency plot
    logs = list((tmp_path / "runs").glob("*.jsonl"))
    assert logs
    secrets = [fake_key(n) for n in ("prototype-2024", "fresh-1", "fresh-2", "fresh-3")]
    assert_no_leak([out, *logs], secrets)
