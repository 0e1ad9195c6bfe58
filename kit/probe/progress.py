"""The probe's progress bar: tqdm.auto in a notebook, a text bar on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
from typing import Any

from kit.errors import UsageError
from kit.guard.terminal import visible

__all__ = ["Progress", "progress_mode"]


class Progress:
    """A progress bar (tqdm.auto in notebooks, a text bar in a terminal) whose total grows stage by stage."""

    def __init__(self, mode: str | None) -> None:
        self.mode = progress_mode(mode)
        self.bar: Any = None
        if self.mode == "notebook":
            from tqdm.auto import tqdm

            self.bar = tqdm(total=0, desc="probe", unit="req", leave=False)
        elif self.mode == "text":
            from tqdm import tqdm as text_tqdm

            self.bar = text_tqdm(total=0, desc="probe", unit="req", leave=False, file=sys.stderr, dynamic_ncols=True)

    def grow(self, n: int, stage: str) -> None:
        if self.bar is not None:
            self.bar.total += n
            self.bar.set_description(visible(stage[:40]), refresh=False)  # a key file's name may hold ESC
            self.bar.refresh()

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self, summary: str) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.mode == "notebook":
            print(summary)
        elif self.mode == "text":
            print(visible(summary, keep_newlines=True), file=sys.stderr)


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def progress_mode(mode: str | None) -> str | None:
    if mode in (None, "none", "off", False):
        return None
    if mode == "auto":
        if _in_kernel():
            return "notebook"
        return "text" if sys.stderr.isatty() else None
    if mode in ("notebook", "text"):
        return mode
    raise UsageError(f"unknown progress mode {mode!r}", "use 'auto', 'notebook', 'text' or None")
