"""Create and write KeyLab's own files safely: 0600 files, 0700 folders, never through a symbolic link.

Run logs, access logs, reports and the kept notebook hold hints, fingerprints and what servers said;
on a shared machine they are nobody else's business (issue 17, item 6). And a file KeyLab appends to
must be the file it means: a run log swapped for a symbolic link to another file would otherwise get
that file's last line cut and a JSON row appended (item 4). Every place KeyLab writes goes through
``open_private`` / ``write_private`` / ``private_dir``; a path that is a link, a FIFO or a device is
refused with an ``InputError`` that names the path and the fix.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import IO, Any, Literal

from kit.errors import InputError

__all__ = ["FILE_MODE", "FOLDER_MODE", "open_private", "private_dir", "write_private"]

FILE_MODE = 0o600
FOLDER_MODE = 0o700

Mode = Literal["a", "w", "r+"]
_FLAGS = {
    "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "r+": os.O_RDWR | os.O_CREAT,
}


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 folders; an existing folder is left as it is."""
    path = Path(path)
    if path.is_symlink() and not path.is_dir():
        raise InputError(
            f"{path} is a symbolic link that does not lead to a folder", "remove the link or choose another folder"
        )
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        for folder in reversed(missing):  # each new folder 0700, parents included (mkdir(parents=True) would not)
            folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
            os.chmod(folder, FOLDER_MODE)  # whatever the umask
        if not path.is_dir():
            raise FileExistsError(path)
    except FileExistsError:
        raise InputError(f"{path} exists and is not a folder", "choose a folder path") from None
    except OSError as exc:
        raise InputError(
            f"cannot create the folder {path}: {exc.strerror or exc}", "choose a folder you can write to"
        ) from None
    return path


def _refuse_special(path: Path) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    except OSError:
        return  # the open below reports it
    if stat.S_ISLNK(info.st_mode):
        raise InputError(
            f"{path} is a symbolic link; KeyLab does not write through links (the link's target would be changed)",
            f"remove the link ({path}) or choose another file name",
        )
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path} is not a regular file (a folder, pipe or device)", "choose a plain file path")


def open_private(path: Path, mode: Mode = "a", *, binary: bool = False) -> IO[Any]:
    """Open ``path`` for writing as a 0600 regular file, never following a symbolic link at its last step."""
    path = Path(path)
    _refuse_special(path)
    flags = _FLAGS[mode] | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(path, flags, FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(
                f"{path} is a symbolic link; KeyLab does not write through links",
                f"remove the link ({path}) or choose another file name",
            ) from None
        raise InputError(
            f"cannot write {path}: {exc.strerror or exc}", "choose a file in a folder you can write to"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path} is not a regular file (a folder, pipe or device)", "choose a plain file path")
        if stat.S_IMODE(info.st_mode) != FILE_MODE and info.st_uid == os.getuid():
            os.fchmod(fd, FILE_MODE)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    if binary:
        return os.fdopen(fd, mode + "b" if mode != "r+" else "r+b")
    return os.fdopen(fd, mode, encoding="utf-8", newline="")


def write_private(path: Path, data: str | bytes) -> Path:
    """Replace the contents of ``path`` with ``data`` (a 0600 file; parents created 0700)."""
    path = Path(path)
    private_dir(path.parent)
    with open_private(path, "w", binary=isinstance(data, bytes)) as fh:
        fh.write(data)
    return path
