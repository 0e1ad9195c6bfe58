"""Text that survives rendering: every finding goes through the notebook's own path and comes out verbatim.

The notebook shows a finding as a Markdown output (``views.findings_items`` → ``widgets.as_outputs``). That
Markdown is read by JupyterLab's math scanner (two unescaped ``$`` make italic math), by a Markdown
renderer (nbconvert's, here) and by GFM autolinking (``sdk-node@0.24.3`` → ``mailto:``). The tests run
the ticket's findings and a set of hostile ones through that path and check that each fix command
appears verbatim in the rendered text, that nothing would be typeset as math and that no mailto link is made.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest

from kit import investigate as inv
from kit.diagnose.diagnosis import Diagnosis
from kit.present import views
from kit.present.prose import diagnosis_markdown, plain
from kit.present.text import code_block, commands, markdown_html, md_escape, md_guard, md_text
from kit.present.verdict import NOTEBOOK_ANCHORS, verdict_card
from kit.present.widgets import as_outputs
from kit.testing import simulator
from kit.values import Finding

HOSTILE = [
    Finding(
        cause="key-whitespace",
        severity="blocker",
        confidence=0.9,
        title="'key.txt' ends with a line break; $KEY and $(cat key.txt) differ",
        evidence=(
            '`echo "$KEY" | wc -c` prints 109 ($ANTHROPIC_API_KEY)',
            "sent by sdk-node@0.24.3 and curl",
            "404 model: <model> for *every* key_alias [sic]",
        ),
        fix='Rewrite it: `printf %s "$(cat key.txt)" > key.txt.new && mv key.txt.new key.txt` ($(cat) drops '
        "trailing newlines); costs $0.",
    ),
    Finding(
        cause="stale-env-shadows-dotenv",
        severity="warning",
        confidence=0.8,
        title="sdk-node@0.24.3 sends $ANTHROPIC_API_KEY",
        evidence=("a | b | c", "1. not a list"),
        fix="Run `unset ANTHROPIC_API_KEY` and `export ANTHROPIC_BASE_URL=https://api.anthropic.com`.",
    ),
]


def _math_spans(markdown: str) -> list[str]:
    """What JupyterLab's math scanner would typeset: ``$…$`` pairs outside code, not escaped with ``\\``."""
    text = re.sub(r"(?ms)^(\s*)(`{3,}).*?^\s*\2", "", markdown)  # fenced code blocks
    text = re.sub(r"(`+).+?\1", "", text)  # code spans
    text = re.sub(r"\\\$", "", text)
    return re.findall(r"\$[^$]+\$", text)


def _rendered(markdown: str) -> str:
    """The Markdown rendered to HTML (nbconvert's renderer), then as text a reader sees."""
    page = markdown_html(markdown)
    assert "mailto:" not in page, page
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _notebook_markdown(findings: list[Finding]) -> list[str]:
    """The Markdown outputs the notebook shows for these findings (the same call chain)."""
    outputs = as_outputs(views.findings_items(findings, "none"))
    return [o.data for o in outputs]


@pytest.mark.parametrize("finding", HOSTILE, ids=[f.cause for f in HOSTILE])
def test_each_fix_command_survives_the_notebook_path_verbatim(finding: Finding) -> None:
    (markdown,) = _notebook_markdown([finding])
    assert not _math_spans(markdown), _math_spans(markdown)
    text = _rendered(markdown)
    for command in re.findall(r"`([^`]+)`", finding.fix):
        assert command in text, (command, text)
    assert "sdk-node@0.24.3" in text or "sdk-node@0.24.3" not in " ".join(finding.evidence) + finding.title
    assert "404 model: <model>" in text or "<model>" not in " ".join(finding.evidence)


