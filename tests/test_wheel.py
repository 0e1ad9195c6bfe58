"""KeyLab installs as a wheel and runs from anywhere: the catalog, scenarios, demo sandboxes, notebooks and the
report template travel inside the package (kit/_data), found through the package, not through a checkout.

The test builds the wheel, installs it into a fresh venv in a temporary folder (its dependencies come from the
development venv through a .pth line, so nothing is downloaded), and runs ``keylab sim`` and
``keylab doctor --sandbox ticket`` from a folder outside the repository.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kit.testing import stop_process

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _build_wheel(out: Path) -> tuple[Path, str]:
    """The wheel, built by the project's own backend (hatchling, in the dev extra): no network, no pip needed."""
    proc = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheels = sorted(out.glob("keylab-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], proc.stdout + proc.stderr


def _installer(target: Path) -> list[str]:
    """The command that installs a wheel into ``target``'s venv: uv beside this Python (how make venv installs),
    else pip."""
    uv = Path(sys.executable).parent / "uv"
    if uv.is_file():
        return [str(uv), "pip", "install", "--quiet", "--python", str(target), "--no-deps", "--offline"]
    return [sys.executable, "-m", "pip", "--python", str(target), "install", "--no-deps", "--no-index"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``keylab`` program of a fresh venv that holds only the wheel (and sees the dev venv's dependencies)."""
    tmp = tmp_path_factory.mktemp("wheel")
    wheel, build_log = _build_wheel(tmp / "dist")
    assert "warning" not in build_log.lower(), build_log[-2000:]
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    fresh_site = next((venv / "lib").glob("python3*/site-packages"))
    # The dependencies, not KeyLab: a directory named in a .pth file has its own .pth files ignored, so the
    # dev venv's editable hook (which points at this checkout) does not apply.
    (fresh_site / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    proc = subprocess.run(
        [*_installer(venv / "bin" / "python"), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "warning" not in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr
    return venv / "bin" / "keylab"


def test_wheel_contents(installed: Path) -> None:
    wheel = next(installed.parent.parent.parent.glob("dist/keylab-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "kit/_data/catalog/keys.toml",
        "kit/_data/catalog/assumptions.toml",
        "kit/_data/scenarios/ticket.toml",
        "kit/_data/demo/ticket/sandbox.toml",
        "kit/_data/demo/ticket/project/.env",
        "kit/_data/notebooks/00-investigation.ipynb",
        "kit/present/templates/keylab/index.html.j2",
        "kit/py.typed",
    ):
        assert needed in names, f"{needed} is missing from the wheel"
    assert not [n for n in names if "node_modules" in n or n.endswith(".pyc")]


def test_installed_keylab_runs_the_simulator_and_the_doctor_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "PYTHON"))}
    env["HOME"] = str(tmp_path / "home")
    (tmp_path / "home").mkdir()
    where = tmp_path / "elsewhere"
    where.mkdir()
    sim = subprocess.Popen(
        [str(installed), "sim", "--scenario", "ticket", "--port", "0"],
        cwd=where,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        url = sim.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url + (
            sim.stderr.read() if sim.poll() is not None and sim.stderr else ""
        )
        where_kit = subprocess.run(
            [str(installed.parent / "python"), "-c", "import kit; print(kit.__file__)"],
            cwd=where,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert str(installed.parent.parent) in where_kit.stdout, "the installed kit must be the wheel's"
        doctor = subprocess.run(
            [str(installed), "doctor", "--sandbox", "ticket", "--api-url", url, "--json"],
            cwd=where,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        stop_process(sim)
    assert doctor.returncode == 1, doctor.stderr[-2000:]
    result = json.loads(doctor.stdout)
    assert result["top"] == "stale-env-shadows-dotenv"
    assert not (where / "data").exists() or (where / "data" / "runs").is_dir()
