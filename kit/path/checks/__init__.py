"""The keyless path check: one module per network step, ``walk`` for one route, ``run`` for all of them.

``route`` (one way to the API) → ``dns`` → ``tcp`` → ``tunnel`` (the proxy's CONNECT) → ``tls`` →
``http`` (who answers) → ``clock``; ``walk`` runs them in that order for one route and ``run`` plans
the routes, runs them under one deadline and adds the per-client routing rows. No key is ever sent.
"""

from __future__ import annotations

from kit.path.checks.run import DEFAULT_TIMEOUT, acheck_path, check_path

__all__ = ["DEFAULT_TIMEOUT", "acheck_path", "check_path"]
