"""Read shell start-up files (bash, zsh, sh, fish, csh) the way the shell would, without running them.

A stale ``export ANTHROPIC_API_KEY=...`` in ``~/.zshrc`` is the most common reason a new key "does not
work": every new terminal exports the old one, and dotenv loaders do not override it. This module finds
every assignment to a variable, with its file, line, quoting and whether it is exported, follows
``source``/``.`` includes, and works out which value a new terminal ends up with.

It is a reader, not a shell: command substitutions are not run (except the common ``$(cat FILE)``,
which is read), functions are not called, and conditions are not evaluated; such assignments are
marked so that the report can say so. Values are secrets: ``Assignment.value`` never appears in a
repr, and notes are scrubbed.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kit.guard.reader import Read, read_bounded

__all__ = [
    "MAX_SHELL_FILE_BYTES",
    "Action",
    "Assignment",
    "ShellFile",
    "Startup",
    "effective",
    "parse_text",
    "read_file",
    "shell_name",
    "startup_files",
]

#: What a start-up file statement does to a variable: set it, mark it for export (no value), or unset it.
Action = Literal["set", "export-mark", "unset"]
#: Start-up files larger than this are not read (they are not start-up files).
MAX_SHELL_FILE_BYTES = 1_048_576
_MAX_INCLUDE_DEPTH = 6
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?)=")
_POSIX_STOP = set(" \t\n;&|<>()")
_FISH_STOP = set(" \t\n;&|<>")
_POSIX_BLOCK_OPEN = {"if": "fi", "case": "esac", "for": "done", "while": "done", "until": "done", "select": "done"}
_CSH_BLOCK_OPEN = {"foreach": "end", "while": "end", "switch": "endsw"}
_FISH_BLOCK_OPEN = {"if", "function", "for", "while", "begin", "switch"}


@dataclass(frozen=True)
class Assignment:
    """One statement that sets, exports or unsets a variable in a start-up file."""

    name: str
    value: str | None = field(repr=False)  # None: not known without running the shell (or an unset)
    path: Path
    line: int
    action: Action
    exported: bool  # an explicit export (export, declare -x, set -x, setenv, allexport)
    syntax: str  # posix | fish | fish-universal | csh
    quoting: str = ""  # "", single, double, ansi-c, mixed
    in_function: bool = False  # inside a function body: runs only when the function is called
    conditional: bool = False  # inside if/case/loop: may or may not run
    note: str = ""

    @property
    def applies_at_startup(self) -> bool:
        return not self.in_function


@dataclass(frozen=True)
class ShellFile:
    """A start-up file as read: its assignments in order (with sourced files inline) and any problems."""

    path: Path
    syntax: str
    assignments: tuple[Assignment, ...]
    includes: tuple[Path, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Startup:
    """A candidate start-up file and whether the user's shell reads it when a new terminal opens."""

    path: Path
    syntax: str
    read_by_shell: bool
    shell: str  # the shell that reads this file


# ----------------------------------------------------------------------------------------------------
# Which files


def shell_name(variables: Mapping[str, str]) -> str:
    """The user's shell from ``$SHELL`` (``zsh``, ``bash``, ``fish``, ``sh``, ``tcsh``...), or ``""``."""
    return os.path.basename(variables.get("SHELL", "").strip())


