"""The probe's run log: ``<run_id>.jsonl`` rows, ``<run_id>.models.jsonl`` model lists, and the run id itself.

Each finished attempt is appended and flushed at once, so a crash or ``kill -9`` loses nothing finished;
running again with the same run id loads those rows (a line torn by the kill is cut off first) and the
engine sends none of them again. Run ids are made and checked here only: the investigation, the CLI
and the notebooks all use ``new_run_id`` and ``check_run_id``.

A log on disk is input like any other (issue 17, items 4 and 5): it is never followed through a symbolic
link (refused with a message, so a link's target is never cut or appended to), it is read through the
bounded reader (a FIFO, a device or a 1 GB file is refused, never hung on), its lines are validated one by
one (``kit.probe.logrows``: a bad line is named in ``problems`` and its attempt is sent again), and it is
created 0600 (``kit.guard.files``). Rows are written with JSON escapes for anything not ASCII, so
``cat`` on a log cannot steer a terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import stat
from pathlib import Path
from typing import IO

from kit.catalog import runs_dir
from kit.errors import InputError, UsageError
from kit.guard.files import open_private, private_dir
from kit.guard.reader import Refused, read_bounded
from kit.probe.logrows import parse_models, parse_rows
from kit.values import AttemptResult

__all__ = ["MAX_LOG_BYTES", "RUN_ID", "RunLog", "check_run_id", "is_run_id", "load_run", "new_run_id"]

#: A run log larger than this is not resumed (a run of 10,000 attempts is about 15 MB).
MAX_LOG_BYTES = 64 * 1024 * 1024
_REFUSALS = {
    "dangling-link": "it is a dangling symbolic link",
    "link-loop": "it is a symbolic link loop",
    "unexaminable": "it cannot be examined",
    "directory": "it is a folder",
    "fifo": "it is a named pipe",
    "special": "it is a device or socket",
    "unreadable": "it cannot be read",
}

#: A run id is a file name stem: a letter or digit first, then letters, digits, ``.``, ``_`` or ``-``.
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def new_run_id() -> str:
    """``20261127T013900-a1b2c3``: sortable by time (UTC), unique enough for one person's runs."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def is_run_id(text: str) -> bool:
    """Whether ``text`` is usable as a run id (the whole text: a trailing newline does not pass)."""
    return RUN_ID.fullmatch(text) is not None


def check_run_id(run_id: str, fix: str = "use letters, digits, '.', '_' and '-' (at most 80), e.g. ticket-1") -> str:
    """``run_id`` itself, or a ``UsageError`` that says it cannot name a file."""
    if not is_run_id(run_id):
        raise UsageError(f"run id {run_id!r} is not usable as a file name", fix)
    return run_id


class RunLog:
    """``<run_id>.jsonl`` (one row per finished attempt) and ``<run_id>.models.jsonl`` (model lists).

    Appends are flushed line by line, so another process (or a ``kill -9``) sees every finished row.
    """

    def __init__(self, run_dir: Path, run_id: str) -> None:
        self.path = Path(run_dir) / f"{run_id}.jsonl"
        self.models_path = Path(run_dir) / f"{run_id}.models.jsonl"
        self._rows: IO[str] | None = None
        self._models: IO[str] | None = None
        self.problems: list[str] = []  # bad lines met by ``load``, by file and line number

    @staticmethod
    def _read(path: Path) -> bytes:
        """The complete lines of ``path`` (bounded, never through a link); a torn last line is cut from the file."""
        try:
            info = path.lstat()
        except FileNotFoundError:
            return b""
        except OSError as exc:
            raise InputError(
                f"the run log {path} cannot be examined ({exc.strerror or type(exc).__name__})",
                "choose another --run-dir or --run-id",
            ) from None
        if stat.S_ISLNK(info.st_mode):
            raise InputError(
                f"the run log {path} is a symbolic link; KeyLab does not follow it (the link's target "
                "would be cut and appended to)",
                f"remove the link ({path}) or choose another --run-id",
            )
        got = read_bounded(path, MAX_LOG_BYTES)
        if isinstance(got, Refused):
            why = (
                f"it is {got.size:,} bytes, more than the {MAX_LOG_BYTES:,} a run log may be"
                if got.reason == "too-large"
                else _REFUSALS.get(got.reason, got.reason)
            )
            raise InputError(f"the run log {path} cannot be resumed: {why}", "move it away or choose another --run-id")
        data = got.data
        if data and not data.endswith(b"\n"):  # a line torn by a kill: cut it (and only it) from the file
            keep = data.rfind(b"\n") + 1
            with open_private(path, "r+", binary=True) as fh:
                fh.truncate(keep)
            data = data[:keep]
        return data

    def load(self) -> tuple[dict[str, AttemptResult], dict[str, tuple[str, ...]]]:
        """Rows already finished (by attempt id) and the model lists they carried; ``problems`` names bad lines."""
        rows, row_problems = parse_rows(self._read(self.path), self.path.name)
        listings, model_problems = parse_models(self._read(self.models_path), self.models_path.name)
        self.problems = [*row_problems, *model_problems]
        return rows, listings

    def open(self) -> None:
        private_dir(self.path.parent)
        self._rows = open_private(self.path, "a")

    def append(self, result: AttemptResult, models: tuple[str, ...] | None = None) -> None:
        assert self._rows is not None, "RunLog.open() first"
        if models is not None:
            if self._models is None:  # opened on first use: most runs list models once per key
                self._models = open_private(self.models_path, "a")
            self._models.write(json.dumps({"attempt_id": result.attempt_id, "models": list(models)}) + "\n")
            self._models.flush()
        row = dict(vars(result))  # shallow: every field is a plain value (asdict's deep copy costs ~0.2 ms a row)
        row["outcome"] = result.outcome
        self._rows.write(json.dumps(row, ensure_ascii=True, default=str) + "\n")
        self._rows.flush()

    def close(self) -> None:
        for fh in (self._rows, self._models):
            if fh is not None:
                fh.close()
        self._rows = self._models = None


def load_run(run_id: str, run_dir: Path | None = None) -> tuple[AttemptResult, ...]:
    """The rows of an earlier run, as logged (for reports that read a finished run)."""
    check_run_id(run_id, "use the id a probe printed")
    run_dir = Path(run_dir) if run_dir else runs_dir()
    rows, _ = RunLog(run_dir, run_id).load()
    if not rows and not (Path(run_dir) / f"{run_id}.jsonl").exists():
        raise UsageError(
            f"there is no run {run_id!r} in {run_dir}", f"list the runs with: ls {os.fspath(run_dir)}/*.jsonl"
        )
    return tuple(rows.values())