def test_commands_are_picked_from_code_spans_that_read_as_commands() -> None:
    assert commands(HOSTILE[0].fix) == ['printf %s "$(cat key.txt)" > key.txt.new && mv key.txt.new key.txt']
    assert commands("`unset X_Y_Z_KEY`, `ANTHROPIC_API_KEY`, `anthropic-version: 2023-06-01`") == ["unset X_Y_Z_KEY"]
    assert "```" not in code_block("a ``` b").split("\n", 1)[1].rsplit("\n", 1)[0].replace("a ``` b", "")


def test_escaping_is_literal_for_markdown_math_and_autolinks() -> None:
    text = "costs $5 or $6 * 2 at sdk-node@0.24.3 <b>x</b> [y](z) _a_ ~b~ #c"
    escaped = md_escape(text)
    assert not _math_spans(escaped)
    assert _rendered(escaped).strip() == text
    assert md_text("run `a $b` now $c") == "run `a $b` now \\$c"
    assert md_guard("**bold** $x `$y`") == "**bold** \\$x `$y`"


def test_plain_words_replace_exception_names_and_doubled_words() -> None:
    said = plain("3 attempts got no verdict (JSONDecodeError and h11.LocalProtocolError); sends to the the target")
    assert "Error" not in said and "the the" not in said
    assert "not JSON" in said and "refused to send a header" in said


@pytest.fixture(scope="module")
def ticket() -> Iterator[Diagnosis]:
    with simulator("ticket") as url:
        run = inv.Run(inv.setup(api_url=url, sandbox="ticket"))
        run.everything()
        assert run.diagnosis is not None
        yield run.diagnosis


@pytest.mark.slow  # a whole investigation (the SDK child, every client): make test-fast leaves it out
def test_the_ticket_findings_render_verbatim_through_the_notebook_path(ticket: Diagnosis) -> None:
    outputs = [*_notebook_markdown(list(ticket.findings)), diagnosis_markdown(ticket)]
    for markdown in outputs:
        assert not _math_spans(markdown), _math_spans(markdown)
    text = "\n".join(_rendered(m) for m in outputs)
    for finding in ticket.findings:
        for command in commands(finding.fix):
            assert command in text, command
    assert "LocalProtocolError" not in diagnosis_markdown(ticket), "no exception class names in prose"
    assert "model: )" not in text


def test_the_verdict_card_leads_with_the_cause_the_sentence_and_the_fix(ticket: Diagnosis) -> None:
    card = verdict_card(ticket)
    assert card.cause == "stale-env-shadows-dotenv" and card.status == "blocker"
    assert card.commands == ("unset ANTHROPIC_API_KEY",)
    assert card.sentence.startswith("Outcome depends only on the key") and "attempts over" not in card.sentence
    markdown = card.to_markdown()
    assert markdown.index("What changes the answer") < markdown.index("**Fix:**") < markdown.index("```bash")
    assert not _math_spans(markdown)
    assert "unset ANTHROPIC_API_KEY" in _rendered(markdown)
    assert all(NOTEBOOK_ANCHORS[s] in markdown for s in card.sections)
    text = card.to_text()
    assert text.startswith("Cause: stale-env-shadows-dotenv: ") and "\n    unset ANTHROPIC_API_KEY\n" in text
    page = card.to_html()
    assert "<pre" in page and "unset ANTHROPIC_API_KEY" in page and 'href="#kl-sources"' in page


def test_the_card_links_point_at_notebook_00s_headings() -> None:
    import json

    from kit.present.report import ROOT

    nb = json.loads((ROOT / "notebooks" / "00-investigation.ipynb").read_text())
    headings = [
        line[3:].strip()
        for c in nb["cells"]
        if c["cell_type"] == "markdown"
        for line in "".join(c["source"]).splitlines()
        if line.startswith("## ")
    ]
    ids = {"#" + h.replace(" ", "-") for h in headings}
    assert set(NOTEBOOK_ANCHORS.values()) <= ids, set(NOTEBOOK_ANCHORS.values()) - ids


def test_no_diagnosis_yet_is_a_card_too() -> None:
    card = verdict_card(None)
    assert card.status == "none" and card.fix and "No answer yet" in card.to_text()