def startup_files(home: Path, variables: Mapping[str, str]) -> list[Startup]:
    """Every start-up file that exists in HOME, in the order its shell reads it, marked by whether
    the user's shell (``$SHELL``) reads it in a new terminal (a login, interactive shell)."""
    shell = shell_name(variables)
    zdot = Path(variables.get("ZDOTDIR") or home)
    xdg = Path(variables.get("XDG_CONFIG_HOME") or home / ".config")
    fish_dir = xdg / "fish"
    bash_login = next((home / n for n in (".bash_profile", ".bash_login", ".profile") if (home / n).exists()), None)
    candidates: list[tuple[Path, str, str, bool]] = [
        (zdot / ".zshenv", "posix", "zsh", True),
        (zdot / ".zprofile", "posix", "zsh", True),
        (zdot / ".zshrc", "posix", "zsh", True),
        (zdot / ".zlogin", "posix", "zsh", True),
        (home / ".bash_profile", "posix", "bash", bash_login == home / ".bash_profile"),
        (home / ".bash_login", "posix", "bash", bash_login == home / ".bash_login"),
        (home / ".profile", "posix", "bash", bash_login == home / ".profile"),
        (home / ".bashrc", "posix", "bash", True),
        (fish_dir / "fish_variables", "fish-universal", "fish", True),
        *[(p, "fish", "fish", True) for p in _sorted_glob(fish_dir / "conf.d", "*.fish")],
        (fish_dir / "config.fish", "fish", "fish", True),
        (home / ".tcshrc", "csh", "tcsh", True),
        (home / ".cshrc", "csh", "tcsh", not (home / ".tcshrc").exists() or shell == "csh"),
        (home / ".login", "csh", "tcsh", True),
    ]
    if shell in ("sh", "dash", "ksh", "mksh"):
        candidates.append((home / ".profile", "posix", shell, True))
    out: list[Startup] = []
    seen: set[tuple[Path, str]] = set()
    for path, syntax, owner, read in candidates:
        if (path, owner) in seen or not _exists(path):
            continue
        seen.add((path, owner))
        mine = owner == shell or (shell == "csh" and owner == "tcsh")
        out.append(Startup(path=path, syntax=syntax, read_by_shell=mine and read, shell=owner))
    # a file two shells read (.profile) is listed once, read if either of them is the user's
    merged: dict[Path, Startup] = {}
    for item in out:
        if item.path in merged:
            prior = merged[item.path]
            merged[item.path] = Startup(item.path, item.syntax, prior.read_by_shell or item.read_by_shell,
                                        prior.shell if prior.read_by_shell else item.shell)
        else:
            merged[item.path] = item
    return list(merged.values())


def _exists(path: Path) -> bool:
    try:
        return path.exists() or path.is_symlink()
    except OSError:
        return True  # a symlink loop or the like: listed, and reading it reports the problem


def _sorted_glob(folder: Path, pattern: str) -> list[Path]:
    try:
        return sorted(folder.glob(pattern))
    except OSError:
        return []


# ----------------------------------------------------------------------------------------------------
# Reading a file


def read_file(path: Path, syntax: str, *, home: Path, variables: Mapping[str, str],
              _depth: int = 0, _seen: frozenset[Path] = frozenset()) -> ShellFile:
    """Parse one start-up file (and the files it sources). Never raises: problems are listed."""
    problems: list[str] = []
    data = _read_bytes(path, problems)
    if data is None:
        return ShellFile(path=path, syntax=syntax, assignments=(), problems=tuple(problems))
    if b"\x00" in data:
        problems.append(f"{path} contains NUL bytes: it is a binary file, not a shell start-up file; skipped")
        return ShellFile(path=path, syntax=syntax, assignments=(), problems=tuple(problems))
    text = data.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):
        problems.append(f"{path} starts with a byte order mark (BOM): the shell reads the first line's first word "
                        "with it, so that line does not work")
    seen = _seen | {_resolved(path)}
    events = parse_text(text, syntax, path=path, home=home, variables=variables)
    assignments: list[Assignment] = []
    includes: list[Path] = []
    for event in events:
        if isinstance(event, Assignment):
            assignments.append(event)
            continue
        target, line = event
        includes.append(target)
        if _resolved(target) in seen:
            problems.append(f"{path} line {line} sources {target}, which is already being read (a loop); "
                            "not followed again")
            continue
        if _depth >= _MAX_INCLUDE_DEPTH:
            problems.append(f"{path} line {line}: sourced files nest deeper than {_MAX_INCLUDE_DEPTH}; stopped")
            continue
        if not _exists(target):
            continue  # `[ -f x ] && source x` is common; a missing optional file is not a problem
        inner_syntax = "fish" if syntax == "fish" else ("csh" if syntax == "csh" else "posix")
        inner = read_file(target, inner_syntax, home=home, variables=variables, _depth=_depth + 1, _seen=seen)
        assignments.extend(inner.assignments)
        includes.extend(inner.includes)
        problems.extend(inner.problems)
    return ShellFile(path=path, syntax=syntax, assignments=tuple(assignments), includes=tuple(includes),
                     problems=tuple(problems))


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def _read_bytes(path: Path, problems: list[str]) -> bytes | None:
    got = read_bounded(path, MAX_SHELL_FILE_BYTES)
    if isinstance(got, Read):
        return got.data
    if got.reason == "directory":
        problems.append(f"{path} is a directory, not a file")
    elif got.reason in ("fifo", "special"):
        problems.append(f"{path} is not a regular file (a FIFO or device); not read")
    elif got.reason == "too-large":
        problems.append(f"{path} is {got.size} bytes, too large for a start-up file; not read")
    else:
        problems.append(f"{path} cannot be read: {got.error}")
    return None


