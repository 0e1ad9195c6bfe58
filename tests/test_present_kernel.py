"""Kernels KeyLab starts listen on Unix sockets in a private folder, not on loopback TCP that any account can reach."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import nbformat
import pytest

from kit.present.kernel import lab_kernel_options, private_kernel, unix_sockets_fit
from kit.present.lab import lab_command
from kit.testing.notebooks import run_notebook

ASK_THE_KERNEL = """\
import json, os, stat
from ipykernel.kernelapp import IPKernelApp
app = IPKernelApp.instance()
folder = os.path.dirname(app.ip)
print(json.dumps({"transport": app.transport, "ip": app.ip,
                  "mode": stat.S_IMODE(os.stat(folder).st_mode) if folder else None,
                  "sockets": sorted(os.listdir(folder)) if folder else []}))
"""


def test_a_notebook_run_talks_to_its_kernel_through_sockets_only_this_user_can_open(tmp_path: Path) -> None:
    notebook = tmp_path / "ask.ipynb"
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells = [nbformat.v4.new_code_cell(ASK_THE_KERNEL)]
    nbformat.write(nb, str(notebook))
    run = run_notebook(notebook, tmp_path / "out.ipynb", cwd=tmp_path)
    assert not run.errors, run.errors
    seen = json.loads(run.text.strip().splitlines()[-1])
    assert seen["transport"] == "ipc", "the kernel listened on TCP"
    assert seen["mode"] == 0o700 and Path(seen["ip"]).parent != tmp_path, "sockets outside a private folder"
    assert len(seen["sockets"]) == 5, seen["sockets"]  # shell, iopub, stdin, control, heartbeat
    assert not Path(seen["ip"]).parent.exists(), "the socket folder outlived the run"
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["ask.ipynb", "out.ipynb"], f"socket files in the working folder: {left}"


def test_the_private_folder_is_removed_even_when_the_run_fails() -> None:
    with pytest.raises(RuntimeError), private_kernel() as kernel:
        manager = kernel["kernel_manager_class"]()
        folder = Path(manager.ip).parent
        assert manager.transport == "ipc" and stat.S_IMODE(folder.stat().st_mode) == 0o700
        raise RuntimeError("the notebook failed")
    assert not folder.exists()


def test_a_socket_path_past_the_unix_limit_keeps_tcp_rather_than_failing_to_start(tmp_path: Path) -> None:
    assert unix_sockets_fit(tmp_path / "kernel")
    assert not unix_sockets_fit(tmp_path / ("x" * 40))


def test_jupyterlab_starts_its_kernels_on_unix_sockets(tmp_path: Path) -> None:
    notebook = tmp_path / "reports" / "lab" / "00-investigation.ipynb"
    notebook.parent.mkdir(parents=True)
    assert "--KernelManager.transport=ipc" in lab_kernel_options()
    assert set(lab_kernel_options()) <= set(lab_command(tmp_path, notebook, 8899))


def test_a_long_jupyter_runtime_folder_keeps_lab_on_tcp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", os.fspath(tmp_path / ("r" * 90)))
    assert lab_kernel_options() == []
