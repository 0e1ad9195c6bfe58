"""The explicit environment every reader takes: variables, home folder and working folder.

Nothing in the kit reads ``os.environ`` or ``Path.home()`` directly; it takes an ``Environment``.
That is what lets the demos and the tests run in sandboxes without ever touching a developer's own
variables or key files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

__all__ = ["SENSITIVE_VARIABLE_HINTS", "Environment"]

#: Variable names whose values are secrets; ``Environment`` never shows their values.
SENSITIVE_VARIABLE_HINTS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "AUTH", "CREDENTIAL")


@dataclass(frozen=True)
class Environment:
    """Process variables, HOME and the working directory, as one immutable value."""

    variables: Mapping[str, str] = field(repr=False)
    home: Path
    cwd: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", MappingProxyType(dict(self.variables)))
        object.__setattr__(self, "home", Path(self.home))
        object.__setattr__(self, "cwd", Path(self.cwd))

    @classmethod
    def current(cls) -> Environment:
        """The running process's environment (for real use, never in tests)."""
        home = os.environ.get("HOME") or str(Path("~").expanduser())
        return cls(variables=dict(os.environ), home=Path(home), cwd=Path.cwd())

    def get(self, name: str) -> str | None:
        return self.variables.get(name)

    def with_variables(self, **changes: str | None) -> Environment:
        """A copy with variables set (a value) or removed (``None``)."""
        merged = dict(self.variables)
        for name, value in changes.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        return Environment(variables=merged, home=self.home, cwd=self.cwd)

    def names(self, prefix: str = "") -> Iterator[str]:
        return (name for name in sorted(self.variables) if name.startswith(prefix))

    def __repr__(self) -> str:
        shown = ", ".join(self.names("ANTHROPIC_"))
        return f"Environment(home={str(self.home)!r}, cwd={str(self.cwd)!r}, anthropic_vars=[{shown}])"
