"""The sh/bash/zsh reader: assignments, export/declare/typeset/local, unset, set -a, source, blocks and
functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from kit.sources.shellrc.expand import Expander
from kit.sources.shellrc.lexer import Token
from kit.sources.shellrc.records import Assignment
from kit.sources.shellrc.state import ASSIGN, NAME, Block, Event, State, make_assignment, words_of

_BLOCK_OF: dict[str, Block] = {"if": "if", "case": "case"}
_BLOCK_CLOSED_BY: dict[str, Block] = {"fi": "if", "esac": "case", "done": "loop"}
_POSIX_BLOCK_OPEN = {"if": "fi", "case": "esac", "for": "done", "while": "done", "until": "done", "select": "done"}


def posix_command(tokens: list[Token], state: State, ex: Expander, path: Path) -> Iterable[Event]:
    """The events of one sh/bash/zsh simple command (and the block state it opens or closes)."""
    toks = list(tokens)
    while toks:
        first = toks[0]
        if first.op and first.text == "(":
            if len(toks) >= 2 and toks[1].op and toks[1].text == ")":
                toks = toks[2:]
                continue
            state.blocks.append("subshell")
            toks = toks[1:]
            continue
        if first.op and first.text == ")":
            if state.blocks and state.blocks[-1] == "subshell":
                state.blocks.pop()
            toks = toks[1:]
            continue
        if first.op:
            return
        if "case" in state.blocks and len(toks) >= 2 and toks[1].op and toks[1].text == ")":
            toks = toks[2:]  # a case pattern: `pattern) command ;;`
            continue
        word = first.text.rstrip("\r")
        if word in ("then", "else", "do", "!", "time", "{"):
            if word == "{":
                state.blocks.append("function" if state.pending_function else "brace")
                state.pending_function = False
            toks = toks[1:]
            continue
        break
    if not toks:
        return
    first = toks[0]
    word = first.text.rstrip("\r")
    if word in _POSIX_BLOCK_OPEN:
        state.blocks.append(_BLOCK_OF.get(word, "loop"))
        return
    if word == "elif":
        return
    if word in ("fi", "esac", "done"):
        state.pop(_BLOCK_CLOSED_BY[word])
        return
    if word == "}":
        if state.blocks and state.blocks[-1] in ("function", "brace"):
            state.blocks.pop()
        return
    if word == "function" and len(toks) >= 2:
        state.pending_function = True
        rest = [t for t in toks[2:] if not (t.op and t.text in "()")]
        if rest and rest[0].text == "{":
            state.blocks.append("function")
            state.pending_function = False
            yield from posix_command(rest[1:], state, ex, path)
        return
    if len(toks) >= 3 and toks[1].op and toks[1].text == "(" and toks[2].op and toks[2].text == ")":
        state.pending_function = True
        rest = toks[3:]
        if rest and rest[0].text == "{":
            state.blocks.append("function")
            state.pending_function = False
            yield from posix_command(rest[1:], state, ex, path)
        return
    words = words_of(toks)
    name = words[0].text.rstrip("\r") if words else ""
    if name in ("export", "declare", "typeset", "local", "readonly"):
        yield from _posix_declare(name, words[1:], state, ex, path)
        return
    if name == "unset":
        for arg in words[1:]:
            if arg.text.startswith("-"):
                continue
            if NAME.match(arg.text):
                ex.scope.pop(arg.text, None)
                yield make_assignment(
                    arg.text,
                    None,
                    path=path,
                    line=arg.line,
                    action="unset",
                    exported=False,
                    syntax="posix",
                    state=state,
                )
        return
    if name == "set":
        flags = " ".join(w.text for w in words[1:3])
        if re.search(r"(^|\s)-[a-zA-Z]*a|-o allexport", flags):
            state.allexport = True
        elif re.search(r"(^|\s)\+[a-zA-Z]*a|\+o allexport", flags):
            state.allexport = False
        return
    if name in ("source", ".") and len(words) >= 2:
        target = ex.expand(words[1].text, allow_commands=False).value
        if target:
            target_path = Path(target) if Path(target).is_absolute() else ex.home / target
            yield (target_path, words[1].line)
        return
    # leading NAME=value words; if a command follows, they apply to that command only
    assigns: list[Token] = []
    for token in words:
        if ASSIGN.match(token.text):
            assigns.append(token)
        else:
            break
    if not assigns:
        return
    if len(assigns) < len(words):
        return  # `NAME=value command`: the value is for that one command, not the shell
    for token in assigns:
        yield _posix_assign(token, exported=state.allexport, state=state, ex=ex, path=path)


def _posix_assign(token: Token, *, exported: bool, state: State, ex: Expander, path: Path) -> Assignment:
    match = ASSIGN.match(token.text)
    assert match is not None
    name, append = match.group(1), match.group(2)
    expansion = ex.expand(token.text[match.end() :])
    if append and expansion.value is not None:
        prior = ex.scope.get(name)
        expansion.value = None if prior is None and name in ex.scope else (prior or "") + expansion.value
    if not state.in_function:
        ex.scope[name] = expansion.value
    note = "appends with +=" if append else ""
    return make_assignment(
        name,
        expansion,
        path=path,
        line=token.line,
        action="set",
        exported=exported,
        syntax="posix",
        state=state,
        extra_note=note,
    )


def _posix_declare(command: str, args: list[Token], state: State, ex: Expander, path: Path) -> Iterable[Event]:
    flags = "".join(a.text[1:] for a in args if a.text.startswith("-") and not ASSIGN.match(a.text))
    unexport = command == "export" and "n" in flags
    exported = (command == "export" and not unexport) or "x" in flags or state.allexport
    local = command == "local" or (command in ("declare", "typeset") and state.in_function and "g" not in flags)
    for arg in args:
        if arg.text.startswith(("-", "+")):
            continue
        if ASSIGN.match(arg.text):
            assignment = _posix_assign(arg, exported=exported and not local, state=state, ex=ex, path=path)
            if local:
                assignment = _with_note(assignment, "local to a function")
            yield assignment
        elif NAME.match(arg.text) and (exported or unexport):
            value = ex.scope.get(arg.text)
            yield Assignment(
                name=arg.text,
                value=value,
                path=path,
                line=arg.line,
                action="export-mark",
                exported=not unexport,
                syntax="posix",
                in_function=state.in_function,
                conditional=state.conditional,
                note="removes the export" if unexport else "marks the variable for export",
            )


def _with_note(assignment: Assignment, note: str) -> Assignment:
    joined = f"{assignment.note}; {note}" if assignment.note else note
    return Assignment(**{**assignment.__dict__, "note": joined})
