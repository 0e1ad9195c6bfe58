"""The clients the provider probe asks: httpx2, curl and the official Python SDK (``openai``, ``google-genai``).

Each sends one zero-token check and returns a ``Raw`` answer (status, headers, body, or the transport or
client error). curl gets its whole request on standard input (``--config -``), so the key is never on a
command line; the SDKs get the key, base URL, organization and project as arguments, with retries off. A
missing program or package is a ``Raw`` with ``transport_error = "ClientUnavailable"``, never a crash.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kit.guard.gate import proxies_apply
from kit.guard.redact import scrub
from kit.probe.clients.curl import config_quote
from kit.providers import ProviderProfile

__all__ = ["PROVIDER_CLIENTS", "Raw", "send"]

#: The clients the provider probe knows, in the order it asks them.
PROVIDER_CLIENTS = ("httpx2", "curl", "sdk-python")


@dataclass(frozen=True)
class Raw:
    """One answer as a client saw it; ``body`` is bytes (the envelope is read by the caller)."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    transport_error: str | None = None
    client_error: str | None = None
    version: str = ""


def send(
    client: str, profile: ProviderProfile, url: str, base_url: str, headers: Mapping[str, str], timeout: float
) -> Raw:
    """Send the check with ``client``; ``headers`` carry the key exactly as the SDK would put it."""
    try:
        if client == "httpx2":
            return _httpx2(url, headers, timeout)
        if client == "curl":
            return _curl(url, headers, timeout)
        if client == "sdk-python":
            return _sdk(profile, base_url, headers, timeout)
    except Exception as exc:  # every failure is evidence, never a crash
        return Raw(transport_error=type(exc).__name__, client_error=scrub(str(exc))[:300])
    return Raw(transport_error="ClientUnavailable", client_error=f"unknown client {client!r}")


def _httpx2(url: str, headers: Mapping[str, str], timeout: float) -> Raw:
    import httpx2

    with httpx2.Client(
        timeout=httpx2.Timeout(timeout, connect=min(5.0, timeout)), trust_env=proxies_apply(url), follow_redirects=False
    ) as client:
        response = client.get(url, headers=dict(headers))
    return Raw(
        status=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        body=response.content,
        version=str(httpx2.__version__),
    )


def _curl(url: str, headers: Mapping[str, str], timeout: float) -> Raw:
    path = shutil.which("curl")
    if not path:
        return Raw(transport_error="ClientUnavailable", client_error="no curl program on PATH")
    version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout.split()[1:2]
    with tempfile.TemporaryDirectory(prefix="keylab-curl-") as tmp:
        folder = Path(tmp)
        lines = [
            b"url = " + config_quote(url.encode()),
            b"dump-header = " + config_quote(str(folder / "h").encode()),
            b"output = " + config_quote(str(folder / "b").encode()),
            b"max-time = " + str(max(1.0, timeout)).encode(),
            b"silent",
            b"show-error",
        ]
        if not proxies_apply(url):
            lines.append(b'noproxy = "*"')
        for name, value in headers.items():
            lines.append(b"header = " + config_quote(f"{name}: {value}".encode("utf-8", "surrogateescape")))
        done = subprocess.run(
            [path, "-q", "--config", "-", "--write-out", "%{http_code}"],
            input=b"\n".join(lines) + b"\n",
            capture_output=True,
            timeout=timeout + 5,
        )
        code = done.stdout.decode().strip()
        if done.returncode != 0 or not code.isdigit() or code == "000":
            return Raw(
                transport_error=f"curl exit {done.returncode}",
                version=version[0] if version else "",
                client_error=scrub(done.stderr.decode("utf-8", "replace").strip())[:300],
            )
        blocks = [b for b in (folder / "h").read_text("latin-1").split("\r\n\r\n") if b.strip()]
        head = blocks[-1] if blocks else ""  # the last response's headers (after any 100 Continue)
        parsed = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(":") for line in head.splitlines()[1:])
            if k.strip()
        }
        return Raw(
            status=int(code),
            headers=parsed,
            body=(folder / "b").read_bytes() if (folder / "b").exists() else b"",
            version=version[0] if version else "",
        )


def _sdk(profile: ProviderProfile, base_url: str, headers: Mapping[str, str], timeout: float) -> Raw:
    if profile.protocol == "gemini":
        return _genai(base_url, headers, timeout)
    if profile.protocol == "openai":
        return _openai(profile, base_url, headers, timeout)
    return Raw(transport_error="ClientUnavailable", client_error=f"no Python SDK for {profile.protocol}")


def _openai(profile: ProviderProfile, base_url: str, headers: Mapping[str, str], timeout: float) -> Raw:
    import openai

    key = (
        headers.get(profile.auth_header, "").removeprefix(f"{profile.auth_scheme} ")
        if profile.auth_scheme
        else headers.get(profile.auth_header, "")
    )
    path = urlsplit(profile.official_base_url).path.rstrip("/")
    sdk_base = base_url if urlsplit(base_url).path.strip("/") else base_url.rstrip("/") + path
    client = openai.OpenAI(
        api_key=key,
        base_url=sdk_base,
        organization=headers.get("OpenAI-Organization"),
        project=headers.get("OpenAI-Project"),
        max_retries=0,
        timeout=timeout,
    )
    try:
        raw = client.models.with_raw_response.list()
        return Raw(
            status=raw.http_response.status_code,
            headers={k.lower(): v for k, v in raw.headers.items()},
            body=raw.http_response.content,
            version=openai.__version__,
        )
    except openai.APIStatusError as exc:
        response = exc.response
        return Raw(
            status=exc.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=response.content,
            client_error=scrub(f"{type(exc).__name__}: {exc}")[:300],
            version=openai.__version__,
        )
    except openai.APIConnectionError as exc:
        cause = exc.__cause__
        return Raw(
            transport_error=type(cause).__name__ if cause else type(exc).__name__,
            client_error=scrub(f"{type(exc).__name__}: {exc} ({cause})")[:300],
            version=openai.__version__,
        )
    finally:
        client.close()


def _genai(base_url: str, headers: Mapping[str, str], timeout: float) -> Raw:
    from google import genai
    from google.genai import errors, types

    key = headers.get("x-goog-api-key", "")
    client = genai.Client(
        api_key=key,
        http_options=types.HttpOptions(
            base_url=base_url.rstrip("/") + "/", api_version="v1beta", timeout=int(timeout * 1000)
        ),
    )
    version = getattr(genai, "__version__", "")
    try:
        pager = client.models.list(config={"page_size": 50})
        names = [m.name for m in pager.page]
        body = json.dumps({"models": [{"name": n} for n in names]}).encode()
        return Raw(status=200, headers=_genai_headers(pager), body=body, version=version)
    except errors.APIError as exc:
        response: Any = getattr(exc, "response", None)
        got = {k.lower(): v for k, v in response.headers.items()} if response is not None else {}
        body = json.dumps(exc.details).encode() if isinstance(exc.details, (dict, list)) else b""
        return Raw(
            status=exc.code,
            headers=got,
            body=body,
            version=version,
            client_error=scrub(f"{type(exc).__name__}: {exc.code} {exc.status}")[:300],
        )
    finally:
        client.close()


def _genai_headers(pager: Any) -> dict[str, str]:
    """The HTTP headers google-genai kept on the first page (``sdk_http_response``), if any."""
    http = getattr(getattr(pager, "sdk_http_response", None), "headers", None)
    return {str(k).lower(): str(v) for k, v in (http or {}).items()}