# ----------------------------------------------------------------------------------------------------
# Tokens


@dataclass
class _Token:
    text: str
    line: int
    op: bool = False


def _scan(text: str, syntax: str) -> list[list[_Token]]:
    """Split ``text`` into simple commands of raw words and operators, as the shell's lexer would."""
    fish = syntax == "fish"
    stop = _FISH_STOP if fish else _POSIX_STOP
    commands: list[list[_Token]] = []
    current: list[_Token] = []
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
            current.append(_Token(operator, line, op=True))
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
            current.append(_Token(c, line, op=True))
            i += 1
            continue
        start_line = line
        start = i
        i, line, _ = _read_word(text, i, line, stop, fish)
        if i == start:  # an unexpected character: consume it so the scan always advances
            i += 1
        current.append(_Token(text[start:i], start_line))
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
            end, closed = _find_single(text, i + 1, fish)
            line += text.count("\n", i, end)
            i = end
            continue
        if c == '"':
            end, closed = _find_double(text, i + 1)
            line += text.count("\n", i, end)
            i = end
            continue
        if c == "$" and i + 1 < n and text[i + 1] == "'" and not fish:
            end, closed = _find_ansi(text, i + 2)
            line += text.count("\n", i, end)
            i = end
            continue
        if c == "$" and i + 1 < n and text[i + 1] in "({":
            end, closed = _find_group(text, i + 1)
            line += text.count("\n", i, end)
            i = end
            continue
        if fish and c == "(":
            end, closed = _find_group(text, i)
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


def _find_single(text: str, i: int, fish: bool) -> tuple[int, bool]:
    n = len(text)
    while i < n:
        if fish and text[i] == "\\" and i + 1 < n and text[i + 1] in "'\\":
            i += 2
            continue
        if text[i] == "'":
            return i + 1, True
        i += 1
    return n, False


def _find_double(text: str, i: int) -> tuple[int, bool]:
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1, True
        if c == "$" and i + 1 < n and text[i + 1] in "({":
            i, _ = _find_group(text, i + 1)
            continue
        if c == "`":
            end = text.find("`", i + 1)
            i = n if end < 0 else end + 1
            continue
        i += 1
    return n, False


def _find_ansi(text: str, i: int) -> tuple[int, bool]:
    n = len(text)
    while i < n:
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "'":
            return i + 1, True
        i += 1
    return n, False


def _find_group(text: str, i: int) -> tuple[int, bool]:
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
            i, _ = _find_single(text, i + 1, False)
            continue
        if c == '"':
            i, _ = _find_double(text, i + 1)
            continue
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return i + 1, True
        i += 1
    return n, False


# ----------------------------------------------------------------------------------------------------
# Expansion of one raw word


@dataclass
class _Expansion:
    value: str | None
    quoting: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


