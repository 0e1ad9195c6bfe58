"""A source being built: the ``Source`` people see (fingerprint and hint for a secret, a shown value for a
setting) with the value kept beside it, out of every repr; the variables KeyLab watches; paths as people write them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kit.env import Environment
from kit.guard.redact import redact_url, scrub
from kit.keys.naming import fingerprint, hint
from kit.values import Source, SourceKind

#: Variables whose values are credentials (inspected, fingerprinted, probed).
CREDENTIAL_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_ADMIN_API_KEY")
#: Variables that change where a credential goes or which one is used (shown, not secret).
SETTING_VARIABLES = ("ANTHROPIC_BASE_URL", "ANTHROPIC_CUSTOM_HEADERS", "ANTHROPIC_PROFILE", "ANTHROPIC_CONFIG_DIR")
WATCHED = CREDENTIAL_VARIABLES + SETTING_VARIABLES


@dataclass
class Found:
    """A source being built, with its value (kept out of every repr)."""

    source: Source
    value: str | bytes | None = field(repr=False, default=None)
    secret: bool = False  # a credential value (gets a Credential), not a setting

    @property
    def id(self) -> str:
        return self.source.id


def display_path(path: Path | str, home: Path) -> str:
    """``path`` with the home folder shown as ``~``."""
    text = str(path)
    home_text = str(home).rstrip("/")
    if home_text and (text == home_text or text.startswith(home_text + "/")):
        return "~" + text[len(home_text) :]
    return text


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def secret(
    source_id: str,
    kind: SourceKind,
    variable: str | None,
    location: str,
    value: str | bytes,
    *,
    path: str | None = None,
    line: int | None = None,
    exported: bool | None = None,
    note: str = "",
) -> Found:
    """A source holding a credential: shown by fingerprint, hint and length, never by value."""
    text = _text(value)
    source = Source(
        id=source_id,
        kind=kind,
        variable=variable,
        location=location,
        path=path,
        line=line,
        fingerprint=fingerprint(value),
        hint=hint(value),
        length=len(text),
        exported=exported,
        note=scrub(note),
    )
    return Found(source=source, value=value, secret=True)


def setting(
    source_id: str,
    kind: SourceKind,
    variable: str | None,
    location: str,
    value: str | None,
    *,
    path: str | None = None,
    line: int | None = None,
    exported: bool | None = None,
    note: str = "",
    show_value: bool = True,
) -> Found:
    """A source holding a setting (base URL, headers, profile): its value is shown, scrubbed."""
    shown = _show_setting(variable or "", value) if show_value else ""
    full = "; ".join(p for p in (shown, note) if p)
    source = Source(
        id=source_id,
        kind=kind,
        variable=variable,
        location=location,
        path=path,
        line=line,
        length=len(value) if value is not None else None,
        exported=exported,
        note=scrub(full),
    )
    return Found(source=source, value=value, secret=False)


def _show_setting(variable: str, value: str | None) -> str:
    if value is None:
        return "value not known without running the shell"
    if variable == "ANTHROPIC_BASE_URL":
        return f"= {redact_url(value)}" if value else "= (empty: the default URL is used)"
    if variable == "ANTHROPIC_CUSTOM_HEADERS":
        names = [line.split(":", 1)[0].strip() for line in value.split("\n") if ":" in line]
        return "headers: " + (", ".join(names) if names else "(none parsed)")
    return f"= {scrub(value)}" if value else "= (empty)"


def expand_user(path: str, env: Environment) -> Path:
    """A path as the user wrote it: ``~`` is the environment's HOME, a relative path its working folder."""
    if path == "~" or path.startswith("~/"):
        return env.home / path[2:]
    candidate = Path(path)
    return candidate if candidate.is_absolute() else env.cwd / candidate
