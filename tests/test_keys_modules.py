"""The keys stage's closed sets and its seam with the redaction path, after the split of kit/keys/inspect.py."""

from __future__ import annotations

import hashlib
from typing import get_args

import pytest

from kit.catalog import KeyRole, _kind, catalog
from kit.errors import CatalogError
from kit.guard import redact
from kit.keys.clean import clean
from kit.keys.inspect import inspect_key
from kit.keys.report import ValueRole
from kit.testing import fake_key


def _flat(alias: object) -> set[str]:
    """The strings a (possibly nested) Literal alias admits."""
    out: set[str] = set()
    for arg in get_args(alias):
        out |= _flat(arg) if get_args(arg) else {arg}
    return out


def test_every_shipped_kind_has_a_role_of_the_closed_set() -> None:
    roles = {kind.role for kind in catalog().kinds}
    assert roles == set(get_args(KeyRole))  # every role is used, and no other


def test_a_kind_with_an_unknown_role_is_refused_naming_the_kind_and_the_fix() -> None:
    fields = {
        "id": "made-up",
        "provider": "Nobody",
        "label": "made-up key",
        "prefix": "mu-",
        "length": 0,
        "suffix": "",
        "alphabet": "A-Za-z0-9",
        "role": "inference",
        "cause": "",
    }
    with pytest.raises(CatalogError) as caught:
        _kind(fields)
    assert "'made-up'" in caught.value.problem and "'inference'" in caught.value.problem
    assert "api, admin, oauth, foreign" in caught.value.fix
    assert _kind({**fields, "role": "foreign"}).role == "foreign"


def test_value_role_covers_every_role_inspection_reports() -> None:
    foreign = catalog().kind("openai-project").prefix + hashlib.sha256(b"foreign").hexdigest()[:40]
    values = {
        "api": fake_key("modules-api"),
        "admin": fake_key("modules-admin", "admin"),
        "oauth": fake_key("modules-oauth", "oauth"),
        "foreign": foreign,
        "unknown": "not-a-key-" + hashlib.sha256(b"unknown").hexdigest()[:30],
        "missing": " \n",
        "placeholder": "<YOUR_API_KEY>",
    }
    seen = {role: inspect_key(value).role for role, value in values.items()}
    assert seen == {role: role for role in values}
    assert set(seen.values()) == _flat(ValueRole)


def test_redaction_masks_the_cleaned_copy_of_a_remembered_secret() -> None:
    """The redaction path cleans with the keys stage's own cleaning, without importing the holder module."""
    key = fake_key("modules-cleaned")
    damaged = f'"{key[:20]}\u200b{key[20:]}"\n'
    assert clean(damaged) == key
    redact.forget_all()
    try:
        redact.remember([damaged])
        shown = redact.scrub(f"the client sent {key[13:]} today")
        assert shown == "the client sent [REDACTED] today"  # all of it: the body before the zero-width space too
    finally:
        redact.forget_all()
