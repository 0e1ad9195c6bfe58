"""The doctor's wall time against its floor: one import of the official SDK.

A doctor that asks the real SDK which credential it sends cannot finish before ``import anthropic`` does,
so that import, timed as a whole process (``python -c "import anthropic"``), is the floor. Measured side
by side in one run, whole processes, ``ROUNDS`` rounds, each round running every variant once in turn (so
that a busy moment on the shared machine hits all of them alike); medians:

- the floor;
- ``python -m kit doctor --json`` on one healthy key against the simulator on loopback (the simulator is
  its own process, started once): goal ≤ 1.25 × the floor;
- the same doctor with ``--client httpx2`` only (when this build's doctor has ``--client``): how much of
  the wall is the SDK.

The key reaches the doctor the way a user's does, in ``ANTHROPIC_API_KEY`` (never on a command line), in an
empty HOME and project folder so nothing of this machine's own set-up is read. With ``--timings`` in this
build's doctor, one more run prints where its time goes.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kit.testing import fake_key, simulator_process

ROUNDS = int(os.environ.get("KEYLAB_BENCH_ROUNDS", "5"))
GOAL = 1.25


def _env(root: Path) -> dict[str, str]:
    home, project = root / "home", root / "project"
    home.mkdir(parents=True, exist_ok=True)
    project.mkdir(parents=True, exist_ok=True)
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "KEYLAB_CACHE", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(HOME=str(home), PWD=str(project), ANTHROPIC_API_KEY=fake_key("alpha"))
    return env


def _wall(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    began = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    return time.perf_counter() - began, done


def _has_option(option: str, env: dict[str, str], cwd: Path) -> bool:
    shown = subprocess.run(
        [sys.executable, "-m", "kit", "doctor", "--help"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return option in shown.stdout


def _top(done: subprocess.CompletedProcess[str]) -> str:
    try:
        findings = json.loads(done.stdout).get("findings") or [{}]
        return str(findings[0].get("cause", "?"))
    except (ValueError, AttributeError):
        return f"no JSON (exit {done.returncode})"


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="keylab-bench-doctor-") as folder, simulator_process("healthy") as (url, _):
        root = Path(folder)
        env, cwd = _env(root), root / "project"
        doctor = [sys.executable, "-m", "kit", "doctor", "--json", "--api-url", url, "--run-dir", str(root / "runs")]
        variants: dict[str, list[str]] = {
            "floor: python -c 'import anthropic'": [sys.executable, "-c", "import anthropic"],
            "doctor --json": doctor,
        }
        if _has_option("--client", env, cwd):
            variants["doctor --json --client httpx2"] = [*doctor, "--client", "httpx2"]
        for cmd in variants.values():  # warm the page cache and any first-run caches before timing
            _wall(cmd, env, cwd)
        times: dict[str, list[float]] = {name: [] for name in variants}
        last: dict[str, subprocess.CompletedProcess[str]] = {}
        for _ in range(ROUNDS):
            for name, cmd in variants.items():
                seconds, done = _wall(cmd, env, cwd)
                times[name].append(seconds)
                last[name] = done
        floor = statistics.median(times["floor: python -c 'import anthropic'"])
        for name, samples in times.items():
            median = statistics.median(samples)
            row: dict[str, Any] = {
                "measure": name,
                "median_s": round(median, 2),
                "min_s": round(min(samples), 2),
                "max_s": round(max(samples), 2),
                "runs": len(samples),
            }
            if name != "floor: python -c 'import anthropic'":
                row["x_floor"] = round(median / floor, 2)
                row["exit"] = last[name].returncode
                row["top_finding"] = _top(last[name])
            if name == "doctor --json":
                row["goal"] = f"<= {GOAL} x floor"
                row["met"] = median / floor <= GOAL
            rows.append(row)
        if _has_option("--timings", env, cwd):
            _, done = _wall([*doctor, "--timings"], env, cwd)
            try:
                stages = json.loads(done.stdout).get("timings") or {}
            except ValueError:
                stages = {}
            shown = sorted(stages.items(), key=lambda item: -float(item[1]))
            rows.append(
                {
                    "measure": "doctor --json --timings: wall per stage (one run)",
                    **{stage: round(float(seconds), 2) for stage, seconds in shown},
                }
            )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
