"""Each key rule on its own, with hand-built evidence: the finding, its severity, evidence lines and the fix."""

from __future__ import annotations

from kit.diagnose.rules import keys as rules
from kit.diagnose.rules.base import Rule
from kit.keys.inspect import inspect_key
from kit.keys.naming import fingerprint, hint
from kit.testing import fake_key, find_leaks
from kit.values import Evidence, Finding, Source, Winner

KEY = fake_key("rules-keys")


def src(
    source_id: str,
    value: str | bytes,
    *,
    kind: str = "env",
    variable: str | None = "ANTHROPIC_API_KEY",
    location: str = "",
    path: str | None = None,
    line: int | None = None,
    exported: bool | None = None,
) -> Source:
    return Source(
        id=source_id,
        kind=kind,
        variable=variable,
        location=location or source_id,
        path=path,
        line=line,
        fingerprint=fingerprint(value),
        hint=hint(value),
        exported=exported,
    )


def win(client: str, value: str | None, source_id: str | None, header: str | None = "x-api-key") -> Winner:
    return Winner(
        client=client,
        client_version="1",
        source_id=source_id,
        header=header if value else None,
        fingerprint=fingerprint(value) if value is not None else None,
        hint=None,
        base_url="https://api.anthropic.com",
    )


def run(
    r: Rule, value: str | bytes, source: Source, *extra_sources: Source, winners: tuple[Winner, ...] = ()
) -> list[Finding]:
    report = inspect_key(value, alias="k", source=source.id)
    evidence = Evidence(keys=(report,), sources=(source, *extra_sources), winners=winners)
    findings = list(r(evidence))
    for finding in findings:
        assert finding.cause in r.causes
        assert not find_leaks(finding.to_text(), [KEY])
    return findings


def test_every_rule_declares_its_cause_and_explains_itself() -> None:
    causes = [c for r in rules.RULES for c in r.causes]
    assert sorted(causes) == sorted(rules.CONFIDENCE)
    assert all(r.recognises and r.fix for r in rules.RULES)


def test_rules_do_nothing_on_empty_or_clean_evidence() -> None:
    clean = Evidence(keys=(inspect_key(KEY),))
    for r in rules.RULES:
        assert list(r(Evidence())) == [] and list(r(clean)) == []


def test_whitespace_sent_by_a_client_is_a_blocker_naming_the_exporting_file() -> None:
    value = KEY + "\n"
    env = src("env:ANTHROPIC_API_KEY", value)
    zshrc = src(
        "shell:/h/.zshrc:6", value, kind="shell", location="~/.zshrc line 6", path="/h/.zshrc", line=6, exported=True
    )
    winners = (win("sdk-python", value, env.id, "authorization"), win("sdk-node@0.24.3", KEY, env.id))
    (finding,) = run(rules.whitespace, value, env, zshrc, winners=winners)
    assert finding.severity == "blocker" and finding.explains == 2
    assert finding.title == "'k' ends with a line break: U+000A LINE FEED at position 108"
    text = "\n".join(finding.evidence)
    assert fingerprint(value) in text and f"repaired candidate: {hint(KEY)}" in text
    assert "sent as it is by: sdk-python (authorization)" in text
    assert "sent repaired (trimmed) by: sdk-node@0.24.3" in text
    assert "~/.zshrc line 6" in finding.fix and "new terminal" in finding.fix


def test_a_key_file_with_echos_newline_gets_a_printf_fix() -> None:
    value = (KEY + "\n").encode()
    file = src("file:/p/key-1.txt", value, kind="file", variable=None, path="/p/key-1.txt")
    (finding,) = run(rules.whitespace, value, file, winners=(win("curl", None, None),))
    assert finding.severity == "blocker"
    assert 'printf %s "$(cat /p/key-1.txt)"' in finding.fix
    assert any("echo" in line for line in finding.evidence)
    assert any("a key file: clients use it only when you pass" in line for line in finding.evidence)


def test_a_defect_no_client_sends_is_a_warning() -> None:
    value = KEY + " "
    dotenv = src("dotenv:/p/.env:1", value, kind="dotenv", location="/p/.env line 1", path="/p/.env", line=1)
    (finding,) = run(rules.whitespace, value, dotenv, winners=(win("sdk-python", fake_key("other"), "env:X"),))
    assert finding.severity == "warning"
    assert "/p/.env line 1" in finding.fix


def test_the_tickets_extra_character_names_it_and_explains_echo_wc() -> None:
    value = KEY + "."
    env = src("env:ANTHROPIC_API_KEY", value)
    (finding,) = run(rules.extra_chars, value, env, winners=(win("curl", value, env.id),))
    assert "U+002E FULL STOP at position 108" in finding.title and "109 characters" in finding.title
    text = "\n".join(finding.evidence)
    assert "prints 110 for this value and 109 for a correct key" in text
    assert finding.severity == "blocker" and finding.confidence >= 0.9


