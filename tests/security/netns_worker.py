"""Runs inside a test's own network namespace: listeners on "other hosts", KeyLab pointed near them.

Usage (from ``test_routing_netns.py`` only): ``netns_worker.py CASE SPEC.json OUT.json``. SPEC holds the
canaries and the clients to try; OUT receives every byte each listener got, and KeyLab's exit status
and output. The test process, outside the namespace, searches those bytes for the canaries.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from kit.sim import serve
from kit.testing.netns import OTHER_HOST, THIRD_HOST, recorder, redirect_answer

TIMEOUT_S = 120


def _kit(argv: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(("ANTHROPIC_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "NODE_"))
    }
    done = subprocess.run(
        [sys.executable, "-m", "kit", *argv],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    return {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def _tls_context() -> Any:
    import ssl

    import trustme

    ca = trustme.CA()  # trusted by nobody: KeyLab must refuse the handshake, whatever the environment says
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(OTHER_HOST, THIRD_HOST, "localhost").configure_cert(context)
    return context


def main(case: str, spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    key, other = spec["key"], spec["other"]
    clients = [arg for c in spec["clients"] for arg in ("--client", c)]
    work = Path(tempfile.mkdtemp(prefix="keylab-netns-"))
    try:
        _run_case(case, spec, out_path, key, other, clients, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # it holds the canary key file: never left behind


def _run_case(
    case: str, spec: dict[str, Any], out_path: str, key: str, other: str, clients: list[str], work: Path
) -> None:
    (work / "home").mkdir()
    key_file = work / "key.txt"
    key_file.write_text(key)
    env = {"HOME": str(work / "home"), **spec.get("env", {})}
    result: dict[str, Any] = {}
    with ExitStack() as stack:
        other_host = stack.enter_context(recorder(OTHER_HOST, tls=_tls_context() if case == "tls-env" else None))
        listeners = {"other": other_host}
        probe = [
            "probe",
            "--key-file",
            str(key_file),
            "--run-dir",
            str(work / "runs"),
            "--timeout",
            "5",
            "--plan",
            "full",
            *clients,
        ]
        if case == "base-url-userinfo":
            sim = stack.enter_context(serve("healthy"))
            env.update(ANTHROPIC_API_KEY=key, ANTHROPIC_BASE_URL=f"http://{other}@{OTHER_HOST}:{other_host.port}")
            result = _kit(["doctor", "--api-url", sim.url, "--json", "--run-dir", str(work / "runs")], env, work)
        elif case == "redirect":
            hop = stack.enter_context(
                recorder("127.0.0.1", answer=redirect_answer(f"http://{OTHER_HOST}:{other_host.port}/v1/models"))
            )
            listeners["redirector"] = hop
            result = _kit([*probe, "--api-url", f"http://127.0.0.1:{hop.port}"], env, work)
        elif case == "loopback-name-proxy":
            sim = stack.enter_context(serve("healthy"))
            proxy = f"http://{OTHER_HOST}:{other_host.port}"
            env.update(HTTP_PROXY=proxy, HTTPS_PROXY=proxy, http_proxy=proxy, https_proxy=proxy)
            result = _kit([*probe, "--api-url", f"http://{spec['name']}:{sim.port}"], env, work)
        elif case == "tls-env":
            marker = work / "injected"
            (work / "inject.js").write_text(f"require('fs').writeFileSync({json.dumps(str(marker))}, 'x');\n")
            env.update(
                NODE_TLS_REJECT_UNAUTHORIZED="0",
                NODE_OPTIONS=f"--require {work / 'inject.js'}",
                PYTHONWARNINGS="ignore",
            )
            result = _kit(
                [*probe, "--api-url", f"https://{OTHER_HOST}:{other_host.port}", "--allow-host", OTHER_HOST], env, work
            )
            result["injected"] = marker.exists()
        elif case == "custom-headers":
            target = stack.enter_context(recorder("127.0.0.1"))
            listeners["target"] = target
            env.update(ANTHROPIC_CUSTOM_HEADERS=f"x-extra-key: {other}")
            result = _kit([*probe, "--api-url", f"http://127.0.0.1:{target.port}"], env, work)
        elif case == "cleartext-gateway-proxy":
            gateway = stack.enter_context(recorder(THIRD_HOST))
            listeners["gateway"] = gateway
            proxy = f"http://{OTHER_HOST}:{other_host.port}"
            env.update(HTTP_PROXY=proxy, http_proxy=proxy)
            gateway_url = f"http://{THIRD_HOST}:{gateway.port}"
            result = _kit([*probe, "--api-url", gateway_url, "--allow-host", gateway_url], env, work)
        else:
            raise SystemExit(f"unknown case {case}")
        result["received"] = {name: base64.b64encode(rec.data).decode() for name, rec in listeners.items()}
        result["connections"] = {name: rec.connections for name, rec in listeners.items()}
        result["runs"] = (
            {p.name: p.read_text(errors="replace") for p in (work / "runs").glob("*")}
            if (work / "runs").is_dir()
            else {}
        )
    Path(out_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:4])
