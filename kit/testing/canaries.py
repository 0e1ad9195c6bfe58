"""Canary sandboxes: a fake project in which every place KeyLab reads holds the same canary key.

A leak test plants the canary (generated at run time, never committed) everywhere and then greps every
output for it; one builder keeps every such test planting in the same places.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["canary_sandbox"]


def canary_sandbox(
    root: Path,
    canary: str,
    *,
    fresh: str | None = None,
    models: Sequence[str] = (),
    key_file_suffix: str = "\n",
    description: str = "canary",
) -> Path:
    """Write a demo sandbox at ``root`` (a ``sandbox.toml`` with ``home/`` and ``project/``) and return ``root``.

    The canary is exported in ``~/.bashrc`` and the sandbox's environment and written to a key file followed by
    ``key_file_suffix``; ``.env`` holds ``fresh`` (default: the canary) with a zero-width space inside, so the
    sandbox has a defect to find, a stale export that shadows ``.env``, and a key file to read.
    """
    fresh = canary if fresh is None else fresh
    (root / "home").mkdir(parents=True, exist_ok=True)
    (root / "project" / "keys").mkdir(parents=True, exist_ok=True)
    model_line = f"models = [{', '.join(repr(m).replace(chr(39), chr(34)) for m in models)}]\n" if models else ""
    (root / "sandbox.toml").write_text(
        f'description = "{description}"\nkey_files = ["project/keys/canary.txt"]\n{model_line}'
        f'[variables]\nANTHROPIC_API_KEY = "{canary}"\nSHELL = "/bin/bash"\n',
        encoding="utf-8",
    )
    (root / "home" / ".bashrc").write_text(f'export ANTHROPIC_API_KEY="{canary}"\n', encoding="utf-8")
    middle = len(fresh) // 2
    (root / "project" / ".env").write_text(
        f"ANTHROPIC_API_KEY={fresh[:middle]}\u200b{fresh[middle:]}\n", encoding="utf-8"
    )
    (root / "project" / "keys" / "canary.txt").write_text(canary + key_file_suffix, encoding="utf-8")
    return root