class _Expander:
    """Expands raw words the way the shell would at start-up, where that can be known without running anything."""

    def __init__(self, syntax: str, home: Path, scope: dict[str, str | None], base: Path) -> None:
        self.syntax = syntax
        self.home = home
        self.scope = scope
        self.base = base

    def expand(self, raw: str, *, allow_commands: bool = True) -> _Expansion:
        result = _Expansion(value="")
        out: list[str] = []
        known = True
        i, n = 0, len(raw)
        fish = self.syntax == "fish"
        if raw.startswith("~") and (n == 1 or raw[1] == "/"):
            out.append(str(self.home))
            i = 1
        while i < n:
            c = raw[i]
            if c == "'":
                end, closed = _find_single(raw, i + 1, fish)
                body = raw[i + 1:end - 1] if closed else raw[i + 1:]
                if fish:
                    body = body.replace("\\'", "'").replace("\\\\", "\\")
                out.append(body)
                result.quoting.add("single")
                if not closed:
                    result.notes.append("unterminated single quote")
                i = end
            elif c == '"':
                end, closed = _find_double(raw, i + 1)
                inner = raw[i + 1:end - 1] if closed else raw[i + 1:]
                part = self._double(inner, allow_commands, result)
                known = known and part is not None
                out.append(part or "")
                result.quoting.add("double")
                if not closed:
                    result.notes.append("unterminated double quote")
                i = end
            elif c == "$" and i + 1 < n and raw[i + 1] == "'" and not fish:
                end, closed = _find_ansi(raw, i + 2)
                out.append(_ansi_c(raw[i + 2:end - 1] if closed else raw[i + 2:]))
                result.quoting.add("ansi-c")
                i = end
            elif c == "$":
                part, i = self._dollar(raw, i, allow_commands, result)
                known = known and part is not None
                out.append(part or "")
            elif c == "`":
                end = raw.find("`", i + 1)
                end = n if end < 0 else end + 1
                part = self._command(raw[i + 1:end - 1], allow_commands, result)
                known = known and part is not None
                out.append(part or "")
                i = end
            elif fish and c == "(":
                end, _ = _find_group(raw, i)
                part = self._command(raw[i + 1:end - 1], allow_commands, result)
                known = known and part is not None
                out.append(part or "")
                i = end
            elif c == "\\" and i + 1 < n:
                nxt = raw[i + 1]
                out.append("" if nxt == "\n" else nxt)
                i += 2
            else:
                out.append(c)
                i += 1
        result.value = "".join(out) if known else None
        return result

    def _double(self, inner: str, allow_commands: bool, result: _Expansion) -> str | None:
        out: list[str] = []
        i, n = 0, len(inner)
        known = True
        escapable = '$`"\\\n' if self.syntax != "fish" else '$"\\\n'
        while i < n:
            c = inner[i]
            if c == "\\" and i + 1 < n and inner[i + 1] in escapable:
                out.append("" if inner[i + 1] == "\n" else inner[i + 1])
                i += 2
            elif c == "$":
                part, i = self._dollar(inner, i, allow_commands, result)
                known = known and part is not None
                out.append(part or "")
            elif c == "`" and self.syntax != "fish":
                end = inner.find("`", i + 1)
                end = n if end < 0 else end + 1
                part = self._command(inner[i + 1:end - 1], allow_commands, result)
                known = known and part is not None
                out.append(part or "")
                i = end
            else:
                out.append(c)
                i += 1
        return "".join(out) if known else None

    def _dollar(self, raw: str, i: int, allow_commands: bool, result: _Expansion) -> tuple[str | None, int]:
        n = len(raw)
        if i + 1 >= n:
            return "$", i + 1
        nxt = raw[i + 1]
        if nxt == "(":
            end, _ = _find_group(raw, i + 1)
            if raw.startswith("$((", i):
                result.notes.append("arithmetic expansion is not evaluated")
                return None, end
            return self._command(raw[i + 2:end - 1], allow_commands, result), end
        if nxt == "{":
            end, _ = _find_group(raw, i + 1)
            return self._braced(raw[i + 2:end - 1], result), end
        match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", raw[i + 1:])
        if match:
            return self._lookup(match.group(0), result), i + 1 + match.end()
        if nxt.isdigit() or nxt in "@*#?$!-":
            result.notes.append(f"uses the special parameter ${nxt}")
            return None, i + 2
        return "$", i + 1

    def _braced(self, inner: str, result: _Expansion) -> str | None:
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=+?])(.*))?$", inner, re.S)
        if not match:
            result.notes.append("uses a parameter expansion KeyLab does not evaluate")
            return None
        name, operator, word = match.group(1), match.group(2), match.group(3) or ""
        if not operator:
            return self._lookup(name, result)
        current = self.scope.get(name) if name in self.scope else None
        unset = name not in self.scope or current is None
        empty_counts = operator.startswith(":")
        use_word = unset or (empty_counts and current == "")
        if operator.endswith(("-", "=")):
            if not use_word:
                return current
            return self.expand(word, allow_commands=False).value
        if operator.endswith("+"):
            return self.expand(word, allow_commands=False).value if not use_word else ""
        return current if not use_word else None

    def _lookup(self, name: str, result: _Expansion) -> str | None:
        if name in self.scope:
            value = self.scope[name]
            if value is None:
                result.notes.append(f"uses ${name}, whose value is not known without running the shell")
            return value
        if name == "HOME":
            return str(self.home)
        result.notes.append(f"uses ${name}, which is not set where KeyLab looked")
        return None

    def _command(self, command: str, allow_commands: bool, result: _Expansion) -> str | None:
        """A command substitution. Only ``cat FILE`` / ``< FILE`` is evaluated (by reading the file)."""
        match = re.match(r"^\s*(?:cat\s+(?:--\s+)?|<\s*)(\S+)\s*$", command)
        if not allow_commands or not match:
            tool = command.strip().split(" ", 1)[0] if command.strip() else "?"
            kind = {"security": "the macOS keychain", "op": "1Password", "pass": "pass", "gopass": "gopass",
                    "bw": "Bitwarden", "lpass": "LastPass", "secret-tool": "the Secret Service",
                    "aws": "AWS", "gcloud": "gcloud", "vault": "Vault"}.get(tool)
            where = f" (read from {kind} when the shell starts)" if kind else ""
            result.notes.append(f"set by running `{tool}` at start-up{where}; KeyLab does not run it")
            return None
        target = self.expand(match.group(1), allow_commands=False).value
        if target is None:
            return None
        path = Path(target)
        if not path.is_absolute():
            path = self.home / path  # a shell starting up runs in HOME
        problems: list[str] = []
        data = _read_bytes(path, problems)
        if data is None:
            result.notes.append(f"reads {path} at start-up, which KeyLab could not read")
            return None
        result.notes.append(f"read from {path} at start-up ($(cat ...) drops trailing newlines)")
        return data.decode("utf-8", "surrogateescape").rstrip("\n")


