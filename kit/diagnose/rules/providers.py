"""Rules for another provider's evidence (OpenAI, Gemini, the OpenAI-compatible ones): its envelope, its variables.

Each rule runs only when ``Evidence.provider`` is not Anthropic and reads the answers the provider's own API
gave (``responder == evidence.provider``, set by ``kit.probe.provider`` from the profile's proof headers). The
error codes and reasons are those of docs/reference/openai-gemini-auth.md §5 and §12, through
data/catalog/provider_errors.toml; the variables come from the provider's profile. Keys are named by alias,
hint and fingerprint, never by value.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kit.diagnose.rules.base import Rule, rule
from kit.keys.report import KeyReport
from kit.providers import provider_error
from kit.values import AttemptResult, Evidence, Finding, Source

__all__ = ["RULES"]
from kit.diagnose.rules.provider_answers import (
    _answers,
    _codes,
    _finding,
    _line,
    _matching,
    _profile,
    _sent,
    provider_account,
    provider_key_rejected,
)


@rule(
    "org-mismatch",
    recognises="401 mismatched_organization / mismatched_project: the OpenAI-Organization or "
    "OpenAI-Project header (from OPENAI_ORG_ID / OPENAI_PROJECT_ID) names one the key does not belong to",
    fix="unset the stale variable or set it to the key's organization / project",
)
def org_mismatch(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None:
        return
    hits = _matching(evidence, _codes("openai-mismatched-organization", "openai-mismatched-project"))
    if not hits:
        return
    project = any(a.error_type == provider_error("openai-mismatched-project").code for a in hits)
    variable = (p.var("project") if project else p.var("organization")) or ("OPENAI_ORG_ID",)
    where = [s for s in evidence.sources if s.variable == variable[0]]
    extra = [f"{variable[0]} is set in {s.location}" for s in where]
    yield _finding(
        "org-mismatch",
        f"{variable[0]} names an {'project' if project else 'organization'} that key "
        f"'{hits[0].key_alias}' ({hits[0].hint}) does not belong to",
        hits,
        f"Run `unset {variable[0]}` (and remove it from shell start-up files and .env), or set it to the "
        "id the key belongs to (platform settings → the key's organization and project).",
        extra,
        confidence=0.95,
        provider_name=p.name,
    )


@rule(
    "key-missing-scopes",
    recognises="401/403 'Missing scopes: …' (or code missing_scope): a restricted key "
    "lacks the permission the endpoint needs",
    fix="grant the scope to the restricted key, or use a key with all permissions",
)
def key_missing_scopes(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None:
        return
    hits = [
        a for a in _answers(evidence) if a.error_type == "missing_scope" or "Missing scopes:" in (a.error_message or "")
    ]
    if hits:
        yield _finding(
            "key-missing-scopes",
            f"Key '{hits[0].key_alias}' ({hits[0].hint}) is a restricted key "
            "without the permission this endpoint needs",
            hits,
            "In the API keys page, edit the restricted key and grant the scope the message names (for "
            "model listing 'Models: Read', for requests 'Model capabilities: Write'), or use an "
            "unrestricted key.",
            confidence=0.95,
            provider_name=p.name,
        )


@rule(
    "key-restricted",
    recognises="Gemini 403 API_KEY_HTTP_REFERRER_BLOCKED or API_KEY_SERVICE_BLOCKED; an IP "
    "allow-list refusal: the key's restrictions exclude this request",
    fix="loosen the key's restriction or use a key meant for server-side calls",
)
def key_restricted(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None:
        return
    hits = [
        a
        for a in _answers(evidence)
        if a.error_type in _codes("gemini-referrer-blocked", "gemini-service-blocked")
        or "IP not authorized" in (a.error_message or "")
    ]
    if not hits:
        return
    referrer = any(a.error_type == provider_error("gemini-referrer-blocked").code for a in hits)
    what = (
        "restricted to browser referrers, and a server-side client sends none"
        if referrer
        else "restricted to other APIs than this one"
    )
    fix = (
        "In Google Cloud console → APIs & Services → Credentials, set the key's application restriction to "
        "None (or IP addresses) for server use, or create a separate server key"
        if referrer
        else "In Google Cloud console → Credentials, add the Generative Language API to the key's API restrictions, "
        "or use a key restricted to it"
    )
    yield _finding(
        "key-restricted",
        f"Key '{hits[0].key_alias}' ({hits[0].hint}) is {what}",
        hits,
        fix + ".",
        confidence=0.95,
        provider_name=p.name,
    )


@rule(
    "api-not-enabled",
    recognises="Gemini 403 SERVICE_DISABLED: the Generative Language API is not enabled in the key's cloud project",
    fix="enable the API in that project (the message has the link)",
)
def api_not_enabled(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None:
        return
    hits = _matching(evidence, _codes("gemini-service-disabled"))
    if hits:
        yield _finding(
            "api-not-enabled",
            f"The API is not enabled in the cloud project of key '{hits[0].key_alias}' ({hits[0].hint})",
            hits,
            "Enable the Generative Language API for that project (Google Cloud "
            "console → APIs & Services → Library), wait a few minutes, and retry.",
            confidence=0.95,
            provider_name=p.name,
        )


@rule(
    "key-format-retired",
    "wrong-auth-scheme",
    recognises="Gemini 401 ACCESS_TOKEN_TYPE_UNSUPPORTED: for a standard AIza key sent in x-goog-api-key, the "
    "2026 policy that refuses unrestricted standard keys; for a key sent as Bearer, the wrong header",
    fix="create an auth key (or restrict the standard key to the API); send API keys in x-goog-api-key",
)
def key_format_retired(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None:
        return
    hits = _matching(evidence, _codes("gemini-bearer"))
    retired = [a for a in hits if a.auth_style != "bearer"]
    bearer = [a for a in hits if a.auth_style == "bearer"]
    if retired:
        yield _finding(
            "key-format-retired",
            f"Key '{retired[0].key_alias}' ({retired[0].hint}) is an unrestricted "
            "standard key, a format the API no longer accepts",
            retired,
            "Create a new key in Google AI Studio (new keys are auth keys), or restrict this key to the "
            "Generative Language API in Google Cloud console → Credentials.",
            confidence=0.9,
            provider_name=p.name,
        )
    if bearer:
        yield _finding(
            "wrong-auth-scheme",
            f"Key '{bearer[0].key_alias}' was sent as Authorization: Bearer, which "
            "the native API does not accept for API keys",
            bearer,
            f"Send the key in {p.auth_header} (the official SDK does), not as a Bearer token.",
            confidence=0.85,
            provider_name=p.name,
        )


# ---------------------------------------------------------------- the key's format, per provider


def _slot(evidence: Evidence, report: KeyReport) -> str:
    source = next((s for s in evidence.sources if s.id == report.source), None)
    return (source.variable or source.location) if source else report.source or "the value"


@rule(
    "key-wrong-provider",
    "key-admin",
    recognises="another provider's key (an OpenRouter sk-or- key in "
    "OPENAI_API_KEY with the OpenAI base URL, an Anthropic key in GEMINI_API_KEY) or an admin key, judged "
    "against the provider's own formats (data/catalog/providers.toml)",
    fix="put a key of this provider in its variable, or point the base URL at the provider the key belongs to",
)
def provider_key_format(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None:
        return
    sent = _sent(evidence)
    for report in evidence.keys:
        for cause in ("key-wrong-provider", "key-admin"):
            defects = [d for d in report.defects if d.cause == cause]
            if not defects:
                continue
            slot = _slot(evidence, report)
            failed = _failed(evidence, report.fingerprint)
            lines = [
                f"'{report.alias}' ({report.hint}, fingerprint {report.fingerprint}, {report.length} "
                f"characters) in {slot}: {defects[0].detail}"
            ]
            lines += [f"answer: {_line(a)}" for a in failed[:2]]
            if cause == "key-admin":
                fix = (
                    f"Use a project or service-account key in {slot}; admin keys are for the organization "
                    "management endpoints only."
                )
            else:
                fix = (
                    f"Put {_a(p.label)} key in {slot} (from the {p.label} console), and keep the other key in its "
                    f"own provider's variable; if you meant to use that provider, set "
                    f"{next(iter(p.var('base-url')), 'the base URL')} to its API instead."
                )
            yield Finding(
                cause=cause,
                severity="blocker" if report.fingerprint in sent or not sent else "warning",
                confidence=0.9,
                title=f"'{report.alias}' is {_a(report.kind_label)}, not {_a(p.label)} key"
                if cause == "key-wrong-provider"
                else f"'{report.alias}' is {_a(report.kind_label)}",
                evidence=tuple(lines),
                fix=fix,
                explains=1 + len(failed),
                provider=p.name,
            )


def _a(label: str) -> str:
    return ("an " if label[:1].lower() in "aeiou" else "a ") + label


# ---------------------------------------------------------------- where the key comes from


def _key_sources(evidence: Evidence, variable: str, kinds: Sequence[str]) -> list[Source]:
    return [
        s
        for s in evidence.sources
        if s.variable == variable and s.kind in kinds and s.fingerprint and (s.length or 0) > 0
    ]


def _failed(evidence: Evidence, fp: str | None) -> list[AttemptResult]:
    return [a for a in evidence.attempts if a.fingerprint == fp and (a.status is None or a.status >= 400)]


def _worked(evidence: Evidence, fp: str | None) -> list[AttemptResult]:
    return [a for a in _answers(evidence) if a.fingerprint == fp and a.status is not None and a.status < 300]


@rule(
    "alias-var-shadows",
    recognises="two variables the client reads for the key (GOOGLE_API_KEY over "
    "GEMINI_API_KEY) are both set to different keys: the first wins, whatever the user set last",
    fix="unset the variable that wins, or set both to the same key",
)
def alias_var_shadows(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None or len(p.key_vars()) < 2:
        return
    first, *others = p.key_vars()
    kinds = ("env", "shell", "dotenv")
    winners = _key_sources(evidence, first, kinds)
    for other in others:
        losers = [
            s for s in _key_sources(evidence, other, kinds) if all(s.fingerprint != w.fingerprint for w in winners)
        ]
        if not winners or not losers:
            continue
        win, lose = winners[0], losers[0]
        failed, works = _failed(evidence, win.fingerprint), _worked(evidence, lose.fingerprint)
        lines = [
            f"{first} = {win.hint} (fingerprint {win.fingerprint}) in {win.location}",
            f"{other} = {lose.hint} (fingerprint {lose.fingerprint}) in {lose.location}",
            f"the {p.sdk} SDK reads {first} first: 'Both {first} and {other} are set. Using {first}.'",
        ]
        if failed:
            lines.append(f"the winning key fails: {_line(failed[0])}")
        if works:
            lines.append(f"the key in {other} works: {_line(works[0])}")
        blocker = bool(failed)
        yield Finding(
            cause="alias-var-shadows",
            severity="blocker" if blocker else "warning",
            confidence=0.95 if failed and works else 0.8,
            title=f"{first} ({win.hint}) wins over the {other} you set ({lose.hint})",
            evidence=tuple(lines),
            fix=f"Run `unset {first}` and remove it from {win.location} (or set it to the same key as "
            f"{other}); restart terminals and kernels.",
            explains=len(failed) + 1,
            provider=p.name,
        )


@rule(
    "stale-env-shadows-dotenv",
    recognises="an exported provider key variable (OPENAI_API_KEY) that differs from "
    "the .env value: load_dotenv() does not override it, so the exported one is sent",
    fix="remove the export (shell start-up file) or make it equal to the .env value",
)
def provider_exported_beats_dotenv(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None:
        return
    for var in p.key_vars():
        env = next(iter(_key_sources(evidence, var, ("env",))), None)
        dotenv = _key_sources(evidence, var, ("dotenv",))
        if env is None or not dotenv or dotenv[-1].fingerprint == env.fingerprint:
            continue
        line = dotenv[-1]
        shells = [s for s in _key_sources(evidence, var, ("shell",)) if s.fingerprint == env.fingerprint]
        failed = _failed(evidence, env.fingerprint)
        lines = [
            f"{line.location} sets {var} = {line.hint} (fingerprint {line.fingerprint})",
            f"but {var} is already exported in the environment: {env.hint}, fingerprint {env.fingerprint}",
            "load_dotenv() and Node's dotenv never override a variable that is already set (override=False)",
        ]
        lines += [f"exported in {s.location}" for s in shells]
        if failed:
            lines.append(f"the exported key fails: {_line(failed[0])}")
        where = f"delete the export from {shells[0].location}" if shells else f"find where {var} is exported"
        yield Finding(
            cause="stale-env-shadows-dotenv",
            severity="blocker" if failed else "warning",
            confidence=0.95 if failed else 0.7,
            title=f"The exported {var} ({env.hint}) beats the key in {line.location} ({line.hint})",
            evidence=tuple(lines),
            fix=f"{where[:1].upper()}{where[1:]}, run `unset {var}` in open terminals, and restart Jupyter "
            "kernels and apps.",
            explains=len(failed) + 1,
            provider=p.name,
        )
        return


@rule(
    "base-url-override",
    recognises="the provider's base-URL variable (OPENAI_BASE_URL, GOOGLE_GEMINI_BASE_URL) "
    "sends the key to something that lacks the API's signature",
    fix="unset the base-URL variable",
)
def provider_base_url(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None:
        return
    target = evidence.api_url.rstrip("/")
    foreign = [
        a
        for a in evidence.attempts
        if a.status is not None and a.responder in ("gateway", "html-proxy") and a.base_url.rstrip("/") != target
    ]
    if not foreign:
        return
    var = next(iter(p.var("base-url")), "the base URL variable")
    ok = [a for a in _answers(evidence) if a.status is not None and a.status < 300]
    extra = [
        f"{var} = {foreign[0].base_url}: the answer lacks {p.label}'s own headers ({', '.join(p.proof_headers[:2])})"
    ]
    if ok:
        extra.append(f"the same key works at the official API: {_line(ok[0])}")
    yield _finding(
        "base-url-override",
        f"{var} sends your key to {foreign[0].base_url}, which is not the {p.label} API",
        foreign,
        f"Run `unset {var}` (and remove it from start-up files and .env) "
        "unless you mean to use that gateway; then use the gateway's own key.",
        extra,
        confidence=0.9,
        provider_name=p.name,
    )


@rule(
    "key-missing",
    recognises="no client finds a value in any of the provider's key variables",
    fix="set the provider's key variable",
)
def provider_key_missing(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None or not evidence.winners or any(w.fingerprint for w in evidence.winners):
        return
    if evidence.keys:
        return  # a value exists but is blank or unusable: the key-bytes rules say what is wrong with it
    names = " or ".join(p.key_vars())
    yield Finding(
        cause="key-missing",
        severity="blocker",
        confidence=0.9,
        title=f"No {p.label} key: {names} is not set anywhere a client looks",
        evidence=tuple(f"{w.client}: finds no key ({w.detail})" for w in evidence.winners),
        fix=f"Export {p.key_vars()[0]} (or put it in the project's .env and call load_dotenv()).",
        explains=len(evidence.winners),
        provider=p.name,
    )


@rule(
    "healthy", recognises="the key the provider's SDK sends gets 200 from the provider's own API", fix="nothing to fix"
)
def provider_healthy(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None:
        return
    sent = _sent(evidence)
    target = evidence.api_url.rstrip("/")
    good = [
        a
        for a in _answers(evidence)
        if a.status is not None and a.status < 300 and a.fingerprint in sent and a.base_url.rstrip("/") == target
    ]
    if not good or any(
        a.fingerprint in sent and a.base_url.rstrip("/") != target
        for a in evidence.attempts
        if a.status is None or a.status >= 300
    ):
        return
    clients = sorted(w.client for w in evidence.winners if w.fingerprint == good[0].fingerprint)
    yield Finding(
        cause="healthy",
        severity="info",
        confidence=0.8,
        title=f"{p.label} key '{good[0].key_alias}' ({good[0].hint}) works",
        explains=len(good),
        evidence=(
            _line(good[0]),
            f"the clients that send it: {', '.join(clients)}",
            "billing not checked: the zero-token check lists models only",
        ),
        fix="Nothing to fix for this key.",
        provider=p.name,
    )


RULES: tuple[Rule, ...] = (
    provider_key_format,
    alias_var_shadows,
    provider_exported_beats_dotenv,
    provider_base_url,
    provider_key_missing,
    provider_key_rejected,
    org_mismatch,
    key_missing_scopes,
    key_restricted,
    api_not_enabled,
    key_format_retired,
    provider_account,
    provider_healthy,
)
