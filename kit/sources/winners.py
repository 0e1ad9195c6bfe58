"""Who wins: for each client, which credential it would send, from which source, in which header.

The installed official Python SDK is *asked*, not modelled: a subprocess with exactly the inspected
environment (variables, HOME, working directory) constructs ``anthropic.Anthropic()`` and reports the
fingerprint of what it resolved, the headers it would send, its base URL and its version. The same
subprocess then runs python-dotenv's real ``load_dotenv()`` (no override) and asks again, which is the
"app that calls load_dotenv()" client. Nothing secret crosses the process boundary: only fingerprints,
lengths and header names.

The Node SDK (0.24.x, the ticket's version, and the current 1.x line) and ``curl`` with
``$ANTHROPIC_API_KEY`` are modelled from their documented rules (facts sheet §7), including Node's
trimming of environment values. A winner's fingerprint is that of the exact bytes the client would send,
so it compares with ``Source.fingerprint``; where a client trims, the winner says so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from kit.catalog import catalog, client_catalog
from kit.env import Environment
from kit.guard.redact import redact_url, scrub
from kit.keys.inspect import fingerprint, hint, marker
from kit.values import Source, Winner

__all__ = [
    "CLIENTS",
    "NODE_CURRENT",
    "NODE_TICKET",
    "Inventory",
    "ShellValue",
    "ask_python_sdk",
    "find_winners",
    "js_trim",
]

#: The Node SDK versions whose rules are modelled: the ticket's, and the current major line.
NODE_TICKET = client_catalog().node_ticket
NODE_CURRENT = client_catalog().node_current_line
#: Client names, in the order tables show them.
CLIENTS = client_catalog().sources

API_KEY = "ANTHROPIC_API_KEY"
AUTH_TOKEN = "ANTHROPIC_AUTH_TOKEN"  # noqa: S105 - a variable name, not a secret
BASE_URL = "ANTHROPIC_BASE_URL"
CUSTOM_HEADERS = "ANTHROPIC_CUSTOM_HEADERS"
_SDK_TIMEOUT_S = 60.0

# ECMAScript WhiteSpace and LineTerminator: what String.prototype.trim() removes (Node's readEnv uses it).
_JS_SPACE = frozenset("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                      "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")


def js_trim(value: str) -> str:
    """``value.trim()`` as JavaScript does it (NBSP and BOM go, a zero-width space stays)."""
    start, end = 0, len(value)
    while start < end and value[start] in _JS_SPACE:
        start += 1
    while end > start and value[end - 1] in _JS_SPACE:
        end -= 1
    return value[start:end]


@dataclass(frozen=True)
class ShellValue:
    """What ``$NAME`` holds in a new terminal, according to the start-up files."""

    value: str | None = field(repr=False)
    source_id: str | None  # the deciding assignment's Source.id, or the env source when inherited
    exported: bool
    unknown: bool  # a start-up file sets it with something KeyLab cannot evaluate (a command)
    detail: str = ""


@dataclass(frozen=True)
class Inventory:
    """What ``kit.sources.discover`` found, with the values themselves (never shown; only fingerprinted here)."""

    env: Environment
    sources: tuple[Source, ...]
    values: Mapping[str, str | bytes] = field(repr=False)  # Source.id -> the exact value
    shell: Mapping[str, ShellValue] = field(default_factory=dict)  # variable -> value in a new terminal
    dotenv_path: str | None = None  # the .env file python-dotenv's find_dotenv() picks from the cwd
    active_profile: str | None = None  # Source.id of the SDK profile the chain would use, if any
    profile_error: str | None = None  # why the SDK's profile step raises (a named profile that does not exist)

    def by_id(self, source_id: str | None) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def match(self, fp: str | None, *, variable: str | None = None, kinds: Sequence[str] = ()) -> Source | None:
        """The first source with fingerprint ``fp`` (preferring ``variable`` and ``kinds`` in that order)."""
        if fp is None:
            return None
        candidates = [s for s in self.sources if s.fingerprint == fp]
        for source in candidates:
            if (variable is None or source.variable == variable) and (not kinds or source.kind in kinds):
                return source
        return candidates[0] if candidates else None


def find_winners(inventory: Inventory, *, ask_sdk: bool = True,
                 python: str | None = None) -> tuple[tuple[Winner, ...], tuple[str, ...]]:
    """One ``Winner`` per client in ``CLIENTS``, and any problems met while finding them."""
    problems: list[str] = []
    answer: dict[str, Any] | None = None
    reason = "not asked (ask_sdk=False)"
    if ask_sdk:
        answer, reason = ask_python_sdk(inventory.env, python=python)
        if answer is None:
            problems.append(f"could not ask the installed Python SDK: {reason}; its winner is modelled instead")
    if answer is not None and "sdk" in answer:
        sdk = _asked_winner("sdk-python", answer, answer["sdk"], inventory, dotenv=None)
        app = _asked_winner("dotenv-app", answer, answer.get("dotenv_app", {}), inventory,
                            dotenv=answer.get("dotenv", {}))
    else:
        sdk = _modelled_python(inventory, with_dotenv=False, reason=reason)
        app = _modelled_python(inventory, with_dotenv=True, reason=reason)
    winners = (sdk, app, _node_ticket(inventory), _node_current(inventory), _curl(inventory))
    return winners, tuple(problems)


# ----------------------------------------------------------------------------------------------------
# The official Python SDK, asked in a subprocess

_PROBE = r'''
import hashlib, json, logging, os, stat, sys

def fp(v):
    if v is None:
        return None
    if isinstance(v, bytes):
        b = v
    else:
        try:
            b = v.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            b = v.encode("utf-8", "surrogatepass")
    return hashlib.sha256(b).hexdigest()[:12]

warnings = []

class Collect(logging.Handler):
    def emit(self, record):
        try:
            warnings.append(record.getMessage()[:300])
        except Exception:
            pass

log = logging.getLogger("anthropic")
log.addHandler(Collect())
log.setLevel(logging.WARNING)
log.propagate = False

def unwrap(v):
    get = getattr(v, "get_secret_value", None)
    return get() if callable(get) else v

def probe():
    import anthropic
    del warnings[:]
    try:
        client = anthropic.Anthropic()
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)[:400], "warnings": list(warnings)}
    out = {"base_url": str(client.base_url), "warnings": list(warnings)}
    key = getattr(client, "api_key", None)
    token = getattr(client, "auth_token", None)
    out["api_key"] = None if key is None else {"fp": fp(key), "len": len(key)}
    out["auth_token"] = None if token is None else {"fp": fp(token), "len": len(token)}
    sent = []
    try:
        headers = dict(client.default_headers)
    except Exception as exc:
        headers = {}
        out["headers_error"] = type(exc).__name__ + ": " + str(exc)[:200]
    for name, value in headers.items():
        if not isinstance(value, str) or name.lower() not in ("x-api-key", "authorization"):
            continue
        bare = value[7:] if name.lower() == "authorization" and value[:7].lower() == "bearer " else value
        origin = "api_key" if bare == key else "auth_token" if bare == token else "custom headers"
        sent.append({"header": name.lower(), "fp": fp(bare), "len": len(bare),
                     "scheme": "Bearer" if bare != value else "", "from": origin})
    out["sent"] = sent
    creds = getattr(client, "credentials", None)
    if creds is not None:
        info = {"type": type(creds).__name__}
        for attr in ("profile", "config_path"):
            value = getattr(creds, attr, None)
            if value is not None:
                info[attr] = str(value)
        try:
            auth = creds._auth_block()
            info["auth_type"] = auth.get("type")
            info["client_id"] = bool(auth.get("client_id"))
        except Exception as exc:
            info["config_error"] = type(exc).__name__ + ": " + str(exc)[:300]
        if info.get("auth_type") == "user_oauth":
            try:
                data = creds._read_credentials()
                token_value = unwrap(data.get("access_token"))
                info["token_fp"] = fp(token_value) if token_value else None
                info["token_len"] = len(token_value) if token_value else 0
                info["credentials_path"] = str(getattr(creds, "_credentials_path", ""))
            except Exception as exc:
                info["token_error"] = type(exc).__name__ + ": " + str(exc)[:300]
        out["credentials"] = info
    return out

result = {"python": sys.version.split()[0]}
try:
    import anthropic
    result["version"] = anthropic.__version__
except Exception as exc:
    result["import_error"] = type(exc).__name__ + ": " + str(exc)[:200]
    print(json.dumps(result))
    sys.exit(0)
result["sdk"] = probe()
dotenv_info = {}
try:
    import dotenv
    dotenv_info["version"] = getattr(dotenv, "__version__", "")
    try:
        from importlib.metadata import version
        dotenv_info["version"] = version("python-dotenv")
    except Exception:
        pass
    path = dotenv.find_dotenv(usecwd=True)
    dotenv_info["path"] = path
    if path and stat.S_ISFIFO(os.stat(path).st_mode):
        dotenv_info["error"] = "the .env is a FIFO: load_dotenv() would block reading it"
    else:
        before = {k: fp(v) for k, v in os.environ.items() if k.startswith("ANTHROPIC_")}
        try:
            dotenv_info["loaded"] = bool(dotenv.load_dotenv(path or None))
        except Exception as exc:
            dotenv_info["error"] = "load_dotenv() raised " + type(exc).__name__ + ": " + str(exc)[:300]
        after = {k: fp(v) for k, v in os.environ.items() if k.startswith("ANTHROPIC_")}
        dotenv_info["set"] = sorted(k for k in after if k not in before)
        dotenv_info["kept"] = sorted(k for k in before if k in after and before[k] == after[k])
except Exception as exc:
    dotenv_info["error"] = "python-dotenv unavailable: " + type(exc).__name__
result["dotenv"] = dotenv_info
result["dotenv_app"] = probe()
print(json.dumps(result))
'''


def ask_python_sdk(env: Environment, *, python: str | None = None,
                   timeout: float = _SDK_TIMEOUT_S) -> tuple[dict[str, Any] | None, str]:
    """Run the installed ``anthropic`` package in a subprocess with exactly ``env``; return its answer.

    The child gets ``env.variables`` with ``HOME`` set to ``env.home`` and runs in ``env.cwd``; ``-I``
    keeps the child's own ``PYTHON*`` variables and the working folder off its import path, so a stray
    ``anthropic.py`` in the project cannot answer instead of the SDK. Returns ``(answer, "")`` or
    ``(None, reason)``.
    """
    variables = {k: v for k, v in env.variables.items() if "\x00" not in k + v}
    variables["HOME"] = str(env.home)
    if not env.cwd.is_dir():
        return None, f"the working folder {env.cwd} does not exist"
    try:
        done = subprocess.run(  # a fixed script; no user input on the command line
            [python or sys.executable, "-I", "-c", _PROBE], env=variables, cwd=env.cwd,
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"the SDK subprocess did not answer within {timeout:.0f} s"
    except OSError as exc:
        return None, f"the SDK subprocess could not start ({exc.strerror or type(exc).__name__})"
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = scrub(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}")
        return None, f"the SDK subprocess gave no answer ({tail})"
    try:
        answer = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None, "the SDK subprocess answered with malformed JSON"
    if "import_error" in answer:
        return None, f"the anthropic package cannot be imported ({scrub(answer['import_error'])})"
    return answer, ""


def _header(names: set[str]) -> str | None:
    if not names:
        return None
    if len(names) > 1:
        return "both"
    return next(iter(names))


def _asked_winner(client: str, answer: Mapping[str, Any], probe: Mapping[str, Any], inv: Inventory,
                  dotenv: Mapping[str, Any] | None) -> Winner:
    version = str(answer.get("version", "?"))
    default_url = inv.env.get(BASE_URL) or catalog().official_base_url
    asked = f"asked the installed anthropic {version} in a subprocess with this environment"
    extra: list[str] = []
    if dotenv is not None:
        extra.append(_dotenv_story(dotenv))
    if "error" in probe:
        return Winner(client=client, client_version=version, source_id=None, header=None, fingerprint=None,
                      hint=None, base_url=redact_url(default_url),
                      detail=scrub(f"{asked}: anthropic.Anthropic() raised {probe['error']}: {probe.get('message', '')}"
                                   + "".join(f"; {e}" for e in extra)))
    sent = list(probe.get("sent", []))
    credentials = probe.get("credentials") or {}
    headers = {item["header"] for item in sent}
    fp: str | None = None
    source: Source | None = None
    how = ""
    if sent:
        main = next((s for s in sent if s["from"] == "api_key"), None) or \
            next((s for s in sent if s["from"] == "auth_token"), None) or sent[0]
        fp = main["fp"]
        variable = {"api_key": API_KEY, "auth_token": AUTH_TOKEN}.get(main["from"])
        source = _source_for(inv, fp, variable, dotenv)
        scheme = "Authorization: Bearer" if main["header"] == "authorization" else "X-Api-Key"
        what = {"api_key": "the API key", "auth_token": "the auth token"}.get(main["from"], "a custom header value")
        how = f"sends {what} as {scheme}"
        if main["from"] == "api_key" and main["header"] == "authorization":
            how += " (this SDK version sends API keys as Bearer)"
        if len(sent) > 1:
            how += "; also sends " + ", ".join(f"{s['header']} (from {s['from']})" for s in sent if s is not main)
        if probe.get("auth_token") and main["from"] == "api_key":
            how += "; ANTHROPIC_AUTH_TOKEN is set but ignored (the API key wins)"
    elif credentials:
        profile = credentials.get("profile", "?")
        fp = credentials.get("token_fp")
        source = inv.match(fp, kinds=("profile",)) if fp else inv.by_id(f"profile:{profile}")
        headers = {"authorization"}
        kind = credentials.get("auth_type") or credentials.get("type")
        how = f"uses the SDK profile '{profile}' ({kind}): a Bearer token at request time"
        for key in ("config_error", "token_error"):
            if key in credentials:
                how += f"; {credentials[key]}"
        if not fp and not credentials.get("token_error"):
            how += "; the token is minted at request time, so there is no fingerprint to compare"
    else:
        how = ("finds no credential: the first request raises 'Could not resolve authentication method'"
               if client == "sdk-python" else "finds no credential after load_dotenv()")
    warnings = [w for w in probe.get("warnings", []) if w]
    if warnings:
        how += "; SDK warning: " + " | ".join(warnings[:2])
    return Winner(
        client=client, client_version=version, source_id=source.id if source else None,
        header=_header(headers), fingerprint=fp, hint=source.hint if source else ("?" if fp else None),
        base_url=redact_url(str(probe.get("base_url") or default_url)),
        detail=scrub(f"{asked}; {how}" + "".join(f"; {e}" for e in extra)
                     + ("" if source or not fp else "; this value matches no source KeyLab found")),
    )


def _source_for(inv: Inventory, fp: str | None, variable: str | None,
                dotenv: Mapping[str, Any] | None) -> Source | None:
    """The source a value came from: the process environment first, then the loaded .env's last line."""
    if fp is None:
        return None
    env_source = next((s for s in inv.sources if s.kind == "env" and s.fingerprint == fp
                       and (variable is None or s.variable == variable)), None)
    if env_source:
        return env_source
    if dotenv and dotenv.get("path"):
        lines = [s for s in inv.sources if s.kind == "dotenv" and s.path == dotenv["path"] and s.fingerprint == fp]
        if lines:
            return max(lines, key=lambda s: s.line or 0)
    return inv.match(fp, variable=variable)


