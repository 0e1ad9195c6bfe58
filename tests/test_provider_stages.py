"""Every stage knows the provider: key formats, discovery and winners, the envelope, the doctor per provider.

The live cases per cause are in the scenario suite (tests/scenarios/cases/o*, g*); these tests pin the pieces
one by one and the command line (``--provider``, several providers in one report, the demo sandboxes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit.commands.doctor import doctor, render_json, run_doctor
from kit.commands.doctor_providers import MultiResult, render_json_all, render_text_all
from kit.keys.provider_inspect import inspect_for
from kit.probe.provider import read_envelope, targets
from kit.providers import provider
from kit.sources.provider_sources import discover_provider, found_providers
from kit.testing import assert_no_leak, fake_key, sandbox_env, simulator
from kit.values import AttemptResult, Finding

OPENAI = provider("openai")
GEMINI = provider("gemini")


# ---------------------------------------------------------------- key formats


def test_an_openrouter_key_in_the_openai_slot_is_named_as_such() -> None:
    report = inspect_for(fake_key("r", "openrouter"), OPENAI, variable="OPENAI_API_KEY")
    assert report.causes == ("key-wrong-provider",)
    assert report.provider == "openai"
    detail = report.defects[0].detail
    assert detail == "this is an OpenRouter key in OPENAI_API_KEY with the OpenAI base URL", detail


def test_a_key_of_the_provider_the_base_url_names_is_not_foreign() -> None:
    report = inspect_for(
        fake_key("r", "openrouter"), OPENAI, variable="OPENAI_API_KEY", base_url="https://openrouter.ai/api/v1"
    )
    assert "key-wrong-provider" not in report.causes


@pytest.mark.parametrize(
    ("value", "profile", "cause"),
    [
        (fake_key("a", "openai-project")[:-10], OPENAI, "key-truncated"),
        (fake_key("a", "openai-project") + "x", OPENAI, "key-extra-chars"),
        ('"' + fake_key("a", "openai-project") + '"', OPENAI, "key-quoted"),
        (fake_key("a", "openai-project") + "\n", OPENAI, "key-whitespace"),
        (fake_key("a", "openai-admin"), OPENAI, "key-admin"),
        (fake_key("a"), GEMINI, "key-wrong-provider"),
        (fake_key("a", "openai-project"), GEMINI, "key-wrong-provider"),
        ("", GEMINI, "key-missing"),
    ],
)
def test_each_provider_judges_its_own_formats(value: str, profile: object, cause: str) -> None:
    assert cause in inspect_for(value, profile, alias="k").causes  # type: ignore[arg-type]


def test_well_formed_keys_of_each_provider_have_no_defects() -> None:
    for value, profile in (
        (fake_key("a", "openai-project"), OPENAI),
        (fake_key("a", "google-api"), GEMINI),
        (fake_key("a", "gemini-auth-key"), GEMINI),
    ):
        report = inspect_for(value, profile)
        assert report.well_formed, report.summary()
        assert value not in json.dumps(report.to_row())


# ---------------------------------------------------------------- discovery and winners


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
def test_google_api_key_wins_over_gemini_api_key_in_every_modelled_client(tmp_path: Path) -> None:
    old, new = fake_key("old", "google-api"), fake_key("new", "google-api")
    env = sandbox_env(tmp_path, {"GOOGLE_API_KEY": old + " ", "GEMINI_API_KEY": new})
    found = discover_provider(env, GEMINI)
    assert {s.variable for s in found.sources} == {"GOOGLE_API_KEY", "GEMINI_API_KEY"}
    assert all(s.provider == "gemini" for s in found.sources)
    sdk = found.winner("sdk-python")
    assert sdk is not None and sdk.source_id == "env:GOOGLE_API_KEY" and sdk.header == "x-goog-api-key"
    assert sdk.hint == inspect_for(old, GEMINI).hint  # stripped, as google-genai does


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
def test_openai_key_in_dotenv_only_reaches_the_dotenv_app(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path)
    (env.cwd / ".env").write_text(f"OPENAI_API_KEY={fake_key('a', 'openai-project')}\n")
    found = discover_provider(env, OPENAI)
    assert [s.kind for s in found.sources] == ["dotenv"]
    assert found.winner("dotenv-app") is not None and found.winner("dotenv-app").fingerprint  # type: ignore[union-attr]
    assert found.winner("sdk-python").fingerprint is None  # type: ignore[union-attr]


def test_found_providers_reads_the_environment_and_the_dotenv(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"GEMINI_API_KEY": fake_key("g", "google-api")})
    (env.cwd / ".env").write_text(f"OPENAI_API_KEY={fake_key('a', 'openai-project')}\n")
    assert found_providers(env) == ("openai", "gemini")
    assert found_providers(sandbox_env(tmp_path / "empty")) == ("anthropic",)


# ---------------------------------------------------------------- the probe's pieces


def test_the_envelope_is_read_per_provider() -> None:
    body = json.dumps(
        {"error": {"message": "m", "type": "invalid_request_error", "param": None, "code": "mismatched_organization"}}
    ).encode()
    assert read_envelope(OPENAI, body) == ("mismatched_organization", "m")
    body = json.dumps(
        {
            "error": {
                "code": 403,
                "message": "n",
                "status": "PERMISSION_DENIED",
                "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}],
            }
        }
    ).encode()
    assert read_envelope(GEMINI, body) == ("SERVICE_DISABLED", "n")
    assert read_envelope(GEMINI, b"[" + body + b"]") == ("SERVICE_DISABLED", "n")
    assert read_envelope(OPENAI, b"<html>") == (None, None)


def test_targets_put_the_zero_token_path_under_a_base_url_override() -> None:
    got = targets(OPENAI, "http://127.0.0.1:9", "http://127.0.0.1:8/gw/v1")
    assert [t.url for t in got] == ["http://127.0.0.1:9/v1/models", "http://127.0.0.1:8/gw/v1/models"]
    assert [t.url for t in targets(GEMINI, "http://127.0.0.1:9/")] == ["http://127.0.0.1:9/v1beta/models"]


def test_outcome_of_a_provider_answer_is_not_a_foreign_responder() -> None:
    row = AttemptResult(
        run_id="r",
        attempt_id="a",
        key_alias="k",
        fingerprint="f",
        hint="h",
        source="s",
        client="httpx2",
        client_version="",
        endpoint="/v1/models",
        method="GET",
        model=None,
        api_version=None,
        auth_style="bearer",
        base_url="u",
        status=200,
        error_type=None,
        error_message=None,
        request_id=None,
        responder="openai",
        latency_ms=1.0,
        transport_error=None,
        started_at="",
        provider="openai",
    )
    assert row.outcome == "ok"
    assert row.to_row()["provider"] == "openai"
    assert Finding(cause="healthy", severity="info", confidence=1, title="t").to_dict()["provider"] == "anthropic"


# ---------------------------------------------------------------- the doctor


@pytest.fixture
def openai_sim() -> Iterator[str]:
    with simulator("openai/revoked-key") as url:
        yield url


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
def test_doctor_json_with_provider_and_sandbox(openai_sim: str) -> None:
    result = CliRunner().invoke(
        doctor, ["--provider", "openai", "--sandbox", "openai-ticket", "--api-url", openai_sim, "--json"]
    )
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["top"] == "stale-env-shadows-dotenv"
    assert {
        item["provider"] for key in ("findings", "keys", "attempts", "sources", "winners") for item in data[key]
    } == {"openai"}
    assert_no_leak([result.output], [fake_key("old", "openai-project"), fake_key("alpha", "openai-project")])


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
def test_the_sandbox_names_its_provider(openai_sim: str) -> None:
    result = CliRunner().invoke(doctor, ["--sandbox", "openai-ticket", "--api-url", openai_sim])
    assert "stale-env-shadows-dotenv" in result.output and "openai API" in result.output


def test_an_unknown_provider_is_a_one_line_usage_error() -> None:
    result = CliRunner().invoke(doctor, ["--provider", "nope", "--api-url", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "not a provider KeyLab knows" in result.output and "Traceback" not in result.output


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
def test_several_providers_make_one_report_with_the_one_provider_shape(tmp_path: Path) -> None:
    old = fake_key("old", "google-api")
    env = sandbox_env(
        tmp_path,
        {
            "GOOGLE_API_KEY": old,
            "GEMINI_API_KEY": fake_key("alpha", "google-api"),
            "OPENAI_API_KEY": fake_key("alpha", "openai-project"),
        },
    )
    with simulator("openai/healthy") as o, simulator("gemini/revoked-key") as g:
        parts = (
            run_doctor(env, api_url=o, provider="openai", run_dir=tmp_path / "runs"),
            run_doctor(env, api_url=g, provider="gemini", run_dir=tmp_path / "runs"),
        )
    multi = MultiResult(parts)
    data = json.loads(render_json_all(multi, render_json))
    assert data["providers"] == ["openai", "gemini"]
    assert data["top"] == "alias-var-shadows"  # a blocker outranks the other provider's healthy
    assert data["findings"][0]["provider"] == "gemini"
    assert {a["provider"] for a in data["attempts"]} == {"openai", "gemini"}
    assert multi.exit_code == 1
    text = render_text_all(multi, lambda p: p.diagnosis.to_text())
    assert "### OpenAI" in text and "### Google Gemini" in text
    assert_no_leak([text, json.dumps(data)], [old])


@pytest.mark.parametrize(
    ("scenario", "name", "prov", "answers"),
    [
        ("openai/org-mismatch", "alpha", "openai", {(401, "mismatched_organization")}),
        ("gemini/api-not-enabled", "alpha", "gemini", {(403, "SERVICE_DISABLED")}),
    ],
)
def test_httpx2_curl_and_the_official_sdk_each_read_the_envelope(
    tmp_path: Path, scenario: str, name: str, prov: str, answers: set[tuple[int, str]]
) -> None:
    from kit.keys.credential import Credential
    from kit.probe.provider import probe_provider

    kind = "openai-project" if prov == "openai" else "google-api"
    with simulator(scenario) as url:
        run = probe_provider(
            provider(prov),
            [Credential("k", fake_key(name, kind))],
            api_url=url,
            run_id="t1",
            run_dir=tmp_path,
            context={"OPENAI_ORG_ID": "org-old"},
        )
    assert [a.client for a in run.results] == ["httpx2", "curl", "sdk-python"]
    assert {(a.status, a.error_type) for a in run.results} == answers
    assert {a.responder for a in run.results} == {prov}
    assert_no_leak([run.log_path], [fake_key(name, kind)])


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
def test_the_installed_sdks_are_asked_in_the_child_and_warn_about_the_alias(tmp_path: Path) -> None:
    env = sandbox_env(
        tmp_path, {"GOOGLE_API_KEY": fake_key("old", "google-api"), "GEMINI_API_KEY": fake_key("new", "google-api")}
    )
    (env.cwd / ".env").write_text(f"OPENAI_API_KEY={fake_key('a', 'openai-project')}\n")
    gemini = discover_provider(env, GEMINI).winner("sdk-python")
    assert gemini is not None and gemini.source_id == "env:GOOGLE_API_KEY"
    assert gemini.detail.startswith("asked the installed google-genai")
    assert "Both GOOGLE_API_KEY and GEMINI_API_KEY are set. Using GOOGLE_API_KEY." in gemini.detail
    found = discover_provider(env, OPENAI)
    sdk, app = found.winner("sdk-python"), found.winner("dotenv-app")
    assert sdk is not None and sdk.fingerprint is None and "OpenAIError" in sdk.detail
    assert app is not None and app.source_id is not None and app.source_id.startswith("dotenv:")


@pytest.mark.slow
def test_notebook_00_checks_the_provider_it_is_given(tmp_path: Path) -> None:
    from kit.present.report import ROOT, execute_notebook
    from kit.testing import read_notebook

    out = tmp_path / "00.ipynb"
    with simulator("openai/revoked-key") as url:
        execute_notebook(
            ROOT / "notebooks" / "00-investigation.ipynb",
            out,
            {"api_url": url, "sandbox": "openai-ticket", "provider": "openai", "run_dir": str(tmp_path / "runs")},
        )
    assert not read_notebook(out).errors
    text = out.read_text()
    assert "### OpenAI" in text and "stale-env-shadows-dotenv" in text
    assert_no_leak([out], [fake_key("old", "openai-project"), fake_key("alpha", "openai-project")])