def _ansi_c(body: str) -> str:
    """Decode bash's ``$'...'`` escapes (``\\n``, ``\\t``, ``\\xHH``, ``\\uHHHH``, ``\\'``...)."""
    def sub(match: re.Match[str]) -> str:
        esc = match.group(0)
        simple = {"\\n": "\n", "\\t": "\t", "\\r": "\r", "\\a": "\a", "\\b": "\b", "\\e": "\x1b", "\\E": "\x1b",
                  "\\f": "\f", "\\v": "\v", "\\\\": "\\", "\\'": "'", '\\"': '"', "\\?": "?"}
        if esc in simple:
            return simple[esc]
        try:
            if esc[1] in "xuU":
                return chr(int(esc[2:], 16))
            if esc[1].isdigit():
                return chr(int(esc[1:], 8))
        except (ValueError, OverflowError):
            return esc
        return esc

    return re.sub(r"\\(?:x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|.)", sub, body, flags=re.S)


# ----------------------------------------------------------------------------------------------------
# Interpretation


Event = Assignment | tuple[Path, int]


def parse_text(text: str, syntax: str, *, path: Path, home: Path, variables: Mapping[str, str]) -> list[Event]:
    """The assignments (and ``source`` includes, as ``(path, line)``) in ``text``, in order. Never raises."""
    if syntax == "fish-universal":
        return list(_fish_universal(text, path))
    scope: dict[str, str | None] = dict(variables)
    expander = _Expander("fish" if syntax == "fish" else syntax, home, scope, path.parent)
    state = _State()
    events: list[Event] = []
    for command in _scan(text, "fish" if syntax == "fish" else "posix"):
        if syntax == "fish":
            events.extend(_fish_command(command, state, expander, path))
        elif syntax == "csh":
            events.extend(_csh_command(command, state, expander, path))
        else:
            events.extend(_posix_command(command, state, expander, path))
    return events