def _dotenv_story(dotenv: Mapping[str, Any]) -> str:
    if dotenv.get("error"):
        return str(dotenv["error"])
    path = dotenv.get("path")
    if not path:
        return "load_dotenv() found no .env from the working folder upwards"
    kept = [k for k in dotenv.get("kept", []) if k in (API_KEY, AUTH_TOKEN, BASE_URL)]
    got = [k for k in dotenv.get("set", []) if k.startswith("ANTHROPIC_")]
    parts = [f"load_dotenv() read {path} (python-dotenv {dotenv.get('version', '?')}, override=False)"]
    if got:
        parts.append("it set " + ", ".join(got))
    if kept:
        parts.append("the already exported " + ", ".join(kept) + " kept its value (no override)")
    return ": ".join(parts[:1]) + ("; " + "; ".join(parts[1:]) if parts[1:] else "")


# ----------------------------------------------------------------------------------------------------
# The Python SDK modelled (when it cannot be asked)


def _sdk_version() -> str:
    try:
        return metadata.version("anthropic")
    except metadata.PackageNotFoundError:
        return "not installed"


def _modelled_python(inv: Inventory, *, with_dotenv: bool, reason: str) -> Winner:
    variables = dict(inv.env.variables)
    story = ""
    if with_dotenv and inv.dotenv_path:
        added = []
        for source in inv.sources:
            if source.kind == "dotenv" and source.path == inv.dotenv_path and source.variable \
                    and source.variable not in variables and source.id in inv.values:
                added.append(source)
        latest: dict[str, Source] = {}
        for source in added:
            latest[source.variable or ""] = source  # python-dotenv keeps the last duplicate
        for name, source in latest.items():
            stored = inv.values[source.id]
            variables[name] = stored.decode("utf-8", "surrogateescape") if isinstance(stored, bytes) else stored
        story = f"; load_dotenv() reads {inv.dotenv_path} without override"
    client = "dotenv-app" if with_dotenv else "sdk-python"
    version = _sdk_version()
    base_url = redact_url(variables.get(BASE_URL) or catalog().official_base_url)
    detail = f"modelled on the anthropic 2.x rules ({reason}){story}"
    key = variables.get(API_KEY) or None  # the SDK reads os.environ.get(...) or None: empty counts as unset
    token = variables.get(AUTH_TOKEN) or None
    custom = _parse_custom_headers(variables.get(CUSTOM_HEADERS))
    extra = [h for h in ("x-api-key", "authorization") if h in custom]
    value, variable = (key, API_KEY) if key is not None else (token, AUTH_TOKEN)
    if value is not None:
        fp = fingerprint(value)
        headers: set[str] = {"authorization", *extra}
        matched = _source_for(inv, fp, variable, {"path": inv.dotenv_path} if with_dotenv else None)
        note = "; ANTHROPIC_AUTH_TOKEN is ignored (the API key wins)" if key and token else ""
        if extra:
            note += f"; ANTHROPIC_CUSTOM_HEADERS adds {', '.join(extra)}"
        return Winner(client=client, client_version=version, source_id=matched.id if matched else None,
                      header=_header(headers), fingerprint=fp, hint=matched.hint if matched else hint(value),
                      base_url=base_url, detail=f"{detail}; sends {variable} as Authorization: Bearer{note}")
    if inv.profile_error and not extra:
        return Winner(client=client, client_version=version, source_id=None, header=None, fingerprint=None,
                      hint=None, base_url=base_url,
                      detail=f"{detail}; anthropic.Anthropic() raises CredentialsError: {inv.profile_error}")
    if extra:
        header_value = custom[extra[0]]
        if extra[0] == "authorization" and header_value[:7].lower() == "bearer ":
            header_value = header_value[7:]
        fp = fingerprint(header_value)
        matched = inv.match(fp, variable=CUSTOM_HEADERS)
        return Winner(client=client, client_version=version, source_id=matched.id if matched else None,
                      header=_header(set(extra)), fingerprint=fp, hint=matched.hint if matched else hint(header_value),
                      base_url=base_url, detail=f"{detail}; sends the {extra[0]} header from ANTHROPIC_CUSTOM_HEADERS")
    profile = inv.by_id(inv.active_profile)
    if profile is not None:
        return Winner(client=client, client_version=version, source_id=profile.id, header="authorization",
                      fingerprint=profile.fingerprint, hint=profile.hint, base_url=base_url,
                      detail=f"{detail}; uses the SDK profile ({profile.location})")
    return Winner(client=client, client_version=version, source_id=None, header=None, fingerprint=None,
                  hint=None, base_url=base_url, detail=f"{detail}; finds no credential")


