"""Which dimension decides the answer: the key, the client, the model, the version, the header style, the URL.

The ticket's author sent dozens of requests varying models, versions and clients, and learned nothing,
because a 401 is decided before the model or the version is read. This module does the comparison he
needed: for each dimension, it looks at pairs of attempts that differ *only* in that dimension and
asks whether the answer changed. It does so twice:

- for **authentication** (accepted / rejected / no verdict), which is what a 401 is about, and
- for the **full answer** among attempts that authenticated (there a retired model does matter).

Where the attempts cannot compare a dimension, two facts still rule it out, and the reason says so:
the API checks the key before it reads the model and the version (``auth is decided first``), and
clients that all send the same key cannot disagree about it. Nothing here reads a secret.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from kit.diagnose.wording import join_words as _join
from kit.diagnose.wording import plural as _plural
from kit.values import AttemptResult, Evidence, Winner

__all__ = [
    "DIMENSIONS",
    "Attribution",
    "DimensionEffect",
    "attribute",
    "attribute_evidence",
    "auth_verdict",
]

Verdict = Literal["matters", "no-effect", "moot", "not-varied"]

#: (attribute, label) of every dimension compared, in the order sentences list them.
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("key", "key"),
    ("model", "model"),
    ("version", "version"),
    ("client", "client"),
    ("auth_style", "header style"),
    ("base_url", "base URL"),
)

#: Auth-level verdict of one attempt.
AuthVerdict = Literal["accepted", "rejected", "undecided"]

_ACCOUNT_MESSAGES = (
    "credit balance",
    "organization has been disabled",
    "usage limits",
    "spend limit",
    "anthropic-workspace-id",
)


def auth_verdict(a: AttemptResult) -> AuthVerdict:
    """Did the API accept the credential? ``undecided`` when the answer says nothing about the key.

    Only the API's own answers count (a gateway's 401 is not the API's verdict). Transient answers
    (429, 5xx, 529) and version errors are ``undecided``: the API may give them before it looks at the
    key. Account answers (credit, disabled organization, spend limit, workspace header), 403
    ``permission_error`` and 404 ``model: …`` need a known key, so they count as accepted.
    """
    if a.transport_error or a.status is None or a.responder not in ("anthropic", "unknown"):
        return "undecided"
    status = a.status
    message = (a.error_message or "").lower()
    if status == 401:
        return "rejected"
    if 200 <= status < 300:
        return "accepted"
    if status in (429, 500, 502, 503, 504, 529) or a.error_type in ("overloaded_error", "api_error", "timeout_error"):
        return "undecided"
    if "anthropic-version" in message:
        return "undecided"
    if status == 403 and a.error_type == "permission_error":
        return "accepted"
    if status == 404 and message.startswith("model:"):
        return "accepted"
    if status in (400, 402) and any(m in message for m in _ACCOUNT_MESSAGES):
        return "accepted"
    if a.error_type == "billing_error":
        return "accepted"
    return "undecided"


def _endpoint(a: AttemptResult) -> str:
    """The endpoint with the model id replaced, so /v1/models/a and /v1/models/b compare as one endpoint."""
    endpoint = a.endpoint
    if a.model and a.model in endpoint:
        endpoint = endpoint.replace(a.model, "{model}")
    return f"{a.method.upper()} {endpoint}"


def _value(a: AttemptResult, dimension: str) -> str:
    if dimension == "key":
        return a.fingerprint or a.key_alias
    if dimension == "model":
        return a.model or "-"
    if dimension == "version":
        return a.api_version or "(none)"
    if dimension == "client":
        return a.client
    if dimension == "auth_style":
        return a.auth_style
    if dimension == "base_url":
        return a.base_url.rstrip("/")
    raise ValueError(dimension)


def _full_outcome(a: AttemptResult) -> str:
    """The answer with the request's own model and version blanked out (``model: x`` ≡ ``model: y``)."""
    message = a.error_message or ""
    if a.model:
        message = message.replace(a.model, "{model}")
    if a.api_version:
        message = message.replace(a.api_version, "{version}")
    message = re.sub(r"\d+", "#", message)[:120]
    return f"{a.outcome}|{a.status}|{a.error_type}|{message}|{a.transport_error or ''}"


def _answer(a: AttemptResult) -> str:
    """How an answer reads to a person: ``401 invalid x-api-key``, ``200``, ``ConnectError``."""
    if a.transport_error or a.status is None:
        return a.transport_error or "no answer"
    if a.error_message:
        text = f"{a.status} {a.error_message}"
        return text if len(text) <= 90 else text[:88].rsplit(" ", 1)[0] + " …"
    return str(a.status)


