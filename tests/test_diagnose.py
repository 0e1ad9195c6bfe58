"""The engine: every rule runs, duplicates merge, causes absorb the symptoms they explain, ranking, rendering."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scenarios.builders import attempt, evidence, fp, key_value, source, winner

from kit.diagnose.diagnosis import diagnose, rank_key
from kit.diagnose.rules import RULES, api
from kit.diagnose.rules.base import rule
from kit.testing import assert_no_leak
from kit.values import Evidence, Finding


@rule("stale-env-shadows-dotenv", recognises="test", fix="test")
def stale_env(ev: Evidence) -> Iterator[Finding]:
    """A stand-in for the sources rule: the exported key beats .env (names both fingerprints)."""
    if len(ev.sources) >= 2:
        a, b = ev.sources[0], ev.sources[1]
        yield Finding(
            "stale-env-shadows-dotenv",
            "blocker",
            0.9,
            "exported key beats .env",
            evidence=(f"{a.location}: fp {a.fingerprint}", f"{b.location}: fp {b.fingerprint}"),
            fix="unset ANTHROPIC_API_KEY and remove the export from ~/.zshrc",
            explains=1,
        )


@rule("key-whitespace", recognises="test", fix="test")
def whitespace(ev: Evidence) -> Iterator[Finding]:
    for k in ev.keys:
        if k.alias.startswith("file"):
            yield Finding(
                "key-whitespace",
                "warning",
                0.8,
                f"{k.alias} ends with a newline",
                evidence=(f"{k.alias} fp {k.fingerprint}",),
                fix="printf %s",
                explains=1,
            )


@rule("server-error", recognises="test", fix="test")
def broken(ev: Evidence) -> Iterator[Finding]:
    raise RuntimeError("boom " + key_value("leaky"))


def ticket_evidence() -> Evidence:
    atts = [attempt("proto", "invalid-key", client=c) for c in ("httpx2", "curl")]
    atts += [attempt("fresh", 200), attempt("file-1", transport_error="LocalProtocolError")]
    return evidence(
        *atts,
        sources=(
            source("proto", kind="shell", location="~/.zshrc line 6", exported=True),
            source("fresh", kind="dotenv", location="project/.env line 1"),
        ),
        winners=(winner("sdk-python", "proto"), winner("curl", "proto")),
        models_requested=("claude-3-haiku-20240307",),
    )


def test_a_source_cause_absorbs_the_rejection_of_the_key_it_makes_clients_send() -> None:
    d = diagnose(ticket_evidence(), rules=(stale_env, *api.RULES))
    assert d.causes[0] == "stale-env-shadows-dotenv"
    top, rejected = d.findings[0], d.finding("key-rejected")
    assert rejected is not None
    assert top.explains == 1 + rejected.explains
    assert any(line.startswith("explains `key-rejected`") for line in top.evidence)
    assert any("explained by `stale-env-shadows-dotenv`" in line for line in rejected.evidence)
    assert d.exit_code == 1


def test_without_the_source_cause_the_rejection_is_on_top() -> None:
    d = diagnose(ticket_evidence(), rules=api.RULES)
    assert d.causes[0] == "key-rejected"


def test_a_source_cause_does_not_absorb_a_key_no_client_sends() -> None:
    ev = ticket_evidence()
    ev = Evidence(**{**ev.__dict__, "winners": (winner("sdk-python", "fresh"),)})
    d = diagnose(ev, rules=(stale_env, *api.RULES))
    rejected = d.finding("key-rejected")
    assert rejected is not None and not any("explained by" in line for line in rejected.evidence)


def test_findings_of_one_cause_merge_into_one() -> None:
    ev = evidence(attempt("file-1", 200), attempt("file-2", 200))
    d = diagnose(ev, rules=(whitespace,))
    assert d.causes == ("key-whitespace",)
    merged = d.findings[0]
    assert merged.explains == 2 and "(and 1 more)" in merged.title
    assert {fp("file-1"), fp("file-2")} <= {w for line in merged.evidence for w in line.split()}


def test_a_failing_rule_becomes_a_note_and_leaks_nothing() -> None:
    d = diagnose(evidence(attempt("k", 200)), rules=(broken, *api.RULES))
    assert d.causes == ("healthy",)
    assert any("rule 'broken' failed" in n and "server-error" in n for n in d.notes)
    assert_no_leak([d.to_text(), d.to_markdown(), d.to_html(), str(d.to_dict())], [key_value("leaky")])


def test_ranking_blockers_then_healthy_then_warnings_then_info() -> None:
    b = Finding("key-rejected", "blocker", 0.5, "b", explains=1)
    h = Finding("healthy", "info", 0.9, "h", explains=9)
    w = Finding("rate-limited", "warning", 0.99, "w", explains=50)
    i = Finding("overloaded", "info", 0.99, "i", explains=50)
    assert sorted([i, w, h, b], key=rank_key) == [b, h, w, i]
    more = Finding("key-rejected", "blocker", 0.5, "more", explains=3)
    surer = Finding("key-rejected", "blocker", 0.9, "surer", explains=1)
    assert sorted([b, surer, more], key=rank_key) == [more, surer, b]


def test_healthy_is_top_and_exit_zero_with_only_warnings() -> None:
    ev = evidence(attempt("k", 200), attempt("k", "rate-limited", limit=5), attempt("file-1", 200))
    d = diagnose(ev, rules=(whitespace, *api.RULES))
    assert d.causes[0] == "healthy" and d.exit_code == 0
    assert set(d.causes) == {"healthy", "rate-limited", "key-whitespace"}


def test_a_blocker_outranks_healthy_and_sets_exit_one() -> None:
    ev = evidence(
        attempt("k", 200),
        attempt("k", "model-not-found", model="claude-3-haiku-20240307", endpoint="/v1/models/claude-3-haiku-20240307"),
    )
    d = diagnose(ev)
    assert d.causes[:2] == ("model-unavailable", "healthy") and d.exit_code == 1


def test_ruled_out_statements_answer_the_tickets_questions() -> None:
    d = diagnose(ticket_evidence(), rules=(stale_env, *api.RULES))
    text = "\n".join(d.ruled_out)
    assert "Not the model: auth is decided first" in text
    assert "Not a proxy, gateway or other base URL" in text
    assert "Not the key's bytes: the key your clients send ('proto'" in text
    assert "Not a service-side problem with keys: key 'fresh'" in text


def test_rendering_text_markdown_html_and_dict() -> None:
    d = diagnose(ticket_evidence(), rules=(stale_env, *api.RULES))
    text, md, page = d.to_text(), d.to_markdown(), d.to_html()
    assert text.startswith("Cause: stale-env-shadows-dotenv")
    assert "What changes the answer:" in text and "Ruled out:" in text
    assert md.startswith("### Cause: stale-env-shadows-dotenv") and "**Ruled out.**" in md
    assert page.startswith('<div class="kl-diagnosis">') and "<ol>" in page and "&#x27;" in page
    data = d.to_dict()
    assert data["top"] == "stale-env-shadows-dotenv"
    assert [f["cause"] for f in data["findings"]] == list(d.causes)
    assert data["attribution"]["sentence"] == d.attribution.sentence
    secrets = [key_value(n) for n in ("proto", "fresh", "file-1")]
    assert_no_leak([text, md, page, str(data)], secrets)


def test_empty_evidence_gives_no_finding_and_a_clear_headline() -> None:
    d = diagnose(Evidence())
    assert d.findings == () and d.exit_code == 1
    assert "found nothing to check" in d.to_text()


def test_the_registry_runs_on_any_evidence_without_raising() -> None:
    for ev in (Evidence(), ticket_evidence(), evidence(attempt("k", transport_error="ConnectError"))):
        d = diagnose(ev, rules=RULES)
        assert not any("failed on this evidence" in n for n in d.notes), d.notes


def test_a_defect_in_a_key_no_client_sends_is_a_warning() -> None:
    @rule("key-whitespace", recognises="test", fix="test")
    def newline(ev: Evidence) -> Iterator[Finding]:
        for k in ev.keys:
            if not k.alias.startswith("spare"):
                continue
            yield Finding(
                "key-whitespace",
                "blocker",
                0.9,
                f"{k.alias} ends with LF",
                evidence=(f"fingerprint {k.fingerprint}",),
                explains=1,
            )

    sent = evidence(attempt("main", 200), keys=("main", "spare"), winners=(winner("sdk-python", "main"),))
    d = diagnose(sent, rules=(newline,))
    assert d.findings[0].severity == "warning" and "no client sends this key" in d.findings[0].evidence[-1]
    # the key a client sends keeps its blocker; with no winner evidence nothing is demoted
    d = diagnose(evidence(attempt("spare", 200), keys=("spare",), winners=(winner("curl", "spare"),)), rules=(newline,))
    assert d.findings[0].severity == "blocker"
    d = diagnose(evidence(attempt("spare", 200), keys=("spare",)), rules=(newline,))
    assert d.findings[0].severity == "blocker"


def test_billing_is_ruled_out_only_by_an_endpoint_that_checks_it() -> None:
    listing = evidence(attempt("k", 200))
    assert not any("billing" in r for r in diagnose(listing).ruled_out)
    counted = evidence(
        attempt("k", 200),
        attempt("k", 200, endpoint="/v1/messages/count_tokens", method="POST", model="claude-haiku-4-5"),
    )
    assert any(r.startswith("Not the account's billing") for r in diagnose(counted).ruled_out)
