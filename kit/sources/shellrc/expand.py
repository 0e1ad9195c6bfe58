"""Expanding one raw word the way the shell would at start-up, where that can be known without running
anything (only ``$(cat FILE)`` is evaluated, by reading the file)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kit.sources.shellrc.files import read_bytes
from kit.sources.shellrc.lexer import find_ansi, find_double, find_group, find_single
from kit.sources.shellrc.records import Quoting, ShellSyntax


@dataclass
class Expansion:
    """A word's value (None when it cannot be known without running the shell), its quoting and notes."""

    value: str | None
    quoting: set[Quoting] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


class Expander:
    """Expands raw words the way the shell would at start-up, where that can be known without running anything."""

    def __init__(self, syntax: ShellSyntax, home: Path, scope: dict[str, str | None], base: Path) -> None:
        self.syntax = syntax
        self.home = home
        self.scope = scope
        self.base = base

    def expand(self, raw: str, *, allow_commands: bool = True) -> Expansion:
        result = Expansion(value="")
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
                end, closed = find_single(raw, i + 1, fish)
                body = raw[i + 1 : end - 1] if closed else raw[i + 1 :]
                if fish:
                    body = body.replace("\\'", "'").replace("\\\\", "\\")
                out.append(body)
                result.quoting.add("single")
                if not closed:
                    result.notes.append("unterminated single quote")
                i = end
            elif c == '"':
                end, closed = find_double(raw, i + 1)
                inner = raw[i + 1 : end - 1] if closed else raw[i + 1 :]
                part = self._double(inner, allow_commands, result)
                known = known and part is not None
                out.append(part or "")
                result.quoting.add("double")
                if not closed:
                    result.notes.append("unterminated double quote")
                i = end
            elif c == "$" and i + 1 < n and raw[i + 1] == "'" and not fish:
                end, closed = find_ansi(raw, i + 2)
                out.append(_ansi_c(raw[i + 2 : end - 1] if closed else raw[i + 2 :]))
                result.quoting.add("ansi-c")
                i = end
            elif c == "$":
                part, i = self._dollar(raw, i, allow_commands, result)
                known = known and part is not None
                out.append(part or "")
            elif c == "`":
                end = raw.find("`", i + 1)
                end = n if end < 0 else end + 1
                part = self._command(raw[i + 1 : end - 1], allow_commands, result)
                known = known and part is not None
                out.append(part or "")
                i = end
            elif fish and c == "(":
                end, _ = find_group(raw, i)
                part = self._command(raw[i + 1 : end - 1], allow_commands, result)
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

    def _double(self, inner: str, allow_commands: bool, result: Expansion) -> str | None:
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
                part = self._command(inner[i + 1 : end - 1], allow_commands, result)
                known = known and part is not None
                out.append(part or "")
                i = end
            else:
                out.append(c)
                i += 1
        return "".join(out) if known else None

    def _dollar(self, raw: str, i: int, allow_commands: bool, result: Expansion) -> tuple[str | None, int]:
        n = len(raw)
        if i + 1 >= n:
            return "$", i + 1
        nxt = raw[i + 1]
        if nxt == "(":
            end, _ = find_group(raw, i + 1)
            if raw.startswith("$((", i):
                result.notes.append("arithmetic expansion is not evaluated")
                return None, end
            return self._command(raw[i + 2 : end - 1], allow_commands, result), end
        if nxt == "{":
            end, _ = find_group(raw, i + 1)
            return self._braced(raw[i + 2 : end - 1], result), end
        match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", raw[i + 1 :])
        if match:
            return self._lookup(match.group(0), result), i + 1 + match.end()
        if nxt.isdigit() or nxt in "@*#?$!-":
            result.notes.append(f"uses the special parameter ${nxt}")
            return None, i + 2
        return "$", i + 1

    def _braced(self, inner: str, result: Expansion) -> str | None:
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

    def _lookup(self, name: str, result: Expansion) -> str | None:
        if name in self.scope:
            value = self.scope[name]
            if value is None:
                result.notes.append(f"uses ${name}, whose value is not known without running the shell")
            return value
        if name == "HOME":
            return str(self.home)
        result.notes.append(f"uses ${name}, which is not set where KeyLab looked")
        return None

    def _command(self, command: str, allow_commands: bool, result: Expansion) -> str | None:
        """A command substitution. Only ``cat FILE`` / ``< FILE`` is evaluated (by reading the file)."""
        match = re.match(r"^\s*(?:cat\s+(?:--\s+)?|<\s*)(\S+)\s*$", command)
        if not allow_commands or not match:
            tool = command.strip().split(" ", 1)[0] if command.strip() else "?"
            kind = {
                "security": "the macOS keychain",
                "op": "1Password",
                "pass": "pass",
                "gopass": "gopass",
                "bw": "Bitwarden",
                "lpass": "LastPass",
                "secret-tool": "the Secret Service",
                "aws": "AWS",
                "gcloud": "gcloud",
                "vault": "Vault",
            }.get(tool)
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
        data = read_bytes(path, problems)
        if data is None:
            result.notes.append(f"reads {path} at start-up, which KeyLab could not read")
            return None
        result.notes.append(f"read from {path} at start-up ($(cat ...) drops trailing newlines)")
        return data.decode("utf-8", "surrogateescape").rstrip("\n")


def _ansi_c(body: str) -> str:
    """Decode bash's ``$'...'`` escapes (``\\n``, ``\\t``, ``\\xHH``, ``\\uHHHH``, ``\\'``...)."""

    def sub(match: re.Match[str]) -> str:
        esc = match.group(0)
        simple = {
            "\\n": "\n",
            "\\t": "\t",
            "\\r": "\r",
            "\\a": "\a",
            "\\b": "\b",
            "\\e": "\x1b",
            "\\E": "\x1b",
            "\\f": "\f",
            "\\v": "\v",
            "\\\\": "\\",
            "\\'": "'",
            '\\"': '"',
            "\\?": "?",
        }
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
