"""The ordered rule registry: key bytes, then sources, then the path, then what the API answered.

Order matters only for ties in ranking; every rule runs on every evidence value.
"""

from __future__ import annotations

from kit.diagnose.rules import api, gateways, keys, path, providers, sources, tools
from kit.diagnose.rules.base import Rule, rule

__all__ = ["PROVIDER_RULES", "RULES", "Rule", "rule"]

RULES: tuple[Rule, ...] = (
    keys.RULES + sources.RULES + providers.RULES + path.RULES + tools.RULES + gateways.RULES + api.RULES
)

#: The rules for another provider's evidence (``Evidence.provider`` not Anthropic): the byte rules, which every
#: provider shares, and the provider rules; the Anthropic-only judgements (its formats, variables, path) stay out.
PROVIDER_RULES: tuple[Rule, ...] = (
    tuple(r for r in keys.RULES if r.name not in ("wrong_provider", "admin_key", "oauth_token")) + providers.RULES
)
