"""The Admin API lookup against the simulator: hint matching, paging, refusals as values, the host gate."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kit.catalog import DATA_DIR
from kit.errors import InputError, UsageError
from kit.keys.credential import Credential
from kit.probe.admin import ADMIN_KEY_VARIABLE, AdminKey, admin_credential, lookup_keys, match_keys
from kit.sim import serve
from kit.testing import assert_no_leak, fake_key, sandbox_env


def _local() -> list[Credential]:
    return [
        Credential("ANTHROPIC_API_KEY", fake_key("prototype-2024"), "env"),
        Credential("key-1.txt", fake_key("fresh-1") + "\n", "file"),  # echo's newline: matched by its repair
        Credential("stranger", fake_key("someone-else"), "file"),
    ]


def test_ticket_keys_are_matched_by_hint_with_status_workspace_and_date():
    admin = Credential("admin", fake_key("ticket-admin", "admin"))
    with serve("ticket") as server:
        result = lookup_keys(admin, _local(), base_url=server.url)
    assert result.ok and len(result.keys) == 4  # the organization's API keys, not the admin key
    by = {m.alias: m for m in result.matches}
    proto = by["ANTHROPIC_API_KEY"].key
    assert proto is not None and (proto.name, proto.status) == ("prototype-2024", "inactive")
    assert proto.workspace_id == "wrkspc_default" and proto.created_at and proto.workspace_name
    fresh = by["key-1.txt"].key
    assert fresh is not None and (fresh.name, fresh.status) == ("fresh-1", "active")
    assert by["stranger"].key is None and by["stranger"].candidates == 0
    assert "no key of this organization" in by["stranger"].describe()
    evidence = result.evidence()
    assert [e["alias"] for e in evidence] == ["ANTHROPIC_API_KEY", "key-1.txt"]
    assert evidence[0]["status"] == "inactive" and evidence[0]["fingerprint"] == _local()[0].fingerprint
    assert "not active: ANTHROPIC_API_KEY (inactive)" in result.summary()
    assert_no_leak(
        [repr(result), str(evidence), result.summary()],
        [fake_key("ticket-admin", "admin")] + [c.value.strip() for c in _local()],
    )


def test_every_page_is_read():
    with (DATA_DIR / "scenarios" / "ticket.toml").open("rb") as fh:
        scenario = tomllib.load(fh)
    for i in range(7):
        scenario["keys"].append(
            {
                "name": f"extra-{i}",
                "kind": "api",
                "status": "archived",
                "org": "org-ticket",
                "workspace": "wrkspc_default",
            }
        )
    admin = Credential("admin", fake_key("ticket-admin", "admin"))
    with serve(scenario) as server:  # type: ignore[arg-type]
        result = lookup_keys(admin, [Credential("x", fake_key("extra-6"))], base_url=server.url, page_size=3)
        pages = [e for e in server.entries() if e["path"].startswith("/v1/organizations/api_keys")]
    assert len(result.keys) == 11 and len(pages) == 4
    assert result.matches[0].key is not None and result.matches[0].key.status == "archived"


def test_an_inference_key_is_refused_as_a_value_not_an_exception():
    with serve("ticket") as server:
        result = lookup_keys(Credential("oops", fake_key("fresh-1")), _local(), base_url=server.url)
    assert not result.ok and result.status == 401 and "invalid x-api-key" in (result.error or "")
    assert any("not an admin key" in n for n in result.notes)
    assert result.evidence() == () and "failed" in result.summary()


def test_unreachable_api_is_a_value(tmp_path: Path):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = lookup_keys(Credential("admin", fake_key("a", "admin")), _local(), base_url=f"http://127.0.0.1:{port}")
    assert not result.ok and result.error and result.error.startswith("ConnectError")


def test_admin_key_goes_only_to_allowed_hosts():
    with pytest.raises(UsageError, match="--allow-host"):
        lookup_keys(Credential("admin", fake_key("a", "admin")), _local(), base_url="https://admin.example.com")


def test_ambiguous_hints_match_nothing():
    keys = [
        AdminKey(
            id=f"apikey_{i}",
            name=f"k{i}",
            status="active",
            partial_key_hint="sk-ant-api03-abc...wxAA",
            workspace_id=None,
            created_at=None,
        )
        for i in range(2)
    ]
    report = Credential("x", fake_key("whatever")).report()
    from dataclasses import replace

    matches = match_keys(keys, [replace(report, hint="sk-ant-api03-abc...wxAA")])
    assert matches[0].key is None and matches[0].candidates == 2
    assert "2 keys of the organization share this hint" in matches[0].describe()


def test_admin_credential_from_file_or_environment(tmp_path: Path):
    env = sandbox_env(tmp_path, {ADMIN_KEY_VARIABLE: fake_key("env-admin", "admin")})
    cred = admin_credential(env)
    assert cred is not None and cred.source == f"env:{ADMIN_KEY_VARIABLE}"
    path = tmp_path / "admin.key"
    path.write_bytes(fake_key("file-admin", "admin").encode() + b"\n")
    from_file = admin_credential(env, path)
    assert from_file is not None and from_file.raw.endswith(b"\n")  # raw bytes, as stored
    assert admin_credential(sandbox_env(tmp_path / "empty")) is None
    with pytest.raises(InputError, match="cannot read admin key file"):
        admin_credential(env, tmp_path / "missing.key")
