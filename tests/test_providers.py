"""Provider profiles as data (data/catalog/providers.toml, provider_errors.toml) and the fake keys of each format."""

from __future__ import annotations

import re

import pytest

from kit.catalog import DATA_DIR, catalog
from kit.demo.fakekeys import derive_key, fake_kinds
from kit.errors import CatalogError
from kit.providers import PROTOCOLS, classify_any, provider, provider_error, providers

COMPATIBLE = ("openrouter", "groq", "together", "deepseek", "mistral", "xai")


def test_every_required_provider_has_a_profile() -> None:
    assert set(providers()) == {"anthropic", "openai", "gemini", *COMPATIBLE}
    for name in COMPATIBLE:
        assert provider(name).protocol == "openai", name
    assert provider("gemini").protocol == "gemini"
    assert {p.protocol for p in providers().values()} == set(PROTOCOLS)


def test_profiles_carry_every_fact_with_its_source() -> None:
    for p in providers().values():
        assert p.official_base_url.startswith("https://") and p.official_host in p.official_base_url, p.name
        assert p.kinds and p.key_vars(), p.name
        assert p.zero_token_check[0] in ("GET", "POST") and p.zero_token_check[1].startswith("/"), p.name
        assert all(p.sources.values()), p.name
        for kind in p.kinds:
            assert kind.source and kind.role in ("api", "admin", "oauth"), kind.id
        for var in p.vars:
            assert var.source and var.name.isupper(), var.name


def test_anthropic_profile_references_the_existing_catalog() -> None:
    a = provider("anthropic")
    assert a.official_base_url == catalog().official_base_url
    assert a.request_id_pattern == catalog().request_id_pattern
    assert [k.prefix for k in a.kinds] == [catalog().kind(k.id).prefix for k in a.kinds]


def test_sdk_variables_and_precedence_follow_the_facts() -> None:
    assert provider("gemini").key_vars() == ("GOOGLE_API_KEY", "GEMINI_API_KEY")  # og §10
    openai = provider("openai")
    assert openai.key_vars() == ("OPENAI_API_KEY",)
    for role, name in (
        ("base-url", "OPENAI_BASE_URL"),
        ("organization", "OPENAI_ORG_ID"),
        ("project", "OPENAI_PROJECT_ID"),
        ("headers", "OPENAI_CUSTOM_HEADERS"),
    ):
        assert openai.var(role) == (name,)
    assert provider("gemini").var("backend-switch") == ("GOOGLE_GENAI_USE_VERTEXAI",)
    assert (openai.auth_header, openai.auth_scheme) == ("authorization", "Bearer")
    assert (provider("gemini").auth_header, provider("gemini").auth_query) == ("x-goog-api-key", "key")


def test_every_named_error_and_assumption_exists() -> None:
    assumptions = {a.id for a in catalog().assumptions}
    for p in providers().values():
        for error_id in p.errors:
            assert provider_error(error_id).status >= 400
    text = (DATA_DIR / "catalog" / "providers.toml").read_text()
    for name in re.findall(r'assumption = "([a-z0-9-]+)"', text):
        assert name in assumptions, name


def test_unconfirmed_provider_errors_are_explained() -> None:
    from kit.providers import _errors

    explained = {eid for a in catalog().assumptions for eid in a.errors}
    guesses = {eid for eid, e in _errors().items() if not e.confirmed}
    assert guesses and guesses <= explained, sorted(guesses - explained)


@pytest.mark.parametrize("kind", [k for k in fake_kinds() if k not in ("api", "admin", "oauth", "oauth-refresh")])
def test_fake_keys_of_every_format_are_recognised_as_that_format(kind: str) -> None:
    value = derive_key("alpha", kind)
    assert value == derive_key("alpha", kind) != derive_key("beta", kind)
    spec = next(k for p in providers().values() for k in p.kinds if k.id == kind)
    assert spec.matches(value) and len(value) == spec.lengths[0]
    assert re.fullmatch(spec.pattern(), value)
    if spec.prefix:
        assert classify_any(value) == spec


def test_openai_keys_carry_the_marker_and_the_documented_lengths() -> None:
    assert len(derive_key("a", "openai-project")) == 164 and "T3BlbkFJ" in derive_key("a", "openai-project")
    assert len(derive_key("a", "openai-legacy")) == 51
    assert len(derive_key("a", "google-api")) == 39 and derive_key("a", "google-api").startswith("AIza")
    assert re.fullmatch(r"sk-or-v1-[0-9a-f]{64}", derive_key("a", "openrouter"))
    assert not provider("openai").kinds[0].matches(derive_key("a", "openai-project")[:-1])


def test_foreign_prefixes_in_keys_toml_agree_with_the_profiles() -> None:
    by_id = {k.id: k for p in providers().values() for k in p.kinds}
    for kind in catalog().kinds:
        if kind.id in by_id:
            assert by_id[kind.id].prefix == kind.prefix, kind.id


def test_unknown_names_are_one_line_catalog_errors() -> None:
    with pytest.raises(CatalogError, match="unknown provider"):
        provider("opneai")
    with pytest.raises(CatalogError, match="unknown provider error"):
        provider_error("nope")
    with pytest.raises(ValueError, match="unknown fake key kind"):
        derive_key("a", "nope")
