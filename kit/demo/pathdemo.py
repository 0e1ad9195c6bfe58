"""A self-contained stand-in for the network path, on loopback: the simulator (over TLS) as "the API",
perhaps a gateway in ``ANTHROPIC_BASE_URL`` and a forward proxy. Notebook 03 and the path view's tests
use it, so the path check can be shown without the internet.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from kit.demo.proxy import forward_proxy
from kit.demo.sandbox import sandbox_env
from kit.env import Environment
from kit.errors import UsageError

__all__ = ["DEMOS", "DemoPath", "start_demo"]


@dataclass
class DemoPath:
    """A self-contained stand-in for the path: the simulator (over TLS) as "the API", perhaps a gateway and a proxy.

    ``kwargs`` are the extra ``check_path`` arguments the demo needs (its CA file, and the loopback
    simulator treated as the official host, with its throwaway CA as the expected issuer).
    """

    env: Environment
    api_url: str
    kwargs: dict[str, Any]
    description: str
    _stack: contextlib.ExitStack

    def close(self) -> None:
        self._stack.close()


DEMOS = ("healthy", "gateway", "html-proxy", "region-block")


def start_demo(scenario: str, *, through_proxy: bool = False) -> DemoPath:
    """Start a demo path on loopback (no internet needed); ``close()`` stops it (also done at exit).

    ``healthy``, ``html-proxy`` and ``region-block`` put that simulator scenario where the API is;
    ``gateway`` adds a LiteLLM-style gateway in ``ANTHROPIC_BASE_URL``. ``through_proxy`` routes the
    environment through a real forward proxy (``kit.demo.proxy``; proxy.py, from the dev extra).
    """
    import atexit

    from kit.guard.tempdirs import private_temp_dir, remove
    from kit.sim import serve

    if scenario not in DEMOS:
        raise UsageError(f"no path demo called {scenario!r}", f"use one of: {', '.join(DEMOS)}")
    stack = contextlib.ExitStack()
    try:
        api = stack.enter_context(serve("healthy" if scenario == "gateway" else scenario, tls=True))
        root = private_temp_dir("keylab-path-demo-")  # removed at exit, on SIGTERM and on SIGHUP
        stack.callback(remove, root)
        variables: dict[str, str] = {}
        story = f"the simulator ({scenario}) stands in for the API at {api.url}"
        if scenario == "gateway":
            gateway = stack.enter_context(serve("gateway"))
            variables["ANTHROPIC_BASE_URL"] = f"http://localhost:{gateway.port}"
            variables["NO_PROXY"] = "localhost"
            story += f"; a gateway sits in ANTHROPIC_BASE_URL (http://localhost:{gateway.port})"
        if through_proxy:
            variables["HTTPS_PROXY"] = stack.enter_context(forward_proxy())
            story += f"; HTTPS_PROXY points at a local forward proxy ({variables['HTTPS_PROXY']})"
    except BaseException:
        stack.close()
        raise
    atexit.register(stack.close)
    env = sandbox_env(root, variables)
    kwargs: dict[str, Any] = {
        "ca_file": api.ca_path,
        "official_host": api.host,
        "expected_issuers": ("KeyLab simulator throwaway CA",),
    }
    return DemoPath(env, api.url, kwargs, story, stack)
