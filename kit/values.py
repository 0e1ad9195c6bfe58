"""The values that cross stage boundaries: discover → inspect → route → probe → diagnose → present.

Each stage is a plain function of earlier stages' values, and these frozen dataclasses are those
values. None of them holds a secret: keys appear only as alias, fingerprint and hint (the secret
lives in ``kit.keys.credential.Credential``, which never leaves the probe clients). pandas appears only at
the edge, through ``rows_to_frame``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

from kit.keys.report import KeyReport

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "OUTCOME_CLASSES",
    "Attempt",
    "AttemptResult",
    "AuthStyle",
    "CredentialHeader",
    "Evidence",
    "Finding",
    "PathCheck",
    "PathStep",
    "SentAuthStyle",
    "Severity",
    "Source",
    "SourceKind",
    "Winner",
    "as_auth_style",
    "as_sent_style",
    "classify_outcome",
    "rows_to_frame",
]

Severity = Literal["blocker", "warning", "info"]

#: The steps of the path check: the network steps of one route, then the per-client routing rows.
PathStep = Literal["dns", "tcp", "proxy", "tls", "http", "clock", "base-url", "ca"]

#: How a key travelled: the documented header, as a Bearer token, both at once, or not at all.
SentAuthStyle = Literal["x-api-key", "bearer", "both", "none"]
#: How a plan asks a key to travel: a ``SentAuthStyle``, or ``default`` to let an SDK choose (which is
#: exactly what is being tested when a plan asks an SDK).
AuthStyle = Literal[SentAuthStyle, "default"]


def as_auth_style(text: str) -> AuthStyle:
    """``text`` as an ``AuthStyle``; a ``ValueError`` for anything else (user input is checked before this)."""
    if text not in get_args(AuthStyle):
        raise ValueError(f"unknown header style {text!r}; use one of: {', '.join(get_args(AuthStyle))}")
    return cast(AuthStyle, text)


def as_sent_style(text: str | None) -> SentAuthStyle | None:
    """What a client reported it sent, as a ``SentAuthStyle``; ``None`` when it reported nothing usable."""
    return cast(SentAuthStyle, text) if text in get_args(SentAuthStyle) else None


#: Outcome classes, in the order plots and tables show them.
OUTCOME_CLASSES = ("ok", "auth rejected", "account", "request", "transient", "transport", "foreign responder")


#: Where a ``Source`` was found: the process environment, a .env file, a shell start-up file, an SDK profile,
#: a key file the user named, a key typed at a prompt, a tool's own files (Claude Code), what an env-file runtime
#: loads, or what CI hands the job.
SourceKind = Literal["env", "dotenv", "shell", "profile", "file", "prompt", "tool", "runtime", "ci"]
#: The credential header a client sends: ``X-Api-Key``, ``Authorization: Bearer``, or both at once.
CredentialHeader = Literal["x-api-key", "authorization", "both", "x-goog-api-key"]


@dataclass(frozen=True)
class Source:
    """One place a credential (or a setting that changes where it goes) can come from."""

    id: str  # stable id: "env:ANTHROPIC_API_KEY", "dotenv:/p/.env:3", "shell:/h/.zshrc:12", "file:/k.txt"
    kind: SourceKind
    variable: str | None  # ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL, ... or None
    location: str  # for people: "process environment", "/p/.env line 3"
    path: str | None = None
    line: int | None = None
    fingerprint: str | None = None  # of the value exactly as a consumer would read it
    hint: str | None = None
    length: int | None = None
    exported: bool | None = None  # shell files: is it exported to child processes?
    note: str = ""
    provider: str = "anthropic"  # the provider profile (data/catalog/providers.toml) whose variable this is


@dataclass(frozen=True)
class Winner:
    """Which source a client's credential really comes from, and how that client sends it."""

    client: str  # sdk-python | sdk-node@0.24.3 | sdk-node@<current> | curl | dotenv-app
    client_version: str
    source_id: str | None  # the winning Source.id; None when the client finds nothing
    header: CredentialHeader | None  # None: the client sends no credential
    fingerprint: str | None
    hint: str | None
    base_url: str
    detail: str = ""  # how this was determined ("asked the installed anthropic 2.14.0")
    provider: str = "anthropic"


@dataclass(frozen=True)
class PathCheck:
    """One step of the network path, with its timing and a plain verdict."""

    step: PathStep
    target: str
    ok: bool | None  # None: not applicable or skipped
    verdict: str
    elapsed_ms: float | None = None
    details: tuple[tuple[str, str], ...] = ()
    cause: str | None = None  # a causes.md id when the check points at one
    fix: str = ""
    client: str | None = None  # for per-client routing rows


