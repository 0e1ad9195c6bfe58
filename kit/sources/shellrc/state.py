"""What the readers share: the block state of a file being read, and turning an expansion into an
``Assignment`` (with its notes, scrubbed)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kit.sources.shellrc.expand import Expansion
from kit.sources.shellrc.lexer import Token
from kit.sources.shellrc.records import AssignAction, Assignment, Quoting, ShellSyntax

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?)=")

#: The blocks a statement can sit in: a function body (runs only when called), or a block that may not run.
Block = Literal["function", "brace", "subshell", "if", "case", "loop", "block"]

#: What a reader yields: an assignment, or a sourced file as ``(path, line)``.
Event = Assignment | tuple[Path, int]


@dataclass
class State:
    """Where the reader is in a file: the open blocks, ``set -a``, and a function name waiting for its body."""

    blocks: list[Block] = field(default_factory=list)
    allexport: bool = False
    pending_function: bool = False
    exported_names: set[str] = field(default_factory=set)

    @property
    def in_function(self) -> bool:
        return "function" in self.blocks

    @property
    def conditional(self) -> bool:
        return any(b != "function" for b in self.blocks)

    def pop(self, kind: Block | None = None) -> None:
        if not self.blocks:
            return
        if kind is None or kind in self.blocks:
            while self.blocks:
                top = self.blocks.pop()
                if kind is None or top == kind:
                    break


def make_assignment(
    name: str,
    expansion: Expansion | None,
    *,
    path: Path,
    line: int,
    action: AssignAction,
    exported: bool,
    syntax: ShellSyntax,
    state: State,
    extra_note: str = "",
) -> Assignment:
    """An ``Assignment`` from an expansion, its notes joined and scrubbed (notes never quote values)."""
    quoting: Quoting = ""
    notes: list[str] = []
    value = None
    if expansion is not None:
        value = expansion.value
        quoting = "mixed" if len(expansion.quoting) > 1 else next(iter(expansion.quoting), "")
        notes = list(dict.fromkeys(expansion.notes))
    if extra_note:
        notes.append(extra_note)
    if value is not None and value.endswith("\r"):
        notes.append(
            "the value ends with a carriage return: the file has Windows (CRLF) line endings, which the "
            "shell keeps in the value (fix: `dos2unix` the file, or save it with LF endings)"
        )
    if state.in_function:
        notes.append("inside a function: runs only when the function is called")
    elif state.conditional:
        notes.append("inside an if/case/loop block: may not run")
    from kit.guard.redact import scrub  # notes quote file names and commands, never values; scrub anyway

    return Assignment(
        name=name,
        value=value,
        path=path,
        line=line,
        action=action,
        exported=exported,
        syntax=syntax,
        quoting=quoting,
        in_function=state.in_function,
        conditional=state.conditional,
        note=scrub("; ".join(notes)),
    )


def words_of(tokens: Sequence[Token]) -> list[Token]:
    """The words of a command, operators left out."""
    return [t for t in tokens if not t.op]
