"""Rules over path evidence (being built)."""

from __future__ import annotations

from kit.rules.base import Rule

__all__ = ["RULES"]

RULES: tuple[Rule, ...] = ()