def test_a_pasted_label_and_a_whole_document() -> None:
    env = src("env:ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY=" + KEY)
    (label,) = run(rules.extra_chars, "ANTHROPIC_API_KEY=" + KEY, env)
    assert "pasted label" in label.title and "Remove the label" in label.fix
    doc = "word " * 2000 + KEY
    (huge,) = run(rules.extra_chars, doc, src("file:/p/notes.md", doc, kind="file", variable=None))
    assert "whole file or document" in huge.title and hint(KEY) in huge.fix


def test_invisible_characters_with_a_cleaning_command_for_files() -> None:
    value = KEY[:50] + "\u200b" + KEY[50:]
    file = src("file:/p/k.txt", value, kind="file", variable=None, path="/p/k.txt")
    (finding,) = run(rules.invisible, value, file)
    assert "U+200B ZERO WIDTH SPACE at position 50" in finding.title
    assert "zero-width character" in "\n".join(finding.evidence)
    assert "tr -cd 'A-Za-z0-9_-' < /p/k.txt" in finding.fix


def test_quotes_look_alikes_bearer_truncation_and_placeholders() -> None:
    env = src("env:ANTHROPIC_API_KEY", "x")
    (quoted,) = run(rules.quoted, "\u201c" + KEY + "\u201d", env)
    assert "word processors" in "\n".join(quoted.evidence)
    (look,) = run(rules.non_ascii, KEY[:30] + "\u0430" + KEY[31:], env)
    assert "U+0430 CYRILLIC SMALL LETTER A" in look.title and "position 30" in look.fix
    (bearer,) = run(rules.bearer_prefix, "Bearer " + KEY, env)
    assert "Bearer Bearer" in bearer.fix
    (cut,) = run(rules.truncated, KEY[:100], env)
    assert "100 characters where an Anthropic API key has 108" in cut.title
    (placeholder,) = run(rules.placeholder, "your-api-key", env)
    assert placeholder.cause == "key-placeholder" and "create a new key" in placeholder.fix


def test_blank_values_are_key_missing_warnings_with_the_right_fix() -> None:
    env = src("env:ANTHROPIC_API_KEY", "")
    (finding,) = run(rules.blank_credential, "", env)
    assert finding.severity == "warning" and "unset ANTHROPIC_API_KEY" in finding.fix
    assert "load_dotenv() does not override it" in "\n".join(finding.evidence)
    dotenv = src("dotenv:/p/.env:1", "", kind="dotenv", location="/p/.env line 1")
    (blank,) = run(rules.blank_credential, "", dotenv)
    assert "/p/.env line 1" in blank.fix


def test_kinds_are_judged_against_their_slot() -> None:
    admin = fake_key("boss", "admin")
    assert run(rules.admin_key, admin, src("env:ANTHROPIC_API_KEY", admin))
    assert not run(
        rules.admin_key, admin, src("env:ANTHROPIC_ADMIN_API_KEY", admin, variable="ANTHROPIC_ADMIN_API_KEY")
    )
    oauth = fake_key("cc", "oauth")
    (token,) = run(rules.oauth_token, oauth, src("env:ANTHROPIC_API_KEY", oauth))
    assert "OAuth authentication is currently not supported." in "\n".join(token.evidence)
    assert not run(rules.oauth_token, oauth, src("profile:default", oauth, kind="profile", variable=None))
    openai = "sk-proj-" + "Ab3" * 20
    (wrong,) = run(rules.wrong_provider, openai, src("env:ANTHROPIC_API_KEY", openai))
    assert "OpenAI project key" in wrong.title and wrong.confidence == 0.9
    assert not run(
        rules.wrong_provider, openai, src("env:ANTHROPIC_ADMIN_API_KEY", openai, variable="ANTHROPIC_ADMIN_API_KEY")
    )
    gateway = Source(id="env:ANTHROPIC_BASE_URL", kind="env", variable="ANTHROPIC_BASE_URL", location="env")
    (via_gateway,) = run(
        rules.wrong_provider,
        "sk-1234",
        src("env:ANTHROPIC_AUTH_TOKEN", "sk-1234", variable="ANTHROPIC_AUTH_TOKEN"),
        gateway,
    )
    assert via_gateway.severity == "info" and "gateway" in "\n".join(via_gateway.evidence)


def test_a_report_without_a_known_source_still_gets_a_finding() -> None:
    report = inspect_key(KEY + "%", alias="pasted", source="prompt:getpass")
    (finding,) = rules.extra_chars(Evidence(keys=(report,)))
    assert finding.severity == "blocker" and "'pasted'" in finding.fix
