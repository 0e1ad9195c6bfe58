"""``make report`` with the venv in place, and where its time goes.

- ``make report`` itself, ``ROUNDS`` times, median: goal ≤ 7 s;
- one run of the same job in a fresh process with each phase timed: interpreter and imports, simulator,
  the notebook's execution (kernel start and papermill around it, against the cells themselves, from the
  durations papermill records per cell), the two HTML exports (nbconvert's templates load on the first);
- the fixed costs on their own, each in a fresh process: a kernel's start to ready, nbconvert's first
  export, matplotlib's first PNG (its font cache is built once per user), importing papermill.

The report goes to a temporary folder (``make report`` itself writes reports/investigation.html, as
it always does).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("KEYLAB_BENCH_ROUNDS", "3"))
GOAL_S = 7.0

#: The job of ``python -m kit report``, phase by phase (printed as one JSON object).
_PHASES = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from kit.present.report import execute_notebook, export_html
from kit.catalog import NOTEBOOK_DIR
from kit.sim import serve
out = Path(sys.argv[1])
t1 = time.perf_counter()
with serve("ticket") as server:
    t2 = time.perf_counter()
    execute_notebook(NOTEBOOK_DIR / "00-investigation.ipynb", out / "r.ipynb",
                     {"api_url": server.url, "sandbox": "ticket", "run_dir": str(out / "runs")})
    t3 = time.perf_counter()
export_html(out / "r.ipynb", out / "r.html")
t4 = time.perf_counter()
export_html(out / "r.ipynb", out / "r-share.html", no_input=True)
t5 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "simulator": t2 - t1, "execute": t3 - t2, "export_full": t4 - t3,
                  "export_share": t5 - t4}))
"""

_KERNEL = r"""
import time
t0 = time.perf_counter()
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="python3")
t1 = time.perf_counter()
kc.execute_interactive("import kit.investigate, kit.present.session, matplotlib.pyplot", timeout=120)
t2 = time.perf_counter()
kc.stop_channels(); km.shutdown_kernel(now=True)
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""

_MATPLOTLIB = r"""
import io, time
t0 = time.perf_counter()
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
t1 = time.perf_counter()
fig, ax = plt.subplots(); ax.set_title("x"); fig.savefig(io.BytesIO(), format="png")
print(f"{t1 - t0:.3f} {time.perf_counter() - t1:.3f}")
"""

_NBCONVERT = r"""
import sys, time
t0 = time.perf_counter()
from kit.present.report import export_html
from pathlib import Path
t1 = time.perf_counter()
export_html(Path(sys.argv[1]), Path(sys.argv[2]))
t2 = time.perf_counter()
export_html(Path(sys.argv[1]), Path(sys.argv[2]))
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {time.perf_counter() - t2:.3f}")
"""


def _python(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=True
    )
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""  # a bare import prints nothing: only its time counts


def _make_report() -> float:
    began = time.perf_counter()
    subprocess.run(["make", "-s", "report"], cwd=ROOT, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - began


def _cells(executed: Path) -> tuple[float, list[tuple[float, int]]]:
    nb = json.loads(executed.read_text())
    durations = [
        (float(c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0), i)
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code"
    ]
    return sum(d for d, _ in durations), sorted(durations, reverse=True)[:3]


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if shutil.which("make"):
        _make_report()  # the first run after a change compiles what changed
        walls = [_make_report() for _ in range(ROUNDS)]
        median = statistics.median(walls)
        rows.append(
            {
                "measure": "make report (venv exists)",
                "median_s": round(median, 2),
                "min_s": round(min(walls), 2),
                "runs": len(walls),
                "goal": f"<= {GOAL_S} s",
                "met": median <= GOAL_S,
            }
        )
    with tempfile.TemporaryDirectory(prefix="keylab-bench-report-") as folder:
        out = Path(folder)
        phases = json.loads(_python(_PHASES, str(out)))
        cells, slowest = _cells(out / "r.ipynb")
        rows.append(
            {
                "measure": "report phases (one run)",
                "imports_s": round(phases["imports"], 2),
                "simulator_s": round(phases["simulator"], 2),
                "kernel_and_papermill_s": round(phases["execute"] - cells, 2),
                "cells_s": round(cells, 2),
                "slowest_cells": ", ".join(f"#{i} {d:.2f}s" for d, i in slowest),
                "export_full_s": round(phases["export_full"], 2),
                "export_share_s": round(phases["export_share"], 2),
            }
        )
        kernel_start, kernel_imports = map(float, _python(_KERNEL).split())
        mpl_import, mpl_first_png = map(float, _python(_MATPLOTLIB).split())
        nbc_import, nbc_first, nbc_second = map(
            float, _python(_NBCONVERT, str(out / "r.ipynb"), str(out / "x.html")).split()
        )
        began = time.perf_counter()
        _python("import papermill")
        papermill_process = time.perf_counter() - began
        rows.append(
            {
                "measure": "fixed costs (fresh processes)",
                "kernel_start_s": round(kernel_start, 2),
                "kernel_imports_kit_s": round(kernel_imports, 2),
                "matplotlib_import_s": round(mpl_import, 2),
                "matplotlib_first_png_s": round(mpl_first_png, 2),
                "nbconvert_first_export_s": round(nbc_first, 2),
                "nbconvert_second_export_s": round(nbc_second, 2),
                "report_module_import_s": round(nbc_import, 2),
                "python_import_papermill_process_s": round(papermill_process, 2),
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
