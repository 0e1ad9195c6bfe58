"""Fixtures for the security suite: a guard that keeps in-process traffic on loopback."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest


def _loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse, in this process, any name lookup or connection that is not loopback (fuzzed URLs name anything)."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kw: Any) -> Any:
        if host is not None and not _loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, "the security tests resolve loopback names only")
        return real_getaddrinfo(host, *args, **kw)

    def allowed(address: Any) -> bool:
        return not isinstance(address, tuple) or _loopback(address[0])

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(address):
            raise OSError(101, "the security tests connect to loopback only")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(address):
            return 101
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield
