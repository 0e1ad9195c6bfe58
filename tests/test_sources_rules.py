"""Each source rule on its own, with hand-built sources and winners: who shadows whom, and the exact fix."""

from __future__ import annotations

from kit.diagnose.rules import sources as rules
from kit.diagnose.rules.base import Rule
from kit.keys.inspect import inspect_key
from kit.keys.naming import fingerprint, hint
from kit.testing import fake_key, find_leaks
from kit.values import Evidence, Finding, Source, Winner

NEW = fake_key("rules-new")
OLD = fake_key("rules-old")
API = "ANTHROPIC_API_KEY"


def src(
    source_id: str,
    value: str | None,
    *,
    kind: str = "env",
    variable: str | None = API,
    location: str = "",
    path: str | None = None,
    line: int | None = None,
    exported: bool | None = None,
    note: str = "",
) -> Source:
    return Source(
        id=source_id,
        kind=kind,
        variable=variable,
        location=location or source_id,
        path=path,
        line=line,
        fingerprint=fingerprint(value) if value is not None else None,
        hint=hint(value) if value is not None else None,
        length=len(value) if value is not None else None,
        exported=exported,
        note=note,
    )


def win(
    client: str, value: str | None, source_id: str | None = None, header: str = "x-api-key", detail: str = ""
) -> Winner:
    return Winner(
        client=client,
        client_version="1",
        source_id=source_id,
        header=header if value else None,
        fingerprint=fingerprint(value) if value is not None else None,
        hint=None,
        base_url="https://api.anthropic.com",
        detail=detail,
    )


def run(r: Rule, *sources: Source, winners: tuple[Winner, ...] = (), keys: tuple[str, ...] = ()) -> list[Finding]:
    evidence = Evidence(keys=tuple(inspect_key(k) for k in keys), sources=sources, winners=winners)
    findings = list(r(evidence))
    for finding in findings:
        assert finding.cause in r.causes
        assert not find_leaks(finding.to_text() + finding.to_html(), [NEW, OLD])
    return findings


ENV_OLD = src("env:ANTHROPIC_API_KEY", OLD, location="process environment ($ANTHROPIC_API_KEY)", exported=True)
ZSHRC_OLD = src(
    "shell:/h/.zshrc:6", OLD, kind="shell", location="~/.zshrc line 6", path="/h/.zshrc", line=6, exported=True
)
DOTENV_NEW = src("dotenv:/p/.env:1", NEW, kind="dotenv", location="/p/.env line 1", path="/p/.env", line=1)
SENT_OLD = (
    win("sdk-python", OLD, ENV_OLD.id, "authorization"),
    win("dotenv-app", OLD, ENV_OLD.id, "authorization"),
    win("curl", OLD, ZSHRC_OLD.id),
)


def test_the_ticket_an_exported_key_beats_the_dotenv_key() -> None:
    (finding,) = run(rules.exported_beats_dotenv, ENV_OLD, ZSHRC_OLD, DOTENV_NEW, winners=SENT_OLD)
    assert finding.cause == "stale-env-shadows-dotenv" and finding.severity == "blocker"
    assert finding.confidence >= 0.9 and finding.explains == 3
    text = "\n".join(finding.evidence)
    assert fingerprint(OLD) in text and fingerprint(NEW) in text  # both, so the diagnosis can link the 401s
    assert "exported by ~/.zshrc line 6" in text and "override=False" in text
    assert "sdk-python (authorization), dotenv-app (authorization), curl (x-api-key)" in text
    assert "Delete the line in ~/.zshrc line 6" in finding.fix and "unset ANTHROPIC_API_KEY" in finding.fix
    assert "load_dotenv(override=True)" in finding.fix


def test_no_shadowing_when_the_values_agree_or_there_is_no_dotenv() -> None:
    same = src("dotenv:/p/.env:1", OLD, kind="dotenv", path="/p/.env", line=1)
    assert not run(rules.exported_beats_dotenv, ENV_OLD, same, winners=SENT_OLD)
    assert not run(rules.exported_beats_dotenv, ENV_OLD, ZSHRC_OLD, winners=SENT_OLD)


def test_only_the_dotenv_that_load_dotenv_reads_counts() -> None:
    parent = src("dotenv:/.env:1", OLD, kind="dotenv", path="/.env", line=1)
    near_first = src("dotenv:/p/.env:1", OLD, kind="dotenv", path="/p/.env", line=1)
    near_last = src("dotenv:/p/.env:4", NEW, kind="dotenv", location="/p/.env line 4", path="/p/.env", line=4)
    (finding,) = run(rules.exported_beats_dotenv, ENV_OLD, parent, near_first, near_last, winners=SENT_OLD)
    assert "/p/.env line 4" in finding.title
    local = src("dotenv:/p/.env.local:1", NEW, kind="dotenv", path="/p/.env.local", line=1)
    assert not run(rules.exported_beats_dotenv, ENV_OLD, near_first, local, winners=SENT_OLD)


def test_a_blank_export_shadows_dotenv_too() -> None:
    blank = src("env:ANTHROPIC_API_KEY", "")
    (finding,) = run(rules.exported_beats_dotenv, blank, DOTENV_NEW, winners=(win("sdk-python", None),))
    assert "(blank)" in "\n".join(finding.evidence) and finding.confidence >= 0.9


def test_when_the_shell_files_agree_with_dotenv_only_the_process_is_stale() -> None:
    zshrc_new = src(
        "shell:/h/.zshrc:6", NEW, kind="shell", location="~/.zshrc line 6", path="/h/.zshrc", line=6, exported=True
    )
    winners = (win("sdk-python", OLD, ENV_OLD.id), win("curl", NEW, zshrc_new.id))
    assert not run(rules.exported_beats_dotenv, ENV_OLD, zshrc_new, DOTENV_NEW, winners=winners)
    (stale,) = run(rules.process_env_is_stale, ENV_OLD, zshrc_new, DOTENV_NEW, winners=winners)
    assert stale.cause == "stale-process-env" and stale.severity == "blocker"
    assert "~/.zshrc line 6 now sets" in stale.title and fingerprint(OLD) in "\n".join(stale.evidence)
    assert "Restart" in stale.fix and "Jupyter" in stale.fix


def test_a_process_value_found_in_no_file() -> None:
    (finding,) = run(rules.process_env_is_stale, ENV_OLD, DOTENV_NEW, winners=(win("sdk-python", OLD, ENV_OLD.id),))
    assert finding.severity == "blocker" and "no current file has" in finding.title
    assert "load_dotenv() before" in "\n".join(finding.evidence)
    assert not run(rules.process_env_is_stale, ENV_OLD, ZSHRC_OLD, winners=SENT_OLD)  # the files agree
    assert not run(rules.process_env_is_stale, ENV_OLD, winners=SENT_OLD)  # nothing to compare with


def test_auth_token_sent_as_bearer_with_an_api_key_inside() -> None:
    token = src("env:ANTHROPIC_AUTH_TOKEN", NEW, variable="ANTHROPIC_AUTH_TOKEN")
    shell = src("shell:/h/.zshrc:2", NEW, kind="shell", variable="ANTHROPIC_AUTH_TOKEN", location="~/.zshrc line 2")
    winners = (win("sdk-python", NEW, token.id, "authorization"),)
    (finding,) = run(rules.auth_token_set, token, shell, winners=winners, keys=(NEW,))
    assert finding.severity == "blocker" and finding.explains == 1
    text = "\n".join(finding.evidence)
    assert "holds an API key" in text and "Invalid bearer token" in text
    assert "unset ANTHROPIC_AUTH_TOKEN" in finding.fix and "remove it from ~/.zshrc line 2" in finding.fix


def test_auth_token_ignored_beside_an_api_key_is_a_warning_and_a_gateway_softens_it() -> None:
    oauth = fake_key("cc", "oauth")
    token = src("env:ANTHROPIC_AUTH_TOKEN", oauth, variable="ANTHROPIC_AUTH_TOKEN")
    winners = (
        win(
            "sdk-python",
            NEW,
            "env:ANTHROPIC_API_KEY",
            "authorization",
            detail="ANTHROPIC_AUTH_TOKEN is ignored (the API key wins)",
        ),
    )
    (finding,) = run(rules.auth_token_set, src("env:ANTHROPIC_API_KEY", NEW), token, winners=winners)
    assert finding.severity == "warning" and "send both headers" in "\n".join(finding.evidence)
    gateway = src("env:ANTHROPIC_BASE_URL", None, variable="ANTHROPIC_BASE_URL", note="= https://gw.example")
    sent = (win("sdk-python", "gw-token-123", "env:ANTHROPIC_AUTH_TOKEN", "authorization"),)
    gw_token = src("env:ANTHROPIC_AUTH_TOKEN", "gw-token-123", variable="ANTHROPIC_AUTH_TOKEN")
    (soft,) = run(rules.auth_token_set, gw_token, gateway, winners=sent)
    assert soft.severity == "warning" and "a gateway may need this token" in "\n".join(soft.evidence)
    assert not run(rules.auth_token_set, src("env:ANTHROPIC_AUTH_TOKEN", "", variable="ANTHROPIC_AUTH_TOKEN"))


