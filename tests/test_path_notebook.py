"""notebooks/03-network-path.ipynb: committed without outputs, runs headless from its parameters, and its
plain outputs (summary, PNG picture, tables, findings) say who answered, with no widget needed to read them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from kit.testing import NotebookRun, run_notebook

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "03-network-path.ipynb"


def test_parameters_name_the_api_and_the_demo() -> None:
    """(Clean-commit checks for every notebook live in tests/test_layout.py.)"""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "demo = " in tagged[0].source and "api_url = " in tagged[0].source


def _run(tmp_path: Path, **parameters: Any) -> NotebookRun:
    return run_notebook(NOTEBOOK, tmp_path / "out.ipynb", parameters)


def _outputs(run: NotebookRun) -> tuple[str, list[bytes]]:
    assert not run.errors, run.errors
    return run.text, list(run.images)


@pytest.mark.slow
def test_headless_demo_run_shows_the_foreign_answer(tmp_path: Path) -> None:
    nb = _run(tmp_path, demo="html-proxy", timeout=3.0, clients=["httpx2", "curl"])
    text, images = _outputs(nb)
    assert images and images[0].startswith(b"\x89PNG")
    assert "0 of 1 route(s)" in text and "a web page (filter, captive portal or WAF) answers" in text
    assert "proxy-interference" in text and "BLOCKER" in text
    json.loads(nb.raw)  # the executed notebook is plain JSON (exportable)


@pytest.mark.slow
def test_headless_demo_through_a_real_proxy(tmp_path: Path) -> None:
    nb = _run(tmp_path, demo="healthy", demo_proxy=True, timeout=3.0, clients=["httpx2", "curl", "sdk-node@0.24.3"])
    text, _ = _outputs(nb)
    assert "the proxy opened a tunnel" in text and "the API itself answers" in text
    assert "direct: this client ignores HTTPS_PROXY" in text
