"""Acceptance: the official ``openai`` and ``google-genai`` Python SDKs and curl against the OpenAI and Gemini faces.

Each case checks what docs/reference/openai-gemini-auth.md says the client raises against the real API:
exception class, status, code or reason, the exact message, and for OpenAI a request id of the
API's form (``req_`` + 32 hex) equal to the ``x-request-id`` header. Keys reach the SDKs through
their constructor or the environment, and curl through its config on stdin, never argv.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
from collections.abc import Iterator

import openai
import pytest
from google import genai
from google.genai import errors as genai_errors

from kit.keys.naming import fingerprint
from kit.providers import provider_error
from kit.sim import SimServer, serve
from kit.sim.faces import mask_key
from kit.testing import assert_no_leak

OPENAI_ID = re.compile(r"^req_[0-9a-f]{32}$")
ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_CUSTOM_HEADERS",
    "OPENAI_ADMIN_KEY",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
)
NAMES = [
    "openai/healthy",
    "openai/revoked-key",
    "openai/org-mismatch",
    "openai/restricted-key",
    "openai/quota-exhausted",
    "gemini/healthy",
    "gemini/revoked-key",
    "gemini/referrer-restricted",
    "gemini/quota-exhausted",
    "gemini/api-restricted",
]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, SimServer]]:
    import contextlib

    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(serve(name)) for name in NAMES}


def oai(server: SimServer, key: str | None, **kw: object) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=server.url + "/v1", max_retries=kw.pop("max_retries", 0), **kw)  # type: ignore[arg-type]


def chat(client: openai.OpenAI) -> str:
    reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    return reply.choices[0].message.content or ""


def gem(server: SimServer, key: str | None = None) -> genai.Client:
    return genai.Client(api_key=key, http_options={"base_url": server.url})


def generate(client: genai.Client) -> str:
    return client.models.generate_content(model="gemini-2.5-flash", contents="Hi").text or ""


def assert_openai_error(exc: openai.APIStatusError, cls: type, status: int, error_id: str, **fields: object) -> None:
    spec = provider_error(error_id)
    assert isinstance(exc, cls)
    assert exc.status_code == status == spec.status
    assert exc.code == (spec.code or None) and exc.type == (spec.type or None)
    assert exc.message == f"Error code: {status} - {spec.render(**fields)}" == str(exc)
    assert exc.request_id and OPENAI_ID.match(exc.request_id)
    assert exc.response.headers["x-request-id"] == exc.request_id


def assert_gemini_error(exc: genai_errors.APIError, status: int, error_id: str, **fields: object) -> None:
    spec = provider_error(error_id)
    assert isinstance(exc, genai_errors.ClientError)
    assert (exc.code, exc.status, exc.message) == (status, spec.type, spec.render(**fields))
    assert str(exc).startswith(f"{status} {spec.type}. {{'error': {{'code': {status}, 'message': ")
    details = exc.details["error"].get("details", [])
    if spec.code:
        assert details[0]["reason"] == spec.code


# --- OpenAI: the official Python SDK ----------------------------------------------------------------


def test_openai_healthy_key(sims: dict[str, SimServer]) -> None:
    s = sims["openai/healthy"]
    client = oai(s, s.key("alpha"), organization="org-main", project="proj_main")
    assert [m.id for m in client.models.list()][:1] == ["gpt-4.1"]
    assert chat(client).startswith("Hello!")
    assert client.responses.create(model="gpt-4o", input="Hi").output_text.startswith("Hello!")
    raw = client.models.with_raw_response.list()
    assert OPENAI_ID.match(raw.headers["x-request-id"]) and raw.headers["openai-version"] == "2020-10-01"
    assert raw.headers["openai-organization"] == "org-main"
    sent = s.entries()[-1]
    assert sent["provider"] == "openai" and sent["auth_style"] == "bearer" and sent["defects"] == []
    assert sent["user_agent"].startswith("OpenAI/Python ") and sent["openai_project"] == "proj_main"
    assert oai(s, s.key("legacy")).models.retrieve("gpt-4o").id == "gpt-4o"


def test_openai_revoked_key_is_masked_in_the_message(sims: dict[str, SimServer]) -> None:
    s = sims["openai/revoked-key"]
    key = s.key("old")
    with pytest.raises(openai.AuthenticationError) as info:
        oai(s, key).models.list()
    masked = key[:8] + "*" * (len(key) - 12) + key[-4:]
    assert_openai_error(info.value, openai.AuthenticationError, 401, "openai-invalid-key", masked=masked)
    assert masked.startswith("sk-proj-****") and len(masked) == 164
    assert_no_leak([json.dumps(s.entries())], [key])


def test_openai_missing_key_fails_locally_without_a_request(sims: dict[str, SimServer]) -> None:
    s = sims["openai/healthy"]
    before = len(s.entries())
    with pytest.raises(openai.OpenAIError, match=r"^Missing credentials\. Please pass an `api_key`"):
        oai(s, None)
    with pytest.raises(openai.OpenAIError, match="Missing credentials"):
        oai(s, "")  # empty counts as unset in 3.x (og §3)
    assert len(s.entries()) == before


def test_openai_quoted_key_is_refused_with_the_quote_in_the_mask(sims: dict[str, SimServer]) -> None:
    s = sims["openai/healthy"]
    quoted = f'"{s.key("alpha")}"'
    with pytest.raises(openai.AuthenticationError) as info:
        oai(s, quoted).models.list()
    assert_openai_error(info.value, openai.AuthenticationError, 401, "openai-invalid-key", masked=mask_key(quoted))
    assert str(info.value).startswith('Error code: 401 - Incorrect API key provided: "sk-proj*')
    assert {d["cause"] for d in s.entries()[-1]["defects"]} == {"key-quoted"}


@pytest.mark.parametrize("tail", ["\n", " "])
def test_openai_whitespace_never_leaves_the_client(sims: dict[str, SimServer], tail: str) -> None:
    s = sims["openai/healthy"]
    before = len(s.entries())
    with pytest.raises(openai.APIConnectionError, match=r"^Connection error\.$") as info:
        oai(s, s.key("alpha") + tail).models.list()
    assert "Illegal header value" in repr(info.value.__cause__)
    assert len(s.entries()) == before


def test_openai_org_and_project_mismatch(sims: dict[str, SimServer]) -> None:
    s = sims["openai/org-mismatch"]
    with pytest.raises(openai.AuthenticationError) as info:
        oai(s, s.key("alpha"), organization="org-old").models.list()
    assert_openai_error(info.value, openai.AuthenticationError, 401, "openai-mismatched-organization")
    with pytest.raises(openai.AuthenticationError) as info:
        oai(s, s.key("alpha"), project="proj_old").models.list()
    assert_openai_error(info.value, openai.AuthenticationError, 401, "openai-mismatched-project")


def test_openai_stale_org_variable_is_read_from_the_environment(
    sims: dict[str, SimServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    s = sims["openai/org-mismatch"]
    monkeypatch.setenv("OPENAI_API_KEY", s.key("alpha"))
    monkeypatch.setenv("OPENAI_ORG_ID", "org-old")
    monkeypatch.setenv("OPENAI_BASE_URL", s.url + "/v1")
    with pytest.raises(openai.AuthenticationError) as info:
        openai.OpenAI(max_retries=0).models.list()
    assert info.value.code == "mismatched_organization"


def test_openai_restricted_key_lists_models_but_cannot_chat(sims: dict[str, SimServer]) -> None:
    s = sims["openai/restricted-key"]
    client = oai(s, s.key("reader"))
    assert len(client.models.list().data) == 4
    with pytest.raises(openai.AuthenticationError) as info:
        chat(client)
    assert_openai_error(info.value, openai.AuthenticationError, 401, "openai-missing-scopes", scopes="model.request")
    assert chat(oai(s, s.key("alpha")))


def test_openai_quota_exhausted_is_retried_then_raised(sims: dict[str, SimServer]) -> None:
    s = sims["openai/quota-exhausted"]
    before = len(s.entries())
    with pytest.raises(openai.RateLimitError) as info:
        chat(oai(s, s.key("alpha"), max_retries=2))
    assert_openai_error(info.value, openai.RateLimitError, 429, "openai-insufficient-quota")
    assert len(s.entries()) - before == 3  # og §7: insufficient_quota 429 → 3 requests
    assert oai(s, s.key("alpha")).models.list().data  # /v1/models still answers


# --- Gemini: the official google-genai SDK ------------------------------------------------------------


def test_gemini_healthy_key_on_both_api_versions(sims: dict[str, SimServer]) -> None:
    s = sims["gemini/healthy"]
    client = gem(s, s.key("alpha"))
    assert next(m.name for m in client.models.list()) == "models/gemini-2.5-pro"
    assert generate(client).startswith("Hello!")
    assert client.models.count_tokens(model="gemini-2.5-flash", contents="Hi").total_tokens
    beta = genai.Client(api_key=s.key("alpha"), http_options={"base_url": s.url, "api_version": "v1beta"})
    assert generate(beta)
    paths = [e["path"] for e in s.entries()[-4:]]
    assert "/v1/models" in paths and any(p.startswith("/v1beta/models/") for p in paths)
    sent = s.entries()[-1]
    assert sent["auth_style"] == "x-goog-api-key" and sent["request_id"] is None
    assert sent["fingerprint"] == fingerprint(s.key("alpha").encode())


def test_gemini_revoked_and_expired_keys(sims: dict[str, SimServer]) -> None:
    s = sims["gemini/revoked-key"]
    with pytest.raises(genai_errors.ClientError) as info:
        generate(gem(s, s.key("old")))
    assert_gemini_error(info.value, 400, "gemini-invalid-key")
    with pytest.raises(genai_errors.ClientError) as info:
        generate(gem(s, s.key("expired")))
    assert_gemini_error(info.value, 400, "gemini-expired-key")


def test_gemini_missing_key_fails_locally(sims: dict[str, SimServer]) -> None:
    with pytest.raises(ValueError, match=r"^No API key was provided\. Please pass a valid API key\."):
        genai.Client(http_options={"base_url": sims["gemini/healthy"].url})


def test_gemini_quoted_key_is_sent_and_refused(sims: dict[str, SimServer], monkeypatch: pytest.MonkeyPatch) -> None:
    s = sims["gemini/healthy"]
    monkeypatch.setenv("GEMINI_API_KEY", f"'{s.key('alpha')}'")
    with pytest.raises(genai_errors.ClientError) as info:
        generate(gem(s))
    assert_gemini_error(info.value, 400, "gemini-invalid-key")
    assert {d["cause"] for d in s.entries()[-1]["defects"]} == {"key-quoted"}


def test_gemini_whitespace_is_stripped_by_the_sdk(sims: dict[str, SimServer], monkeypatch: pytest.MonkeyPatch) -> None:
    s = sims["gemini/healthy"]
    monkeypatch.setenv("GEMINI_API_KEY", s.key("alpha") + "\n")
    assert generate(gem(s))
    assert s.entries()[-1]["length"] == 39


def test_gemini_google_api_key_shadows_gemini_api_key(
    sims: dict[str, SimServer], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    s = sims["gemini/revoked-key"]
    monkeypatch.setenv("GOOGLE_API_KEY", s.key("old"))  # the stale one
    monkeypatch.setenv("GEMINI_API_KEY", s.key("alpha"))  # the one the user set
    with (
        caplog.at_level(logging.WARNING, logger="google_genai._api_client"),
        pytest.raises(genai_errors.ClientError) as info,
    ):
        generate(gem(s))
    assert "Both GOOGLE_API_KEY and GEMINI_API_KEY are set. Using GOOGLE_API_KEY." in caplog.text
    assert_gemini_error(info.value, 400, "gemini-invalid-key")
    assert s.entries()[-1]["fingerprint"] == fingerprint(s.key("old").encode())


def test_gemini_referrer_restricted_key(sims: dict[str, SimServer]) -> None:
    s = sims["gemini/referrer-restricted"]
    with pytest.raises(genai_errors.ClientError) as info:
        generate(gem(s, s.key("browser")))
    assert_gemini_error(info.value, 403, "gemini-referrer-blocked", referer="<empty>")
    ok = genai.Client(
        api_key=s.key("browser"),
        http_options={"base_url": s.url, "headers": {"Referer": "https://app.example.com/chat"}},
    )
    assert generate(ok)


def test_gemini_api_restricted_key(sims: dict[str, SimServer]) -> None:
    s = sims["gemini/api-restricted"]
    with pytest.raises(genai_errors.ClientError) as info:
        generate(gem(s, s.key("maps-only")))
    method = "google.ai.generativelanguage.v1.GenerativeService.GenerateContent"
    assert_gemini_error(info.value, 403, "gemini-service-blocked", method=method)
    assert info.value.details["error"]["details"][0]["metadata"]["methodName"] == method


def test_gemini_quota_exhausted_is_not_retried(sims: dict[str, SimServer]) -> None:
    s = sims["gemini/quota-exhausted"]
    before = len(s.entries())
    with pytest.raises(genai_errors.ClientError) as info:
        generate(gem(s, s.key("alpha")))
    assert_gemini_error(info.value, 429, "gemini-quota")
    kinds = [d["@type"].rsplit(".", 1)[1] for d in info.value.details["error"]["details"]]
    assert kinds == ["QuotaFailure", "Help", "RetryInfo"]
    assert len(s.entries()) - before == 1  # og §14: no retries by default


# --- curl ----------------------------------------------------------------------------------------------


def curl(url: str, headers: dict[str, str], data: object = None) -> tuple[int, dict[str, str], dict[str, object]]:
    """curl with the URL and headers in its config on stdin (a ?key= URL holds a key)."""
    binary = shutil.which("curl")
    if binary is None:
        pytest.skip("curl is not installed")
    config = [f'url = "{url}"'] + [f'header = "{k}: {v}"' for k, v in headers.items()]
    args = [binary, "-sS", "--max-time", "20", "-D", "-", "--config", "-"]
    if data is not None:
        args[1:1] = ["-H", "content-type: application/json", "--data-binary", json.dumps(data)]
    done = subprocess.run(args, input="\n".join(config) + "\n", capture_output=True, text=True, check=True, timeout=30)
    head, _, payload = done.stdout.partition("\n\n")
    found = {k.lower(): v for k, v in (line.split(": ", 1) for line in head.split("\n")[1:] if ": " in line)}
    return int(head.split()[1]), found, json.loads(payload)


def test_curl_against_the_openai_face(sims: dict[str, SimServer]) -> None:
    s = sims["openai/revoked-key"]
    status, headers, body = curl(s.url + "/v1/models", {"Authorization": f"Bearer {s.key('alpha')}"})
    assert status == 200 and body["object"] == "list" and OPENAI_ID.match(headers["x-request-id"])
    status, headers, body = curl(s.url + "/v1/models", {})
    assert (status, body["error"]) == (
        401,
        {
            "message": provider_error("openai-missing-key").message,  # type: ignore[index]
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        },
    )
    status, _, body = curl(s.url + "/v1/models", {"Authorization": f"Bearer {s.key('old')}"})
    assert status == 401 and body["error"]["code"] == "invalid_api_key"  # type: ignore[index]


def test_curl_against_the_gemini_face(sims: dict[str, SimServer]) -> None:
    s = sims["gemini/healthy"]
    key = s.key("alpha")
    status, headers, body = curl(f"{s.url}/v1beta/models?key={key}", {})
    assert status == 200 and body["models"] and "request-id" not in headers and "x-request-id" not in headers
    assert headers["content-type"] == "application/json; charset=UTF-8" and headers["x-frame-options"] == "SAMEORIGIN"
    assert s.entries()[-1]["auth_style"] == "query:key"
    status, _, body = curl(s.url + "/v1beta/models", {})
    assert (status, body["error"]["status"]) == (403, "PERMISSION_DENIED")  # type: ignore[index]
    assert "details" not in body["error"]  # type: ignore[operator]
    status, _, body = curl(f"{s.url}/v1beta/models?key={key}", {"x-goog-api-key": key})
    assert (status, body["error"]["message"]) == (400, provider_error("gemini-two-credentials").message)  # type: ignore[index]
    status, _, body = curl(s.url + "/v1beta/models", {"Authorization": f"Bearer {key}"})
    assert (status, body["error"]["details"][0]["reason"]) == (401, "ACCESS_TOKEN_TYPE_UNSUPPORTED")  # type: ignore[index]
    assert_no_leak([json.dumps(s.entries())], [key])


def test_streaming_replies_reach_both_sdks(sims: dict[str, SimServer]) -> None:
    s = sims["openai/healthy"]
    stream = oai(s, s.key("alpha")).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text.startswith("Hello! This is the KeyLab simulator")
    g = sims["gemini/healthy"]
    client = gem(g, g.key("alpha"))  # kept: a client collected mid-stream closes its connection
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="Hi"))
    assert "".join(c.text or "" for c in chunks).startswith("Hello! This is the KeyLab simulator")
    assert chunks[-1].usage_metadata is not None and g.entries()[-1]["path"].endswith(":streamGenerateContent")
    q = sims["gemini/quota-exhausted"]
    quota_client = gem(q, q.key("alpha"))
    with pytest.raises(genai_errors.ClientError) as info:
        list(quota_client.models.generate_content_stream(model="gemini-2.5-flash", contents="Hi"))
    assert info.value.code == 429


def test_a_key_in_the_path_is_scrubbed_from_the_log(sims: dict[str, SimServer]) -> None:
    s = sims["openai/healthy"]
    key = s.key("alpha")
    with pytest.raises(openai.NotFoundError):
        oai(s, key).models.retrieve(key)  # the user pasted the key where the model goes
    assert_no_leak([json.dumps(s.entries())], [key])
