"""Notebooks 01 (key hygiene) and 02 (credential sources) run headless on a canary sandbox: they show the
defects as markers in place and the winner per client, and the canary key reaches no output or export."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from kit.keys.naming import fingerprint
from kit.present.report import ROOT, execute_notebook, export_html
from kit.testing import assert_no_leak, canary_sandbox, fake_key, read_notebook

pytestmark = pytest.mark.slow
HYGIENE = ROOT / "notebooks" / "01-key-hygiene.ipynb"
SOURCES = ROOT / "notebooks" / "02-credential-sources.ipynb"


def _outputs(path: Path) -> str:
    run = read_notebook(path)
    assert not run.errors
    return run.text


def test_hygiene_and_sources_notebooks_on_a_canary_sandbox(tmp_path: Path) -> None:
    canary = fake_key(f"canary-{uuid.uuid4().hex}")
    fresh = fake_key(f"fresh-{uuid.uuid4().hex}")
    sandbox = canary_sandbox(tmp_path / "sandbox", canary, fresh=fresh, key_file_suffix=".")
    secrets = [canary, fresh]

    hygiene = execute_notebook(HYGIENE, tmp_path / "01.ipynb", {"sandbox": str(sandbox)})
    shown = _outputs(hygiene)
    assert "⟨U+200B⟩" in shown and "zero-width character" in shown  # the .env key's hidden character, in place
    assert "U+002E FULL STOP" in shown and "key-extra-chars" in shown  # the canary file's extra '.'
    assert "prints 110 for this value and 109 for a correct key" in shown
    html = export_html(hygiene, tmp_path / "01.html", no_input=True)

    sources = execute_notebook(SOURCES, tmp_path / "02.ipynb", {"sandbox": str(sandbox)})
    provenance = _outputs(sources)
    assert "stale-env-shadows-dotenv" in provenance and "~/.bashrc line 1" in provenance
    assert fingerprint(canary) in provenance and "asked the installed anthropic" in provenance
    html2 = export_html(sources, tmp_path / "02.html", no_input=True)
    assert "sdk-node@0.24.3" in html2.read_text()

    assert_no_leak([hygiene, sources, html, html2], secrets)
