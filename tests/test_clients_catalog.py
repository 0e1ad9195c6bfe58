"""One home for the client vocabulary: data/catalog/clients.toml, read through kit.catalog.client_catalog()."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from kit import investigate
from kit.catalog import client_catalog
from kit.errors import CatalogError, UsageError
from kit.path import routing
from kit.probe.clients import node_install
from kit.probe.clients.registry import KNOWN_CLIENTS, client_names
from kit.sources import winners

catalog_module = importlib.import_module("kit.catalog")  # the module (kit.catalog is also a function's name)
KIT = Path(catalog_module.__file__).parent


def test_every_stage_reads_the_same_versions_and_names() -> None:
    vocabulary = client_catalog()
    assert winners.NODE_TICKET == node_install.TICKET_VERSION == vocabulary.node_ticket
    assert vocabulary.node_current == routing.NODE_SDK_CURRENT
    assert vocabulary.path == routing.CLIENTS
    assert f"sdk-node@{vocabulary.node_ticket}" in routing.CLIENTS
    assert vocabulary.sources == winners.CLIENTS and f"sdk-node@{vocabulary.node_current_line}" in winners.CLIENTS
    assert vocabulary.default == investigate.DEFAULT_CLIENTS
    assert vocabulary.probe_names == KNOWN_CLIENTS
    assert vocabulary.node_package == node_install.PACKAGE


def test_plain_sdk_node_means_the_tickets_and_the_current_release() -> None:
    vocabulary = client_catalog()
    assert client_names(["sdk-node", "httpx2"]) == (
        f"sdk-node@{vocabulary.node_ticket}",
        f"sdk-node@{vocabulary.node_current}",
        "httpx2",
    )
    with pytest.raises(UsageError) as info:
        client_names(["wget"])
    assert f"sdk-node@{vocabulary.node_ticket}" in info.value.fix


def test_no_module_defines_a_node_sdk_version_itself() -> None:
    """The versions are written once, in clients.toml; a quoted copy in kit/ would drift from it."""
    vocabulary = client_catalog()
    versions = {vocabulary.node_ticket, vocabulary.node_current}
    copies = [
        f"{path.relative_to(KIT)}: {v}"
        for path in KIT.rglob("*.py")
        for v in versions
        if re.search(rf"[\"']{re.escape(v)}[\"']", path.read_text(encoding="utf-8"))
    ]
    assert copies == []


def test_every_version_names_its_source() -> None:
    import tomllib

    data = tomllib.loads((catalog_module.DATA_DIR / "catalog" / "clients.toml").read_text(encoding="utf-8"))
    node = data["node_sdk"]
    assert all(node.get(f"{name}_source") for name in ("ticket", "current", "current_line"))


def test_a_malformed_clients_file_is_a_catalog_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "clients.toml").write_text("[node_sdk]\npackage = 'x'\n")
    monkeypatch.setattr(catalog_module, "DATA_DIR", tmp_path)
    client_catalog.cache_clear()
    try:
        with pytest.raises(CatalogError, match=r"clients\.toml is malformed"):
            client_catalog()
    finally:
        client_catalog.cache_clear()