def _undecided_kind(a: AttemptResult) -> str:
    if a.transport_error or a.status is None:
        return a.transport_error or "no answer"
    if a.responder not in ("anthropic", "unknown"):
        return f"{a.status} from a {a.responder}"
    return f"{a.status} {a.error_type or ''}".strip()


def _confounded(decided: Sequence[AttemptResult], aliases: dict[str, str]) -> str:
    """When the verdict varies but no pair differs in one dimension only: the closest pair and what changed in it."""
    accepted = [a for a in decided if auth_verdict(a) == "accepted"]
    rejected = [a for a in decided if auth_verdict(a) == "rejected"]
    best: tuple[int, AttemptResult, AttemptResult, list[str]] | None = None
    for a in accepted:
        for b in rejected:
            differ = [label for d, label in DIMENSIONS if _value(a, d) != _value(b, d)]
            if _endpoint(a) != _endpoint(b):
                differ.append("endpoint")
            if best is None or len(differ) < best[0]:
                best = (len(differ), a, b, differ)
    if best is None:
        return ""
    _, a, b, differ = best

    def show(x: AttemptResult) -> str:
        return f"{aliases.get(x.fingerprint, x.key_alias)} via {x.client} ({x.auth_style}) → {_answer(x)}"

    return (
        f"The verdict changes with the {_join(differ)} together (no two requests differ in one of them only): "
        f"{show(a)}; {show(b)}"
    )


@dataclass(frozen=True)
class DimensionEffect:
    """Does changing only this dimension change the answer? With counts and the reason."""

    dimension: str
    label: str
    values: tuple[str, ...]  # the distinct values tried, as people read them (key aliases, not fingerprints)
    comparisons: int  # pairs of attempts that differ only in this dimension
    changed: int  # of which gave different answers
    verdict: Verdict
    reason: str = ""
    example: str = ""  # one comparison that changed the answer

    @property
    def cleared(self) -> bool:
        """True when the evidence or a fact rules this dimension out."""
        return self.verdict in ("no-effect", "moot")

    def to_dict(self) -> dict[str, object]:
        return {
            "dimension": self.dimension,
            "label": self.label,
            "values": list(self.values),
            "comparisons": self.comparisons,
            "changed": self.changed,
            "verdict": self.verdict,
            "reason": self.reason,
            "example": self.example,
        }


@dataclass(frozen=True)
class Attribution:
    """The dimension attribution of one set of attempts: a headline sentence, details and what it rules out."""

    auth: tuple[DimensionEffect, ...]
    outcome: tuple[DimensionEffect, ...]
    attempts: int
    decided: int
    sentence: str
    details: tuple[str, ...] = ()
    ruled_out: tuple[str, ...] = ()

    def effect(self, dimension: str, level: str = "auth") -> DimensionEffect | None:
        effects = self.auth if level == "auth" else self.outcome
        return next((e for e in effects if e.dimension == dimension or e.label == dimension), None)

    def to_dict(self) -> dict[str, object]:
        return {
            "sentence": self.sentence,
            "details": list(self.details),
            "ruled_out": list(self.ruled_out),
            "attempts": self.attempts,
            "decided": self.decided,
            "auth": [e.to_dict() for e in self.auth],
            "outcome": [e.to_dict() for e in self.outcome],
        }

    def to_text(self) -> str:
        return "\n".join([self.sentence, *self.details])


