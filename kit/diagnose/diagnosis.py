"""From evidence to a short ranked list of named causes, what the evidence rules out, and why.

``diagnose(evidence)`` runs every rule of ``kit.diagnose.rules.RULES`` in order over one ``Evidence`` value,
then:

1. **merges** findings that name the same cause (their evidence and fixes are kept, once each), and
   makes a defect in a key that no client sends a warning (it blocks no client);
2. **links** causes to symptoms: a defect in a key's bytes, or a credential source that makes
   clients send a key, *explains* what the API then answers to that key (the same fingerprint in
   both). ``stale-env-shadows-dotenv`` explains the ``key-rejected`` of the stale key it makes
   clients send; the symptom's evidence counts for the cause and the symptom says so;
3. **ranks**: blockers first (they are why it fails), then ``healthy`` (when nothing blocks, that is
   the headline), then warnings, then info; within a level, the cause that explains the most
   evidence, then confidence, then rule order (key bytes → sources → path → API);
4. adds the **dimension attribution** (``kit.diagnose.attribution``) and the **ruled-out** statements: the
   dimensions that change nothing, and the path, responder, key bytes and service where the
   evidence clears them.

A rule that raises does not stop the diagnosis: the failure becomes a note, and the other rules run.
Every string that leaves here passes through ``kit.guard.redact.scrub`` once more.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kit.diagnose.attribution import Attribution, attribute_evidence, auth_verdict
from kit.diagnose.causes_doc import SECTIONS, VOCABULARY
from kit.diagnose.rules import RULES, Rule
from kit.guard.redact import scrub
from kit.values import Evidence, Finding

__all__ = [
    "LAYERS",
    "Diagnosis",
    "diagnose",
    "rank_key",
]

_SEVERITY = {"blocker": 0, "warning": 2, "info": 3}

#: The layer of each local cause: 0 key bytes, 1 credential sources, 2 network path (the API's answers come
#: after). A blocker in layer 0 or 1 explains an API-layer finding about the same key.
LAYERS: dict[str, int] = {c.id: SECTIONS.index(c.section) for c in VOCABULARY if SECTIONS.index(c.section) <= 2}
_FINGERPRINT = re.compile(r"\b[0-9a-f]{12}\b")


def rank_key(f: Finding, order: int = 0) -> tuple[int, int, float, int]:
    """Sort key: blockers, then ``healthy``, then warnings, then info; more evidence; more confidence; rule order."""
    level = 1 if f.cause == "healthy" else _SEVERITY.get(f.severity, 3)
    return (level, -f.explains, -f.confidence, order)


# ---------------------------------------------------------------- running, merging, linking


def _run(rules: Sequence[Rule], evidence: Evidence) -> tuple[list[tuple[int, Finding]], list[str]]:
    found: list[tuple[int, Finding]] = []
    notes: list[str] = []
    for index, r in enumerate(rules):
        try:
            findings = r(evidence)
        except Exception as exc:  # a broken rule must not hide the others' findings
            notes.append(
                f"rule '{r.name}' failed on this evidence ({type(exc).__name__}: {scrub(str(exc))[:200]}); "
                f"its causes ({', '.join(r.causes)}) were not checked"
            )
            continue
        for f in findings:
            if not isinstance(f, Finding):
                notes.append(f"rule '{r.name}' returned {type(f).__name__}, not a Finding; ignored")
                continue
            if f.cause not in r.causes:
                notes.append(f"rule '{r.name}' reported cause '{f.cause}', which it does not declare")
            found.append((index, f if f.rule else replace(f, rule=r.name)))
    return found, notes


def _dedupe(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def _merge(found: Sequence[tuple[int, Finding]]) -> list[tuple[int, Finding]]:
    """One finding per cause: the strongest one's title, everyone's evidence and fixes, counts added."""
    groups: dict[str, list[tuple[int, Finding]]] = {}
    for item in found:
        groups.setdefault(item[1].cause, []).append(item)
    merged: list[tuple[int, Finding]] = []
    for items in groups.values():
        if len(items) == 1:
            merged.append(items[0])
            continue
        items = sorted(items, key=lambda it: rank_key(it[1], it[0]))
        order, best = items[0]
        findings = [f for _, f in items]
        titles = _dedupe([f.title for f in findings])
        title = best.title + (f" (and {len(titles) - 1} more)" if len(titles) > 1 else "")
        merged.append(
            (
                order,
                replace(
                    best,
                    title=title,
                    confidence=max(f.confidence for f in findings),
                    evidence=_dedupe([line for f in findings for line in f.evidence]),
                    fix=" ".join(_dedupe([f.fix for f in findings])),
                    rule=",".join(_dedupe([f.rule for f in findings])),
                    explains=sum(f.explains for f in findings),
                ),
            )
        )
    return merged


def _fingerprints(f: Finding, known: set[str]) -> set[str]:
    text = " ".join((f.title, *f.evidence))
    return {fp for fp in _FINGERPRINT.findall(text) if fp in known}


def _link(found: list[tuple[int, Finding]], evidence: Evidence) -> list[tuple[int, Finding]]:
    """Let a key-bytes or source cause absorb the API symptom it explains (same key, earlier layer)."""
    known = _known_fingerprints(evidence)
    sent = {w.fingerprint for w in evidence.winners if w.fingerprint}
    prints = [_fingerprints(f, known) for _, f in found]
    result = list(found)
    for j, (order_j, symptom) in enumerate(found):
        if symptom.cause in LAYERS or symptom.cause == "healthy" or not prints[j]:
            continue
        causes = []
        for i, (_, cause) in enumerate(found):
            layer = LAYERS.get(cause.cause)
            if layer is None or layer > 1 or cause.severity != "blocker":
                continue
            shared = prints[i] & prints[j]
            if layer == 1:
                shared &= sent  # a source explains what happens to the key clients really send
            if shared:
                causes.append(i)
        if not causes:
            continue
        best = min(causes, key=lambda i: (LAYERS[found[i][1].cause], rank_key(found[i][1], found[i][0])))
        order_i, cause = result[best]
        result[best] = (
            order_i,
            replace(
                cause,
                explains=cause.explains + symptom.explains,
                evidence=_dedupe([*cause.evidence, f"explains `{symptom.cause}`: {symptom.title}"]),
            ),
        )
        current = result[j][1]
        result[j] = (
            order_j,
            replace(current, evidence=_dedupe([*current.evidence, f"explained by `{cause.cause}` (see above)"])),
        )
    return result


def _known_fingerprints(evidence: Evidence) -> set[str]:
    return (
        {k.fingerprint for k in evidence.keys}
        | {k.repaired_fingerprint for k in evidence.keys if k.repaired_fingerprint}
        | {s.fingerprint for s in evidence.sources if s.fingerprint}
        | {a.fingerprint for a in evidence.attempts if a.fingerprint}
    )


def _demote_unsent(found: list[tuple[int, Finding]], evidence: Evidence) -> list[tuple[int, Finding]]:
    """A defect in a key that no client sends blocks no client: it is a warning, and says why.

    Only when the clients' keys are known (winners with fingerprints) and the finding names keys by
    fingerprint, none of which (nor their repairs) is what a client sends.
    """
    sent = {w.fingerprint for w in evidence.winners if w.fingerprint}
    if not sent:
        return found
    known = _known_fingerprints(evidence)
    out = []
    for order, f in found:
        prints = _fingerprints(f, known)
        if LAYERS.get(f.cause) == 0 and f.severity == "blocker" and prints and not prints & sent:
            f = replace(
                f,
                severity="warning",
                evidence=_dedupe(
                    [
                        *f.evidence,
                        "no client sends this key by itself (each client's key comes from another source), so "
                        "it fails only where code reads it directly: a warning, not a blocker",
                    ]
                ),
            )
        out.append((order, f))
    return out


def _scrubbed(f: Finding) -> Finding:
    return replace(f, title=scrub(f.title), evidence=tuple(scrub(e) for e in f.evidence), fix=scrub(f.fix))


# ---------------------------------------------------------------- ruled out


def _ruled_out(evidence: Evidence, findings: Sequence[Finding], attribution: Attribution) -> tuple[str, ...]:
    causes = {f.cause for f in findings}
    out = list(attribution.ruled_out)
    api = [a for a in evidence.attempts if a.responder == "anthropic" and a.status is not None]
    decided = [a for a in evidence.attempts if a.status is not None and not a.transport_error]

    path_causes = {c for c, layer in LAYERS.items() if layer == 2}
    if evidence.path and not causes & path_causes:
        failing = [p for p in evidence.path if p.ok is False]
        if not failing and any(p.ok for p in evidence.path):
            steps = list(dict.fromkeys(p.step for p in evidence.path if p.ok))
            target = evidence.path[0].target
            out.append(f"Not the network path: {', '.join(steps)} checks to {target} all pass")
    if decided and len(api) == len(decided) and not causes & {"base-url-override", "proxy-interference"}:
        ids = [a.request_id for a in api if a.request_id]
        out.append(
            f"Not a proxy, gateway or other base URL: all {len(api)} answers came from the API itself "
            f"(its envelope and request ids, e.g. {ids[0] if ids else 'req_…'})"
        )
    sent = {w.fingerprint for w in evidence.winners if w.fingerprint}
    reports = [k for k in evidence.keys if k.fingerprint in sent] if sent else []
    clean = [k for k in reports if k.well_formed]
    if reports and len(clean) == len(reports):
        names = "; ".join(f"'{k.alias}', {k.hint}, {k.length} characters" for k in clean)
        out.append(
            f"Not the key's bytes: the key{'s' if len(clean) > 1 else ''} your clients send ({names}) "
            f"{'are' if len(clean) > 1 else 'is'} well-formed, with no hidden, quoted or extra characters"
        )
    accepted = [a for a in api if auth_verdict(a) == "accepted" and a.status and 200 <= a.status < 300]
    rejected = [a for a in api if auth_verdict(a) == "rejected"]
    if accepted and rejected:
        a = accepted[0]
        out.append(
            f"Not a service-side problem with keys: key '{a.key_alias}' ({a.hint}) is accepted by the same "
            f"API in the same run ({a.status}, {a.request_id or 'no request id'})"
            + (f", organization {a.organization_id}" if a.organization_id else "")
        )
    billed = [a for a in accepted if a.endpoint in ("/v1/messages", "/v1/messages/count_tokens")]
    if billed and not causes & {"credit-exhausted", "org-disabled", "spend-limit-reached"}:
        orgs = sorted({x.organization_id for x in billed if x.organization_id})
        where = f"organization {', '.join(orgs)}" if orgs else "the account"
        out.append(
            f"Not the account's billing or status: {where} answers {billed[0].status} to "
            f"{billed[0].method} {billed[0].endpoint}, which checks credit, spend limits and the "
            "organization's status"
        )
    return _dedupe([scrub(line) for line in out])


# ---------------------------------------------------------------- the value


@dataclass(frozen=True)
class Diagnosis:
    """The ranked findings (most important first), what the evidence rules out, and the attribution."""

    findings: tuple[Finding, ...]
    ruled_out: tuple[str, ...]
    attribution: Attribution
    notes: tuple[str, ...] = ()
    evidence: Evidence = field(default_factory=Evidence, repr=False, compare=False)

    @property
    def top(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def causes(self) -> tuple[str, ...]:
        return tuple(f.cause for f in self.findings)

    @property
    def healthy(self) -> bool:
        return self.top is not None and self.top.cause == "healthy"

    @property
    def blockers(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "blocker")

    @property
    def exit_code(self) -> int:
        """0 when the top finding is ``healthy``; 1 otherwise (a blocker, or nothing could be shown healthy)."""
        return 0 if self.healthy else 1

    def finding(self, cause: str) -> Finding | None:
        return next((f for f in self.findings if f.cause == cause), None)

    # ---- rendering

    def headline(self) -> str:
        top = self.top
        if top is None:
            return "No finding: KeyLab found nothing to check (no credential, no request)."
        if top.cause == "healthy":
            return f"Healthy: {top.title}."
        return f"Cause: {top.cause}: {top.title}."

    def to_text(self) -> str:
        lines = [self.headline(), ""]
        for i, f in enumerate(self.findings, 1):
            lines.append(f"{i}. " + f.to_text())
            lines.append("")
        if self.attribution.attempts:
            lines += ["What changes the answer:", f"  {self.attribution.sentence}"]
            lines += [f"  {d}" for d in self.attribution.details]
            lines.append("")
        if self.ruled_out:
            lines.append("Ruled out:")
            lines += [f"  - {r}" for r in self.ruled_out]
            lines.append("")
        if self.notes:
            lines.append("Notes:")
            lines += [f"  - {n}" for n in self.notes]
        return "\n".join(lines).rstrip() + "\n"

    def to_markdown(self) -> str:
        parts = [f"### {self.headline()}", ""]
        for i, f in enumerate(self.findings, 1):
            parts.append(f"{i}. " + f.to_markdown().replace("\n", "\n   ").rstrip())
            parts.append("")
        if self.attribution.attempts:
            parts += ["**What changes the answer.** " + self.attribution.sentence, ""]
            parts += [f"- {d}" for d in self.attribution.details]
            parts.append("")
        if self.ruled_out:
            parts += ["**Ruled out.**", ""] + [f"- {r}" for r in self.ruled_out] + [""]
        if self.notes:
            parts += ["**Notes.**", ""] + [f"- {n}" for n in self.notes] + [""]
        return "\n".join(parts)

    def to_html(self) -> str:
        e = html.escape
        items = "".join(f"<li>{f.to_html()}</li>" for f in self.findings)
        parts = [f'<div class="kl-diagnosis"><h3>{e(self.headline())}</h3><ol>{items}</ol>']
        if self.attribution.attempts:
            details = "".join(f"<li>{e(d)}</li>" for d in self.attribution.details)
            parts.append(f"<p><b>What changes the answer.</b> {e(self.attribution.sentence)}</p><ul>{details}</ul>")
        if self.ruled_out:
            parts.append("<p><b>Ruled out.</b></p><ul>" + "".join(f"<li>{e(r)}</li>" for r in self.ruled_out) + "</ul>")
        if self.notes:
            parts.append("<p><b>Notes.</b></p><ul>" + "".join(f"<li>{e(n)}</li>" for n in self.notes) + "</ul>")
        parts.append("</div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def to_dict(self) -> dict[str, Any]:
        return {
            "top": self.top.cause if self.top else None,
            "findings": [f.to_dict() | {"explains": f.explains} for f in self.findings],
            "ruled_out": list(self.ruled_out),
            "attribution": self.attribution.to_dict(),
            "notes": list(self.notes),
        }


def diagnose(evidence: Evidence, rules: Sequence[Rule] = RULES) -> Diagnosis:
    """Run every rule over ``evidence``; merge, link and rank the findings; attribute; list what is ruled out."""
    found, notes = _run(rules, evidence)
    found = _link(_demote_unsent(_merge(found), evidence), evidence)
    ranked = [f for _, f in sorted(found, key=lambda it: rank_key(it[1], it[0]))]
    findings = tuple(_scrubbed(f) for f in ranked)
    attribution = attribute_evidence(evidence)
    attribution = replace(
        attribution, sentence=scrub(attribution.sentence), details=tuple(scrub(d) for d in attribution.details)
    )
    ruled = _ruled_out(evidence, findings, attribution)
    notes += [scrub(str(n)) for n in evidence.notes]
    return Diagnosis(
        findings=findings, ruled_out=ruled, attribution=attribution, notes=_dedupe(notes), evidence=evidence
    )
