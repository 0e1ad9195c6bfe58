"""One CA setting per client, as that client reads it, from the investigated environment (issue 17 item 8).

A corporate TLS-intercepting proxy is trusted by the clients whose CA variables name its CA and by no
other: ``SSL_CERT_FILE``/``SSL_CERT_DIR`` for httpx2 and the Python SDK, ``CURL_CA_BUNDLE`` (or a
``.curlrc``'s ``cacert``) for curl, ``NODE_EXTRA_CA_CERTS`` for Node. ``kit.path.routing.ca_for`` says
which files a client reads under an ``Environment`` (a sandbox's own, or the user's); the functions here
turn that ``CaChoice`` into what each adapter needs (curl's config lines live in ``curl``), so a probe
sees the path the way each client would, not the way KeyLab's own process settings do. Verification is
never turned off: a setting can only choose whom to trust.
"""

from __future__ import annotations

import functools
import ssl

from kit.path.routing import CaChoice
from kit.path.tlsinfo import TrustStore, file_store, system_store

__all__ = ["CA_VARIABLES", "node_ca_env", "ssl_context_for", "store_for"]

#: Variables a child process must not inherit from KeyLab's own environment once a choice is made for it.
CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")


def store_for(choice: CaChoice) -> TrustStore:
    """The trust store a Python (httpx2 / SDK) client uses under ``choice``."""
    for variable, path in choice.files:
        if variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
            return file_store(variable, path, (choice.client,))
    return system_store((choice.client,))


@functools.lru_cache(maxsize=16)
def _context(store: TrustStore) -> ssl.SSLContext:
    return store.context()


def ssl_context_for(choice: CaChoice) -> ssl.SSLContext:
    """A verifying context (CERT_REQUIRED, hostname checked) that trusts what ``choice`` names, made once."""
    return _context(store_for(choice))


def node_ca_env(choice: CaChoice) -> dict[str, str]:
    """The CA variables the Node worker gets: only what the investigated environment sets for Node."""
    return {variable: path for variable, path in choice.files if variable in CA_VARIABLES}
