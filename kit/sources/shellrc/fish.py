"""The fish reader: ``set`` with its scope and export flags, ``source``, blocks, and the universal
variables file ``fish_variables``."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from pathlib import Path

from kit.sources.shellrc.expand import Expander, Expansion
from kit.sources.shellrc.lexer import Token
from kit.sources.shellrc.records import Assignment
from kit.sources.shellrc.state import NAME, Event, State, make_assignment, words_of

_FISH_BLOCK_OPEN = {"if", "function", "for", "while", "begin", "switch"}
_FISH_FLAGS = {
    "g": "global",
    "x": "export",
    "U": "universal",
    "l": "local",
    "e": "erase",
    "u": "unexport",
    "a": "append",
    "p": "prepend",
    "q": "query",
    "f": "function",
    "n": "names",
    "S": "show",
    "L": "long",
}


def fish_command(tokens: list[Token], state: State, ex: Expander, path: Path) -> Iterable[Event]:
    """The events of one fish command: ``set`` with its flags, ``source``, and block state."""
    words = words_of(tokens)
    while words and words[0].text in ("and", "or", "not", "else", "command", "builtin"):
        words = words[1:]
    if not words:
        return
    name = words[0].text.rstrip("\r")
    if name in _FISH_BLOCK_OPEN:
        state.blocks.append("function" if name == "function" else "block")
        return
    if name == "end":
        state.pop(None)
        return
    if name in ("source", ".") and len(words) >= 2:
        target = ex.expand(words[1].text, allow_commands=False).value
        if target:
            yield (Path(target) if Path(target).is_absolute() else ex.home / target, words[1].line)
        return
    if name != "set":
        return
    options: set[str] = set()
    rest = words[1:]
    while rest and rest[0].text.startswith("-") and rest[0].text != "--":
        flag = rest[0].text
        if flag.startswith("--"):
            options.add(flag[2:])
        else:
            options.update(_FISH_FLAGS.get(ch, ch) for ch in flag[1:])
        rest = rest[1:]
    if rest and rest[0].text == "--":
        rest = rest[1:]
    if not rest or "query" in options or "names" in options or "show" in options:
        return
    var = rest[0]
    if not NAME.match(var.text):
        return
    if "erase" in options:
        ex.scope.pop(var.text, None)
        yield make_assignment(
            var.text, None, path=path, line=var.line, action="unset", exported=False, syntax="fish", state=state
        )
        return
    parts = [ex.expand(w.text) for w in rest[1:]]
    value: str | None = " ".join(p.value or "" for p in parts) if all(p.value is not None for p in parts) else None
    expansion = Expansion(value=value)
    for part in parts:
        expansion.quoting |= part.quoting
        expansion.notes += part.notes
    notes = []
    if "universal" in options:
        notes.append("universal variable: fish also stores it in fish_variables")
    if len(parts) > 1:
        notes.append(f"a list of {len(parts)} items; exported joined with spaces")
    if "append" in options or "prepend" in options:
        notes.append("appends to the list")
        expansion.value = None
    exported = "export" in options and "unexport" not in options
    local = "local" in options or (state.in_function and "global" not in options and "universal" not in options)
    if not state.in_function and not local:
        ex.scope[var.text] = expansion.value
    yield make_assignment(
        var.text,
        expansion,
        path=path,
        line=var.line,
        action="set",
        exported=exported and not local,
        syntax="fish",
        state=state,
        extra_note="; ".join(notes),
    )


def fish_universal(text: str, path: Path) -> Iterable[Assignment]:
    """``fish_variables``: ``SETUVAR [--export] NAME:VALUE`` lines with ``\\xHH`` escapes."""
    state = State()
    for number, raw in enumerate(text.splitlines(), start=1):
        match = re.match(r"^SETUVAR\s+(--export\s+)?([A-Za-z_][A-Za-z0-9_]*):(.*)$", raw)
        if not match:
            continue
        value = _fish_unescape(match.group(3)).replace("\x1e", " ")
        yield make_assignment(
            match.group(2),
            Expansion(value=value),
            path=path,
            line=number,
            action="set",
            exported=bool(match.group(1)),
            syntax="fish-universal",
            state=state,
            extra_note="fish universal variable (set -U)",
        )


def _fish_unescape(value: str) -> str:
    def sub(match: re.Match[str]) -> str:
        return chr(int(match.group(1), 16))

    text = re.sub(r"\\x([0-9A-Fa-f]{2})", sub, value)
    try:
        return codecs.decode(text.encode("latin-1", "surrogateescape"), "utf-8", "surrogateescape")
    except (UnicodeError, ValueError):
        return text
