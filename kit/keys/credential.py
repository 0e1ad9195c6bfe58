"""The one holder of a secret: ``Credential``, whose ``repr`` and ``str`` show only alias, hint and fingerprint.

Creating one registers the secret with the redaction path (``kit.guard.redact.remember``), so every later
output is scrubbed of it. The redaction path never imports this module: it builds only on the keys stage's
leaf modules (``chars``, ``naming``, ``clean``), so the import goes one way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kit.guard import redact
from kit.keys.clean import repair
from kit.keys.inspect import inspect_key
from kit.keys.naming import as_text, fingerprint, hint
from kit.keys.report import KeyReport

__all__ = ["Credential"]


@dataclass(frozen=True)
class Credential:
    """A secret and where it came from. ``repr``/``str`` show only the alias, hint and fingerprint.

    Creating one registers the secret with ``kit.guard.redact`` so that every later output is scrubbed of it.
    """

    alias: str
    raw: bytes | str = field(repr=False)
    source: str = ""

    def __post_init__(self) -> None:
        redact.remember([self.raw])

    @property
    def value(self) -> str:
        """The exact value as text (invalid UTF-8 bytes kept as surrogate escapes)."""
        return as_text(self.raw)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw)

    @property
    def hint(self) -> str:
        return hint(self.raw)

    def report(self) -> KeyReport:
        return inspect_key(self.raw, alias=self.alias, source=self.source)

    def repaired(self) -> Credential | None:
        """A credential holding the obvious repair of these bytes, or ``None`` if there is none."""
        candidate = repair(self.value)
        if candidate is None or candidate == self.value:
            return None
        return Credential(alias=f"{self.alias} (repaired)", raw=candidate, source=self.source)

    def __repr__(self) -> str:
        return f"Credential(alias={self.alias!r}, hint={self.hint!r}, fingerprint={self.fingerprint!r})"

    __str__ = __repr__
