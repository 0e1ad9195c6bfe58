"""Findings and diagnoses as Markdown that survives rendering, in plain words.

``Finding.to_markdown`` (kit.values) is the plain form for JSON consumers and tests; the notebooks and the
report show findings through ``finding_markdown`` and ``diagnosis_markdown`` here, which escape every
dynamic string (``kit.present.text.md_text``), put each fix's commands in a copyable code block, and say
what happened instead of naming an exception class (``plain``, from ``data/catalog/wording.toml``).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from typing import TYPE_CHECKING

from kit.present.text import code_block, commands, md_text

if TYPE_CHECKING:
    from kit.diagnose.diagnosis import Diagnosis
    from kit.values import Finding

__all__ = ["diagnosis_markdown", "finding_markdown", "plain", "plain_words"]


@cache
def plain_words() -> dict[str, str]:
    """Exception class name → what happened, in words (``data/catalog/wording.toml``)."""
    from kit.catalog import DATA_DIR

    with (DATA_DIR / "catalog" / "wording.toml").open("rb") as handle:
        return dict(tomllib.load(handle)["errors"])


_DOUBLED = re.compile(r"\b([A-Za-z]{2,})(\s+\1\b)+", re.IGNORECASE)


def plain(text: str) -> str:
    """``text`` with exception class names replaced by what happened, and no doubled words ("the the")."""
    words = plain_words()
    if words:
        pattern = re.compile(r"\b(?:\w+\.)*(" + "|".join(map(re.escape, words)) + r")\b")
        text = pattern.sub(lambda m: words[m.group(1)], text)
    return _DOUBLED.sub(r"\1", text)


def finding_markdown(f: Finding) -> str:
    """One finding: severity and cause, the title, the evidence as a list, the fix and its commands."""
    lines = [
        f"**{f.severity.upper()} · `{f.cause}`** · {md_text(plain(f.title))} *(confidence {f.confidence:.0%})*",
        "",
    ]
    lines += [f"- {md_text(plain(item))}" for item in f.evidence]
    if f.fix:
        lines += ["", f"**Fix:** {md_text(f.fix)}"]
        found = commands(f.fix)
        if found:
            lines += ["", code_block("\n".join(found))]
    return "\n".join(lines) + "\n"


def diagnosis_markdown(d: Diagnosis) -> str:
    """The whole diagnosis: headline, numbered findings, what changes the answer, what is ruled out, notes."""
    parts = [f"### {md_text(plain(d.headline()))}", ""]
    for i, f in enumerate(d.findings, 1):
        parts.append(f"{i}. " + finding_markdown(f).replace("\n", "\n   ").rstrip())
        parts.append("")
    if d.attribution.attempts:
        parts += ["**What changes the answer.** " + md_text(plain(d.attribution.sentence)), ""]
        parts += [f"- {md_text(plain(line))}" for line in d.attribution.details]
        parts.append("")
    if d.ruled_out:
        parts += ["**Ruled out.**", ""] + [f"- {md_text(plain(r))}" for r in d.ruled_out] + [""]
    if d.notes:
        parts += ["**Notes.**", ""] + [f"- {md_text(plain(n))}" for n in d.notes] + [""]
    return "\n".join(parts)
