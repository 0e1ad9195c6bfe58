"""The Node SDK installer: cache location, clear errors without node/npm, and reuse of an installed version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kit.errors import ClientUnavailable, UsageError
from kit.probe.clients import node_install


def test_cache_root_follows_keylab_cache(tmp_path: Path) -> None:
    assert node_install.sdk_folder("0.24.3", {"KEYLAB_CACHE": str(tmp_path)}) == tmp_path / "node-sdk" / "0.24.3"
    assert node_install.cache_root({}).name == ".cache"


def test_missing_npm_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYLAB_CACHE", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ClientUnavailable) as info:
        node_install.install("0.24.3")
    assert "npm is not installed" in info.value.problem and "make node-sdks" in info.value.fix
    with pytest.raises(ClientUnavailable, match="node is not installed"):
        node_install.node_path()


def test_a_bad_version_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYLAB_CACHE", str(tmp_path))
    with pytest.raises(UsageError, match="not an npm version"):
        node_install.install("latest; rm -rf /")
    assert node_install.main(["not-a-version"]) == 2


def test_an_installed_version_is_reused_without_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYLAB_CACHE", str(tmp_path))
    package = node_install.package_dir(node_install.sdk_folder("0.24.3"))
    package.mkdir(parents=True)
    (package / "package.json").write_text('{"name": "@anthropic-ai/sdk", "version": "0.24.3"}')
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # npm would be missing: it must not be needed
    assert node_install.install("0.24.3") == tmp_path / "node-sdk" / "0.24.3"
    assert node_install.installed_version(tmp_path / "node-sdk" / "0.24.3") == "0.24.3"


@pytest.mark.node
def test_the_real_install_of_the_ticket_version() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed (make node-sdks needs Node.js)")
    folder = node_install.install(node_install.TICKET_VERSION)
    assert node_install.installed_version(folder) == "0.24.3"
    assert (node_install.package_dir(folder) / "index.js").is_file()


def test_cache_root_in_a_checkout_is_its_dot_cache(tmp_path: Path) -> None:
    checkout = tmp_path / "repo"
    assert node_install.cache_root({}, checkout=checkout) == checkout / ".cache"
    assert node_install.cache_root({"KEYLAB_CACHE": str(tmp_path / "mine")}, checkout=checkout) == tmp_path / "mine"


def test_cache_root_of_an_installed_wheel_is_the_users_cache(tmp_path: Path) -> None:
    """Installed from a wheel (no checkout), the cache must not sit beside site-packages."""
    home = tmp_path / "home"
    assert node_install.cache_root({"HOME": str(home)}, checkout=None) == home / ".cache" / "keylab"
    xdg = {"HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert node_install.cache_root(xdg, checkout=None) == tmp_path / "xdg" / "keylab"
    relative = {"HOME": str(home), "XDG_CACHE_HOME": "relative/cache"}  # invalid by the XDG spec: ignored
    assert node_install.cache_root(relative, checkout=None) == home / ".cache" / "keylab"
    wins = {"HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "xdg"), "KEYLAB_CACHE": str(tmp_path / "k")}
    assert node_install.cache_root(wins, checkout=None) == tmp_path / "k"


def test_default_versions_are_the_catalogs_not_npms_moving_current() -> None:
    """`make node-sdks` installs what plain sdk-node probes and the tests run; npm's newest release moves on
    its own (it went from 1.14.0 to 1.15.0 and a trust test silently skipped), so it is asked for only by
    ``--current``."""
    from kit.catalog import client_catalog

    assert node_install.default_versions() == list(client_catalog().node_versions)


def test_a_tool_is_installed_once_into_its_own_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYLAB_CACHE", str(tmp_path))
    folder = node_install.tool_folder("dotenv", "18.0.10")
    assert folder == tmp_path / "node-tools" / "dotenv" / "18.0.10"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ClientUnavailable, match="npm is not installed"):
        node_install.install_tool("dotenv", "18.0.10")
    package = folder / "node_modules" / "dotenv"
    package.mkdir(parents=True)
    (package / "package.json").write_text('{"name": "dotenv", "version": "18.0.10"}')
    assert node_install.install_tool("dotenv", "18.0.10") == package  # reused: npm is not needed
    with pytest.raises(UsageError, match="not an npm version"):
        node_install.install_tool("dotenv", "18; echo")
