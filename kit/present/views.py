"""What each step shows: pure functions from a stage's value to the items a panel displays.

Items are Markdown strings, DataFrames and figures (``kit.present.widgets.as_outputs`` renders them). The
guided notebook (00) shows the short views; the focused notebooks (01–04) show the detailed ones. No view
runs a stage: the session runs stages through ``kit.investigate.Run`` and hands their values here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kit.present.markup import TrustedMarkdown
from kit.present.prose import plain
from kit.present.tables import people
from kit.present.text import md_guard, md_text
from kit.values import Evidence, Finding, PathCheck

if TYPE_CHECKING:
    import pandas as pd

    from kit.diagnose.diagnosis import Diagnosis
    from kit.keys.report import KeyReport
    from kit.probe.run import ProbeRun
    from kit.sources.discover import Discovery

__all__ = [
    "diagnosis_line",
    "findings_items",
    "keys_detail",
    "keys_summary",
    "path_detail",
    "path_summary_items",
    "probe_matrix",
    "probe_summary_items",
    "probe_table",
    "sources_detail",
    "sources_summary",
]

#: Background colours of the defect table's rows, by cause.
_DEFECT_COLOURS = {
    "key-whitespace": "#fff3cd",
    "key-invisible-char": "#fde0dc",
    "key-quoted": "#fde0dc",
    "key-extra-chars": "#fde0dc",
    "key-non-ascii": "#fde0dc",
    "key-truncated": "#fde0dc",
}


def _frame(rows: Sequence[dict[str, Any]], columns: Sequence[str] = ()) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(list(rows), columns=list(columns) or None)


def _distinct_sent(discovery: Discovery) -> str:
    fps = {w.fingerprint for w in discovery.winners if w.fingerprint}
    return (
        "Every client that finds a key sends the same one."
        if len(fps) == 1
        else f"The clients send **{len(fps)}** different keys."
        if fps
        else "**No client finds a key.**"
    )


def findings_items(findings: Sequence[Finding], none: str) -> list[Any]:
    """Each finding as Markdown (escaped, its commands as code blocks), or the sentence ``none``."""
    from kit.present.prose import finding_markdown

    return [finding_markdown(f) for f in findings] or [none]


def diagnosis_line(diagnosis: Diagnosis) -> list[Any]:
    """One line under the probe: what the diagnosis says now (the full list is the diagnosis step's)."""
    from kit.present.prose import plain
    from kit.present.text import code_span, md_text

    top = diagnosis.top
    if top is None:
        return ["**Diagnosis now:** nothing to diagnose yet."]
    return [
        f"**Diagnosis now:** {code_span(top.cause)} · {md_text(plain(top.title))} (every finding: the diagnosis step)"
    ]


# ---------------------------------------------------------------- sources


def sources_summary(d: Discovery, evidence: Evidence | None = None) -> list[Any]:
    """Where each credential lives and what each client sends (the guided notebook's step 1)."""
    sources = _frame(
        [
            {
                "source": x.location,
                "variable": x.variable or "",
                "hint": x.hint or "",
                "fingerprint": x.fingerprint or "",
                "length": x.length,
                "exported": "" if x.exported is None else ("yes" if x.exported else "no"),
                "note": x.note,
            }
            for x in d.sources
        ],
        ["source", "variable", "hint", "fingerprint", "length", "exported", "note"],
    ).set_index("source")
    winners = _frame(
        [
            {
                "client": w.client,
                "version": w.client_version,
                "sends": w.hint or "(nothing)",
                "fingerprint": w.fingerprint or "",
                "from": w.source_id or "(no key found)",
                "header": w.header or "",
                "base URL": w.base_url,
                "how we know": w.detail,
            }
            for w in d.winners
        ],
        ["client", "version", "sends", "fingerprint", "from", "header", "base URL", "how we know"],
    ).set_index("client")
    verdict = (
        f"Found **{len(d.credentials)}** distinct credential(s) in **{len(d.sources)}** place(s). " + _distinct_sent(d)
    )
    items: list[Any] = [
        verdict,
        "**Where each credential lives**",
        people(sources, ["source", "variable", "hint", "exported", "note"]),
        "**What each client will send**",
        people(winners, ["client", "sends", "from", "header"]),
    ]
    if evidence is not None and evidence.winners:
        from kit.present.diagrams import who_reads_what

        items.append(who_reads_what(evidence))
    return items + [f"⚠ {md_text(p)}" for p in d.problems]


def sources_detail(d: Discovery, findings: Sequence[Finding]) -> list[Any]:
    """Provenance per client, every source, and what shadows what (notebook 02)."""
    verdict = (
        f"Found **{len(d.credentials)}** distinct credential(s) in **{len(d.sources)}** place(s). " + _distinct_sent(d)
    )
    every = (
        people(
            d.sources_frame()[
                ["location", "variable", "alias", "hint", "fingerprint", "length", "exported", "used by", "note"]
            ],
            ["location", "variable", "alias", "hint", "used by"],
        )
        if d.sources
        else "No credential sources found."
    )
    return [
        verdict,
        "### Who wins, per client",
        people(d.provenance_frame()),
        "**Per client**",
        md_guard("\n".join(d.winner_lines())),
        "### Every source",
        every,
        *[f"⚠ {md_text(p)}" for p in d.problems],
        "### What shadows what",
        *findings_items(findings, "Nothing shadows anything: every client sends the key the files say it should."),
    ]


# ---------------------------------------------------------------- keys


def keys_summary(reports: Sequence[KeyReport]) -> list[Any]:
    """One row per key, with a note for each defective one (the guided notebook's step 2)."""
    from kit.present.text import code_span, md_text
    from kit.present.widgets import key_table

    bad = [r for r in reports if r.defects]
    lines = [f"Inspected **{len(reports)}** credential(s): **{len(bad)}** with defects."]
    lines += [f"- {code_span(r.alias)}: {md_text(r.notes[0])}" for r in bad if r.notes]
    return ["\n".join(lines), people(key_table(reports), ["key", "hint", "kind", "length (got / expected)", "defects"])]


def _defect_table(report: KeyReport) -> Any:
    frame = _frame(report.defect_rows(), ["cause", "position", "byte offset", "character", "detail"])
    return frame.style.apply(
        lambda row: [f"background-color: {_DEFECT_COLOURS.get(row['cause'], '#eef')}"] * len(row), axis=1
    ).hide(axis="index")


def keys_detail(reports: Sequence[KeyReport], findings: Sequence[Finding], problems: Sequence[str] = ()) -> list[Any]:
    """Every key, then each key character by character, then the findings and fixes (notebook 01)."""
    from kit.present.widgets import key_table

    bad = [r for r in reports if r.defects]
    head = (
        f"Inspected **{len(reports)}** key(s): **{len(reports) - len(bad)}** well-formed, **{len(bad)}** with defects."
        if reports
        else "**No key found.** Name a variable, a `.env` file or a key file in the "
        "parameters, or set `ask_for_key = True`."
    )
    table = people(key_table(reports), ["key", "hint", "kind", "length (got / expected)", "defects"])
    items: list[Any] = [head, table if reports else None, *[f"⚠ {md_text(p)}" for p in problems]]
    items.append("### Each key, character by character")
    for report in reports:
        items += [TrustedMarkdown(md_guard(report.to_markdown())), _defect_table(report) if report.defects else None]
    items.append("### Findings and fixes")
    return items + findings_items(
        findings,
        "No defects: every key's bytes are well-formed. If the API still says "
        "401, see notebook 02 (which key each client really sends) and 00 (what "
        "the API answers).",
    )


# ---------------------------------------------------------------- path


def path_summary_items(rows: Sequence[PathCheck]) -> list[Any]:
    """The path checks as one table and a one-line verdict (the guided notebook's step 3).

    A client's routing rows read "not tried" when no network check went its way (``kit.path.contact``).
    """
    from kit.path.contact import shown_ok, untried

    not_tried = untried(rows)

    def word(check: PathCheck) -> str:
        ok = shown_ok(check, not_tried)
        return ok if isinstance(ok, str) else {None: "–", True: "yes", False: "NO"}[ok]

    table = _frame(
        [
            {
                "step": c.step,
                "client": c.client or "",
                "target": c.target,
                "ok": word(c),
                "verdict": c.verdict,
                "ms": None if c.elapsed_ms is None else round(c.elapsed_ms, 1),
                "fix": c.fix,
            }
            for c in rows
        ],
        ["step", "client", "target", "ok", "verdict", "ms", "fix"],
    )
    failed = [c for c in rows if c.ok is False]
    verdict = (
        "Every path check passed."
        if not failed
        else f"**{len(failed)}** path check(s) failed: " + "; ".join(f"{c.step}: {c.verdict}" for c in failed)
    )
    return [verdict, people(table, ["step", "client", "target", "ok", "verdict"])]


def path_detail(rows: Sequence[PathCheck]) -> list[Any]:
    """The path for people: summary, picture, table, routes per client and the path findings (notebook 03)."""
    from kit.present.pathview import path_figure, path_findings, path_summary, path_table, routing_table

    findings = path_findings(rows)
    return [
        path_summary(rows),
        path_figure(rows),
        people(path_table(rows), ["step", "client", "target", "ok", "verdict"]),
        "**Per client** (each reads the variables by its own rules):",
        people(routing_table(rows)),
        "\n\n".join(f.to_markdown() for f in findings) or "No path problem found: the API itself answers.",
    ]


# ---------------------------------------------------------------- probe


def probe_summary_items(run: ProbeRun, admin_note: str | None = None) -> list[Any]:
    """Every request as a row, the outcome matrix, the plan's steps and latency (the guided notebook's step 4)."""
    from kit.present import diagrams, plots
    from kit.values import rows_to_frame

    frame = rows_to_frame(run.results)
    items: list[Any] = [run.summary(), probe_table(run)]
    if admin_note:
        items.append(admin_note)
    items += plots.outcome_figures(frame)
    items.append(diagrams.plan_steps(frame))
    if frame["latency_ms"].notna().any():
        items.append(plots.latency_by_client(frame))
    return items


def probe_table(run: ProbeRun) -> Any:
    """Every request for people: who asked what and the answer first; headers, timing and reasons folded."""
    table = run.table().rename(columns={"request id": "request_id"})
    return people(table, ["key", "client", "request", "model", "status", "answer", "request_id"])


def probe_matrix(run: ProbeRun, evidence: Evidence | None = None) -> list[Any]:
    """What changes the outcome, every request, why each was asked, and the pictures (notebook 04)."""
    from kit.present import diagrams, plots

    frame = run.frame()
    attribution = run.attribution()
    return [
        f"**{run.summary()}**",
        "### What changes the outcome\n\n"
        + md_text(plain(attribution.sentence))
        + "\n\n"
        + "\n".join(f"- {md_text(plain(line))}" for line in attribution.details),
        "### Every request, one row each",
        probe_table(run),
        "### Why each request was asked\n\n" + run.explanation_markdown(),
        "### Outcome by key and what was tried",
        *plots.outcome_figures(frame),
        "### The plan's steps",
        diagrams.plan_steps(frame),
        *(["### Who reads what", diagrams.who_reads_what(evidence)] if evidence and evidence.winners else []),
        "### Latency by client",
        plots.latency_by_client(frame),
    ]
