"""Env-file runtimes as data: one engine applies a loader's catalog entry to a project folder.

Each loader in ``data/catalog/runtimes.toml`` (docker ``--env-file``, Node ``--env-file``, npm dotenv, Next.js,
Vite, Bun, direnv, python-dotenv, uv, bash ``source``) is a row of facts: the files it reads and in which
order, whether a variable already in the environment wins, and how it reads quotes, ``#``, ``export`` and
CRLF (facts sheet §3). ``detect`` finds the runtimes a project uses (``package.json`` dependencies and
scripts, ``bun.lock``, ``compose.yaml`` ``env_file:``, scripts calling ``docker run --env-file``, ``.envrc``,
``pyproject.toml``/``uv.lock``); ``apply`` says which value each would put in the process and why.
Nothing is run: the files are read and the rules applied.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.catalog import DATA_DIR
from kit.env import Environment
from kit.guard.reader import Refused, read_bounded

__all__ = ["Loaded", "Runtime", "apply", "detect", "parse_env_file", "runtime_catalog"]

_LINE = re.compile(r"^\s*(?P<export>export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s?(?P<value>.*)$")
_SCRIPT_EXT = (".sh", ".bash", "Makefile", "justfile", ".yml", ".yaml")


@dataclass(frozen=True)
class Runtime:
    """One loader found in the project: its catalog entry and the files it reads (lowest precedence first)."""

    name: str
    entry: Mapping[str, Any]
    files: tuple[Path, ...]
    why: str  # how it was recognised


@dataclass(frozen=True)
class Loaded:
    """The value a runtime puts in the process for one variable, and where it came from."""

    runtime: str
    variable: str
    value: str | None
    origin: str  # "process environment" or "<file> line N"
    path: Path | None
    line: int | None
    reason: str
    overridden: tuple[tuple[str, str], ...] = ()  # (origin, value) of the values it replaced or ignored


def runtime_catalog() -> dict[str, dict[str, Any]]:
    with (DATA_DIR / "catalog" / "runtimes.toml").open("rb") as fh:
        return tomllib.load(fh)


def parse_env_file(text: str, entry: Mapping[str, Any]) -> list[tuple[int, str, str]]:
    """``(line, name, value)`` for each assignment, read with the loader's rules (no expansion)."""
    out: list[tuple[int, str, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") and entry["crlf"] == "strip" else raw
        m = _LINE.match(line)
        if m is None or line.lstrip().startswith("#"):
            continue
        if m["export"] and entry["export"] == "error":
            continue  # docker: `variable 'export A' contains whitespaces` (the whole run fails)
        out.append((number, m["name"], _value(m["value"], entry)))
    return out


def _value(value: str, entry: Mapping[str, Any]) -> str:
    if entry["quotes"] == "keep":
        return value  # docker keeps quotes, spaces and `#` literally
    stripped = value.strip(" \t") if entry["crlf"] == "keep" else value.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'`":
        return stripped[1:-1]
    if entry["comment"] == "any-hash" and "#" in stripped:
        stripped = stripped.split("#", 1)[0]
    elif entry["comment"] == "space-hash":
        stripped = re.split(r"\s+#", stripped, maxsplit=1)[0]
    return stripped.strip(" \t") if entry["crlf"] == "keep" else stripped.strip()


def _read(path: Path) -> str | None:
    read = read_bounded(path, 1 << 20)
    return None if isinstance(read, Refused) else read.data.decode("utf-8", "replace")


def _package(cwd: Path) -> dict[str, Any]:
    text = _read(cwd / "package.json")
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _flag_files(text: str, command: str, flag: str) -> list[str]:
    files = []
    for line in text.splitlines():
        if command in line and flag in line:
            files += re.findall(re.escape(flag) + r"[= ]\s*([^\s;&|]+)", line)
    return files


def detect(cwd: Path, catalog: Mapping[str, Mapping[str, Any]] | None = None) -> list[Runtime]:
    """The runtimes this project uses, each with the env files it would read."""
    cat = catalog or runtime_catalog()
    package = _package(cwd)
    deps = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    scripts = "\n".join(str(v) for v in package.get("scripts", {}).values())
    for path in sorted(cwd.iterdir()) if cwd.is_dir() else []:
        if path.is_file() and (path.name.endswith(_SCRIPT_EXT) or path.name == "Dockerfile"):
            scripts += "\n" + (_read(path) or "")
    found: list[Runtime] = []
    for name, entry in cat.items():
        rule = entry["detect"]
        files: list[str] = []
        why = ""
        if "dependency" in rule and rule["dependency"] in deps:
            why, files = f"package.json depends on {rule['dependency']}", list(entry["files"])
        elif "file" in rule and any((cwd / f).is_file() for f in rule["file"]):
            why, files = "bun.lock in the project", list(entry["files"])
        elif "script" in rule and rule["script"] in scripts:
            flagged = _flag_files(scripts, rule["script"], rule.get("flag", "--env-file"))
            if "{flag}" in entry["files"] and not flagged:
                continue
            why = f"a script runs `{rule['script']}`"
            files = flagged if "{flag}" in entry["files"] else list(entry["files"])
        elif "envrc" in rule and (cwd / ".envrc").is_file():
            why, files = ".envrc in the project (direnv)", _envrc_files(cwd)
        elif "python" in rule and rule["python"] in (_read(cwd / "pyproject.toml") or ""):
            why, files = "pyproject.toml depends on python-dotenv", list(entry["files"])
        if why:
            found.append(Runtime(name, entry, tuple(cwd / f for f in files), why))
    compose = next(
        (cwd / n for n in ("compose.yaml", "compose.yml", "docker-compose.yml") if (cwd / n).is_file()), None
    )
    if compose is not None and "docker-env-file" in cat:
        listed = re.findall(r"env_file:\s*\[?\s*['\"]?([^\s'\"\]]+)", _read(compose) or "")
        if listed:
            entry = dict(cat["docker-env-file"], quotes="strip", comment="space-hash", name="Compose env_file:")
            found.append(Runtime("compose", entry, tuple(cwd / f for f in listed), f"{compose.name} has env_file:"))
    return found


def _envrc_files(cwd: Path) -> list[str]:
    files = [".envrc"]
    for line in (_read(cwd / ".envrc") or "").splitlines():
        words = line.split()
        if words[:1] == ["dotenv"]:
            files.insert(0, words[1] if len(words) > 1 else ".env")
    return files


def _mode(runtime: Runtime, env: Environment) -> str:
    variable = runtime.entry.get("mode_variable")
    return (env.get(variable) if variable else None) or runtime.entry.get("default_mode", "")


def apply(runtime: Runtime, env: Environment, variable: str) -> Loaded | None:
    """The value ``runtime`` puts in the process for ``variable``, where it came from and why; None if none."""
    entry, mode = runtime.entry, _mode(runtime, env)
    layers: list[tuple[str, str, Path, int]] = []  # (origin, value, path, line), lowest precedence first
    for template in runtime.files:
        name = template.name.replace("{mode}", mode)
        if mode == "test" and template.name in entry.get("skip_in_test", ()):
            continue
        path = template.with_name(name)
        text = _read(path)
        if text is None:
            continue
        for line, key, value in parse_env_file(text, entry):
            if key == variable:
                layers.append((f"{path.name} line {line}", value, path, line))
    existing = env.get(variable)
    if existing is not None and entry["existing_wins"]:
        return Loaded(
            runtime.name,
            variable,
            existing,
            "process environment",
            None,
            None,
            f"{entry['name']} never replaces a variable that is already set",
            tuple((o, v) for o, v, _, _ in layers),
        )
    if not layers:
        return None
    origin, value, path, line = layers[-1]
    replaced = tuple((o, v) for o, v, _, _ in layers[:-1])
    if existing is not None:
        replaced = (("process environment", existing), *replaced)
    order = " < ".join(dict.fromkeys(t.name.replace("{mode}", mode) for t in runtime.files))
    reason = f"{entry['name']} reads {order} (later wins)"
    if existing is not None:
        reason += " and the file beats the variable already set"
    return Loaded(runtime.name, variable, value, origin, path, line, reason, replaced)


def project_values(env: Environment, variables: Sequence[str]) -> list[tuple[Runtime, Loaded]]:
    """For each runtime found in the working folder and each variable: what it would load."""
    out = []
    for runtime in detect(env.cwd):
        for variable in variables:
            loaded = apply(runtime, env, variable)
            if loaded is not None:
                out.append((runtime, loaded))
    return out
