"""Citations of the reference facts resolve: every ``docs/reference/X.md §N`` names a file and a section in it.

The catalog, the docs and the docstrings cite the reference pages by section so that a maintainer can go from a
string in the simulator to the fact and its source. A renamed page, a renumbered section or a citation of a file
outside the repository would leave a dangling pointer; these tests catch that.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
THIS_FILE = Path(__file__).resolve()

#: A section list after a page name: "§2", "§1-§2, §9-§10", "§2 and §9", "§5.1".
_SECTIONS = r"(?P<sections>(?:\s*(?:§\d+(?:\.\d+)*|[-–,]|and)\s*)*)"
#: A citation from anywhere in the repository.
CITATION = re.compile(r"docs/reference/(?P<page>[A-Za-z0-9_-]+\.md)" + _SECTIONS)
#: A citation between reference pages, which name each other without the folder.
SIBLING = re.compile(r"(?<![\w/.-])(?P<page>[a-z0-9-]+\.md)" + _SECTIONS)
#: Cause ids cited after the root-causes page: "root-causes.md C16-C18, C22", "root-causes.md §2 (C05)".
CAUSES = re.compile(r"root-causes\.md[\s§\d.,(]*(?P<ids>C\d\d(?:\s*[-–,]\s*C\d\d)*)")
SECTION_NUMBER = re.compile(r"§(\d+(?:\.\d+)*)")
HEADING = re.compile(r"^#{1,6}\s+§(\d+(?:\.\d+)*)\b", re.MULTILINE)
#: A path into the shared folder that lives beside the repository, or one of its old file names.
OUTSIDE = re.compile(r"(?<![\w/.-])(?:\.\./)*shared/(?:reference|seed|causes|design)|/work/shared|[\w-]+-facts\.md")


def repository_files() -> list[Path]:
    """Tracked files plus new ones not yet committed (ignored files excluded), skipping binaries."""
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    out = []
    for name in sorted(set(names)):
        path = ROOT / name
        if path.is_file() and b"\0" not in path.read_bytes()[:8192]:
            out.append(path)
    return out


def sections(page: Path) -> set[str]:
    """The section numbers a page's headings define ("1", "1.2", …)."""
    return set(HEADING.findall(page.read_text(encoding="utf-8")))


def citation_problems(text: str, folder: Path = REFERENCE, siblings: bool = False) -> list[str]:
    """Every citation in ``text`` whose page, section or cause id does not exist, as one line each."""
    problems = []
    found = list(CITATION.finditer(text))
    if siblings:
        known = {p.name for p in folder.glob("*.md")}
        found += [m for m in SIBLING.finditer(text) if m["page"] in known]
    for match in found:
        page = folder / match["page"]
        if not page.is_file():
            problems.append(f"{match.group(0).strip()!r}: no page {match['page']} in docs/reference/")
            continue
        defined = sections(page)
        for number in SECTION_NUMBER.findall(match["sections"]):
            if number not in defined:
                problems.append(f"{match.group(0).strip()!r}: {match['page']} has no section §{number}")
    causes_page = folder / "root-causes.md"
    for match in CAUSES.finditer(text):
        page_text = causes_page.read_text(encoding="utf-8") if causes_page.is_file() else ""
        for cause in re.findall(r"C\d\d", match["ids"]):
            if f"**{cause} " not in page_text:
                problems.append(f"{match.group(0).strip()!r}: root-causes.md describes no {cause}")
    return problems


def test_reference_pages_exist() -> None:
    names = {p.name for p in REFERENCE.glob("*.md")}
    assert {"anthropic-auth.md", "openai-gemini-auth.md", "claude-code-and-runtimes.md", "root-causes.md"} <= names


@pytest.mark.parametrize("page", sorted(REFERENCE.glob("*.md")), ids=lambda p: p.name)
def test_top_level_sections_are_numbered_in_order(page: Path) -> None:
    top = [int(n) for n in re.findall(r"^## §(\d+)\b", page.read_text(encoding="utf-8"), re.MULTILINE)]
    assert top and top == list(range(1, len(top) + 1)), f"{page.name}: sections {top}"


def test_every_reference_citation_resolves() -> None:
    problems = []
    for path in repository_files():
        if path == THIS_FILE:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        siblings = path.parent == REFERENCE
        problems += [f"{path.relative_to(ROOT)}: {p}" for p in citation_problems(text, siblings=siblings)]
    assert not problems, "\n".join(problems)


def test_the_catalog_cites_the_reference_pages() -> None:
    cited = {m["page"] for p in (ROOT / "data" / "catalog").glob("*.toml") for m in CITATION.finditer(p.read_text())}
    assert "anthropic-auth.md" in cited


def test_no_file_cites_the_shared_folder_outside_the_repository() -> None:
    offenders = []
    for path in repository_files():
        if path == THIS_FILE:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)


def test_a_dangling_citation_is_reported(tmp_path: Path) -> None:
    (tmp_path / "anthropic-auth.md").write_text("# A\n\n## §1 One\n\n### §1.2 Sub\n\n## §2 Two\n")
    (tmp_path / "root-causes.md").write_text("## §1 Causes\n\n- **C01 Wrong string.** text\n")
    good = "see docs/reference/anthropic-auth.md §1-§2, §1.2 and docs/reference/root-causes.md C01"
    assert citation_problems(good, tmp_path) == []
    bad = (
        "docs/reference/anthropic-auth.md §1, §3; docs/reference/missing.md §1; "
        "docs/reference/root-causes.md C01-C02; and anthropic-auth.md §9"
    )
    problems = citation_problems(bad, tmp_path, siblings=True)
    assert len(problems) == 4, problems
    assert any("no section §3" in p for p in problems)
    assert any("no page missing.md" in p for p in problems)
    assert any("no C02" in p for p in problems)
    assert any("no section §9" in p for p in problems)


def test_outside_pattern_matches_old_citations_only() -> None:
    old = [
        "../shared/reference/" + "anthropic-auth-" + "facts.md §3",
        "(shared/" + "seed/support-ticket.md)",
        "root" + "-causes" + "-facts.md",
    ]
    fine = ["anthropics/skills, skills/claude-api/shared/error-codes.md", "docs/reference/root-causes.md §5"]
    assert all(OUTSIDE.search(s) for s in old)
    assert not any(OUTSIDE.search(s) for s in fine)
