"""What the key rules share: which keys were sent, by whom, and how a defect is described in a finding."""

from __future__ import annotations

from collections.abc import Sequence

from kit.keys.report import Defect, KeyReport
from kit.values import Evidence, Severity, Source, Winner

#: How sure a defect makes KeyLab that it is the cause (the bytes are facts; whether they fail depends a
#: little on the client: some trim whitespace).
CONFIDENCE = {
    "key-missing": 0.9,
    "key-placeholder": 0.97,
    "key-whitespace": 0.85,
    "key-quoted": 0.95,
    "key-invisible-char": 0.95,
    "key-non-ascii": 0.95,
    "key-bearer-prefix": 0.95,
    "key-truncated": 0.9,
    "key-extra-chars": 0.95,
    "key-wrong-provider": 0.9,
    "key-admin": 0.95,
    "key-oauth-token": 0.95,
}
_INFERENCE_SLOTS = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_CUSTOM_HEADERS", None)
_TR_CLEAN = "LC_ALL=C tr -cd 'A-Za-z0-9_-'"


# ----------------------------------------------------------------------------------------------------
# Context: where a key lives and who sends it


def _source(evidence: Evidence, report: KeyReport) -> Source | None:
    return next((s for s in evidence.sources if s.id == report.source), None)


def _same_value(evidence: Evidence, report: KeyReport) -> list[Source]:
    return [s for s in evidence.sources if s.fingerprint == report.fingerprint]


def _senders(evidence: Evidence, report: KeyReport) -> list[Winner]:
    return [w for w in evidence.winners if w.fingerprint == report.fingerprint]


def _repairers(evidence: Evidence, report: KeyReport) -> list[Winner]:
    """Clients that read this key but send the repaired value (Node trims environment values)."""
    if not report.repaired_fingerprint:
        return []
    reads = {s.id for s in _same_value(evidence, report)} | {report.source}
    return [w for w in evidence.winners if w.fingerprint == report.repaired_fingerprint and w.source_id in reads]


def _slot(evidence: Evidence, report: KeyReport) -> str | None:
    source = _source(evidence, report)
    return source.variable if source else None


def _kind(evidence: Evidence, report: KeyReport) -> str:
    source = _source(evidence, report)
    if source:
        return source.kind
    return report.source.split(":", 1)[0] if report.source else ""


def _severity(evidence: Evidence, report: KeyReport) -> Severity:
    if _senders(evidence, report):
        return "blocker"
    if not evidence.winners and not evidence.sources:
        return "blocker"  # inspected on its own: the user is asking about this very key
    if _kind(evidence, report) in ("file", "prompt", "") or not report.source:
        return "blocker"
    return "warning"


def _editable(evidence: Evidence, report: KeyReport) -> Source | None:
    """The file where the value is written (a shell file exporting it beats the bare process variable)."""
    own = _source(evidence, report)
    if own and own.kind != "env":
        return own
    files = [s for s in _same_value(evidence, report) if s.kind in ("shell", "dotenv", "file", "profile")]
    exported = [s for s in files if s.kind == "shell" and s.exported]
    best = exported or files
    return best[0] if best else own


def _where(evidence: Evidence, report: KeyReport) -> str:
    source = _editable(evidence, report)
    if source is None:
        return f"the value '{report.alias}'"
    if source.kind == "env":
        return (
            f"${source.variable} (set outside the files KeyLab reads: the launching shell, an IDE run "
            "configuration, launchctl or /etc/environment)"
        )
    return source.location


def _reload(evidence: Evidence, report: KeyReport) -> str:
    source = _editable(evidence, report)
    kind = source.kind if source else ""
    if kind == "shell":
        return " Then open a new terminal (and restart Jupyter kernels or apps started from the old one)."
    if kind in ("env", "dotenv"):
        return " Then restart the process that reads it (a Jupyter kernel keeps the environment it started with)."
    return ""


def _lines(evidence: Evidence, report: KeyReport, defects: Sequence[Defect]) -> list[str]:
    """The evidence lines every key finding shares."""
    expected = f" (expected {report.expected_length})" if report.expected_length else ""
    lines = [
        f"'{report.alias}': {report.kind_label}, {report.length} characters{expected}, {report.byte_length} "
        f"bytes; hint {report.hint}; fingerprint {report.fingerprint}"
    ]
    places = [s.location for s in _same_value(evidence, report)]
    own = _source(evidence, report)
    if own and own.location not in places:
        places.insert(0, own.location)
    if places:
        lines.append("found in: " + "; ".join(places))
    for defect in defects:
        offset = f" (byte offset {defect.byte_offset})" if defect.byte_offset not in (None, defect.position) else ""
        lines.append(defect.describe() + offset)
    lines.append(f"as stored: {report.masked}")
    if report.repaired_hint:
        same = [s.location for s in evidence.sources if s.fingerprint == report.repaired_fingerprint]
        also = f"; the same key as {same[0]}" if same else ""
        lines.append(f"repaired candidate: {report.repaired_hint} (fingerprint {report.repaired_fingerprint}){also}")
    senders = _senders(evidence, report)
    if senders:
        lines.append("sent as it is by: " + ", ".join(f"{w.client} ({w.header or 'no header'})" for w in senders))
    repairers = _repairers(evidence, report)
    if repairers:
        lines.append("sent repaired (trimmed) by: " + ", ".join(w.client for w in repairers))
    if evidence.winners and not senders and not repairers:
        if _kind(evidence, report) == "file":
            lines.append("a key file: clients use it only when you pass its contents yourself")
        else:
            lines.append("no client sends this value now; it matters when this source is used")
    return lines
