"""The Node SDK worker is a real program file: it ships beside its adapter and node accepts its syntax."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kit.probe.clients import sdk_node


def test_the_worker_is_a_file_beside_the_adapter() -> None:
    path = sdk_node.WORKER_PATH
    assert path.is_file() and path.parent == Path(sdk_node.__file__).parent
    text = path.read_text(encoding="utf-8")
    # CommonJS, so that `require` loads both the ticket's SDK and the current one from the cache folder
    assert path.suffix == ".cjs" and "require(dir)" in text and "KEYLAB_SDK_DIR" in text
    assert not hasattr(sdk_node, "WORKER_JS")  # no second copy in a Python string


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_check_accepts_the_worker() -> None:
    done = subprocess.run(
        ["node", "--check", str(sdk_node.WORKER_PATH)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_check_would_catch_a_broken_worker(tmp_path: Path) -> None:
    broken = tmp_path / "worker.cjs"
    broken.write_text(
        sdk_node.WORKER_PATH.read_text(encoding="utf-8").replace(
            "async function handle(req) {", "async function handle(req {"
        )
    )
    done = subprocess.run(["node", "--check", str(broken)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