def _compare(
    attempts: Sequence[AttemptResult],
    dimension: str,
    label: str,
    outcome: Callable[[AttemptResult], str],
    show: Callable[[AttemptResult, str], str],
) -> DimensionEffect:
    others = [d for d, _ in DIMENSIONS if d != dimension]
    groups: dict[tuple[str, ...], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    samples: dict[tuple[tuple[str, ...], str], AttemptResult] = {}
    values: dict[str, str] = {}
    for a in attempts:
        context = (_endpoint(a), *(_value(a, d) for d in others))
        value = _value(a, dimension)
        groups[context][value].add(outcome(a))
        samples.setdefault((context, value), a)
        values.setdefault(value, show(a, value))
    comparisons = changed = 0
    example = ""
    for context, by_value in groups.items():
        keys = sorted(by_value)
        for i, first in enumerate(keys):
            for second in keys[i + 1 :]:
                comparisons += 1
                if by_value[first] != by_value[second]:
                    changed += 1
                    if not example:
                        a, b = samples[(context, first)], samples[(context, second)]
                        example = (
                            f"{label} {values[first]} → {_answer(a)}, {label} {values[second]} → "
                            f"{_answer(b)} (same {_context_words(a, dimension)})"
                        )
    if changed:
        verdict: Verdict = "matters"
    elif comparisons:
        verdict = "no-effect"
    else:
        verdict = "not-varied"
    return DimensionEffect(
        dimension=dimension,
        label=label,
        values=tuple(values.values()),
        comparisons=comparisons,
        changed=changed,
        verdict=verdict,
        example=example,
    )


def _context_words(a: AttemptResult, dimension: str) -> str:
    parts = [_endpoint(a)]
    if dimension != "client":
        parts.append(a.client)
    if dimension != "model" and a.model:
        parts.append(a.model)
    if dimension != "version" and a.api_version:
        parts.append(f"version {a.api_version}")
    if dimension != "auth_style":
        parts.append(a.auth_style)
    return ", ".join(parts)


def _alias_of(attempts: Iterable[AttemptResult]) -> dict[str, str]:
    """fingerprint → the alias people know the key by (the first one seen)."""
    out: dict[str, str] = {}
    for a in attempts:
        out.setdefault(a.fingerprint or a.key_alias, a.key_alias)
    return out


def attribute(
    attempts: Sequence[AttemptResult],
    *,
    winners: Sequence[Winner] = (),
    models_requested: Sequence[str] = (),
) -> Attribution:
    """Compare attempts dimension by dimension; return the sentence, the effects and what they rule out."""
    attempts = list(attempts)
    aliases = _alias_of(attempts)

    def show(a: AttemptResult, value: str) -> str:
        return aliases.get(value, a.key_alias) if value == (a.fingerprint or a.key_alias) else value

    decided = [a for a in attempts if auth_verdict(a) != "undecided"]
    auth = tuple(_compare(decided, d, label, auth_verdict, show) for d, label in DIMENSIONS)
    accepted = [a for a in attempts if auth_verdict(a) == "accepted"]
    full = tuple(_compare(accepted, d, label, _full_outcome, show) for d, label in DIMENSIONS)

    rejected = [a for a in decided if auth_verdict(a) == "rejected"]
    auth = tuple(_reason(e, rejected, decided, winners, models_requested) for e in auth)

    if not attempts:
        return Attribution(
            auth=auth,
            outcome=full,
            attempts=0,
            decided=0,
            sentence="No request was made, so no dimension can be compared.",
        )
    sentence, details = _sentences(attempts, decided, rejected, accepted, auth, full, aliases)
    ruled = tuple(f"Not the {e.label}: {e.reason}" for e in auth if e.cleared and e.dimension != "key")
    return Attribution(
        auth=auth,
        outcome=full,
        attempts=len(attempts),
        decided=len(decided),
        sentence=sentence,
        details=details,
        ruled_out=ruled,
    )


def attribute_evidence(evidence: Evidence) -> Attribution:
    """``attribute`` over an ``Evidence`` value's attempts, winners and requested models."""
    return attribute(evidence.attempts, winners=evidence.winners, models_requested=evidence.models_requested)


def _reason(
    e: DimensionEffect,
    rejected: Sequence[AttemptResult],
    decided: Sequence[AttemptResult],
    winners: Sequence[Winner],
    models_requested: Sequence[str],
) -> DimensionEffect:
    """Attach the reason for each verdict, and rule out by fact what the attempts could not compare."""
    from dataclasses import replace

    if e.verdict == "matters":
        return replace(
            e,
            reason=f"{e.changed} of {_plural(e.comparisons, 'comparison')} changed the verdict"
            + (f", e.g. {e.example}" if e.example else ""),
        )
    if e.dimension in ("model", "version") and rejected:
        # The API checks the key first: a 401 never depends on what the request asks for.
        named = sorted({(a.model if e.dimension == "model" else a.api_version) or "" for a in rejected} - {""})
        endpoints = sorted({_endpoint(a) for a in rejected})
        if named:
            what = f"{_plural(len(rejected), 'rejected request')} named {_plural(len(named), e.label)} ({_join(named)})"
        else:
            verb = "names" if len(rejected) == 1 else "name"
            what = f"the {_plural(len(rejected), 'rejected request')} ({_join(endpoints)}) {verb} no {e.label} at all"
        if e.dimension == "model" and models_requested and not named:
            what += f", so the {_plural(len(models_requested), 'model')} you named cannot change a 401"
        counted = (
            f"; {_plural(e.comparisons, 'comparison')} across {e.label}s, none changed the verdict"
            if e.comparisons
            else ""
        )
        return replace(
            e,
            verdict="moot" if not e.comparisons else "no-effect",
            reason=f"auth is decided first: the API checks the key before it reads the {e.label}; {what}{counted}",
        )
    if e.dimension == "client" and rejected:
        sent = {w.fingerprint for w in winners if w.fingerprint}
        rejected_fps = {a.fingerprint for a in rejected}
        accepted_fps = {a.fingerprint for a in decided if auth_verdict(a) == "accepted"}
        if len(winners) > 1 and len(sent) == 1 and sent <= rejected_fps and not sent & accepted_fps:
            clients = sorted({w.client for w in winners})
            same = (
                f"all {len(clients)} clients ({_join(clients)}) send the same key, and the API rejects that key itself"
            )
            if e.verdict == "no-effect":
                return replace(
                    e, reason=f"{same}; {_plural(e.comparisons, 'comparison')} across clients, none changed the verdict"
                )
            return replace(e, verdict="moot", reason=same)
    if e.verdict == "no-effect":
        return replace(
            e, reason=f"{_plural(e.comparisons, 'comparison')} across {_join(list(e.values))}; none changed the verdict"
        )
    return replace(e, reason=f"only one {e.label} was tried" if len(e.values) == 1 else "")


def _sentences(
    attempts: Sequence[AttemptResult],
    decided: Sequence[AttemptResult],
    rejected: Sequence[AttemptResult],
    accepted: Sequence[AttemptResult],
    auth: Sequence[DimensionEffect],
    full: Sequence[DimensionEffect],
    aliases: dict[str, str],
) -> tuple[str, tuple[str, ...]]:
    details: list[str] = []
    undecided = len(attempts) - len(decided)
    counts = (
        f"{_plural(len(attempts), 'attempt')} over {_plural(len({a.fingerprint for a in attempts}), 'key')} "
        f"and {_plural(len({a.client for a in attempts}), 'client')}"
    )
    if not decided:
        kinds = sorted({_undecided_kind(a) for a in attempts})
        return (
            f"No attempt got the API's own verdict on a key ({counts}; answers: {_join(kinds)}), so no "
            "dimension can be judged yet.",
            (),
        )
    matters = [e for e in auth if e.verdict == "matters"]
    cleared = [e for e in auth if e.cleared and e.dimension != "key"]
    verdicts = {auth_verdict(a) for a in decided}
    mixed = _confounded(decided, aliases) if not matters and len(verdicts) > 1 else ""
    if mixed:
        head = mixed[: mixed.index(" (no two")].replace("The verdict changes", "Outcome changes")
        details.append(mixed + ".")
    elif not matters:
        word = "rejected" if verdicts == {"rejected"} else "accepted"
        head = f"Every key is {word} in every combination tried"
    elif [e.dimension for e in matters] == ["key"]:
        head = "Outcome depends only on the key"
    else:
        head = "Outcome depends on the " + _join([e.label for e in matters])
    if cleared:
        reasons = []
        if any(e.dimension in ("model", "version") and e.reason.startswith("auth is decided first") for e in cleared):
            reasons.append("auth is decided first")
        if any(e.dimension == "client" and "same key" in e.reason for e in cleared):
            reasons.append("every client sends the same key")
        verb = "changes" if len(cleared) == 1 else "change"
        tail = f"; {_join([e.label for e in cleared])} {verb} nothing"
        if reasons:
            tail += f" ({'; '.join(reasons)})"
    else:
        tail = ""
    compared = [e for e in auth if e.comparisons]
    numbers = ", ".join(f"{e.label} {e.changed} of {e.comparisons}" for e in compared)
    changed = f"; comparisons that changed the verdict: {numbers}" if numbers else ""
    sentence = f"{head}{tail} ({counts}{changed})."

    by_key: dict[str, set[str]] = defaultdict(set)
    for a in decided:
        by_key[a.fingerprint or a.key_alias].add(str(auth_verdict(a)))
    parts = []
    for fp, seen in by_key.items():
        word = "/".join(sorted(seen))
        answers: dict[str, int] = {}
        for a in decided:
            if (a.fingerprint or a.key_alias) == fp:
                text = _answer(a).replace(a.model, "<model>") if a.model else _answer(a)
                answers[text] = answers.get(text, 0) + 1
        shown = "; ".join(f"{text} ×{n}" if n > 1 else text for text, n in answers.items())
        parts.append(f"{aliases.get(fp, fp)} {word} ({shown})")
    details.append("By key: " + "; ".join(parts) + ".")
    for e in auth:
        if e.verdict == "matters" and e.dimension != "key" and e.example:
            details.append(f"The {e.label} matters: {e.example}.")
    post = [e for e in full if e.verdict == "matters"]
    if post:
        items = [f"the {e.label} ({e.example})" if e.example else f"the {e.label}" for e in post]
        details.append("Among requests that authenticate, the answer depends on " + _join(items) + ".")
    if undecided:
        kinds = sorted({_undecided_kind(a) for a in attempts if auth_verdict(a) == "undecided"})
        details.append(
            f"{_plural(undecided, 'attempt')} got no verdict on the key ({_join(kinds)}); "
            "they are left out of the comparison."
        )
    return sentence, tuple(details)
