"""Shared fixtures. The autouse fixture keeps a developer's own key, proxy and CA settings out of every test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from kit.guard import redact
from kit.testing import ISOLATED_PREFIXES, ISOLATED_VARIABLES


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Remove ANTHROPIC_*, CLAUDE_CODE_*, proxy and SSL variables for the duration of each test."""
    for name in list(os.environ):
        if name.upper() in ISOLATED_VARIABLES or name.upper().startswith(ISOLATED_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    redact.forget_all()
    yield
    redact.forget_all()
