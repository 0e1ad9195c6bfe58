"""``make lab``: the interactive demo, ready to run: the simulator, and JupyterLab on the ticket notebook.

It starts the built-in simulator (scenario ``ticket``) on loopback, writes notebook 00 with its parameters
filled in (``api_url`` = the simulator, ``sandbox = "ticket"``) to ``reports/lab/`` (git-ignored, so the
committed notebook stays clean), and starts JupyterLab on it with the news prompt off. Nothing leaves
this machine: the sandbox's fake keys go to the simulator only. Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from kit.catalog import NOTEBOOK_DIR, work_root
from kit.present.kernel import lab_kernel_options

__all__ = ["lab_command", "prepare", "settings"]

NOTEBOOK = "00-investigation.ipynb"


def settings(root: Path) -> Path:
    """A JupyterLab settings folder that turns the news prompt and update checks off."""
    folder = root / ".lab-settings" / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8"
    )
    return root / ".lab-settings"


def prepare(api_url: str, out_dir: Path, sandbox: str = "ticket") -> Path:
    """Notebook 00 with the demo's parameters filled in (papermill's injected cell), not executed."""
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / NOTEBOOK
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / NOTEBOOK),
        str(out),
        prepare_only=True,
        progress_bar=False,
        parameters={"api_url": api_url, "sandbox": sandbox},
    )
    return out


def lab_command(root: Path, notebook: Path, port: int) -> list[str]:
    """The JupyterLab command line: loopback only, the news prompt off, opening ``notebook``."""
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings(notebook.parent)}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--ServerApp.default_url=/lab/tree/{notebook.relative_to(root).as_posix()}",
        *lab_kernel_options(),  # the kernels' sockets in Jupyter's private runtime folder, not loopback TCP
        *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
    ]  # containers run as root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make lab", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="ticket")
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    from kit.sim import serve

    root = work_root()
    with serve(args.scenario) as server:
        notebook = prepare(server.url, root / "reports" / "lab", sandbox=args.scenario)
        print(f"simulator ({args.scenario}) at {server.url}; the demo notebook: {notebook}", flush=True)
        command = lab_command(root, notebook, args.port) + (["--no-browser"] if args.no_browser else [])
        try:
            return subprocess.call(command, cwd=notebook.parent)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