@dataclass
class _State:
    blocks: list[str] = field(default_factory=list)
    allexport: bool = False
    pending_function: bool = False
    exported_names: set[str] = field(default_factory=set)

    @property
    def in_function(self) -> bool:
        return "function" in self.blocks

    @property
    def conditional(self) -> bool:
        return any(b != "function" for b in self.blocks)

    def pop(self, kind: str | None = None) -> None:
        if not self.blocks:
            return
        if kind is None or kind in self.blocks:
            while self.blocks:
                top = self.blocks.pop()
                if kind is None or top == kind:
                    break


def _make(name: str, expansion: _Expansion | None, *, path: Path, line: int, action: Action, exported: bool,
          syntax: str, state: _State, extra_note: str = "") -> Assignment:
    quoting = ""
    notes: list[str] = []
    value = None
    if expansion is not None:
        value = expansion.value
        quoting = "mixed" if len(expansion.quoting) > 1 else next(iter(expansion.quoting), "")
        notes = list(dict.fromkeys(expansion.notes))
    if extra_note:
        notes.append(extra_note)
    if value is not None and value.endswith("\r"):
        notes.append("the value ends with a carriage return: the file has Windows (CRLF) line endings, which the "
                     "shell keeps in the value (fix: `dos2unix` the file, or save it with LF endings)")
    if state.in_function:
        notes.append("inside a function: runs only when the function is called")
    elif state.conditional:
        notes.append("inside an if/case/loop block: may not run")
    from kit.guard.redact import scrub  # notes quote file names and commands, never values; scrub anyway

    return Assignment(name=name, value=value, path=path, line=line, action=action, exported=exported,
                      syntax=syntax, quoting=quoting, in_function=state.in_function, conditional=state.conditional,
                      note=scrub("; ".join(notes)))


def _words(tokens: Sequence[_Token]) -> list[_Token]:
    return [t for t in tokens if not t.op]


def _posix_command(tokens: list[_Token], state: _State, ex: _Expander, path: Path) -> Iterable[Event]:
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
        state.blocks.append({"if": "if", "case": "case"}.get(word, "loop"))
        return
    if word == "elif":
        return
    if word in ("fi", "esac", "done"):
        state.pop({"fi": "if", "esac": "case", "done": "loop"}[word])
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
            yield from _posix_command(rest[1:], state, ex, path)
        return
    if len(toks) >= 3 and toks[1].op and toks[1].text == "(" and toks[2].op and toks[2].text == ")":
        state.pending_function = True
        rest = toks[3:]
        if rest and rest[0].text == "{":
            state.blocks.append("function")
            state.pending_function = False
            yield from _posix_command(rest[1:], state, ex, path)
        return
    words = _words(toks)
    name = words[0].text.rstrip("\r") if words else ""
    if name in ("export", "declare", "typeset", "local", "readonly"):
        yield from _posix_declare(name, words[1:], state, ex, path)
        return
    if name == "unset":
        for arg in words[1:]:
            if arg.text.startswith("-"):
                continue
            if _NAME.match(arg.text):
                ex.scope.pop(arg.text, None)
                yield _make(arg.text, None, path=path, line=arg.line, action="unset", exported=False,
                            syntax="posix", state=state)
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
    assigns: list[_Token] = []
    for token in words:
        if _ASSIGN.match(token.text):
            assigns.append(token)
        else:
            break
    if not assigns:
        return
    if len(assigns) < len(words):
        return  # `NAME=value command`: the value is for that one command, not the shell
    for token in assigns:
        yield _posix_assign(token, exported=state.allexport, state=state, ex=ex, path=path)


