"""docs/architecture.md is true to the tree: every module it names exists, every package under kit/ is named,
and no module in kit/ is longer than a newcomer can read (500 lines)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
KIT = ROOT / "kit"


def _named() -> tuple[set[str], set[str]]:
    """The paths (``kit/x/y.py``, ``kit/x/``) and dotted names (``kit.x.y``) the page mentions in code spans."""
    text = DOC.read_text(encoding="utf-8")
    spans = re.findall(r"`([^`\n]+)`", text)
    paths = {m for s in spans for m in re.findall(r"\bkit/[\w/.]*[\w/]", s)}
    dotted = {m for s in spans for m in re.findall(r"\bkit(?:\.[a-z_][a-z0-9_]*)+", s)}
    return paths, dotted


def _exists_as_module(dotted: str) -> bool:
    parts = dotted.split(".")
    # kit.x.y may be a module, a package, or an attribute of one (kit.investigate.Run): accept the longest prefix.
    for n in range(len(parts), 1, -1):
        base = ROOT.joinpath(*parts[:n])
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            return n >= len(parts) - 1
    return False


def test_every_module_the_page_names_exists() -> None:
    paths, dotted = _named()
    # kit/_data/ exists only inside a built wheel (pyproject.toml maps data/ and notebooks/ there).
    missing = sorted(p for p in paths if not (ROOT / p).exists() and not p.startswith("kit/_data"))
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"
    missing = sorted(d for d in dotted if not _exists_as_module(d))
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"


def test_every_package_under_kit_is_named() -> None:
    paths, dotted = _named()
    text = " ".join(paths | dotted)
    packages = sorted(p.parent.relative_to(ROOT) for p in KIT.rglob("__init__.py") if "_data" not in p.parts)
    unnamed = [
        str(p)
        for p in packages
        if p != Path("kit") and f"{p.as_posix()}/" not in text and ".".join(p.parts) not in text
    ]
    assert not unnamed, f"packages missing from docs/architecture.md: {unnamed}"


def test_no_module_is_longer_than_500_lines() -> None:
    long = sorted(
        (str(p.relative_to(ROOT)), n)
        for p in KIT.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    )
    assert not long, f"split these modules along their seams: {long}"