@dataclass(frozen=True)
class Attempt:
    """One request to make: which key, client, endpoint, model, version, header style and URL, and why."""

    attempt_id: str
    key_alias: str
    client: str  # httpx2 | sdk-python | curl | sdk-node@<version>
    endpoint: str  # "/v1/models", "/v1/models/{id}", "/v1/messages", "/v1/messages/count_tokens", ...
    method: str
    base_url: str
    api_version: str | None
    auth_style: AuthStyle
    model: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class AttemptResult:
    """The tidy row of one finished attempt. Nothing in it can reveal a key."""

    run_id: str
    attempt_id: str
    key_alias: str
    fingerprint: str
    hint: str
    source: str
    client: str
    client_version: str
    endpoint: str
    method: str
    model: str | None
    api_version: str | None
    auth_style: AuthStyle  # as really sent (a SentAuthStyle) when the client could tell
    base_url: str
    status: int | None
    error_type: str | None
    error_message: str | None
    request_id: str | None
    responder: str  # anthropic | gateway | html-proxy | region-block | proxy | unknown | none
    latency_ms: float | None
    transport_error: str | None  # class name (ConnectError, ReadTimeout, ...) when no HTTP answer
    started_at: str  # ISO 8601 UTC
    organization_id: str | None = None
    user_agent: str | None = None  # what the client really sent
    reason: str = ""  # why the plan asked this
    retry_wait_s: float = 0.0
    client_error: str | None = None  # what the client itself raised (SDK exception class: message), scrubbed
    provider: str = "anthropic"  # whose API was asked (responder is then that provider's name when it answered)

    @property
    def started(self) -> dt.datetime | None:
        """``started_at`` as a time (``None`` when a tampered or old row holds something else)."""
        try:
            return dt.datetime.fromisoformat(self.started_at.replace("Z", "+00:00"))
        except (ValueError, AttributeError):
            return None

    @property
    def outcome(self) -> str:
        return classify_outcome(self.status, self.error_type, self.responder, self.transport_error)

    def to_row(self) -> dict[str, Any]:
        """Every field, plus ``outcome``. Fields are all scalars, so a shallow read equals ``asdict`` (which
        walks each value recursively: a tenth of a second per thousand rows in ``rows_to_frame``)."""
        row = {name: getattr(self, name) for name in _RESULT_FIELDS}
        row["outcome"] = self.outcome
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AttemptResult:
        return cls(**{k: v for k, v in row.items() if k in _RESULT_FIELDS})


#: AttemptResult's field names, in order (``to_row``, ``from_row``; a test holds them to scalars).
_RESULT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(AttemptResult))


def classify_outcome(status: int | None, error_type: str | None, responder: str, transport_error: str | None) -> str:
    """Map one answer to an outcome class (see ``OUTCOME_CLASSES``)."""
    if transport_error or status is None:
        return "transport"
    # Another provider's own API (kit.probe.provider names the responder after the provider) is not foreign.
    if responder in ("gateway", "html-proxy", "region-block", "proxy", "none"):
        return "foreign responder"
    if 200 <= status < 300:
        return "ok"
    if status == 401:
        return "auth rejected"
    if status in (429, 500, 502, 503, 504, 529) or error_type in ("overloaded_error", "api_error"):
        return "transient"
    if status in (402, 403) or error_type in ("billing_error", "permission_error"):
        return "account"
    if status == 400 and error_type == "invalid_request_error":
        return "request"
    return "request"


@dataclass(frozen=True)
class Finding:
    """A named cause with its evidence and the exact fix. Renders itself as text, Markdown and HTML."""

    cause: str  # an id from causes.md
    severity: Severity
    confidence: float
    title: str
    evidence: tuple[str, ...] = ()
    fix: str = ""
    rule: str = ""  # the rule that produced it
    explains: int = 0  # how many attempts/facts it accounts for (ranking)
    provider: str = "anthropic"

    _ICONS = {"blocker": "✖", "warning": "!", "info": "i"}  # noqa: RUF012

    def to_text(self) -> str:
        lines = [f"[{self.severity}] {self.cause}: {self.title} (confidence {self.confidence:.0%})"]
        lines += [f"    - {item}" for item in self.evidence]
        if self.fix:
            lines.append(f"    fix: {self.fix}")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        lines = [
            f"**{self.severity.upper()} · `{self.cause}`** · {self.title} *(confidence {self.confidence:.0%})*",
            "",
        ]
        lines += [f"- {item}" for item in self.evidence]
        if self.fix:
            lines += ["", f"**Fix:** {self.fix}"]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        items = "".join(f"<li>{html.escape(item)}</li>" for item in self.evidence)
        fix = f"<p><b>Fix:</b> {html.escape(self.fix)}</p>" if self.fix else ""
        return (
            f'<div class="kl-finding kl-{self.severity}"><p><b>{self.severity.upper()}</b> · '
            f"<code>{html.escape(self.cause)}</code> · {html.escape(self.title)} "
            f"<i>(confidence {self.confidence:.0%})</i></p><ul>{items}</ul>{fix}</div>"
        )

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def to_dict(self) -> dict[str, Any]:
        return {
            "cause": self.cause,
            "severity": self.severity,
            "confidence": round(self.confidence, 3),
            "title": self.title,
            "evidence": list(self.evidence),
            "fix": self.fix,
            "rule": self.rule,
            "provider": self.provider,
        }


@dataclass(frozen=True)
class Evidence:
    """Everything the diagnosis looks at, gathered by the earlier stages."""

    keys: tuple[KeyReport, ...] = ()
    sources: tuple[Source, ...] = ()
    winners: tuple[Winner, ...] = ()
    path: tuple[PathCheck, ...] = ()
    attempts: tuple[AttemptResult, ...] = ()
    models_requested: tuple[str, ...] = ()
    admin_keys: tuple[Mapping[str, Any], ...] = ()  # Admin API key objects matched to local keys
    notes: tuple[str, ...] = field(default=())
    api_url: str = ""  # the investigation's target: the official API, or what stands in for it (the simulator)
    provider: str = "anthropic"  # whose API this evidence is about (one investigation per provider)


def rows_to_frame(results: Iterable[AttemptResult] | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The attempts as a pandas DataFrame, one tidy row each, with an ``outcome`` column."""
    import pandas as pd

    rows = [r.to_row() if isinstance(r, AttemptResult) else dict(r) for r in results]
    columns = [f.name for f in fields(AttemptResult)] + ["outcome"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame
