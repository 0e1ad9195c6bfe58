"""The distinct credentials among the sources (one per fingerprint), each with a short alias people can
read in tables: ``env``, ``.env:3``, ``~/.zshrc:12``, ``profile:work``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from kit.env import Environment
from kit.keys.credential import Credential
from kit.sources.found import Found, display_path
from kit.values import Source

_MAX_ALIAS = 24


def distinct_credentials(found: Sequence[Found], env: Environment) -> tuple[Credential, ...]:
    """One ``Credential`` per distinct value (by fingerprint), in source order, each with a unique alias."""
    out: list[Credential] = []
    by_fp: dict[str, Credential] = {}
    taken: set[str] = set()
    for item in found:
        if not item.secret or item.value is None or item.source.fingerprint is None:
            continue
        if item.source.fingerprint in by_fp:
            continue
        alias = _unique(_alias(item.source, env), item.source, taken)
        taken.add(alias)
        credential = Credential(alias=alias, raw=item.value, source=item.source.id)
        by_fp[item.source.fingerprint] = credential
        out.append(credential)
    return tuple(out)


def _alias(source: Source, env: Environment) -> str:
    if source.kind == "env":
        variable = source.variable or "?"
        if variable == "ANTHROPIC_API_KEY":
            return "env"
        if "#" in source.id:
            return "headers:" + source.id.rsplit("#", 1)[1]  # a credential inside ANTHROPIC_CUSTOM_HEADERS
        return "env:" + variable.removeprefix("ANTHROPIC_")
    if source.kind == "dotenv" and source.path:
        path = Path(source.path)
        try:
            rel = os.path.relpath(path, env.cwd)
        except ValueError:
            rel = str(path)
        return rel if len(rel) <= _MAX_ALIAS else ".../" + path.parent.name + "/" + path.name
    if source.kind == "shell" and source.path:
        return f"{display_path(source.path, env.home)}:{source.line}"
    if source.kind == "profile":
        return source.id
    if source.kind == "file" and source.path:
        return Path(source.path).name
    return source.id


def _unique(alias: str, source: Source, taken: set[str]) -> str:
    candidates = [alias]
    if source.line is not None and not alias.endswith(f":{source.line}"):
        candidates.append(f"{alias}:{source.line}")
    if source.kind == "file" and source.path:
        path = Path(source.path)
        candidates.append(f"{path.parent.name}/{path.name}")
    candidates += [f"{alias}#{n}" for n in range(2, 100)]
    for candidate in candidates:
        short = _shorten(candidate)
        if short not in taken:
            return short
    return _shorten(f"{alias}#{len(taken)}")


def _shorten(alias: str) -> str:
    if len(alias) <= _MAX_ALIAS:
        return alias
    return "…" + alias[-(_MAX_ALIAS - 1) :]
