"""Acceptance: the real clients (official Python SDK, Node SDK 0.24.3 and current, curl) against the simulator.

Each case asserts what docs/reference/anthropic-auth.md says the real API answers that client: status, error
type, exact message and a request id of the API's form that matches the ``request-id`` header. Keys
reach the clients only through the child's environment or stdin, never argv.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import pytest

from kit.catalog import catalog, client_catalog
from kit.sim import SimServer, serve
from kit.testing import assert_no_leak, fake_key

REQUEST_ID = re.compile(catalog().request_id_pattern)
MESSAGES = {eid: spec.message for eid, spec in catalog().errors.items()}
CREDIT = MESSAGES["credit-exhausted"]


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error_type: str | None
    message: str | None
    request_id: str | None
    header_request_id: str | None = None
    local_error: str | None = None  # raised by the client itself, no request sent
    text: str | None = None  # reply text on success


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, SimServer]]:
    names = ["healthy", "revoked-key", "oauth-token", "retired-models", "credit-exhausted", "bearer-rejected"]
    with (
        serve(names[0]) as a,
        serve(names[1]) as b,
        serve(names[2]) as c,
        serve(names[3]) as d,
        serve(names[4]) as e,
        serve(names[5]) as f,
    ):
        yield dict(zip(names, (a, b, c, d, e, f), strict=True))


def _assert_api_error(out: Outcome, status: int, error_type: str, message: str) -> None:
    assert (out.status, out.error_type, out.message) == (status, error_type, message)
    assert out.request_id is not None and REQUEST_ID.match(out.request_id), out
    assert out.header_request_id == out.request_id


# --- the official Python SDK (2.x: Authorization: Bearer, anthropic-version 2026-10-21) ----------------


def py_call(url: str, key: str | None, *, model: str = "claude-haiku-4-5", omit_version: bool = False) -> Outcome:
    client = anthropic.Anthropic(api_key=key, base_url=url, max_retries=0)
    headers: dict[str, Any] = {"anthropic-version": anthropic.omit} if omit_version else {}
    try:
        message = client.messages.create(
            model=model, max_tokens=5, messages=[{"role": "user", "content": "Hi"}], extra_headers=headers
        )
    except anthropic.APIStatusError as exc:
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error", {})
        return Outcome(
            exc.status_code,
            error.get("type"),
            error.get("message"),
            body.get("request_id"),
            exc.response.headers.get("request-id"),
        )
    except TypeError as exc:
        return Outcome(None, None, None, None, local_error=str(exc))
    return Outcome(200, None, None, message._request_id, message._request_id, text=message.content[0].text)  # type: ignore[union-attr]


def test_python_sdk_healthy_key(servers: dict[str, SimServer]) -> None:
    s = servers["healthy"]
    out = py_call(s.url, fake_key("alpha"))
    assert out.status == 200 and out.text and REQUEST_ID.match(out.header_request_id or "")
    sent = s.entries()[-1]
    assert sent["auth_style"] == "bearer" and sent["anthropic_version"] == "2026-10-21"
    assert sent["user_agent"].startswith("Anthropic/Python ")


def test_python_sdk_revoked_key_gets_invalid_bearer_token(servers: dict[str, SimServer]) -> None:
    _assert_api_error(
        py_call(servers["revoked-key"].url, fake_key("old")), 401, "authentication_error", "Invalid bearer token"
    )


def test_python_sdk_missing_key_fails_locally_without_a_request(servers: dict[str, SimServer]) -> None:
    s = servers["healthy"]
    before = len(s.entries())
    out = py_call(s.url, None)
    assert out.local_error and "Could not resolve authentication method" in out.local_error
    assert len(s.entries()) == before


def test_python_sdk_oauth_token_as_bearer(servers: dict[str, SimServer]) -> None:
    _assert_api_error(
        py_call(servers["oauth-token"].url, fake_key("claude-code", "oauth")),
        401,
        "authentication_error",
        "OAuth authentication is currently not supported.",
    )


def test_python_sdk_retired_model(servers: dict[str, SimServer]) -> None:
    _assert_api_error(
        py_call(servers["retired-models"].url, fake_key("alpha"), model="claude-3-haiku-20240307"),
        404,
        "not_found_error",
        "model: claude-3-haiku-20240307",
    )


def test_python_sdk_missing_version(servers: dict[str, SimServer]) -> None:
    _assert_api_error(
        py_call(servers["healthy"].url, fake_key("alpha"), omit_version=True),
        400,
        "invalid_request_error",
        "anthropic-version: header is required",
    )


def test_python_sdk_credit_exhausted(servers: dict[str, SimServer]) -> None:
    _assert_api_error(py_call(servers["credit-exhausted"].url, fake_key("alpha")), 400, "invalid_request_error", CREDIT)


def test_python_sdk_valid_key_refused_as_bearer_before_2026(servers: dict[str, SimServer]) -> None:
    _assert_api_error(
        py_call(servers["bearer-rejected"].url, fake_key("alpha")), 401, "authentication_error", "Invalid bearer token"
    )


def test_python_sdk_exception_classes_and_request_id(servers: dict[str, SimServer]) -> None:
    client = anthropic.Anthropic(api_key=fake_key("old"), base_url=servers["revoked-key"].url, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as info:
        client.models.list()
    assert info.value.request_id and REQUEST_ID.match(info.value.request_id)
    client = anthropic.Anthropic(api_key=fake_key("alpha"), base_url=servers["retired-models"].url, max_retries=0)
    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(
            model="claude-3-5-sonnet-20241022", max_tokens=5, messages=[{"role": "user", "content": "Hi"}]
        )


def test_python_sdk_lists_models_with_pagination(servers: dict[str, SimServer]) -> None:
    client = anthropic.Anthropic(api_key=fake_key("alpha"), base_url=servers["healthy"].url, max_retries=0)
    first = client.models.list(limit=3)
    assert len(first.data) == 3 and first.has_more
    every = [m.id for m in client.models.list(limit=3)]  # auto-paginates through after_id
    assert len(every) == len(set(every)) == 7
    assert "claude-haiku-4-5" in every
    assert client.models.retrieve("claude-haiku-4-5").display_name == "Claude Haiku 4.5"


def test_python_sdk_streaming_reply(servers: dict[str, SimServer]) -> None:
    client = anthropic.Anthropic(api_key=fake_key("alpha"), base_url=servers["healthy"].url, max_retries=0)
    with client.messages.stream(
        model="claude-haiku-4-5", max_tokens=50, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.startswith("Hello!") and final.usage.output_tokens > 0 and final.stop_reason == "end_turn"


# --- curl (x-api-key from a config on stdin, never argv) ---------------------------------------------------


def curl_call(
    url: str,
    *,
    x_api_key: str | None = None,
    bearer: str | None = None,
    version: str | None = "2023-06-01",
    model: str = "claude-haiku-4-5",
) -> Outcome:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    config = []
    if x_api_key is not None:
        config.append(f'header = "x-api-key: {x_api_key}"')
    if bearer is not None:
        config.append(f'header = "Authorization: Bearer {bearer}"')
    if version is not None:
        config.append(f'header = "anthropic-version: {version}"')
    body = json.dumps({"model": model, "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]})
    done = subprocess.run(
        [
            curl,
            "-sS",
            "--max-time",
            "20",
            "-D",
            "-",
            "-H",
            "content-type: application/json",
            "--data-binary",
            body,
            "--config",
            "-",
            url + "/v1/messages",
        ],
        input="\n".join(config) + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    head, _, payload = done.stdout.partition("\n\n")  # text mode turned CRLF into LF
    status = int(head.split()[1])
    headers = dict(line.split(": ", 1) for line in head.split("\n")[1:] if ": " in line)
    data = json.loads(payload)
    error = data.get("error") or {}
    return Outcome(
        status,
        error.get("type"),
        error.get("message"),
        data.get("request_id"),
        {k.lower(): v for k, v in headers.items()}.get("request-id"),
        text=data["content"][0]["text"] if status == 200 else None,
    )


def test_curl_cases(servers: dict[str, SimServer]) -> None:
    ok = curl_call(servers["healthy"].url, x_api_key=fake_key("alpha"))
    assert ok.status == 200 and ok.text and REQUEST_ID.match(ok.header_request_id or "")
    _assert_api_error(
        curl_call(servers["revoked-key"].url, x_api_key=fake_key("old")),
        401,
        "authentication_error",
        "invalid x-api-key",
    )
    _assert_api_error(curl_call(servers["healthy"].url), 401, "authentication_error", "x-api-key header is required")
    token = fake_key("claude-code", "oauth")
    _assert_api_error(
        curl_call(servers["oauth-token"].url, x_api_key=token), 401, "authentication_error", "invalid x-api-key"
    )
    _assert_api_error(
        curl_call(servers["oauth-token"].url, bearer=token),
        401,
        "authentication_error",
        "OAuth authentication is currently not supported.",
    )
    _assert_api_error(
        curl_call(servers["retired-models"].url, x_api_key=fake_key("alpha"), model="claude-3-sonnet-20240229"),
        404,
        "not_found_error",
        "model: claude-3-sonnet-20240229",
    )
    _assert_api_error(
        curl_call(servers["healthy"].url, x_api_key=fake_key("alpha"), version=None),
        400,
        "invalid_request_error",
        "anthropic-version: header is required",
    )
    _assert_api_error(
        curl_call(servers["credit-exhausted"].url, x_api_key=fake_key("alpha")), 400, "invalid_request_error", CREDIT
    )
    _assert_api_error(
        curl_call(servers["bearer-rejected"].url, bearer=fake_key("alpha")),
        401,
        "authentication_error",
        "Invalid bearer token",
    )


# --- the Node SDK (0.24.3: x-api-key + 2023-06-01; current: Bearer + 2026-10-21) --------------------------

NODE_SCRIPT = r"""
const fs = require('fs');
const cfg = JSON.parse(fs.readFileSync(0, 'utf8'));
const mod = require(cfg.sdk);
const Anthropic = mod.default || mod.Anthropic || mod;
(async () => {
  let client;
  try {
    const opts = { baseURL: cfg.baseURL, maxRetries: 0 };
    if (cfg.omitVersion) opts.defaultHeaders = { 'anthropic-version': null };
    client = new Anthropic(opts);
    const msg = await client.messages.create({ model: cfg.model, max_tokens: 5,
                                               messages: [{ role: 'user', content: 'Hi' }] });
    console.log(JSON.stringify({ status: 200, text: msg.content[0].text }));
  } catch (err) {
    if (err && err.status) {
      const h = err.headers || {};
      const rid = typeof h.get === 'function' ? h.get('request-id') : h['request-id'];
      console.log(JSON.stringify({ status: err.status, body: err.error, message: err.message,
                                   header_request_id: rid }));
    } else {
      console.log(JSON.stringify({ local_error: String(err && err.message || err) }));
    }
  }
})();
"""


@pytest.fixture(scope="module")
def node_sdks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the Node SDK cases need Node.js (make node-sdks installs the SDKs)")
    from kit.probe.clients import node_install

    current = client_catalog().node_current  # what plain sdk-node means and `make node-sdks` installs
    script = tmp_path_factory.mktemp("node") / "call.js"
    script.write_text(NODE_SCRIPT)
    return {
        "script": script,
        node_install.TICKET_VERSION: node_install.package_dir(node_install.install(node_install.TICKET_VERSION)),
        "current": node_install.package_dir(node_install.install(current)),
    }


def node_call(
    sdks: dict[str, Path],
    version: str,
    url: str,
    key: str | None,
    *,
    model: str = "claude-haiku-4-5",
    omit_version: bool = False,
) -> tuple[Outcome, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    if key is not None:
        env["ANTHROPIC_API_KEY"] = key
    cfg = {"sdk": str(sdks[version]), "baseURL": url, "model": model, "omitVersion": omit_version}
    done = subprocess.run(
        ["node", str(sdks["script"])],
        input=json.dumps(cfg),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(done.stdout.strip().splitlines()[-1])
    if "local_error" in data:
        return Outcome(None, None, None, None, local_error=data["local_error"]), ""
    body = data.get("body") or {}
    error = body.get("error") or {}
    return Outcome(
        data["status"],
        error.get("type"),
        error.get("message"),
        body.get("request_id"),
        data.get("header_request_id"),
        text=data.get("text"),
    ), data.get("message", "")


@pytest.mark.slow  # Node processes per case: make test-fast leaves it out
@pytest.mark.node
@pytest.mark.parametrize("version", ["0.24.3", "current"])
def test_node_sdk_cases(servers: dict[str, SimServer], node_sdks: dict[str, Path], version: str) -> None:
    real_version = json.loads((node_sdks[version] / "package.json").read_text())["version"]
    old = real_version.startswith("0.")
    h = servers["healthy"]
    ok, _ = node_call(node_sdks, version, h.url, fake_key("alpha"))
    assert ok.status == 200 and ok.text, (version, ok)
    sent = h.entries()[-1]
    assert sent["auth_style"] == ("x-api-key" if old else "bearer")
    assert sent["anthropic_version"] == ("2023-06-01" if old else "2026-10-21")
    assert sent["user_agent"] == f"Anthropic/JS {real_version}"

    out, message = node_call(node_sdks, version, servers["revoked-key"].url, fake_key("old"))
    _assert_api_error(out, 401, "authentication_error", "invalid x-api-key" if old else "Invalid bearer token")
    if old:  # the JS SDK prints status + the JSON body: the string in the support ticket
        assert message.startswith(
            '401 {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}'
        )

    out, _ = node_call(node_sdks, version, h.url, None)
    assert out.local_error and "Could not resolve authentication method" in out.local_error, (version, out)

    out, _ = node_call(node_sdks, version, servers["oauth-token"].url, fake_key("claude-code", "oauth"))
    _assert_api_error(
        out,
        401,
        "authentication_error",
        "invalid x-api-key" if old else "OAuth authentication is currently not supported.",
    )

    out, _ = node_call(
        node_sdks, version, servers["retired-models"].url, fake_key("alpha"), model="claude-3-5-sonnet-20241022"
    )
    _assert_api_error(out, 404, "not_found_error", "model: claude-3-5-sonnet-20241022")

    out, _ = node_call(node_sdks, version, h.url, fake_key("alpha"), omit_version=True)
    _assert_api_error(out, 400, "invalid_request_error", "anthropic-version: header is required")

    out, _ = node_call(node_sdks, version, servers["credit-exhausted"].url, fake_key("alpha"))
    _assert_api_error(out, 400, "invalid_request_error", CREDIT)


def test_access_logs_never_hold_a_key(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    keys = [fake_key("alpha"), fake_key("old"), fake_key("claude-code", "oauth")]
    with serve("revoked-key", access_log=log) as s:
        py_call(s.url, keys[0])
        py_call(s.url, keys[1])
        py_call(s.url, keys[2])
        curl_call(s.url, x_api_key=keys[1] + "\u200b")
        curl_call(s.url, bearer=keys[0], x_api_key=keys[1])
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 5
    assert_no_leak([log], keys)
    assert lines[3]["defects"] and lines[3]["defects"][0]["char"] == "U+200B ZERO WIDTH SPACE"
    assert lines[4]["auth_style"] == "both" and len(lines[4]["credentials"]) == 2


def test_python_sdk_admin_api() -> None:
    with serve("revoked-key") as s:
        client = anthropic.Anthropic(api_key=fake_key("admin", "admin"), base_url=s.url, max_retries=0)
        keys = {k.name: k for k in client.organization.api_keys.list()}
        assert keys["old"].status == "inactive" and keys["alpha"].status == "active"
        assert (keys["old"].partial_key_hint or "").startswith("sk-ant-api03-")
        assert [k.name for k in client.organization.api_keys.list(status="expired")] == ["expired"]
        assert client.organization.retrieve().id == s.scenario.orgs[0].uuid
        inference = anthropic.Anthropic(api_key=fake_key("alpha"), base_url=s.url, max_retries=0)
        with pytest.raises(anthropic.AuthenticationError):
            inference.organization.api_keys.list()
