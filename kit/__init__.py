"""KeyLab: find out why an API says your key is invalid.

The public surface is listed in ``__all__`` (a test keeps it honest). The stages, in order:
``sources`` (where credentials come from), ``keys`` (what their bytes say), ``path`` (the network
between client and API), ``probe`` (what the API answers), ``diagnose`` (named causes and fixes),
``report`` (notebook and HTML). ``kit.sim`` stands in for the API in demos and tests.
"""

from kit.catalog import Catalog, catalog
from kit.env import Environment
from kit.errors import KitError
from kit.guard.redact import SENSITIVE_HEADERS, redact_headers, scrub
from kit.keys.credential import Credential
from kit.keys.inspect import inspect_key
from kit.keys.naming import fingerprint, hint
from kit.keys.report import KeyReport
from kit.sources.discover import Discovery, discover
from kit.values import Attempt, AttemptResult, Evidence, Finding, PathCheck, Source, Winner

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