# ----------------------------------------------------------------------------------------------------
# The Node SDK and curl, modelled


def _read_env(inv: Inventory, name: str) -> tuple[str | None, Source | None]:
    value = inv.env.get(name)
    source = inv.by_id(f"env:{name}")
    return value, source


def _trim_note(raw: str, trimmed: str) -> str:
    if raw == trimmed:
        return ""
    cut_head = raw[: raw.find(trimmed)] if trimmed else raw
    cut_tail = raw[len(cut_head) + len(trimmed):]
    shown = "".join(marker(c) for c in cut_head + cut_tail)
    return f"; readEnv() trims the value ({len(raw)} → {len(trimmed)} characters, removed {shown})"


def _node_ticket(inv: Inventory) -> Winner:
    """@anthropic-ai/sdk 0.24.x: ``readEnv`` is ``process.env[x]?.trim() ?? undefined``, so an empty variable
    stays ``""``; the API key alone goes in ``X-Api-Key`` and wins over ``ANTHROPIC_AUTH_TOKEN`` (Bearer)."""
    client = f"sdk-node@{NODE_TICKET}"
    raw_key, key_source = _read_env(inv, API_KEY)
    raw_token, token_source = _read_env(inv, AUTH_TOKEN)
    key = js_trim(raw_key) if raw_key is not None else None
    token = js_trim(raw_token) if raw_token is not None else None
    base_raw = inv.env.get(BASE_URL)
    base_url = redact_url((js_trim(base_raw) if base_raw is not None else "") or catalog().official_base_url)
    rules = "modelled on @anthropic-ai/sdk 0.24.x rules (facts §7)"
    if key is not None:
        if key == "":
            return Winner(client=client, client_version=NODE_TICKET, source_id=key_source.id if key_source else None,
                          header=None, fingerprint=None, hint="(empty)", base_url=base_url,
                          detail=f"{rules}: ANTHROPIC_API_KEY is set but blank after trim, so apiKey is '' and the "
                                 "client throws 'Could not resolve authentication method' before any request"
                                 + ("; ANTHROPIC_AUTH_TOKEN is never tried" if token else ""))
        fp = fingerprint(key)
        return Winner(client=client, client_version=NODE_TICKET, source_id=key_source.id if key_source else None,
                      header="x-api-key", fingerprint=fp, hint=hint(key), base_url=base_url,
                      detail=f"{rules}: sends ANTHROPIC_API_KEY as X-Api-Key{_trim_note(raw_key or '', key)}"
                             + ("; ANTHROPIC_AUTH_TOKEN is ignored (the API key wins in 0.24)" if token else ""))
    if token is not None:
        if token == "":
            return Winner(client=client, client_version=NODE_TICKET,
                          source_id=token_source.id if token_source else None, header=None, fingerprint=None,
                          hint="(empty)", base_url=base_url,
                          detail=f"{rules}: ANTHROPIC_AUTH_TOKEN is blank after trim: the client throws 'Could not "
                                 "resolve authentication method'")
        return Winner(client=client, client_version=NODE_TICKET, source_id=token_source.id if token_source else None,
                      header="authorization", fingerprint=fingerprint(token), hint=hint(token), base_url=base_url,
                      detail=f"{rules}: sends ANTHROPIC_AUTH_TOKEN as Authorization: Bearer"
                             f"{_trim_note(raw_token or '', token)}")
    return Winner(client=client, client_version=NODE_TICKET, source_id=None, header=None, fingerprint=None,
                  hint=None, base_url=base_url,
                  detail=f"{rules}: neither variable is set: the client throws 'Could not resolve authentication "
                         "method' (it does not read .env files or SDK profiles)")


