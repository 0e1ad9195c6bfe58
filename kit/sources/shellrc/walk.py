"""Reading one start-up file and, inline, the files it sources (with loop and depth limits)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kit.sources.shellrc.files import exists, read_bytes, resolved
from kit.sources.shellrc.parse import parse_text
from kit.sources.shellrc.records import Assignment, ShellFile, ShellSyntax

_MAX_INCLUDE_DEPTH = 6


def read_file(
    path: Path,
    syntax: ShellSyntax,
    *,
    home: Path,
    variables: Mapping[str, str],
    _depth: int = 0,
    _seen: frozenset[Path] = frozenset(),
) -> ShellFile:
    """Parse one start-up file (and the files it sources). Never raises: problems are listed."""
    problems: list[str] = []
    data = read_bytes(path, problems)
    if data is None:
        return ShellFile(path=path, syntax=syntax, assignments=(), problems=tuple(problems))
    if b"\x00" in data:
        problems.append(f"{path} contains NUL bytes: it is a binary file, not a shell start-up file; skipped")
        return ShellFile(path=path, syntax=syntax, assignments=(), problems=tuple(problems))
    text = data.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):
        problems.append(
            f"{path} starts with a byte order mark (BOM): the shell reads the first line's first word "
            "with it, so that line does not work"
        )
    seen = _seen | {resolved(path)}
    events = parse_text(text, syntax, path=path, home=home, variables=variables)
    assignments: list[Assignment] = []
    includes: list[Path] = []
    for event in events:
        if isinstance(event, Assignment):
            assignments.append(event)
            continue
        target, line = event
        includes.append(target)
        if resolved(target) in seen:
            problems.append(
                f"{path} line {line} sources {target}, which is already being read (a loop); not followed again"
            )
            continue
        if _depth >= _MAX_INCLUDE_DEPTH:
            problems.append(f"{path} line {line}: sourced files nest deeper than {_MAX_INCLUDE_DEPTH}; stopped")
            continue
        if not exists(target):
            continue  # `[ -f x ] && source x` is common; a missing optional file is not a problem
        inner_syntax: ShellSyntax = "fish" if syntax == "fish" else ("csh" if syntax == "csh" else "posix")
        inner = read_file(target, inner_syntax, home=home, variables=variables, _depth=_depth + 1, _seen=seen)
        assignments.extend(inner.assignments)
        includes.extend(inner.includes)
        problems.extend(inner.problems)
    return ShellFile(
        path=path, syntax=syntax, assignments=tuple(assignments), includes=tuple(includes), problems=tuple(problems)
    )
