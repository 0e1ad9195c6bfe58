"""`python -m kit sim`: run the simulator in the foreground until SIGINT or SIGTERM.

The first stdout line is the base URL (flushed at once, so a script can read it and go on); with
``--tls`` the second line is the path of the throwaway CA's PEM. In capture mode every request is
also summarized on stderr, so a user who points an app at it sees at once what the app sends.
"""

from __future__ import annotations

import ipaddress
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from kit.commands.inputs import check_access_log, check_listen_host
from kit.guard.terminal import say

__all__ = ["sim"]


def _echo_entry(entry: dict[str, Any]) -> None:
    creds = entry.get("credentials") or []
    if creds:
        parts = []
        for c in creds:
            where = c["header"] if not c["scheme"] else f"Authorization: {c['scheme']}"
            defects = "; ".join(d["detail"] + (f" {d['char']}" if d.get("char") else "") for d in c["defects"])
            parts.append(
                f"{where} {c['hint']} fp:{c['fingerprint']} {c['length']} chars" + (f" [{defects}]" if defects else "")
            )
        who = " | ".join(parts)
    else:
        who = "no credential"
    say(
        f"{entry['method']} {entry['path']} -> {entry['status']}: {who}; "
        f"anthropic-version {entry.get('anthropic_version') or '(none)'}; "
        f"user-agent {entry.get('user_agent') or '(none)'}",
        err=True,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command()
@click.option(
    "--scenario",
    "scenario",
    default="healthy",
    show_default=True,
    metavar="NAME|PATH",
    help="A scenario name from data/scenarios/ or a path to a .toml file.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="Port; 0 picks a free one.")
@click.option("--tls", is_flag=True, help="Serve HTTPS with a throwaway CA (its PEM path is the second line).")
@click.option(
    "--access-log",
    "access_log",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append one JSON line per request (fingerprints and hints, never keys).",
)
@click.option(
    "--echo/--no-echo",
    "echo",
    default=None,
    help="Summarize each request on stderr (on by default with --scenario capture).",
)
@click.option("--list", "list_only", is_flag=True, help="List the shipped scenarios and exit.")
def sim(
    scenario: str, host: str, port: int, tls: bool, access_log: Path | None, echo: bool | None, list_only: bool
) -> None:
    """Run the built-in simulator of the Anthropic API until interrupted.

    Point a client at it with ANTHROPIC_BASE_URL=<the printed URL>. With --scenario capture every
    request gets an explanatory 401 that says which key (hint and fingerprint) and headers arrived.
    """
    from kit.sim import load_scenario, serve
    from kit.sim.scenario import all_scenarios

    if list_only:
        for name in all_scenarios():
            say(f"{name:24} {load_scenario(name).description}")
        return
    host = check_listen_host(host)
    access_log = check_access_log(access_log)
    loaded = load_scenario(scenario)
    show = echo if echo is not None else loaded.api.responder == "capture"
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        with serve(
            loaded,
            host=host,
            port=port,
            tls=tls,
            access_log=access_log,
            on_entry=_echo_entry if show else None,
            keep_entries=0,
        ) as server:
            say(server.url)
            if server.ca_path is not None:
                say(str(server.ca_path))
            sys.stdout.flush()
            say(f"keylab sim: scenario {loaded.name!r} at {server.url}; Ctrl-C to stop", err=True)
            if not _is_loopback(host):
                capture = " (capture mode: it describes the keys they send)" * (loaded.api.responder == "capture")
                say(
                    f"warning: listening on {host}, reachable from other machines on port {server.port}: anyone who "
                    f"can reach it can use this simulator{capture}; use --host 127.0.0.1 unless you need that",
                    err=True,
                )
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
