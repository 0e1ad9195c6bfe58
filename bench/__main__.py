"""`make bench`: run every benchmark module side by side in one process and print their tables.

Speed is measured here, never asserted in tests: the machines are shared and noisy, so what counts
is the ratio between variants measured in the same run.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    wanted = set(argv)
    modules = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    results: dict[str, list[dict[str, object]]] = {}
    for name in modules:
        if wanted and name.removeprefix("bench_") not in wanted and name not in wanted:
            continue
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        rows = module.run()
        results[name] = rows
        for row in rows:
            print("   " + "  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    out = Path("reports") / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
