"""The kit's few exceptions. Verdicts about keys are values (findings, attempt rows), never exceptions.

An exception here means KeyLab itself cannot go on, and each one renders a message that names the
problem and the fix (``str(exc)`` is that message; the CLI prints it and exits 2)::

    KitError                    base class; .fix says what to do
    ├── UsageError              bad arguments or parameters (a flag, a notebook parameter)
    ├── InputError              a file or value KeyLab was asked to read is unusable
    │   └── ScenarioError       a simulator scenario file is invalid
    ├── CatalogError            the catalog under data/catalog/ is missing or malformed
    └── ClientUnavailable       a probe client cannot run here (no curl, no node/npm)

Nothing here ever carries a key: messages are built from aliases, hints and fingerprints.
"""

from __future__ import annotations

__all__ = ["CatalogError", "ClientUnavailable", "InputError", "KitError", "ScenarioError", "UsageError"]


class KitError(Exception):
    """Base class. ``problem`` says what is wrong, ``fix`` what to do about it."""

    exit_code = 2

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(self.format_message())

    def format_message(self) -> str:
        return f"{self.problem}\n  fix: {self.fix}" if self.fix else self.problem


class UsageError(KitError):
    """Arguments or notebook parameters that cannot work together."""


class InputError(KitError):
    """A file or value that KeyLab was asked to read cannot be used."""


class ScenarioError(InputError):
    """A simulator scenario (data/scenarios/*.toml) is invalid."""


class CatalogError(KitError):
    """The provider catalog is missing or malformed: a broken checkout, not a user mistake."""


class ClientUnavailable(KitError):
    """A probe client cannot run on this machine (a missing program or package)."""
