"""The probe's run log: ``<run_id>.jsonl`` rows, ``<run_id>.models.jsonl`` model lists, and the run id itself.

Each finished attempt is appended and flushed at once, so a crash or ``kill -9`` loses nothing finished;
running again with the same run id loads those rows (a line torn by the kill is cut off first) and the
engine sends none of them again. Run ids are made and checked here only: the investigation, the CLI
and the notebooks all use ``new_run_id`` and ``check_run_id``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
from pathlib import Path
from typing import IO, Any

from kit.catalog import runs_dir
from kit.errors import UsageError
from kit.values import AttemptResult

__all__ = ["RUN_ID", "RunLog", "check_run_id", "is_run_id", "load_run", "new_run_id"]

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

    @staticmethod
    def _read_lines(path: Path) -> list[dict[str, Any]]:
        """The complete JSON lines of ``path``; a torn last line (killed mid-write) is cut from the file."""
        if not path.exists():
            return []
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with path.open("r+b") as fh:
                fh.truncate(keep)
            data = data[:keep]
        out = []
        for line in data.decode("utf-8", "replace").splitlines():
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if isinstance(item, dict):
                    out.append(item)
        return out

    def load(self) -> tuple[dict[str, AttemptResult], dict[str, tuple[str, ...]]]:
        """Rows already finished (by attempt id) and the model lists they carried."""
        rows: dict[str, AttemptResult] = {}
        for item in self._read_lines(self.path):
            with contextlib.suppress(TypeError, KeyError):
                result = AttemptResult.from_row(item)
                rows.setdefault(result.attempt_id, result)
        listings = {str(i["attempt_id"]): tuple(str(m) for m in i.get("models", ()))
                    for i in self._read_lines(self.models_path) if "attempt_id" in i}
        return rows, listings

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._rows = self.path.open("a", encoding="utf-8")

    def append(self, result: AttemptResult, models: tuple[str, ...] | None = None) -> None:
        assert self._rows is not None, "RunLog.open() first"
        if models is not None:
            if self._models is None:  # opened on first use: most runs list models once per key
                self._models = self.models_path.open("a", encoding="utf-8")
            self._models.write(json.dumps({"attempt_id": result.attempt_id, "models": list(models)}) + "\n")
            self._models.flush()
        row = dict(vars(result))  # shallow: every field is a plain value (asdict's deep copy costs ~0.2 ms a row)
        row["outcome"] = result.outcome
        self._rows.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
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
        raise UsageError(f"there is no run {run_id!r} in {run_dir}",
                         f"list the runs with: ls {os.fspath(run_dir)}/*.jsonl")
    return tuple(rows.values())

