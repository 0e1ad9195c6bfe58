"""The program ``kit.sources.winners`` runs in a child process to *ask* the installed official Python SDK.

Run as a file (``python -I sdk_child.py``) with exactly the inspected environment, in its working folder,
it constructs ``anthropic.Anthropic()`` and prints one JSON line: the SDK's version, the base URL, the
fingerprint and length of what it resolved, the credential headers it would send and where they came
from. It then runs python-dotenv's real ``load_dotenv()`` (no override) and asks again: the "app that calls
load_dotenv()" client. Nothing secret is printed: only fingerprints, lengths and header names.

With ``--providers openai,gemini`` it also constructs ``openai.OpenAI()`` and ``google.genai.Client()`` in the
same process, before and after ``load_dotenv()``, and describes what each resolved the same way.

It imports nothing from ``kit`` (only the standard library, then the SDK and python-dotenv), so the child
starts cheaply and answers with the SDK the inspected interpreter has. ``fp`` must give the same label as
``kit.keys.inspect.fingerprint`` (a test holds them together).

With ``--serve`` (the doctor's one SDK process, ``kit.sources.sdk_process``) it stays up after the answer:
the parent's first line names the environment requests run in (``kit.guard.childenv.child_environment``:
no ``ANTHROPIC_*`` variable, nothing that weakens TLS) and where ``kit`` lives; only then does the child
import ``kit.probe.clients.sdk_serve`` and serve the probe's SDK requests until stdin closes. So the SDK
is imported once per doctor run, in this process, while the parent does everything else.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import sys
from typing import Any

#: Answers longer than these are cut (they are messages for people, not data).
_MESSAGE_CHARS = 400
_DETAIL_CHARS = 300
_SHORT_CHARS = 200
_CREDENTIAL_HEADERS = ("x-api-key", "authorization")


def fp(value: str | bytes | None) -> str | None:
    """The first 12 hex digits of the SHA-256 of the exact bytes (as ``kit.keys.inspect.fingerprint``)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        data = value
    else:
        try:
            data = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # lone surrogates outside the escape range
            data = value.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:12]


class Collect(logging.Handler):
    """Keeps the SDK's warnings (a profile it skipped, a file mode it refused) to report them."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a warning that cannot be formatted is not worth failing the answer
            self.messages.append(record.getMessage()[:_DETAIL_CHARS])


def _unwrap(value: Any) -> Any:
    """A pydantic ``SecretStr`` (or similar) to its value; anything else unchanged."""
    get = getattr(value, "get_secret_value", None)
    return get() if callable(get) else value


def _error(exc: BaseException, limit: int = _DETAIL_CHARS) -> str:
    return f"{type(exc).__name__}: {str(exc)[:limit]}"


def _sent(headers: dict[str, Any], key: str | None, token: str | None) -> list[dict[str, Any]]:
    """The credential headers the client would send, each with where its value came from."""
    sent = []
    for name, value in headers.items():
        if not isinstance(value, str) or name.lower() not in _CREDENTIAL_HEADERS:
            continue
        bare = value[7:] if name.lower() == "authorization" and value[:7].lower() == "bearer " else value
        origin = "api_key" if bare == key else "auth_token" if bare == token else "custom headers"
        sent.append(
            {
                "header": name.lower(),
                "fp": fp(bare),
                "len": len(bare),
                "scheme": "Bearer" if bare != value else "",
                "from": origin,
            }
        )
    return sent


def _credentials(creds: Any) -> dict[str, Any]:
    """What the SDK's credentials provider (an SDK profile) says: its type, profile, and token fingerprint."""
    info: dict[str, Any] = {"type": type(creds).__name__}
    for attr in ("profile", "config_path"):
        value = getattr(creds, attr, None)
        if value is not None:
            info[attr] = str(value)
    try:
        auth = creds._auth_block()
        info["auth_type"] = auth.get("type")
        info["client_id"] = bool(auth.get("client_id"))
    except Exception as exc:
        info["config_error"] = _error(exc)
    if info.get("auth_type") == "user_oauth":
        try:
            data = creds._read_credentials()
            token_value = _unwrap(data.get("access_token"))
            info["token_fp"] = fp(token_value) if token_value else None
            info["token_len"] = len(token_value) if token_value else 0
            info["credentials_path"] = str(getattr(creds, "_credentials_path", ""))
        except Exception as exc:
            info["token_error"] = _error(exc)
    return info


