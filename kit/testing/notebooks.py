"""Run a notebook headless and read what it showed: the text of every output, its images and its errors.

Tests of notebooks ask the same three questions (did a cell fail, what does the output say, which
pictures did it draw); ``run_notebook`` answers them once, through the same execution path as ``kit report``.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["NotebookRun", "read_notebook", "run_notebook"]


@dataclass(frozen=True)
class NotebookRun:
    """An executed notebook: its path, the text of every output (Markdown, HTML, plain, streams), PNGs, errors."""

    path: Path
    text: str
    images: tuple[bytes, ...]
    errors: tuple[str, ...]

    @property
    def raw(self) -> str:
        """The executed ``.ipynb`` as stored, for leak checks over everything it holds."""
        return self.path.read_text(encoding="utf-8")


def read_notebook(path: Path) -> NotebookRun:
    """Read an executed notebook's outputs (errors are collected, never raised)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    texts: list[str] = []
    images: list[bytes] = []
    errors: list[str] = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(f"{output.get('ename')}: {output.get('evalue')}")
            text = output.get("text", "")
            texts.append("".join(text) if isinstance(text, list) else text)
            for kind, value in output.get("data", {}).items():
                if kind == "image/png":
                    images.append(base64.b64decode(value if isinstance(value, str) else "".join(value)))
                elif isinstance(value, (str, list)):
                    texts.append("".join(value) if isinstance(value, list) else value)
                else:
                    texts.append(json.dumps(value))
    return NotebookRun(path=Path(path), text="\n".join(texts), images=tuple(images), errors=tuple(errors))


def run_notebook(
    notebook: Path,
    out: Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    cwd: Path | None = None,
    timeout: int = 600,
) -> NotebookRun:
    """Execute ``notebook`` headless with papermill ``parameters`` into ``out`` and read its outputs.

    A failing cell does not raise: its error is in ``NotebookRun.errors``, so a test can say which cell failed.
    """
    from kit.errors import KitError
    from kit.present.report import execute_notebook

    # A failing cell's error output is in the saved notebook; the run is read either way.
    with contextlib.suppress(KitError):
        execute_notebook(Path(notebook), out, parameters or {}, cwd=cwd or Path(notebook).parent, timeout=timeout)
    return read_notebook(out)
