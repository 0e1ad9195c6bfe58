"""Canary keys made at run time, and a leak check that also reads escaped and interrupted copies.

A canary is a well-formed fake key from a random name, so no two runs share one and none is in the
repository. ``canary_leaks`` looks for any ``LEAK_RUN``-character window of a canary in a text as written
and in the text decoded the ways a library or an encoder writes it (``\\xNN`` and ``\\uNNNN`` escapes, with
their backslashes doubled by JSON too, URL ``%NN``, HTML entities) with invisible characters dropped.
The decoding here is written independently of ``kit.guard.redact`` on purpose: a test must not trust
the code it checks.
"""

from __future__ import annotations

import base64
import html
import re
import secrets
import unicodedata
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

from kit.demo.fakekeys import derive_key
from kit.guard.redact import LEAK_RUN

__all__ = ["assert_no_canary", "canary_key", "canary_leaks", "decoded_forms", "files_leaking"]

_PREFIX = re.compile(r"sk-ant-[a-z]+\d{2}-")
_BASIC = re.compile(r"(?i)\bbasic\s+([A-Za-z0-9+/]{8,}=*)")
_BACKSLASH_RUN = re.compile(r"(?:\\+x[0-9A-Fa-f]{2})+|(?:\\+u[0-9A-Fa-f]{4})+|(?:\\+U[0-9A-Fa-f]{8})+")


def canary_key(kind: str = "api") -> str:
    """A fresh fake key of ``kind`` (``api``, ``admin``, ``oauth``…), different in every call."""
    return derive_key(f"canary-{secrets.token_hex(8)}", kind)


def _unbackslash(text: str) -> str:
    """Decode runs of backslash escapes (any number of backslashes): bytes as UTF-8, \\u runs as UTF-16."""

    def run(match: re.Match[str]) -> str:
        units = [u.lstrip("\\") for u in re.findall(r"\\+[xuU][0-9A-Fa-f]+", match.group(0))]
        if units[0][0] == "x":
            return bytes(int(u[1:], 16) for u in units).decode("utf-8", "replace")
        if units[0][0] == "u":
            return (
                "".join(chr(int(u[1:], 16)) for u in units)
                .encode("utf-16-le", "surrogatepass")
                .decode("utf-16-le", "replace")
            )
        return "".join(chr(min(int(u[1:], 16), 0x10FFFF)) for u in units)

    return _BACKSLASH_RUN.sub(run, text)


def _visible(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Mn"))


def _basic_credentials(text: str) -> list[str]:
    """What ``Authorization: Basic …`` values carry (base64 hides a key from a plain search)."""
    out = []
    for token in _BASIC.findall(text):
        try:
            out.append(base64.b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace"))
        except ValueError:
            continue
    return out


def decoded_forms(text: str) -> set[str]:
    """``text`` as written, and decoded each way an escape could hide a key, invisibles dropped."""
    forms = {text, _visible(text), *_basic_credentials(text)}
    for form in (
        html.unescape(text),
        urllib.parse.unquote(text),
        _unbackslash(text),
        _unbackslash(html.unescape(text)),
        urllib.parse.unquote(_unbackslash(text)),
    ):
        forms.add(form)
        forms.add(_visible(form))
    return forms


def _windows(secret: str) -> set[str]:
    match = _PREFIX.match(secret)
    body = secret[match.end() :] if match else secret
    return {body[i : i + LEAK_RUN] for i in range(len(body) - LEAK_RUN + 1)} or {body}


def canary_leaks(text: str | bytes, canaries: Iterable[str]) -> list[str]:
    """The canaries (by a 10-character label) of which some window is in ``text`` or a decoded form of it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    forms = decoded_forms(text)
    leaked = []
    for canary in canaries:
        windows = _windows(canary)
        if any(w in form for form in forms for w in windows):
            leaked.append(canary[:10] + "…")
    return leaked


def files_leaking(folder: Path, canaries: Iterable[str]) -> dict[str, list[str]]:
    """Every file under ``folder`` (read as bytes) that leaks a canary, with which."""
    canaries = list(canaries)
    out: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            leaks = canary_leaks(path.read_bytes(), canaries)
            if leaks:
                out[str(path)] = leaks
    return out


def assert_no_canary(what: str | bytes | Path, canaries: Iterable[str], where: str = "") -> None:
    """Fail, naming only labels, if ``what`` (text, or a file or folder read as bytes) leaks a canary.

    Used instead of a bare ``assert`` so that a failing test never prints the canaries themselves.
    """
    canaries = list(canaries)
    if isinstance(what, Path):
        leaks: object = files_leaking(what, canaries) if what.is_dir() else canary_leaks(what.read_bytes(), canaries)
        where = where or str(what)
    else:
        leaks = canary_leaks(what, canaries)
    if leaks:
        raise AssertionError(f"{where or 'the output'} leaks {leaks}")
