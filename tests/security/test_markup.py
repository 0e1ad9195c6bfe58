"""Promise: a string from a file, the environment or a server is shown, never rendered as live HTML or Markdown.

Markup is planted in each outside input (a sandbox's description, a variable, a folder's name, a key
file's name) and the exported report is searched for it; the executed notebook kept beside it is
searched for the canaries too.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import mistune
import pytest

from kit.present.markup import md_code, md_text
from kit.testing.canary import assert_no_canary

from .test_artifacts import _canaries, _names, _sandbox
from .test_cli_input import run_kit

MARKUP = '<script>alert("kl")</script><img src="http://198.51.100.7/x.png"> [c](javascript:alert(1)) # H'
LIVE = re.compile(r"<script>alert|<img src=\"http://198|href=\"javascript", re.IGNORECASE)


@pytest.mark.parametrize("value", [MARKUP, "x` " + MARKUP + " `y", "a\n# heading\n```\n" + MARKUP, "**b** _i_"])
def test_outside_strings_render_as_text(value: str) -> None:
    for rendered in (mistune.html(f"*{md_text(value)}*"), mistune.html(f"path {md_code(value)} end")):
        assert not LIVE.search(rendered), rendered
        assert "<h1" not in rendered and "<strong>" not in rendered and "<pre" not in rendered


@pytest.mark.slow
def test_the_report_and_its_notebook_hold_no_live_markup_and_no_key(tmp_path: Path) -> None:
    """Items 7, 11, 12: a sandbox's description ran as HTML; the kept .ipynb and the path panel held the key."""
    names = _names()
    box = _sandbox(tmp_path, names, description=MARKUP)
    from kit.demo.fakekeys import derive_key

    url_key = derive_key(names["url"])
    token = f"gw{secrets.token_hex(10)}"  # a gateway password: not key-shaped, known to KeyLab only from the URL
    with (box / "sandbox.toml").open("a") as fh:
        fh.write(
            f'ANTHROPIC_BASE_URL = "http://{{{{key:{names["url"]}}}}}@127.0.0.1:9"\n'
            f'OPENAI_BASE_URL = "http://user:{token}@127.0.0.1:9"\n'
            f'HTTPS_PROXY = "http://proxyuser:{token}x@127.0.0.1:9"\n'
        )
    reports = tmp_path / "reports"
    result = run_kit(
        "report", "--sandbox", str(box), "--scenario", "healthy", "--out", str(reports / "r.html"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    written = sorted(p for p in reports.rglob("*") if p.is_file())
    assert any(p.suffix == ".html" for p in written)
    for path in written:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not LIVE.search(text), f"{path.name} renders outside markup as HTML"
    assert_no_canary(reports, [*_canaries(names), url_key, token, token + "x"])


def test_every_panel_output_is_scrubbed_and_inert() -> None:
    """Item 7: tables in panels (a path target URL with a credential) were shown without the report's scrub."""
    import pandas as pd

    from kit.guard.redact import remember
    from kit.present.widgets import as_outputs
    from kit.testing.canary import canary_key

    canary, token = canary_key(), f"gw{secrets.token_hex(10)}"
    remember([token])
    frame = pd.DataFrame([{"target": f"http://{canary}@10.0.0.1", "verdict": f"<script>{token}</script>"}])
    table, styled, text = as_outputs([frame, frame.style, f"verdict: {MARKUP} for {token}"])
    assert_no_canary(table.to_html() + table.to_string(), [canary, token])
    assert_no_canary(styled.to_html(), [canary, token])
    assert "<script>" not in styled.to_html() and not LIVE.search(mistune.html(text.data))
    assert_no_canary(text.data, [token])
