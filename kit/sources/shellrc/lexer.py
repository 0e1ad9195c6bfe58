"""Splitting a start-up file into simple commands of raw words, as the shell's lexer would (quotes,
escapes, substitutions, heredocs and comments respected)."""

from __future__ import annotations

from dataclasses import dataclass

_POSIX_STOP = set(" \t\n;&|<>()")
_FISH_STOP = set(" \t\n;&|<>")


@dataclass
class Token:
    """A raw word (quotes kept) or an operator, with the line it starts on."""

    text: str
    line: int
    op: bool = False


def scan(text: str, syntax: str) -> list[list[Token]]:
    """Split ``text`` into simple commands of raw words and operators, as the shell's lexer would."""
    fish = syntax == "fish"
    stop = _FISH_STOP if fish else _POSIX_STOP
    commands: list[list[Token]] = []
    current: list[Token] = []
    heredocs: list[tuple[str, bool]] = []
    i, n, line = 0, len(text), 1

    def end_command() -> None:
        nonlocal current
        if current:
            commands.append(current)
        current = []

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] == "\n":
            i += 2
            line += 1
            continue
        if c in " \t" or (c == "\r" and (i + 1 >= n or text[i + 1] == "\n") and not current):
            i += 1  # a CR ending an empty line; a CR after a word stays in it, as bash keeps it
            continue
        if c == "\n":
            end_command()
            i += 1
            line += 1
            if heredocs:
                i, line = _skip_heredocs(text, i, line, heredocs)
                heredocs = []
            continue
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c in ";&|":
            end_command()
            i += 1
            while i < n and text[i] in ";&|":
                i += 1
            continue
        if c in "<>":
            j = i
            while j < n and text[j] in "<>&-":
                j += 1
            operator = text[i:j]
            current.append(Token(operator, line, op=True))
            i = j
            if operator.startswith("<<") and not operator.startswith("<<<"):
                while i < n and text[i] in " \t":
                    i += 1
                start = i
                i, line, _ = _read_word(text, i, line, stop, fish)
                delimiter = text[start:i].strip("'\"\\")
                if delimiter:
                    heredocs.append((delimiter, operator.endswith("-")))
            continue
        if c in "()" and not fish:
            current.append(Token(c, line, op=True))
            i += 1
            continue
        start_line = line
        start = i
        i, line, _ = _read_word(text, i, line, stop, fish)
        if i == start:  # an unexpected character: consume it so the scan always advances
            i += 1
        current.append(Token(text[start:i], start_line))
    end_command()
    return commands


def _skip_heredocs(text: str, i: int, line: int, heredocs: list[tuple[str, bool]]) -> tuple[int, int]:
    for delimiter, strip_tabs in heredocs:
        while i < len(text):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            body = text[i:end]
            i = end + 1
            line += 1
            if (body.lstrip("\t") if strip_tabs else body) == delimiter:
                break
    return min(i, len(text)), line


def _read_word(text: str, i: int, line: int, stop: set[str], fish: bool) -> tuple[int, int, bool]:
    """Advance over one shell word (quotes, escapes and substitutions included); return the new index."""
    n = len(text)
    closed = True
    while i < n:
        c = text[i]
        if c in stop:
            break
        if c == "\\":
            if i + 1 < n and text[i + 1] == "\n":
                line += 1
            i += 2
            continue
        if c == "'":
            end, closed = find_single(text, i + 1, fish)
            line += text.count("\n", i, end)
            i = end
            continue
        if c == '"':
            end, closed = find_double(text, i + 1)
            line += text.count("\n", i, end)
            i = end
            continue
        if c == "$" and i + 1 < n and text[i + 1] == "'" and not fish:
            end, closed = find_ansi(text, i + 2)
            line += text.count("\n", i, end)
            i = end
            continue
        if c == "$" and i + 1 < n and text[i + 1] in "({":
            end, closed = find_group(text, i + 1)
            line += text.count("\n", i, end)
            i = end
            continue
        if fish and c == "(":
            end, closed = find_group(text, i)
            line += text.count("\n", i, end)
            i = end
            continue
        if c == "`":
            end = text.find("`", i + 1)
            closed = end >= 0
            end = n if end < 0 else end + 1
            line += text.count("\n", i, end)
            i = end
            continue
        i += 1
    return i, line, closed


def find_single(text: str, i: int, fish: bool) -> tuple[int, bool]:
    """From inside a single quote, the index after its close (fish allows ``\\'`` inside)."""
    n = len(text)
    while i < n:
        if fish and text[i] == "\\" and i + 1 < n and text[i + 1] in "'\\":
            i += 2
            continue
        if text[i] == "'":
            return i + 1, True
        i += 1
    return n, False


def find_double(text: str, i: int) -> tuple[int, bool]:
    """From inside a double quote, the index after its close (substitutions inside skipped whole)."""
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1, True
        if c == "$" and i + 1 < n and text[i + 1] in "({":
            i, _ = find_group(text, i + 1)
            continue
        if c == "`":
            end = text.find("`", i + 1)
            i = n if end < 0 else end + 1
            continue
        i += 1
    return n, False


def find_ansi(text: str, i: int) -> tuple[int, bool]:
    """From inside bash's ``$'...'``, the index after its close."""
    n = len(text)
    while i < n:
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "'":
            return i + 1, True
        i += 1
    return n, False


def find_group(text: str, i: int) -> tuple[int, bool]:
    """From an opening ``(`` or ``{`` at ``i``, the index after its match (quotes inside respected)."""
    opener = text[i]
    closer = ")" if opener == "(" else "}"
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            i, _ = find_single(text, i + 1, False)
            continue
        if c == '"':
            i, _ = find_double(text, i + 1)
            continue
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return i + 1, True
        i += 1
    return n, False
