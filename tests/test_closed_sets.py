"""Closed sets are Literal aliases defined once (kit.values): path steps and header styles."""

from __future__ import annotations

from typing import get_args

import pytest

from kit.keys.credential import Credential
from kit.probe.clients.base import AUTH_STYLES, Reply, build_result
from kit.testing import fake_key
from kit.values import Attempt, AuthStyle, PathStep, SentAuthStyle, as_auth_style, as_sent_style


def test_the_header_styles_are_defined_once() -> None:
    assert AUTH_STYLES == get_args(AuthStyle) == (*get_args(SentAuthStyle), "default")
    assert set(get_args(PathStep)) == {"dns", "tcp", "proxy", "tls", "http", "clock", "base-url", "ca"}


def test_text_becomes_a_style_only_when_it_is_one() -> None:
    assert [as_auth_style(s) for s in AUTH_STYLES] == list(AUTH_STYLES)
    with pytest.raises(ValueError, match="unknown header style 'Bearer '"):
        as_auth_style("Bearer ")
    assert as_sent_style("both") == "both"
    assert as_sent_style("default") is None and as_sent_style(None) is None and as_sent_style("x-api-key\n") is None


def test_a_row_keeps_the_planned_style_when_the_client_reports_nonsense() -> None:
    attempt = Attempt(
        attempt_id="a",
        key_alias="k",
        client="sdk-node@0.24.3",
        endpoint="/v1/models",
        method="GET",
        base_url="http://127.0.0.1:9",
        api_version=None,
        auth_style="default",
    )
    credential = Credential("k", fake_key("alpha"), "test")
    odd = build_result(
        attempt,
        credential,
        Reply(status=200, sent_auth_style="sideways"),
        run_id="t",
        client_name="x",
        client_version="1",
        started_at="now",
    )
    sent = build_result(
        attempt,
        credential,
        Reply(status=200, sent_auth_style="bearer"),
        run_id="t",
        client_name="x",
        client_version="1",
        started_at="now",
    )
    assert (odd.auth_style, sent.auth_style) == ("default", "bearer")
