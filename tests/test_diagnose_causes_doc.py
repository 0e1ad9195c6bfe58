"""docs/causes.md is generated from the rule registry and covers the public cause vocabulary."""

from __future__ import annotations

import re
from pathlib import Path

from kit.diagnose.causes_doc import DOC_PATH, VOCABULARY, check, main, render
from kit.diagnose.rules import RULES

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "causes.md"


def test_docs_causes_md_is_not_stale() -> None:
    assert check(), "docs/causes.md is stale: run `.venv/bin/python -m kit.diagnose.causes_doc`"


def test_every_cause_a_rule_reports_is_in_the_vocabulary() -> None:
    known = {c.id for c in VOCABULARY}
    assert {c for r in RULES for c in r.causes} <= known


def test_the_vocabulary_matches_the_shared_contract() -> None:
    ids = [c.id for c in VOCABULARY]
    assert len(ids) == len(set(ids))
    if SHARED.is_file():  # the contract lives beside the repository in the workspace
        contract = re.findall(r"^\| `([a-z0-9-]+)` \|", SHARED.read_text(), flags=re.MULTILINE)
        assert sorted(contract) == sorted(ids)


def test_the_page_shows_recognition_and_fix_for_each_rule(tmp_path: Path) -> None:
    page = render()
    for r in RULES:
        assert f"rule `{r.name}`" in page
        assert r.fix in page
    for c in VOCABULARY:
        assert f"### `{c.id}`" in page
    out = tmp_path / "causes.md"
    assert main(["--check", "--out", str(out)]) == 1
    assert main(["--out", str(out)]) == 0 and main(["--check", "--out", str(out)]) == 0
    assert DOC_PATH.name == "causes.md"
