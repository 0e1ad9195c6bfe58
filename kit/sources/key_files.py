"""Key files the user names, read as raw bytes (a trailing newline or loose mode noted)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from kit.env import Environment
from kit.guard.reader import Refused, read_bounded
from kit.sources.found import Found, display_path, expand_user, secret

#: Key files larger than this are not read (a key is about a hundred bytes).
MAX_KEY_FILE_BYTES = 8 * 1_048_576


def _key_file_refusal(got: Refused) -> str:
    """Why a named key file was not read, worded for a file the user named on purpose."""
    if got.reason in ("missing", "dangling-link"):
        return "does not exist: check the path"
    if got.reason in ("link-loop", "unexaminable"):
        return f"cannot be examined ({got.error})"
    if got.reason == "directory":
        return "is a directory: name the file that holds the key"
    if got.reason in ("fifo", "special"):
        return "is not a regular file (a pipe or device); not read"
    if got.reason == "too-large":
        return f"is {got.size} bytes: far too large to hold a key; not read"
    return f"cannot be read ({got.error})"


def from_key_files(env: Environment, key_files: Iterable[Path | str], problems: list[str]) -> list[Found]:
    """Each key file the user named, as raw bytes; one that cannot be read is a problem, worded for them."""
    out: list[Found] = []
    for item in key_files:
        path = Path(item)
        if str(item).startswith("~"):
            path = expand_user(str(item), env)
        elif not path.is_absolute():
            path = env.cwd / path
        shown = display_path(path, env.home)
        got = read_bounded(path, MAX_KEY_FILE_BYTES)
        if isinstance(got, Refused):
            problems.append(f"key file {shown} {_key_file_refusal(got)}")
            continue
        raw = got.data
        notes = []
        if raw.endswith(b"\n"):
            notes.append(
                "ends with a newline (written with echo?): `KEY=$(cat file)` drops it, but "
                "readFileSync / open().read() keep it"
            )
        if os.name == "posix" and got.mode & 0o077:
            notes.append(f"readable by other users (mode {got.mode:#o}): `chmod 600 {shown}`")
        out.append(
            secret(f"file:{path}", "file", None, f"key file {shown}", raw, path=str(path), note="; ".join(notes))
        )
    return out
