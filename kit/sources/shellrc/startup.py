"""Which start-up files exist in HOME, in the order each shell reads them, and which ones the user's shell reads."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kit.sources.shellrc.files import exists
from kit.sources.shellrc.records import ShellSyntax, Startup, StartupShell

# Shells that read ~/.profile at login besides bash.
_PROFILE_SHELLS: dict[str, StartupShell] = {"sh": "sh", "dash": "dash", "ksh": "ksh", "mksh": "mksh"}


def shell_name(variables: Mapping[str, str]) -> str:
    """The user's shell from ``$SHELL`` (``zsh``, ``bash``, ``fish``, ``sh``, ``tcsh``...), or ``""``."""
    return os.path.basename(variables.get("SHELL", "").strip())


def startup_files(home: Path, variables: Mapping[str, str]) -> list[Startup]:
    """Every start-up file that exists in HOME, in the order its shell reads it, marked by whether
    the user's shell (``$SHELL``) reads it in a new terminal (a login, interactive shell)."""
    shell = shell_name(variables)
    zdot = Path(variables.get("ZDOTDIR") or home)
    xdg = Path(variables.get("XDG_CONFIG_HOME") or home / ".config")
    fish_dir = xdg / "fish"
    bash_login = next((home / n for n in (".bash_profile", ".bash_login", ".profile") if (home / n).exists()), None)
    candidates: list[tuple[Path, ShellSyntax, StartupShell, bool]] = [
        (zdot / ".zshenv", "posix", "zsh", True),
        (zdot / ".zprofile", "posix", "zsh", True),
        (zdot / ".zshrc", "posix", "zsh", True),
        (zdot / ".zlogin", "posix", "zsh", True),
        (home / ".bash_profile", "posix", "bash", bash_login == home / ".bash_profile"),
        (home / ".bash_login", "posix", "bash", bash_login == home / ".bash_login"),
        (home / ".profile", "posix", "bash", bash_login == home / ".profile"),
        (home / ".bashrc", "posix", "bash", True),
        (fish_dir / "fish_variables", "fish-universal", "fish", True),
        *[(p, "fish", "fish", True) for p in _sorted_glob(fish_dir / "conf.d", "*.fish")],
        (fish_dir / "config.fish", "fish", "fish", True),
        (home / ".tcshrc", "csh", "tcsh", True),
        (home / ".cshrc", "csh", "tcsh", not (home / ".tcshrc").exists() or shell == "csh"),
        (home / ".login", "csh", "tcsh", True),
    ]
    profile_shell = _PROFILE_SHELLS.get(shell)
    if profile_shell:
        candidates.append((home / ".profile", "posix", profile_shell, True))
    out: list[Startup] = []
    seen: set[tuple[Path, str]] = set()
    for path, syntax, owner, read in candidates:
        if (path, owner) in seen or not exists(path):
            continue
        seen.add((path, owner))
        mine = owner == shell or (shell == "csh" and owner == "tcsh")
        out.append(Startup(path=path, syntax=syntax, read_by_shell=mine and read, shell=owner))
    # a file two shells read (.profile) is listed once, read if either of them is the user's
    merged: dict[Path, Startup] = {}
    for item in out:
        if item.path in merged:
            prior = merged[item.path]
            merged[item.path] = Startup(
                item.path,
                item.syntax,
                prior.read_by_shell or item.read_by_shell,
                prior.shell if prior.read_by_shell else item.shell,
            )
        else:
            merged[item.path] = item
    return list(merged.values())


def _sorted_glob(folder: Path, pattern: str) -> list[Path]:
    try:
        return sorted(folder.glob(pattern))
    except OSError:
        return []
