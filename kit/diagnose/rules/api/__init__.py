"""Rules over what the API itself answered: the key, the header, the account, the request, the service.

Only answers that carry the API's signature count here (``responder == "anthropic"``): a gateway's
or a proxy's 401 is the path rules' business. Each rule reads the exact messages of
docs/reference/anthropic-auth.md §2 and §9 and names the key by alias, hint and fingerprint, never by value.
"""

from __future__ import annotations

from kit.diagnose.rules.api import account, auth, nothing_wrong, request, transient
from kit.diagnose.rules.api.account import credit_exhausted, org_disabled, permission_denied, spend_limit_reached
from kit.diagnose.rules.api.auth import (
    both_auth_headers,
    key_inactive,
    key_rejected,
    workspace_id_required,
    wrong_auth_scheme,
)
from kit.diagnose.rules.api.nothing_wrong import healthy
from kit.diagnose.rules.api.request import model_unavailable, version_invalid
from kit.diagnose.rules.api.transient import overloaded, rate_limited, server_error
from kit.diagnose.rules.base import Rule

__all__ = [
    "RULES",
    "both_auth_headers",
    "credit_exhausted",
    "healthy",
    "key_inactive",
    "key_rejected",
    "model_unavailable",
    "org_disabled",
    "overloaded",
    "permission_denied",
    "rate_limited",
    "server_error",
    "spend_limit_reached",
    "version_invalid",
    "workspace_id_required",
    "wrong_auth_scheme",
]

#: The API rules in registry order: the key and the header, the account, transient answers, the request,
#: nothing wrong. ``kit.diagnose.rules`` appends them after the key, source and path rules.
RULES: tuple[Rule, ...] = auth.RULES + account.RULES + transient.RULES + request.RULES + nothing_wrong.RULES
