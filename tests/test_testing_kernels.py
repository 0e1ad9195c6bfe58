"""kit.testing.kernels: notebook kernels forked from one preloaded process behave as kernels started anew."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from kit.present.kernel import set_launcher
from kit.testing.kernels import ForkedKernel, KernelForks
from kit.testing.notebooks import run_notebook

LOOK_AROUND = """\
import json, os, sys
import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
plt.show()
print(json.dumps({"pid": os.getpid(), "cwd": os.getcwd(), "session": os.getsid(0) == os.getpid(),
                  "marker": os.environ.get("KEYLAB_TEST_MARKER"), "backend": plt.get_backend()}))
"""


@pytest.fixture
def forks(kernel_forks: KernelForks) -> Iterator[KernelForks]:
    """A server of the test's own (counted from zero); the session's is set back afterwards."""
    own = KernelForks()
    set_launcher(own.launch)
    yield own
    own.close()
    set_launcher(kernel_forks.launch)


def _run(tmp_path: Path) -> tuple[dict[str, object], int]:
    notebook = tmp_path / "look.ipynb"
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "P", "language": "python"}}
    )
    nb.cells = [nbformat.v4.new_code_cell(LOOK_AROUND)]
    nbformat.write(nb, str(notebook))
    run = run_notebook(notebook, tmp_path / "out.ipynb", cwd=tmp_path)
    assert not run.errors, run.errors
    return json.loads(run.text.strip().splitlines()[-1]), len(run.images)


def test_a_forked_kernel_has_its_own_folder_session_environment_and_inline_plots(
    forks: KernelForks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYLAB_TEST_MARKER", "seen")
    seen, images = _run(tmp_path)
    assert forks.forked == 1 and forks.declined == 0
    assert seen["cwd"] == str(tmp_path) and seen["session"] is True and seen["marker"] == "seen"
    assert seen["backend"] == "module://matplotlib_inline.backend_inline" and images == 1
    assert ForkedKernel(int(str(seen["pid"]))).poll() is not None, "the kernel outlived its notebook"


def test_a_variable_the_preloaded_libraries_read_makes_it_start_the_kernel_as_usual(
    forks: KernelForks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "first").mkdir()
    _run(tmp_path / "first")  # the server starts, with the suite's environment
    monkeypatch.setenv("MPLBACKEND", "agg")
    seen, images = _run(tmp_path)
    assert forks.forked == 1 and forks.declined == 1
    assert seen["backend"] == "agg" and images == 0  # what a fresh kernel does with that setting


def test_a_killed_forked_kernel_reads_as_killed(forks: KernelForks, tmp_path: Path) -> None:
    kernel = forks.launch(
        [sys.executable, "-m", "ipykernel_launcher", "-f", str(tmp_path / "kernel.json")],
        {**os.environ},
        str(tmp_path),
    )
    assert kernel is not None and kernel.poll() is None
    kernel.kill()
    assert kernel.wait(timeout=10) == -signal.SIGKILL


def test_another_interpreter_is_started_as_usual(forks: KernelForks, tmp_path: Path) -> None:
    assert forks.launch(["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "k.json"], {}, str(tmp_path)) is None
    assert forks.declined == 1
