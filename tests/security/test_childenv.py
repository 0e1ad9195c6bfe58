"""Promise: a child process that holds a key gets an environment that cannot weaken TLS, inject code or add headers.

The behaviour end to end (a self-signed host, NODE_OPTIONS --require) is in ``test_routing_netns.py``;
here the one function that decides, and what the user is told.
"""

from __future__ import annotations

from kit.guard.childenv import child_environment, risky_notes
from kit.testing.canary import assert_no_canary, canary_key


def test_the_child_environment_drops_what_weakens_tls_or_injects_code() -> None:
    source = {
        "PATH": "/usr/bin",
        "HOME": "/h",
        "NODE_TLS_REJECT_UNAUTHORIZED": "0",
        "node_options": "--require x",
        "LD_PRELOAD": "/x.so",
        "PYTHONPATH": "/x",
        "ANTHROPIC_CUSTOM_HEADERS": "x: y",
        "ANTHROPIC_API_KEY": "k",
        "HTTPS_PROXY": "http://p:1",
        "SSL_CERT_FILE": "/ca.pem",
        "NODE_EXTRA_CA_CERTS": "/evil.pem",
    }
    env = child_environment(source)
    assert env == {"PATH": "/usr/bin", "HOME": "/h", "HTTPS_PROXY": "http://p:1", "SSL_CERT_FILE": "/ca.pem"}
    assert "HTTPS_PROXY" not in child_environment(source, proxied=False)
    assert child_environment(source, extra_ca="/named.pem")["NODE_EXTRA_CA_CERTS"] == "/named.pem"


def test_the_user_is_told_which_risky_variable_is_set_never_its_value() -> None:
    canary = canary_key()
    notes = risky_notes(
        {
            "NODE_TLS_REJECT_UNAUTHORIZED": "0",
            "ANTHROPIC_CUSTOM_HEADERS": f"x-api-key: {canary}",
            "CURL_CA_BUNDLE": "/ca.pem",
            "PATH": "/usr/bin",
        }
    )
    text = "\n".join(notes)
    assert "NODE_TLS_REJECT_UNAUTHORIZED" in text and "ANTHROPIC_CUSTOM_HEADERS" in text and "CURL_CA_BUNDLE" in text
    assert "never see it" in text and "PATH" not in text.replace("_PATH", "")
    assert_no_canary(text, [canary])