def _posix_assign(token: _Token, *, exported: bool, state: _State, ex: _Expander, path: Path) -> Assignment:
    match = _ASSIGN.match(token.text)
    assert match is not None
    name, append = match.group(1), match.group(2)
    expansion = ex.expand(token.text[match.end():])
    if append and expansion.value is not None:
        prior = ex.scope.get(name)
        expansion.value = None if prior is None and name in ex.scope else (prior or "") + expansion.value
    if not state.in_function:
        ex.scope[name] = expansion.value
    note = "appends with +=" if append else ""
    return _make(name, expansion, path=path, line=token.line, action="set", exported=exported, syntax="posix",
                 state=state, extra_note=note)


def _posix_declare(command: str, args: list[_Token], state: _State, ex: _Expander, path: Path) -> Iterable[Event]:
    flags = "".join(a.text[1:] for a in args if a.text.startswith("-") and not _ASSIGN.match(a.text))
    unexport = command == "export" and "n" in flags
    exported = (command == "export" and not unexport) or "x" in flags or state.allexport
    local = command == "local" or (command in ("declare", "typeset") and state.in_function and "g" not in flags)
    for arg in args:
        if arg.text.startswith(("-", "+")):
            continue
        if _ASSIGN.match(arg.text):
            assignment = _posix_assign(arg, exported=exported and not local, state=state, ex=ex, path=path)
            if local:
                assignment = _with_note(assignment, "local to a function")
            yield assignment
        elif _NAME.match(arg.text) and (exported or unexport):
            value = ex.scope.get(arg.text)
            yield Assignment(name=arg.text, value=value, path=path, line=arg.line, action="export-mark",
                             exported=not unexport, syntax="posix", in_function=state.in_function,
                             conditional=state.conditional,
                             note="removes the export" if unexport else "marks the variable for export")


def _with_note(assignment: Assignment, note: str) -> Assignment:
    joined = f"{assignment.note}; {note}" if assignment.note else note
    return Assignment(**{**assignment.__dict__, "note": joined})


def _csh_command(tokens: list[_Token], state: _State, ex: _Expander, path: Path) -> Iterable[Event]:
    words = _words(tokens)
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
    if name == "setenv" and len(words) >= 2 and _NAME.match(words[1].text):
        raw = " ".join(w.text for w in words[2:3])
        expansion = ex.expand(raw) if len(words) >= 3 else _Expansion(value="")
        if not state.in_function:
            ex.scope[words[1].text] = expansion.value
        yield _make(words[1].text, expansion, path=path, line=words[1].line, action="set", exported=True,
                    syntax="csh", state=state)
        return
    if name == "unsetenv":
        for arg in words[1:]:
            ex.scope.pop(arg.text, None)
            yield _make(arg.text, None, path=path, line=arg.line, action="unset", exported=False, syntax="csh",
                        state=state)
        return
    if name == "set" and len(words) >= 2:
        joined = " ".join(w.text for w in words[1:])
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", joined, re.S)
        if match:
            expansion = ex.expand(match.group(2))
            yield _make(match.group(1), expansion, path=path, line=words[1].line, action="set", exported=False,
                        syntax="csh", state=state, extra_note="csh `set` makes a shell variable, not exported")
        return
    if name == "source" and len(words) >= 2:
        target = ex.expand(words[1].text, allow_commands=False).value
        if target:
            yield (Path(target) if Path(target).is_absolute() else ex.home / target, words[1].line)


