"""The csh/tcsh reader: setenv (exported), unsetenv, set (a shell variable), source, blocks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from kit.sources.shellrc.expand import Expander, Expansion
from kit.sources.shellrc.lexer import Token
from kit.sources.shellrc.state import NAME, Event, State, make_assignment, words_of

_CSH_BLOCK_OPEN = {"foreach": "end", "while": "end", "switch": "endsw"}


def csh_command(tokens: list[Token], state: State, ex: Expander, path: Path) -> Iterable[Event]:
    """The events of one csh/tcsh simple command (and the block state it opens or closes)."""
    words = words_of(tokens)
    if not words:
        return
    name = words[0].text.rstrip("\r")
    if name == "if" and words[-1].text.rstrip("\r") == "then":
        state.blocks.append("if")
        return
    if name in ("endif",):
        state.pop("if")
        return
    if name in _CSH_BLOCK_OPEN:
        state.blocks.append("loop")
        return
    if name in ("end", "endsw"):
        state.pop("loop")
        return
    if name == "setenv" and len(words) >= 2 and NAME.match(words[1].text):
        raw = " ".join(w.text for w in words[2:3])
        expansion = ex.expand(raw) if len(words) >= 3 else Expansion(value="")
        if not state.in_function:
            ex.scope[words[1].text] = expansion.value
        yield make_assignment(
            words[1].text,
            expansion,
            path=path,
            line=words[1].line,
            action="set",
            exported=True,
            syntax="csh",
            state=state,
        )
        return
    if name == "unsetenv":
        for arg in words[1:]:
            ex.scope.pop(arg.text, None)
            yield make_assignment(
                arg.text, None, path=path, line=arg.line, action="unset", exported=False, syntax="csh", state=state
            )
        return
    if name == "set" and len(words) >= 2:
        joined = " ".join(w.text for w in words[1:])
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", joined, re.S)
        if match:
            expansion = ex.expand(match.group(2))
            yield make_assignment(
                match.group(1),
                expansion,
                path=path,
                line=words[1].line,
                action="set",
                exported=False,
                syntax="csh",
                state=state,
                extra_note="csh `set` makes a shell variable, not exported",
            )
        return
    if name == "source" and len(words) >= 2:
        target = ex.expand(words[1].text, allow_commands=False).value
        if target:
            yield (Path(target) if Path(target).is_absolute() else ex.home / target, words[1].line)