def test_profile_that_cannot_load_is_a_blocker() -> None:
    sdk = Winner(
        client="sdk-python",
        client_version="2",
        source_id=None,
        header=None,
        fingerprint=None,
        hint=None,
        base_url="https://api.anthropic.com",
        detail="asked ...: anthropic.Anthropic() raised CredentialsError: Config file not found",
    )
    (finding,) = run(rules.profile_shadowing, winners=(sdk,))
    assert finding.severity == "blocker" and "unset ANTHROPIC_PROFILE" in finding.fix


def test_the_sdk_uses_a_profile_while_a_key_sits_in_dotenv() -> None:
    profile = src(
        "profile:work",
        fake_key("p", "oauth"),
        kind="profile",
        variable=None,
        location="SDK profile 'work'",
        note="active profile (selected by default)",
    )
    (finding,) = run(
        rules.profile_shadowing,
        profile,
        DOTENV_NEW,
        winners=(win("sdk-python", fake_key("p", "oauth"), "profile:work", "authorization"),),
    )
    assert finding.severity == "warning" and "SDK profile 'work'" in finding.title and "/p/.env" in finding.title


def test_an_environment_key_shadows_the_chosen_profile() -> None:
    chosen = src("env:ANTHROPIC_PROFILE", None, variable="ANTHROPIC_PROFILE", note="= work")
    (finding,) = run(rules.profile_shadowing, ENV_OLD, chosen, winners=SENT_OLD)
    assert "shadows the SDK profile selected by ANTHROPIC_PROFILE" in finding.title
    assert "unset ANTHROPIC_API_KEY" in finding.fix
    assert not run(rules.profile_shadowing, ENV_OLD, winners=SENT_OLD)  # no profile at all


def test_no_client_finds_a_key() -> None:
    nobody = tuple(win(c, None) for c in ("sdk-python", "dotenv-app", "curl"))
    (finding,) = run(rules.nobody_finds_a_key, winners=nobody)
    assert finding.severity == "blocker" and finding.title == "No client finds an API key anywhere"
    assert finding.explains == 3
    blank = src("env:ANTHROPIC_API_KEY", "")
    (with_blank,) = run(rules.nobody_finds_a_key, blank, winners=nobody)
    assert with_blank.fix.startswith("Run `unset ANTHROPIC_API_KEY`") and "blank: env:" in "\n".join(
        with_blank.evidence
    )
    assert not run(rules.nobody_finds_a_key)  # no winners known: nothing to say


def test_keys_only_in_files_or_only_in_dotenv_are_warnings() -> None:
    nobody = tuple(win(c, None) for c in ("sdk-python", "curl"))
    file = src("file:/p/k.txt", NEW, kind="file", variable=None, location="key file /p/k.txt")
    (files,) = run(rules.nobody_finds_a_key, file, winners=nobody)
    assert files.severity == "warning" and "only in key files" in files.title
    some = (win("dotenv-app", NEW, DOTENV_NEW.id), win("curl", None), win("sdk-node@0.24.3", None))
    (partial,) = run(rules.nobody_finds_a_key, DOTENV_NEW, winners=some)
    assert partial.severity == "warning" and partial.title == "curl, sdk-node@0.24.3 find no API key"
    assert "only in .env" in "\n".join(partial.evidence)


def test_every_rule_is_declared() -> None:
    assert {c for r in rules.RULES for c in r.causes} == {
        "stale-env-shadows-dotenv",
        "auth-token-conflict",
        "stale-process-env",
        "profile-shadows",
        "key-missing",
    }
    for r in rules.RULES:
        assert list(r(Evidence())) == []
