"""The process environment as a source: the watched variables, variables the user names, credentials
hidden in ``ANTHROPIC_CUSTOM_HEADERS``, and whether HOME is usable."""

from __future__ import annotations

from collections.abc import Sequence

from kit.env import Environment
from kit.sources.found import CREDENTIAL_VARIABLES, WATCHED, Found, secret, setting
from kit.values import SourceKind


def from_environment(env: Environment, extra: Sequence[str] = (), problems: list[str] | None = None) -> list[Found]:
    """The process environment's watched variables, and the ones the user named (a missing one is a problem)."""
    out: list[Found] = []
    for name in extra:
        value = env.get(name)
        if value is None:
            if problems is not None:
                problems.append(f"the variable {name} is not set in this environment")
            continue
        out.append(
            secret(
                f"env:{name}",
                "env",
                name,
                f"process environment (${name})",
                value,
                exported=True,
                note="named by you" + ("; set but empty" if value == "" else ""),
            )
        )
    for name in WATCHED:
        value = env.get(name)
        if value is None:
            continue
        location = f"process environment (${name})"
        if name in CREDENTIAL_VARIABLES:
            note = "set but empty" if value == "" else ""
            out.append(secret(f"env:{name}", "env", name, location, value, exported=True, note=note))
        else:
            out.append(setting(f"env:{name}", "env", name, location, value, exported=True))
        if name == "ANTHROPIC_CUSTOM_HEADERS":
            out += custom_header_credentials(value, f"env:{name}", location, kind="env")
    return out


def custom_header_credentials(
    value: str, base_id: str, location: str, *, kind: SourceKind, path: str | None = None, line: int | None = None
) -> list[Found]:
    """Credentials hidden in ``ANTHROPIC_CUSTOM_HEADERS`` (``x-api-key: ...`` or ``Authorization: ...``)."""
    out = []
    for raw_line in value.split("\n"):
        colon = raw_line.find(":")
        if colon < 0:
            continue
        name = raw_line[:colon].strip().lower()
        if name not in ("x-api-key", "authorization"):
            continue
        header_value = raw_line[colon + 1 :].strip()  # the SDK strips both sides
        if name == "authorization" and header_value[:7].lower() == "bearer ":
            header_value = header_value[7:]
        out.append(
            secret(
                f"{base_id}#{name}",
                kind,
                "ANTHROPIC_CUSTOM_HEADERS",
                f"{location}, header {name}",
                header_value,
                path=path,
                line=line,
                exported=True if kind == "env" else None,
                note=f"the {name} header set through ANTHROPIC_CUSTOM_HEADERS: sent beside (or instead "
                "of) the SDK's own credential header",
            )
        )
    return out


def check_home(env: Environment, problems: list[str]) -> bool:
    """Whether HOME is a folder; if not, say so (shell files and profiles live there)."""
    try:
        if env.home.is_dir():
            return True
    except OSError:
        pass
    problems.append(
        f"HOME ({env.home}) does not exist or is not a folder: shell start-up files and SDK profiles "
        "were not read (set HOME, or pass an Environment with the right home)"
    )
    return False
