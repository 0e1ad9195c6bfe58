"""The doctor's report: the verdict first, then the evidence, as text for a terminal or as one JSON object."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kit.guard.redact import scrub
from kit.keys.report import KeyReport
from kit.path.contact import shown_ok, untried
from kit.values import AttemptResult, PathCheck, Source, Winner

if TYPE_CHECKING:
    pass
from kit.commands.doctor_result import DoctorResult

#: A path row's outcome in words, as the text report and the JSON's ``outcome`` say it.
_PATH_MARK = {True: "ok", False: "FAIL", None: "-"}


def _table(rows: Sequence[Sequence[str]], header: Sequence[str], indent: str = "    ") -> list[str]:
    if not rows:
        return [indent + "(none)"]
    cells = [list(header)] + [[c if c else "-" for c in row] for row in rows]
    widths = [min(max(len(r[i]) for r in cells), 60) for i in range(len(header))]
    out = []
    for n, row in enumerate(cells):
        line = "  ".join((c if len(c) <= 60 else c[:57] + "...").ljust(w) for c, w in zip(row, widths, strict=True))
        out.append(indent + line.rstrip())
        if n == 0:
            out.append(indent + "  ".join("-" * w for w in widths))
    return out


def _source_rows(sources: Iterable[Source], winners: Sequence[Winner]) -> list[list[str]]:
    rows = []
    for s in sources:
        won = sorted({w.client for w in winners if w.source_id == s.id})
        flags = []
        if s.exported:
            flags.append("exported")
        if s.note:
            flags.append(s.note)
        rows.append(
            [
                s.location,
                s.variable or "",
                s.fingerprint or "",
                s.hint or "",
                str(s.length) if s.length is not None else "",
                ", ".join(won),
                "; ".join(flags),
            ]
        )
    return rows


def _winner_rows(winners: Iterable[Winner], sources: Sequence[Source]) -> list[list[str]]:
    where = {s.id: s.location for s in sources}
    rows = []
    for w in winners:
        client = f"{w.client} {w.client_version}".strip()
        source = where.get(w.source_id or "", w.source_id or "nothing found")
        rows.append([client, source, w.header or "", w.fingerprint or "", w.hint or "", w.base_url])
    return rows


def _key_rows(keys: Iterable[KeyReport]) -> list[list[str]]:
    rows = []
    for k in keys:
        defects = "; ".join(d.describe() for d in k.defects) or "none"
        rows.append(
            [
                k.alias,
                k.kind_label,
                f"{k.length}" + (f"/{k.expected_length}" if k.expected_length else ""),
                k.fingerprint,
                k.hint,
                defects,
            ]
        )
    return rows


def _answer(a: AttemptResult) -> str:
    if a.transport_error:
        return a.transport_error + (f": {a.client_error}" if a.client_error else "")
    if a.status is None:
        return a.client_error or "no answer"
    text = f"{a.status} {a.error_message or ''}".strip()
    if a.responder not in ("anthropic", "unknown"):
        text += f" [{a.responder}]"
    return text


def _attempt_rows(attempts: Iterable[AttemptResult]) -> list[list[str]]:
    rows = []
    for a in attempts:
        rows.append(
            [
                a.key_alias,
                a.client,
                f"{a.method} {a.endpoint}",
                a.model or "",
                a.api_version or "",
                a.auth_style,
                _answer(a),
                a.request_id or "",
            ]
        )
    return rows


def _path_outcomes(path: Sequence[PathCheck]) -> list[str]:
    """Each row's outcome in words: "ok", "FAIL", "-", or "not tried" for a routing row on a route no check
    contacted (``kit.path.contact``, the rule the notebooks' path tables follow too)."""
    not_tried = untried(path)
    words = []
    for p in path:
        shown = shown_ok(p, not_tried)
        words.append(shown if isinstance(shown, str) else _PATH_MARK[shown])
    return words


def _path_rows(path: Sequence[PathCheck]) -> list[list[str]]:
    """One row per distinct check; the clients that share it are listed together (failures first).

    A network row names the clients whose route it contacted (``details["clients"]``), not "all": pointed at a
    simulator, the clients that would go to the official API were not checked."""
    rows: dict[tuple[str, str, str, str], list[str]] = {}
    timing: dict[tuple[str, str, str, str], str] = {}
    for p, ok in sorted(zip(path, _path_outcomes(path), strict=True), key=lambda item: item[0].ok is not False):
        key = (p.step, p.target, ok, p.verdict)
        rows.setdefault(key, [])
        names = [p.client] if p.client else [c.strip() for c in dict(p.details).get("clients", "").split(",")]
        rows[key] += [name for name in names if name and name not in rows[key]]
        timing.setdefault(key, f"{p.elapsed_ms:.0f} ms" if p.elapsed_ms is not None else "")
    return [
        [step, ", ".join(clients) or "all", target, ok, verdict, timing[(step, target, ok, verdict)]]
        for (step, target, ok, verdict), clients in rows.items()
    ]


def render_text(result: DoctorResult) -> str:
    """The doctor's report for a terminal: the diagnosis first, then the evidence it rests on."""
    d, e = result.diagnosis, result.evidence
    requests = len(e.attempts)
    label = "" if result.provider == "anthropic" else f"{result.provider} "
    head = (
        f"KeyLab doctor · {label}API {result.api_url} · {len(e.keys)} key(s) from {len(e.sources)} source(s) · "
        f"{len({w.client for w in e.winners})} client(s) · {requests} request(s), 0 tokens"
    )
    from kit.present.verdict import verdict_card

    findings = d.to_text().rstrip().splitlines()[2:]  # the card below says the headline
    head_lines = [
        head,
        "=" * min(len(head), 100),
        "",
        *verdict_card(d).to_text().rstrip().splitlines(),
        "",
        *findings,
        "",
        "Evidence",
        "--------",
    ]
    lines = list(head_lines)
    lines += ["  Credential sources (where each value lives; fingerprint = first 12 hex of its SHA-256):"]
    lines += _table(
        _source_rows(e.sources, e.winners), ("source", "variable", "fingerprint", "hint", "chars", "wins for", "note")
    )
    lines += ["", "  Who wins, per client (the key each client really sends):"]
    lines += _table(_winner_rows(e.winners, e.sources), ("client", "from", "header", "fingerprint", "hint", "base URL"))
    lines += ["", "  Keys (their bytes):"]
    lines += _table(_key_rows(e.keys), ("key", "kind", "length", "fingerprint", "hint", "defects"))
    lines += ["", "  Requests (what the API answered, with its request ids):"]
    lines += _table(
        _attempt_rows(e.attempts), ("key", "client", "request", "model", "version", "auth", "answer", "request id")
    )
    if e.path:
        lines += ["", "  Network path:"]
        lines += _table(_path_rows(e.path), ("step", "clients", "target", "ok", "verdict", "time"))
    if result.run_log:
        lines += ["", f"Run log: {result.run_log}"]
    # Findings were scrubbed by the diagnosis; scrub the evidence lines one by one (scrubbing the whole
    # report would read "Bearer (confidence …" as a bearer token).
    return "\n".join(line if n < len(head_lines) else scrub(line) for n, line in enumerate(lines)).rstrip() + "\n"


def _key_dict(k: KeyReport) -> dict[str, Any]:
    return {
        "alias": k.alias,
        "fingerprint": k.fingerprint,
        "hint": k.hint,
        "masked": k.masked,
        "length": k.length,
        "byte_length": k.byte_length,
        "kind": k.kind,
        "kind_label": k.kind_label,
        "role": k.role,
        "expected_length": k.expected_length,
        "well_formed": k.well_formed,
        "defects": [{"cause": d.cause, "detail": d.detail, "position": d.position, "char": d.char} for d in k.defects],
        "repaired_fingerprint": k.repaired_fingerprint,
        "repaired_hint": k.repaired_hint,
        "notes": list(k.notes),
        "provider": k.provider,
    }


def _scrub_tree(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub_tree(v) for v in value]
    return value


def render_timings(result: DoctorResult) -> str:
    """Each stage's wall time, slowest first, then each probe client's: why a run took as long as it did."""
    from kit.probe.timings import timing_lines

    total = result.wall_s or sum(seconds for _, seconds in result.timings)
    rows = sorted(result.timings, key=lambda item: -item[1])
    width = max((len(stage) for stage, _ in rows), default=5)
    stages = {stage for stage, _ in result.timings}
    overlap = "; the path check ran beside discovery" if {"path", "discover"} <= stages else ""
    lines = [f"timings ({total:.2f} s in all{overlap}):"]
    lines += [f"  {stage.ljust(width)}  {seconds:7.3f} s" for stage, seconds in rows]
    if result.client_timings:
        lines.append("probe, per client:")
        lines += timing_lines(result.client_timings)
    return "\n".join(lines)


def render_json(result: DoctorResult, *, timings: bool = False) -> str:
    """One JSON object: findings (most important first), keys, attempts, and the rest of the evidence.

    Each path row keeps its ``ok`` (what the check or the routing model found) and adds ``outcome``, the word
    the text report shows: "ok", "FAIL", "-", or "not tried" for a route no check contacted.
    """
    from dataclasses import asdict

    d, e = result.diagnosis, result.evidence
    data: dict[str, Any] = {
        "findings": [f.to_dict() | {"explains": f.explains} for f in d.findings],
        "keys": [_key_dict(k) for k in e.keys],
        "attempts": [a.to_row() for a in e.attempts],
        "top": d.top.cause if d.top else None,
        "exit_code": result.exit_code,
        "api_url": result.api_url,
        "run_id": result.run_id,
        "attribution": d.attribution.to_dict(),
        "ruled_out": list(d.ruled_out),
        "sources": [asdict(s) for s in e.sources],
        "winners": [asdict(w) for w in e.winners],
        "path": [asdict(p) | {"outcome": ok} for p, ok in zip(e.path, _path_outcomes(e.path), strict=True)],
        "notes": list(d.notes),
    }
    if timings:
        data["timings"] = {stage: round(seconds, 4) for stage, seconds in result.timings}
        data["wall_s"] = round(result.wall_s, 4)
        data["client_timings"] = [asdict(t) for t in result.client_timings]
    return json.dumps(_scrub_tree(data), ensure_ascii=False, default=str)
