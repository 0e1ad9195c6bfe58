"""A fresh clone's ``make report``: create ``.venv``, install everything, run the notebook, export.

Opt-in (it downloads everything again): ``make bench BENCH=setup``. The committed HEAD is cloned into a
temporary folder and ``make report`` is run there with an empty installer cache (``UV_CACHE_DIR`` in the
temporary folder, ``PIP_NO_CACHE_DIR=1``), so every package is downloaded as on a new machine; then once
more with the venv in place. Goals: fresh ≤ 35 s, again ≤ 7 s.

``KEYLAB_BENCH_SETUP_PIP=1`` adds the same fresh run through the pip fallback (``KEYLAB_INSTALLER=pip``),
side by side; ``KEYLAB_BENCH_SETUP_TEST=1`` adds ``make test`` in the clone (goal ≤ 150 s).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OPT_IN = True  # bench/__main__.py runs this module only when it is named
GOALS = {"fresh": 35.0, "again": 7.0, "test": 150.0}


def _clone(into: Path) -> Path:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(into)], check=True)
    subprocess.run(["git", "checkout", "--quiet", head], cwd=into, check=True)
    return into


def _timed_make(target: str, cwd: Path, env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(
        ["make", "-s", target], cwd=cwd, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise RuntimeError(f"make {target} failed in {cwd}: " + " | ".join(tail))
    return time.perf_counter() - began


def _row(measure: str, seconds: float, goal: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"measure": measure, "seconds": round(seconds, 1)}
    if goal is not None:
        row.update(goal=f"<= {goal:g} s", met=seconds <= goal)
    return row


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="keylab-bench-setup-") as folder:
        tmp = Path(folder)
        env = {**os.environ, "UV_CACHE_DIR": str(tmp / "uv-cache"), "PIP_NO_CACHE_DIR": "1"}
        clone = _clone(tmp / "keylab")
        rows.append(
            _row("make report, fresh clone (uv, empty cache)", _timed_make("report", clone, env), GOALS["fresh"])
        )
        rows.append(_row("make report again (venv exists)", _timed_make("report", clone, env), GOALS["again"]))
        if os.environ.get("KEYLAB_BENCH_SETUP_TEST"):
            rows.append(_row("make test in the clone (venv exists)", _timed_make("test", clone, env), GOALS["test"]))
        if os.environ.get("KEYLAB_BENCH_SETUP_PIP"):
            pip_clone = _clone(tmp / "keylab-pip")
            rows.append(
                _row(
                    "make report, fresh clone (pip fallback, no cache)",
                    _timed_make("report", pip_clone, {**env, "KEYLAB_INSTALLER": "pip"}),
                    None,
                )
            )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
