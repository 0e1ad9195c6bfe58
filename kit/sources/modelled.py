"""Clients whose winner is modelled from their documented rules (docs/reference/anthropic-auth.md §7): the Node
SDK (the ticket's 0.24.x and the current 1.x line, including ``readEnv``'s trimming) and ``curl`` typed in a new
terminal."""

from __future__ import annotations

from kit.catalog import catalog, client_catalog
from kit.guard.redact import redact_url
from kit.keys.chars import marker
from kit.keys.naming import fingerprint, hint
from kit.sources.inventory import (
    API_KEY,
    AUTH_TOKEN,
    BASE_URL,
    CUSTOM_HEADERS,
    Inventory,
    header_of,
    parse_custom_headers,
)
from kit.values import CredentialHeader, Source, Winner

#: The Node SDK versions whose rules are modelled: the ticket's, and the current major line.
#: The Node SDK versions whose rules are modelled: the ticket's, and the current major line (clients.toml).
NODE_TICKET = client_catalog().node_ticket
NODE_CURRENT = client_catalog().node_current_line


# ECMAScript WhiteSpace and LineTerminator: what String.prototype.trim() removes (Node's readEnv uses it).
_JS_SPACE = frozenset(
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(value: str) -> str:
    """``value.trim()`` as JavaScript does it (NBSP and BOM go, a zero-width space stays)."""
    start, end = 0, len(value)
    while start < end and value[start] in _JS_SPACE:
        start += 1
    while end > start and value[end - 1] in _JS_SPACE:
        end -= 1
    return value[start:end]


def _read_env(inv: Inventory, name: str) -> tuple[str | None, Source | None]:
    value = inv.env.get(name)
    source = inv.by_id(f"env:{name}")
    return value, source


def _trim_note(raw: str, trimmed: str) -> str:
    if raw == trimmed:
        return ""
    cut_head = raw[: raw.find(trimmed)] if trimmed else raw
    cut_tail = raw[len(cut_head) + len(trimmed) :]
    shown = "".join(marker(c) for c in cut_head + cut_tail)
    return f"; readEnv() trims the value ({len(raw)} → {len(trimmed)} characters, removed {shown})"


def node_ticket(inv: Inventory) -> Winner:
    """@anthropic-ai/sdk 0.24.x: ``readEnv`` is ``process.env[x]?.trim() ?? undefined``, so an empty variable
    stays ``""``; the API key alone goes in ``X-Api-Key`` and wins over ``ANTHROPIC_AUTH_TOKEN`` (Bearer)."""
    client = f"sdk-node@{NODE_TICKET}"
    raw_key, key_source = _read_env(inv, API_KEY)
    raw_token, token_source = _read_env(inv, AUTH_TOKEN)
    key = js_trim(raw_key) if raw_key is not None else None
    token = js_trim(raw_token) if raw_token is not None else None
    base_raw = inv.env.get(BASE_URL)
    base_url = redact_url((js_trim(base_raw) if base_raw is not None else "") or catalog().official_base_url)
    rules = "modelled on @anthropic-ai/sdk 0.24.x rules (docs/reference/anthropic-auth.md §7)"
    if key is not None:
        if key == "":
            return Winner(
                client=client,
                client_version=NODE_TICKET,
                source_id=key_source.id if key_source else None,
                header=None,
                fingerprint=None,
                hint="(empty)",
                base_url=base_url,
                detail=f"{rules}: ANTHROPIC_API_KEY is set but blank after trim, so apiKey is '' and the "
                "client throws 'Could not resolve authentication method' before any request"
                + ("; ANTHROPIC_AUTH_TOKEN is never tried" if token else ""),
            )
        fp = fingerprint(key)
        return Winner(
            client=client,
            client_version=NODE_TICKET,
            source_id=key_source.id if key_source else None,
            header="x-api-key",
            fingerprint=fp,
            hint=hint(key),
            base_url=base_url,
            detail=f"{rules}: sends ANTHROPIC_API_KEY as X-Api-Key{_trim_note(raw_key or '', key)}"
            + ("; ANTHROPIC_AUTH_TOKEN is ignored (the API key wins in 0.24)" if token else ""),
        )
    if token is not None:
        if token == "":
            return Winner(
                client=client,
                client_version=NODE_TICKET,
                source_id=token_source.id if token_source else None,
                header=None,
                fingerprint=None,
                hint="(empty)",
                base_url=base_url,
                detail=f"{rules}: ANTHROPIC_AUTH_TOKEN is blank after trim: the client throws 'Could not "
                "resolve authentication method'",
            )
        return Winner(
            client=client,
            client_version=NODE_TICKET,
            source_id=token_source.id if token_source else None,
            header="authorization",
            fingerprint=fingerprint(token),
            hint=hint(token),
            base_url=base_url,
            detail=f"{rules}: sends ANTHROPIC_AUTH_TOKEN as Authorization: Bearer{_trim_note(raw_token or '', token)}",
        )
    return Winner(
        client=client,
        client_version=NODE_TICKET,
        source_id=None,
        header=None,
        fingerprint=None,
        hint=None,
        base_url=base_url,
        detail=f"{rules}: neither variable is set: the client throws 'Could not resolve authentication "
        "method' (it does not read .env files or SDK profiles)",
    )


def node_current(inv: Inventory) -> Winner:
    """@anthropic-ai/sdk 1.x (docs/reference/anthropic-auth.md §7): ``readEnv`` is ``?.trim() || undefined`` (blank
    counts as unset); API keys go as ``Authorization: Bearer``; the API key wins over the token; then the profile."""
    client = f"sdk-node@{NODE_CURRENT}"
    raw_key, key_source = _read_env(inv, API_KEY)
    raw_token, token_source = _read_env(inv, AUTH_TOKEN)
    key = js_trim(raw_key) if raw_key is not None else ""
    token = js_trim(raw_token) if raw_token is not None else ""
    base_url = redact_url(js_trim(inv.env.get(BASE_URL) or "") or catalog().official_base_url)
    rules = "modelled on @anthropic-ai/sdk 1.x rules (docs/reference/anthropic-auth.md §7; not run)"
    custom = parse_custom_headers(inv.env.get(CUSTOM_HEADERS))
    also = [h for h in ("x-api-key", "authorization") if custom.get(h)]
    extra = f"; ANTHROPIC_CUSTOM_HEADERS adds {', '.join(also)}" if also else ""
    if key:
        header: CredentialHeader = "both" if "x-api-key" in also else "authorization"
        return Winner(
            client=client,
            client_version=NODE_CURRENT,
            source_id=key_source.id if key_source else None,
            header=header,
            fingerprint=fingerprint(key),
            hint=hint(key),
            base_url=base_url,
            detail=f"{rules}: sends ANTHROPIC_API_KEY as Authorization: Bearer"
            f"{_trim_note(raw_key or '', key)}"
            + ("; ANTHROPIC_AUTH_TOKEN is ignored (the API key wins)" if token else "")
            + extra,
        )
    if token:
        return Winner(
            client=client,
            client_version=NODE_CURRENT,
            source_id=token_source.id if token_source else None,
            header="both" if "x-api-key" in also else "authorization",
            fingerprint=fingerprint(token),
            hint=hint(token),
            base_url=base_url,
            detail=f"{rules}: sends ANTHROPIC_AUTH_TOKEN as Authorization: Bearer"
            f"{_trim_note(raw_token or '', token)}{extra}",
        )
    profile = inv.by_id(inv.active_profile)
    if profile is not None:
        return Winner(
            client=client,
            client_version=NODE_CURRENT,
            source_id=profile.id,
            header="authorization",
            fingerprint=profile.fingerprint,
            hint=profile.hint,
            base_url=base_url,
            detail=f"{rules}: no variable set; uses the SDK profile ({profile.location}){extra}",
        )
    blank = " (the variables are set but blank)" if raw_key is not None or raw_token is not None else ""
    return Winner(
        client=client,
        client_version=NODE_CURRENT,
        source_id=None,
        header=header_of(set(also)),
        fingerprint=None,
        hint=None,
        base_url=base_url,
        detail=f"{rules}: finds no credential{blank}: the client throws 'Could not resolve authentication "
        f"method'{extra}",
    )


def curl(inv: Inventory) -> Winner:
    """``curl -H "x-api-key: $ANTHROPIC_API_KEY"`` typed in a new terminal: the value the start-up files leave."""
    client = "curl"
    base_url = catalog().official_base_url
    version = "system"
    shell = inv.shell.get(API_KEY)
    rules = '`curl -H "x-api-key: $ANTHROPIC_API_KEY"` in a new terminal'
    if shell is None:
        value, source = inv.env.get(API_KEY), inv.by_id(f"env:{API_KEY}")
        how = "no start-up file sets it, so the terminal has what this environment has"
    else:
        value, source = shell.value, inv.by_id(shell.source_id)
        how = shell.detail
        if shell.unknown:
            return Winner(
                client=client,
                client_version=version,
                source_id=source.id if source else None,
                header="x-api-key",
                fingerprint=None,
                hint=None,
                base_url=base_url,
                detail=f"{rules}: {how}; KeyLab cannot tell which value that produces",
            )
        if not shell.exported and value is not None:
            how += "; it is not exported, but `$ANTHROPIC_API_KEY` on the command line still expands in that shell"
    if value is None:
        return Winner(
            client=client,
            client_version=version,
            source_id=None,
            header=None,
            fingerprint=None,
            hint=None,
            base_url=base_url,
            detail=f"{rules}: the variable is not set ({how}); curl sends an empty header and the API "
            "answers 'x-api-key header is required'",
        )
    if value == "":
        return Winner(
            client=client,
            client_version=version,
            source_id=source.id if source else None,
            header=None,
            fingerprint=None,
            hint="(empty)",
            base_url=base_url,
            detail=f"{rules}: the variable is empty ({how}); curl drops a header with no value and the "
            "API answers 'x-api-key header is required'",
        )
    fp = fingerprint(value)
    matched = source if source is not None and source.fingerprint == fp else inv.match(fp, variable=API_KEY)
    return Winner(
        client=client,
        client_version=version,
        source_id=matched.id if matched else None,
        header="x-api-key",
        fingerprint=fp,
        hint=hint(value),
        base_url=base_url,
        detail=f"{rules}: {how}; curl sends the bytes as they are (no trimming)",
    )
