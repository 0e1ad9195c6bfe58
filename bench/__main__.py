"""`make bench`: run every benchmark module side by side in one process and print their tables.

Speed is measured here, never asserted in tests: the machines are shared and noisy, so what counts
is the ratio between variants measured in the same run.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path


def _line(row: dict[str, object]) -> str:
    """One row as ``key=value`` pairs, its goal and whether it is met last, beside the figure they judge."""
    tail = [k for k in ("goal", "met") if k in row]
    shown = [f"{k}={v}" for k, v in row.items() if k not in tail]
    if tail:
        shown.append(
            f"[goal {row['goal']}: {'met' if row.get('met') else 'NOT met'}]"
            if "met" in row
            else f"[goal {row['goal']}]"
        )
    return "  ".join(shown)


def main(argv: list[str]) -> int:
    wanted = set(argv)
    modules = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    results: dict[str, list[dict[str, object]]] = {}
    for name in modules:
        if wanted and name.removeprefix("bench_") not in wanted and name not in wanted:
            continue
        module = importlib.import_module(f"bench.{name}")
        if getattr(module, "OPT_IN", False) and name.removeprefix("bench_") not in wanted and name not in wanted:
            continue  # slow or downloading: runs only when named (make bench BENCH=setup)
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        rows = module.run()
        results[name] = rows
        for row in rows:
            print("   " + _line(row), flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    out = Path("reports") / "bench.json"
    out.parent.mkdir(exist_ok=True)
    if wanted:  # a partial run adds to the last full one instead of replacing it
        with contextlib.suppress(OSError, ValueError):
            results = {**json.loads(out.read_text()), **results}
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
