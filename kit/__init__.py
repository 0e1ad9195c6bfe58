"""KeyLab: find out why an API says your key is invalid.

The public surface is listed in ``__all__`` (a test keeps it honest). The stages, in order:
``sources`` (where credentials come from), ``keys`` (what their bytes say), ``path`` (the network
between client and API), ``probe`` (what the API answers), ``diagnose`` (named causes and fixes),
``report`` (notebook and HTML). ``kit.sim`` stands in for the API in demos and tests.
"""

import importlib as _importlib
import typing as _typing

# Loaded now, not on first use: the submodule ``kit.catalog`` would otherwise shadow the function ``catalog``.
from kit.catalog import Catalog, catalog

#: Where each public name lives. Names load on first use (PEP 562), so ``import kit.x`` costs only
#: ``kit.x``: ``python -m kit doctor`` starts the official SDK's process before the stages are imported.
_HOME = {
    "SENSITIVE_HEADERS": "kit.guard.redact",
    "Attempt": "kit.values",
    "AttemptResult": "kit.values",
    "Credential": "kit.keys.credential",
    "Discovery": "kit.sources.discover",
    "Environment": "kit.env",
    "Evidence": "kit.values",
    "Finding": "kit.values",
    "KeyReport": "kit.keys.report",
    "KitError": "kit.errors",
    "PathCheck": "kit.values",
    "Source": "kit.values",
    "Winner": "kit.values",
    "discover": "kit.sources.discover",
    "fingerprint": "kit.keys.naming",
    "hint": "kit.keys.naming",
    "inspect_key": "kit.keys.inspect",
    "redact_headers": "kit.guard.redact",
    "scrub": "kit.guard.redact",
}
__all__ = [
    "SENSITIVE_HEADERS",
    "Attempt",
    "AttemptResult",
    "Catalog",
    "Credential",
    "Discovery",
    "Environment",
    "Evidence",
    "Finding",
    "KeyReport",
    "KitError",
    "PathCheck",
    "Source",
    "Winner",
    "catalog",
    "discover",
    "fingerprint",
    "hint",
    "inspect_key",
    "redact_headers",
    "scrub",
]

if _typing.TYPE_CHECKING:
    from kit.env import Environment
    from kit.errors import KitError
    from kit.guard.redact import SENSITIVE_HEADERS, redact_headers, scrub
    from kit.keys.credential import Credential
    from kit.keys.inspect import inspect_key
    from kit.keys.naming import fingerprint, hint
    from kit.keys.report import KeyReport
    from kit.sources.discover import Discovery, discover
    from kit.values import Attempt, AttemptResult, Evidence, Finding, PathCheck, Source, Winner


def __getattr__(name: str) -> _typing.Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'kit' has no attribute {name!r}")
    value = getattr(_importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