_FISH_FLAGS = {"g": "global", "x": "export", "U": "universal", "l": "local", "e": "erase", "u": "unexport",
               "a": "append", "p": "prepend", "q": "query", "f": "function", "n": "names", "S": "show",
               "L": "long"}


def _fish_command(tokens: list[_Token], state: _State, ex: _Expander, path: Path) -> Iterable[Event]:
    words = _words(tokens)
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
    if not _NAME.match(var.text):
        return
    if "erase" in options:
        ex.scope.pop(var.text, None)
        yield _make(var.text, None, path=path, line=var.line, action="unset", exported=False, syntax="fish",
                    state=state)
        return
    parts = [ex.expand(w.text) for w in rest[1:]]
    value: str | None = " ".join(p.value or "" for p in parts) if all(p.value is not None for p in parts) else None
    expansion = _Expansion(value=value)
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
    yield _make(var.text, expansion, path=path, line=var.line, action="set", exported=exported and not local,
                syntax="fish", state=state, extra_note="; ".join(notes))


def _fish_universal(text: str, path: Path) -> Iterable[Assignment]:
    """``fish_variables``: ``SETUVAR [--export] NAME:VALUE`` lines with ``\\xHH`` escapes."""
    state = _State()
    for number, raw in enumerate(text.splitlines(), start=1):
        match = re.match(r"^SETUVAR\s+(--export\s+)?([A-Za-z_][A-Za-z0-9_]*):(.*)$", raw)
        if not match:
            continue
        value = _fish_unescape(match.group(3)).replace("\x1e", " ")
        yield _make(match.group(2), _Expansion(value=value), path=path, line=number, action="set",
                    exported=bool(match.group(1)), syntax="fish-universal", state=state,
                    extra_note="fish universal variable (set -U)")


def _fish_unescape(value: str) -> str:
    def sub(match: re.Match[str]) -> str:
        return chr(int(match.group(1), 16))

    text = re.sub(r"\\x([0-9A-Fa-f]{2})", sub, value)
    try:
        return codecs.decode(text.encode("latin-1", "surrogateescape"), "utf-8", "surrogateescape")
    except (UnicodeError, ValueError):
        return text


# ----------------------------------------------------------------------------------------------------
# What a new terminal ends up with


@dataclass(frozen=True)
class Effective:
    """The value of one variable in a new terminal, and the assignment that decided it."""

    name: str
    value: str | None = field(repr=False)
    exported: bool
    assignment: Assignment | None  # None: no start-up file sets it; the value is inherited
    inherited: bool
    unknown: bool  # a start-up file sets it to something KeyLab cannot evaluate


def effective(name: str, files: Sequence[ShellFile], inherited: Mapping[str, str]) -> Effective:
    """Replay the assignments to ``name`` in read order, as a new terminal would.

    A variable inherited from the environment stays exported when a start-up file assigns it without
    ``export`` (the shell marks imported variables for export), which is why a bare
    ``ANTHROPIC_API_KEY=...`` line still reaches ``curl``.
    """
    value: str | None = inherited.get(name)
    present = name in inherited
    exported = present
    decided: Assignment | None = None
    unknown = False
    for file in files:
        for item in file.assignments:
            if item.name != name or item.in_function or (item.syntax == "csh" and not item.exported
                                                           and item.action == "set"):
                continue  # function bodies do not run at start-up; csh `set` is not the environment
            if item.action == "unset":
                value, present, exported, decided, unknown = None, False, False, item, False
            elif item.action == "export-mark":
                exported = item.exported
                decided = decided or item
            else:
                value = item.value
                unknown = item.value is None
                present = True
                exported = exported or item.exported
                decided = item
    return Effective(name=name, value=value if present else None, exported=exported and present,
                     assignment=decided, inherited=decided is None and present, unknown=unknown)
