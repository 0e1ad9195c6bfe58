"""Checks for what a user types on the command line, before any work starts (so nothing gathered is lost).

Each check returns the value in the form the command needs or raises ``UsageError`` with one line that
names the problem and the fix; ``kit.cli`` prints it and exits 2. A value that looks like a key is
refused wherever it appears on the command line: the shell history, ``ps`` and click's own messages would
all show it, so the message says where a key belongs instead and never repeats the value.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from kit.errors import KitError, UsageError
from kit.guard.files import private_dir
from kit.guard.reader import Read, Refused, read_bounded
from kit.guard.redact import looks_like_key

__all__ = [
    "KEY_FILE_LIMIT",
    "check_access_log",
    "check_api_url",
    "check_argv",
    "check_listen_host",
    "check_out",
    "check_run_dir",
    "read_key_file",
]

#: A key file holds one key; anything larger is the wrong file (a key is about 108 bytes).
KEY_FILE_LIMIT = 64 * 1024

_WHERE_KEYS_GO = (
    "put the key in a file and pass --key-file FILE, or export ANTHROPIC_API_KEY (or keep it in .env); "
    "keys never go on a command line"
)
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z")


def check_argv(args: Sequence[str]) -> None:
    """Refuse a command line that holds a key: name the argument's position, never its value."""
    for number, arg in enumerate(args, start=1):
        if looks_like_key(arg):
            before = args[number - 2] if number > 1 and args[number - 2].startswith("-") else ""
            where = f"the value of {before}" if before else f"argument {number}"
            raise UsageError(f"{where} looks like an API key; KeyLab refuses keys on the command line", _WHERE_KEYS_GO)


def check_api_url(url: str | None, flag: str = "--api-url") -> str | None:
    """An http(s) URL with a host, a valid port and no credentials in it; ``None`` stays ``None``."""
    if url is None or url == "":
        return url
    fix = f"pass {flag} as http(s)://HOST[:PORT], for example https://api.anthropic.com or http://127.0.0.1:8700"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise UsageError(f"{flag} holds a space or a control character", fix)
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        reason = "its port is not a number from 1 to 65535" if "port" in str(exc).lower() else "it cannot be parsed"
        raise UsageError(f"{flag} is not a valid URL: {reason}", fix) from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"{flag} is not an http(s) URL (it must start with http:// or https://)", fix)
    if not host:
        raise UsageError(f"{flag} names no host", fix)
    if port == 0:
        raise UsageError(f"{flag} has port 0, which nothing listens on", fix)
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            f"{flag} carries a user part (user:password@), which is a credential",
            f"remove it from the URL; {_WHERE_KEYS_GO}",
        )
    try:
        check_listen_host(host, flag=flag)
    except UsageError as exc:
        raise UsageError(exc.problem, fix) from None
    return url


def check_listen_host(host: str, flag: str = "--host") -> str:
    """An IP address or a DNS name whose labels are 1-63 letters, digits or hyphens (253 characters at most)."""
    fix = f"pass {flag} as an IP address (127.0.0.1, ::1) or a host name such as localhost"
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(bare)
        return bare
    except ValueError:
        pass
    name = bare[:-1] if bare.endswith(".") else bare
    if not name or len(name) > 253:
        raise UsageError(f"{flag} is not a host name (empty or longer than 253 characters)", fix)
    for label in name.split("."):
        if not _LABEL.match(label):
            what = "longer than 63 characters" if len(label) > 63 else "empty or holds a character a host name cannot"
            raise UsageError(f"{flag} is not a host name: a part of it is {what}", fix)
    return bare


def check_run_dir(path: Path | str | None, flag: str = "--run-dir") -> Path | None:
    """A folder KeyLab can create files in (created if missing); ``None`` stays ``None``."""
    if path is None or str(path) == "":
        return None
    folder = Path(path).expanduser()
    fix = f"pass {flag} as a folder you can write to (it is created if missing)"
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{flag} {_shown(folder)} is a file, not a folder", fix)
    try:
        private_dir(folder)  # a folder KeyLab makes is 0700, like every file it writes there
        with tempfile.TemporaryFile(dir=folder):
            pass
    except (OSError, KitError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise UsageError(f"{flag} {_shown(folder)} cannot hold files ({why})", fix) from None
    return folder


def check_out(path: Path | None, suffixes: Sequence[str], flag: str = "--out") -> Path | None:
    """An output file whose suffix is known and whose folder exists or can be made; ``None`` stays ``None``."""
    if path is None:
        return None
    out = Path(path).expanduser()
    if out.suffix.lower() not in suffixes:
        raise UsageError(
            f"{flag} {_shown(out)}: cannot tell the format from its suffix", f"name the file {', '.join(suffixes)}"
        )
    if out.is_dir():
        raise UsageError(
            f"{flag} {_shown(out)} is a folder", f"name a file inside it, e.g. {out / ('out' + suffixes[0])}"
        )
    check_run_dir(out.parent, flag=f"the folder of {flag}")
    return out


def check_access_log(path: Path | None, flag: str = "--access-log") -> Path | None:
    """A log file to append to: a regular file or a new one in a folder that can hold files."""
    if path is None:
        return None
    log = Path(path).expanduser()
    if log.is_symlink() or (log.exists() and not log.is_file()):
        raise UsageError(
            f"{flag} {_shown(log)} is not a regular file (a folder, a pipe, a device or a link)",
            "name a new or existing regular file to append JSON lines to",
        )
    check_run_dir(log.parent, flag=f"the folder of {flag}")
    return log


def read_key_file(name: str, flag: str = "--key-file") -> bytes:
    """The raw bytes of one key file, read through the bounded reader (a FIFO or /dev/zero is refused, not read)."""
    path = Path(name).expanduser()
    shown = _shown(path)
    result = read_bounded(path, KEY_FILE_LIMIT)
    if isinstance(result, Refused):
        detail = {
            "missing": "no such file",
            "dangling-link": "it is a symbolic link to a file that does not exist (no such file)",
            "link-loop": "it is a loop of symbolic links and cannot be read",
            "directory": "it is a directory, not a file",
            "fifo": "it is a named pipe (reading it would wait for a writer)",
            "special": "it is a device or socket, not a file",
            "too-large": f"it is {result.size} bytes, too large for a key file",
        }.get(result.reason, f"it cannot be read ({result.error or result.reason})")
        fix = "point it at a regular file that holds one key, as the Console showed it"
        if result.reason == "unreadable":
            fix = f"make it readable for this user (for example `chmod u+r {shown}`)"
        raise UsageError(f"{flag}: cannot read key file {shown}: {detail}", fix)
    assert isinstance(result, Read)
    if len(result.data) > KEY_FILE_LIMIT:  # grew between the look and the read
        raise UsageError(f"{flag} {shown} is larger than {KEY_FILE_LIMIT} bytes", "point it at a file holding one key")
    return result.data


def _shown(path: Path) -> str:
    """A path as it may be shown: quoted, control characters visible (a file name is input too)."""
    text = os.fsdecode(path)
    return repr(text) if not text.isprintable() else text