def probe(collect: Collect) -> dict[str, Any]:
    """Construct ``anthropic.Anthropic()`` from the environment and describe what it would send."""
    import anthropic

    collect.messages.clear()
    try:
        client = anthropic.Anthropic()
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)[:_MESSAGE_CHARS], "warnings": list(collect.messages)}
    out: dict[str, Any] = {"base_url": str(client.base_url), "warnings": list(collect.messages)}
    key: str | None = getattr(client, "api_key", None)
    token: str | None = getattr(client, "auth_token", None)
    out["api_key"] = None if key is None else {"fp": fp(key), "len": len(key)}
    out["auth_token"] = None if token is None else {"fp": fp(token), "len": len(token)}
    try:
        headers = dict(client.default_headers)
    except Exception as exc:
        headers = {}
        out["headers_error"] = _error(exc, _SHORT_CHARS)
    out["sent"] = _sent(headers, key, token)
    creds = getattr(client, "credentials", None)
    if creds is not None:
        out["credentials"] = _credentials(creds)
    return out


def load_dotenv_like_an_app() -> dict[str, Any]:
    """Run python-dotenv's ``load_dotenv()`` as an app would (found from the cwd, no override); say what changed."""
    info: dict[str, Any] = {}
    try:
        import dotenv
    except Exception as exc:
        return {"error": "python-dotenv unavailable: " + type(exc).__name__}
    info["version"] = getattr(dotenv, "__version__", "")
    try:
        from importlib.metadata import version

        info["version"] = version("python-dotenv")
    except Exception:  # noqa: S110 - the module attribute above is the fallback
        pass
    try:
        path = dotenv.find_dotenv(usecwd=True)
        info["path"] = path
        if path and stat.S_ISFIFO(os.stat(path).st_mode):
            info["error"] = "the .env is a FIFO: load_dotenv() would block reading it"
            return info
        before = {k: fp(v) for k, v in os.environ.items() if k.startswith("ANTHROPIC_")}
        try:
            info["loaded"] = bool(dotenv.load_dotenv(path or None))
        except Exception as exc:
            info["error"] = "load_dotenv() raised " + _error(exc)
        after = {k: fp(v) for k, v in os.environ.items() if k.startswith("ANTHROPIC_")}
        info["set"] = sorted(k for k in after if k not in before)
        info["kept"] = sorted(k for k in before if k in after and before[k] == after[k])
    except Exception as exc:
        info["error"] = "python-dotenv unavailable: " + type(exc).__name__
    return info


def _openai(collect: Collect) -> dict[str, Any]:
    """Construct ``openai.OpenAI()`` from the environment: its version, key, base URL, organization, project."""
    import openai

    out: dict[str, Any] = {"version": openai.__version__}
    try:
        client = openai.OpenAI(max_retries=0)
    except Exception as exc:
        return out | {"error": type(exc).__name__, "message": str(exc)[:_MESSAGE_CHARS]}
    key = client.api_key if isinstance(client.api_key, str) else None
    sent = key
    with contextlib.suppress(Exception):
        auth = {k.lower(): v for k, v in dict(client.default_headers).items()}.get("authorization")
        if isinstance(auth, str):  # OPENAI_CUSTOM_HEADERS may override the key's header
            sent = auth[7:] if auth[:7].lower() == "bearer " else auth
    out.update(
        {
            "base_url": str(client.base_url),
            "api_key": None if key is None else {"fp": fp(key), "len": len(key)},
            "sent": None
            if sent is None
            else {"fp": fp(sent), "len": len(sent), "from": "api_key" if sent == key else "custom headers"},
            "organization": client.organization,
            "project": client.project,
            "warnings": list(collect.messages),
        }
    )
    return out


