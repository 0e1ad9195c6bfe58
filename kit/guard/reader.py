"""Read a file the user points at without hanging or exhausting memory: the checks live here, once.

A `.env`, a shell start-up file, an SDK profile or a key file may be a directory, a named pipe (opening it
blocks), a device, a dangling or looping symbolic link, unreadable, or enormous. ``read_bounded`` looks
before it opens and never reads more than ``limit + 1`` bytes; it returns the bytes or a ``Refused`` value
saying why not. Each caller words the refusal for its own context (what python-dotenv or the shell would
do with that file), so the messages stay specific while the mechanism stays single.
"""

from __future__ import annotations

import errno
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["Read", "Refused", "read_bounded"]

Reason = Literal[
    "missing", "dangling-link", "link-loop", "unexaminable", "directory", "fifo", "special", "too-large", "unreadable"
]


@dataclass(frozen=True)
class Read:
    """The file's bytes (at most ``limit + 1`` of them) and its permission bits."""

    data: bytes
    mode: int


@dataclass(frozen=True)
class Refused:
    """Why the file was not read. ``error`` is the OS's words for it, when there were any."""

    reason: Reason
    error: str = ""
    size: int | None = None


def _words(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def read_bounded(path: Path, limit: int) -> Read | Refused:
    """The bytes of the regular file at ``path`` if it is at most ``limit`` bytes long, else why not."""
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        return Refused("dangling-link" if path.is_symlink() else "missing", _words(exc))
    except OSError as exc:
        looping = exc.errno == errno.ELOOP or "symbolic links" in (exc.strerror or "")
        return Refused("link-loop" if looping else "unexaminable", _words(exc))
    if stat.S_ISDIR(info.st_mode):
        return Refused("directory")
    if stat.S_ISFIFO(info.st_mode):
        return Refused("fifo")
    if not stat.S_ISREG(info.st_mode):
        return Refused("special")
    if info.st_size > limit:
        return Refused("too-large", size=info.st_size)
    try:
        with path.open("rb") as fh:
            return Read(fh.read(limit + 1), stat.S_IMODE(info.st_mode))
    except OSError as exc:
        return Refused("unreadable", _words(exc))
