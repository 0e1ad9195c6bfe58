"""The ordered rule registry: key bytes, then sources, then the path, then what the API answered.

Order matters only for ties in ranking; every rule runs on every evidence value.
"""

from __future__ import annotations

from kit.diagnose.rules import api, gateways, keys, path, sources, tools
from kit.diagnose.rules.base import Rule, rule

__all__ = ["RULES", "Rule", "rule"]

RULES: tuple[Rule, ...] = keys.RULES + sources.RULES + path.RULES + tools.RULES + gateways.RULES + api.RULES
