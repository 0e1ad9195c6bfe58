"""Results made once per test session and shared by every xdist worker (used by tests/conftest.py)."""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock


class SharedRuns:
    """Results made once per test session, whichever worker asks first; the others wait and read them.

    A result lives in ``root/<label>-<digest>``, the digest taken over its inputs' content (a notebook's
    bytes, the parameters), so a changed input never reads an old result. A failure is recorded too: every
    test that reads that result fails with the first error instead of running the work again.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def get(self, label: str, inputs: Iterable[Path | str], make: Callable[[Path], object]) -> Path:
        digest = hashlib.sha256(label.encode())
        for item in inputs:
            digest.update(item.read_bytes() if isinstance(item, Path) else item.encode())
        folder = self.root / f"{label}-{digest.hexdigest()[:16]}"
        with FileLock(str(folder) + ".lock"):
            done, failed = folder / ".done", folder / ".failed"
            if not done.exists() and not failed.exists():
                folder.mkdir(parents=True, exist_ok=True)
                try:
                    make(folder)
                except Exception:
                    failed.write_text(traceback.format_exc())
                else:
                    done.touch()
            if failed.exists():
                pytest.fail(
                    f"the shared run {label!r} failed (once, for every test that reads it):\n{failed.read_text()}",
                    pytrace=False,
                )
        return folder


@dataclass(frozen=True)
class TicketReport:
    """``make report`` on the ticket demo: the executed notebook, the full HTML and its no-code copy."""

    executed: Path
    full: Path
    share: Path
    runs: Path