def _parse_custom_headers(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (text or "").split("\n"):
        colon = line.find(":")
        if colon >= 0:
            out[line[:colon].strip().lower()] = line[colon + 1:].strip()
    return out


def _node_current(inv: Inventory) -> Winner:
    """@anthropic-ai/sdk 1.x (facts §7): ``readEnv`` is ``?.trim() || undefined`` (blank counts as unset); API
    keys go as ``Authorization: Bearer``; the API key wins over the token; then the SDK profile."""
    client = f"sdk-node@{NODE_CURRENT}"
    raw_key, key_source = _read_env(inv, API_KEY)
    raw_token, token_source = _read_env(inv, AUTH_TOKEN)
    key = js_trim(raw_key) if raw_key is not None else ""
    token = js_trim(raw_token) if raw_token is not None else ""
    base_url = redact_url(js_trim(inv.env.get(BASE_URL) or "") or catalog().official_base_url)
    rules = "modelled on @anthropic-ai/sdk 1.x rules (facts §7; not run)"
    custom = _parse_custom_headers(inv.env.get(CUSTOM_HEADERS))
    also = [h for h in ("x-api-key", "authorization") if custom.get(h)]
    extra = f"; ANTHROPIC_CUSTOM_HEADERS adds {', '.join(also)}" if also else ""
    if key:
        header = "both" if "x-api-key" in also else "authorization"
        return Winner(client=client, client_version=NODE_CURRENT, source_id=key_source.id if key_source else None,
                      header=header, fingerprint=fingerprint(key), hint=hint(key), base_url=base_url,
                      detail=f"{rules}: sends ANTHROPIC_API_KEY as Authorization: Bearer"
                             f"{_trim_note(raw_key or '', key)}"
                             + ("; ANTHROPIC_AUTH_TOKEN is ignored (the API key wins)" if token else "") + extra)
    if token:
        return Winner(client=client, client_version=NODE_CURRENT, source_id=token_source.id if token_source else None,
                      header="both" if "x-api-key" in also else "authorization", fingerprint=fingerprint(token),
                      hint=hint(token), base_url=base_url,
                      detail=f"{rules}: sends ANTHROPIC_AUTH_TOKEN as Authorization: Bearer"
                             f"{_trim_note(raw_token or '', token)}{extra}")
    profile = inv.by_id(inv.active_profile)
    if profile is not None:
        return Winner(client=client, client_version=NODE_CURRENT, source_id=profile.id, header="authorization",
                      fingerprint=profile.fingerprint, hint=profile.hint, base_url=base_url,
                      detail=f"{rules}: no variable set; uses the SDK profile ({profile.location}){extra}")
    blank = " (the variables are set but blank)" if raw_key is not None or raw_token is not None else ""
    return Winner(client=client, client_version=NODE_CURRENT, source_id=None, header=_header(set(also)),
                  fingerprint=None, hint=None, base_url=base_url,
                  detail=f"{rules}: finds no credential{blank}: the client throws 'Could not resolve authentication "
                         f"method'{extra}")


def _curl(inv: Inventory) -> Winner:
    """``curl -H "x-api-key: $ANTHROPIC_API_KEY"`` typed in a new terminal: the value the start-up files leave."""
    client = "curl"
    base_url = catalog().official_base_url
    version = "system"
    shell = inv.shell.get(API_KEY)
    rules = "`curl -H \"x-api-key: $ANTHROPIC_API_KEY\"` in a new terminal"
    if shell is None:
        value, source = inv.env.get(API_KEY), inv.by_id(f"env:{API_KEY}")
        how = "no start-up file sets it, so the terminal has what this environment has"
    else:
        value, source = shell.value, inv.by_id(shell.source_id)
        how = shell.detail
        if shell.unknown:
            return Winner(client=client, client_version=version, source_id=source.id if source else None,
                          header="x-api-key", fingerprint=None, hint=None, base_url=base_url,
                          detail=f"{rules}: {how}; KeyLab cannot tell which value that produces")
        if not shell.exported and value is not None:
            how += "; it is not exported, but `$ANTHROPIC_API_KEY` on the command line still expands in that shell"
    if value is None:
        return Winner(client=client, client_version=version, source_id=None, header=None, fingerprint=None,
                      hint=None, base_url=base_url,
                      detail=f"{rules}: the variable is not set ({how}); curl sends an empty header and the API "
                             "answers 'x-api-key header is required'")
    if value == "":
        return Winner(client=client, client_version=version, source_id=source.id if source else None, header=None,
                      fingerprint=None, hint="(empty)", base_url=base_url,
                      detail=f"{rules}: the variable is empty ({how}); curl drops a header with no value and the "
                             "API answers 'x-api-key header is required'")
    fp = fingerprint(value)
    matched = source if source is not None and source.fingerprint == fp else inv.match(fp, variable=API_KEY)
    return Winner(client=client, client_version=version, source_id=matched.id if matched else None,
                  header="x-api-key", fingerprint=fp, hint=hint(value), base_url=base_url,
                  detail=f"{rules}: {how}; curl sends the bytes as they are (no trimming)")