def _gemini(collect: Collect) -> dict[str, Any]:
    """Construct ``google.genai.Client()`` from the environment: its version, key, base URL, backend, warnings."""
    from google import genai

    out: dict[str, Any] = {"version": getattr(genai, "__version__", "")}
    with contextlib.suppress(Exception):
        from importlib.metadata import version

        out["version"] = version("google-genai")
    try:
        client = genai.Client()
    except Exception as exc:
        return out | {
            "error": type(exc).__name__,
            "message": str(exc)[:_MESSAGE_CHARS],
            "warnings": list(collect.messages),
        }
    api = client._api_client
    key = getattr(api, "api_key", None)
    options = getattr(api, "_http_options", None)
    out.update(
        {
            "base_url": str(getattr(options, "base_url", "") or ""),
            "vertexai": bool(getattr(api, "vertexai", False)),
            "api_key": None if not key else {"fp": fp(key), "len": len(key)},
            "sent": None if not key else {"fp": fp(key), "len": len(key), "from": "api_key"},
            "warnings": list(collect.messages),
        }
    )
    return out


_OTHERS = {"openai": ("openai", _openai), "gemini": ("google_genai", _gemini)}


def others(names: list[str], collect: Collect) -> dict[str, Any]:
    """Ask each named provider's installed SDK (``openai``, ``gemini``) what it resolves from the environment."""
    out: dict[str, Any] = {}
    for name in names:
        if name not in _OTHERS:
            continue
        logger, ask = _OTHERS[name]
        log = logging.getLogger(logger)  # before the SDK is imported, as for anthropic
        log.addHandler(collect)
        log.propagate = False
        collect.messages.clear()
        try:
            out[name] = ask(collect)
        except Exception as exc:  # a missing or broken package: say so, the parent models the client instead
            out[name] = {"import_error": _error(exc, _SHORT_CHARS)}
        finally:
            log.removeHandler(collect)
    return out


def answer(providers: list[str] | None = None) -> dict[str, Any]:
    """The whole answer: the SDK alone, then the same SDK after ``load_dotenv()``; with ``providers``, the
    other providers' SDKs (``others`` and ``others_dotenv``) asked in this same process."""
    providers = providers or []
    result: dict[str, Any] = {"python": sys.version.split()[0]}
    collect = Collect()
    log = logging.getLogger("anthropic")  # set up before the SDK is imported, so its own setup is seen too
    log.addHandler(collect)
    log.setLevel(logging.WARNING)
    log.propagate = False
    try:
        import anthropic

        result["version"] = anthropic.__version__
    except Exception as exc:
        result["import_error"] = _error(exc, _SHORT_CHARS)
        log.removeHandler(collect)
        return result
    try:
        result["sdk"] = probe(collect)
        if providers:
            result["others"] = others(providers, collect)
        result["dotenv"] = load_dotenv_like_an_app()
        result["dotenv_app"] = probe(collect)
        if providers:
            result["others_dotenv"] = others(providers, collect)
    finally:
        log.removeHandler(collect)
    return result


def serve() -> None:
    """Serve the probe's SDK requests (``--serve``): first the parent's set-up line, then requests until EOF.

    The set-up replaces this process's environment before any request is built, so the investigated
    environment (and whatever ``load_dotenv()`` added) never reaches a request; ``kit`` is looked up
    after the standard library and site-packages, so nothing in the parent's folder can shadow them.
    """
    line = sys.stdin.buffer.readline()
    if not line.strip():
        return  # the parent only wanted the answer
    setup = json.loads(line)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(setup.get("environ") or {}).items()})
    root = str(setup.get("kit_root") or "")
    if root and root not in sys.path:
        sys.path.append(root)
    from kit.probe.clients.sdk_serve import serve_requests

    serve_requests(sys.stdin.buffer, sys.stdout.buffer, setup.get("trust"))


def main() -> None:
    """Print the answer as one JSON line (the parent reads the last line that starts with ``{``).

    ``--providers openai,gemini`` (a fixed word list from the parent, never user input) asks those SDKs too;
    ``--serve`` then serves SDK requests on stdin (``serve``).
    """
    args = sys.argv[1:]
    names: list[str] = []
    if len(args) >= 2 and args[0] == "--providers":
        names = [n for n in args[1].split(",") if n in _OTHERS]
        args = args[2:]
    print(json.dumps(answer(names)), flush=True)
    if args == ["--serve"]:
        serve()


if __name__ == "__main__":
    main()
