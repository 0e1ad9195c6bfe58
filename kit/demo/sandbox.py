"""Demo and test sandboxes: a fake HOME and project folder written from a template.

A sandbox template is a folder with ``sandbox.toml`` (process variables, which subfolders are HOME
and the working directory) and any files. ``{{key:NAME}}`` (or ``{{key:NAME:admin}}``,
``{{key:NAME:oauth}}``) in any file or variable becomes a fake key derived from NAME, the same value
the simulator derives, so the repository holds no key-shaped text. ``{{home}}`` and ``{{project}}``
become the materialized paths.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from pathlib import Path

from kit.demo.fakekeys import derive_key
from kit.env import Environment
from kit.errors import InputError

__all__ = ["materialize", "render_template", "sandbox_env"]

_TOKEN = re.compile(r"\{\{\s*(key:(?P<name>[A-Za-z0-9_.\-]+)(?::(?P<kind>[a-z\-]+))?|home|project)\s*\}\}")


def render_template(text: str, home: Path, project: Path) -> str:
    """Replace ``{{key:NAME[:KIND]}}``, ``{{home}}`` and ``{{project}}`` in ``text``."""

    def sub(match: re.Match[str]) -> str:
        what = match.group(1)
        if what == "home":
            return str(home)
        if what == "project":
            return str(project)
        return derive_key(match["name"], match["kind"] or "api")

    return _TOKEN.sub(sub, text)


def materialize(template: Path, dest: Path) -> Environment:
    """Write the sandbox ``template`` into ``dest`` and return the ``Environment`` it describes."""
    template = Path(template)
    spec_path = template / "sandbox.toml"
    if not spec_path.is_file():
        raise InputError(
            f"{template} is not a sandbox: it has no sandbox.toml",
            "point at a folder under data/demo/ or tests/scenarios/",
        )
    with spec_path.open("rb") as fh:
        spec = tomllib.load(fh)
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    home = dest / spec.get("home", "home")
    project = dest / spec.get("cwd", "project")
    for path in sorted(template.rglob("*")):
        rel = path.relative_to(template)
        if rel.name == "sandbox.toml" and len(rel.parts) == 1:
            continue
        target = dest / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            target.write_bytes(data)
        else:
            # newline="" keeps CRLF and missing final newlines exactly as in the template
            with target.open("w", encoding="utf-8", newline="") as fh:
                fh.write(render_template(text, home, project))
        if rel.parts[-1].endswith((".txt", ".key")) or rel.parts[-1] == ".env":
            os.chmod(target, 0o600)
    home.mkdir(parents=True, exist_ok=True)
    project.mkdir(parents=True, exist_ok=True)
    variables = {k: render_template(str(v), home, project) for k, v in spec.get("variables", {}).items()}
    variables.setdefault("HOME", str(home))
    variables.setdefault("PWD", str(project))
    return Environment(variables=variables, home=home, cwd=project)


def sandbox_env(root: Path, variables: dict[str, str] | None = None) -> Environment:
    """An ``Environment`` with HOME at ``root/home`` and the working directory at ``root/project``."""
    home, project = root / "home", root / "project"
    home.mkdir(parents=True, exist_ok=True)
    project.mkdir(parents=True, exist_ok=True)
    base = {"HOME": str(home), "PWD": str(project), "PATH": "/usr/bin:/bin"}
    base.update(variables or {})
    return Environment(variables=base, home=home, cwd=project)
