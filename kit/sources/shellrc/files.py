"""Touching the disk for the reader: bounded reads worded as problems, existence and resolution that
survive symlink loops."""

from __future__ import annotations

from pathlib import Path

from kit.guard.reader import Read, read_bounded

#: Start-up files larger than this are not read (they are not start-up files).
MAX_SHELL_FILE_BYTES = 1_048_576


def exists(path: Path) -> bool:
    """Whether ``path`` exists or is a link; a symlink loop counts (reading it reports the problem)."""
    try:
        return path.exists() or path.is_symlink()
    except OSError:
        return True  # a symlink loop or the like: listed, and reading it reports the problem


def resolved(path: Path) -> Path:
    """``path`` resolved, or as is when it cannot be (a loop): used to detect include loops."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def read_bytes(path: Path, problems: list[str]) -> bytes | None:
    """The file's bytes, bounded; or None with the reason added to ``problems`` in words."""
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
