"""The orchestrator: the stages in order, one Investigation value, the Admin lookup included."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import investigate as inv
from kit.present.report import ROOT
from kit.testing import assert_no_leak, fake_key, simulator

CASE = ROOT / "tests" / "scenarios" / "cases" / "a02-key-inactive"


@pytest.mark.slow  # a whole investigation (the SDK child): make test-fast leaves it out
def test_investigate_asks_the_admin_api_and_names_the_inactive_key(tmp_path: Path) -> None:
    with simulator("revoked-key") as url:
        s = inv.setup(api_url=url, sandbox=CASE, run_dir=tmp_path, clients=["httpx2"])
        result = inv.investigate(s, check_network=False)
    assert result.admin_keys, "the organization's key list was matched to the local key"
    assert result.diagnosis.findings[0].cause == "key-inactive"
    assert result.evidence.admin_keys == result.admin_keys
    assert_no_leak([repr(result.admin_keys), " ".join(result.notes)], [fake_key("admin", "admin"), fake_key("old")])


@pytest.mark.slow  # a whole investigation (the SDK child): make test-fast leaves it out
def test_without_an_admin_key_there_is_no_lookup_and_no_note(tmp_path: Path, sim_ticket: str) -> None:
    s = inv.setup(api_url=sim_ticket, sandbox="ticket", run_dir=tmp_path, clients=["httpx2"])
    result = inv.investigate(s, check_network=False)
    assert result.admin_keys == () and result.notes == ()
    assert result.diagnosis.findings[0].cause == "stale-env-shadows-dotenv"


@pytest.mark.slow  # a whole investigation (the SDK child): make test-fast leaves it out
def test_keys_under_a_custom_variable_name_are_found(tmp_path: Path) -> None:
    from kit.testing import sandbox_env

    env = sandbox_env(tmp_path, {"MY_CLAUDE_KEY": fake_key("alpha")})
    s = inv.setup(api_url="http://127.0.0.1:9", env=env, key_variables=["MY_CLAUDE_KEY"], run_dir=tmp_path)
    found = inv.discover_step(s)
    assert any(
        c.fingerprint == inv.inspect_step([c])[0].fingerprint and c.value == fake_key("alpha")
        for c in found.credentials
    )


def test_a_pasted_key_in_place_of_a_variable_name_is_refused_without_echoing_it(tmp_path: Path) -> None:
    import pytest

    from kit.errors import InputError

    key = fake_key("pasted-by-mistake")
    with pytest.raises(InputError) as caught:
        inv.setup(api_url="http://127.0.0.1:9", key_variables=[key], run_dir=tmp_path)
    assert "never the key" in str(caught.value)
    assert_no_leak([str(caught.value)], [key])
