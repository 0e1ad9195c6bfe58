"""Install the official Node SDK (@anthropic-ai/sdk) at a given version into KeyLab's cache, once.

Each version lives in its own folder, ``<cache>/node-sdk/<version>/node_modules/@anthropic-ai/sdk``,
so the ticket's version and the current release sit side by side and a probe can ``require`` either.
The cache is ``$KEYLAB_CACHE`` when set, else the checkout's ``.cache`` (``kit.catalog.CHECKOUT``), else
``$XDG_CACHE_HOME/keylab`` or ``~/.cache/keylab`` (an installed wheel must not write beside site-packages).
``npm`` is used the ordinary way (``npm install``, ``npm view``); nothing else is fetched.

    python -m kit.probe.clients.node_install --default-versions   # the ticket's and the catalog's current
    python -m kit.probe.clients.node_install --current            # npm's current release
    python -m kit.probe.clients.node_install --dotenv             # npm dotenv, at the runtime catalog's version
    python -m kit.probe.clients.node_install 0.30.1               # any version
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from kit.catalog import CHECKOUT, client_catalog
from kit.errors import ClientUnavailable, UsageError

__all__ = [
    "PACKAGE",
    "TICKET_VERSION",
    "cache_root",
    "current_version",
    "default_versions",
    "ensure",
    "install",
    "install_tool",
    "installed_version",
    "main",
    "node_path",
    "package_dir",
    "sdk_folder",
    "tool_folder",
]

PACKAGE = client_catalog().node_package
#: The version in the support ticket.
TICKET_VERSION = client_catalog().node_ticket
_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.\-]+)?$")
_CURRENT_MARKER = "current-version.txt"


def cache_root(environ: Mapping[str, str] | None = None, checkout: Path | None = CHECKOUT) -> Path:
    """``$KEYLAB_CACHE``; else the checkout's ``.cache``; else (an installed wheel, where the package's parent is
    site-packages) ``$XDG_CACHE_HOME/keylab`` or ``~/.cache/keylab``."""
    env = os.environ if environ is None else environ
    configured = env.get("KEYLAB_CACHE")
    if configured:
        return Path(configured).expanduser()
    if checkout is not None:
        return checkout / ".cache"
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():  # the XDG spec: a relative value is invalid and ignored
        return Path(xdg) / "keylab"
    return Path(env.get("HOME") or Path.home()).expanduser() / ".cache" / "keylab"


def sdk_folder(version: str, environ: Mapping[str, str] | None = None) -> Path:
    """The folder for ``version`` (it holds ``node_modules/``); it may not exist yet."""
    return cache_root(environ) / "node-sdk" / version


def package_dir(folder: Path) -> Path:
    return folder / "node_modules" / "@anthropic-ai" / "sdk"


def installed_version(folder: Path) -> str | None:
    """The SDK version installed in ``folder``, or None."""
    return _installed(PACKAGE, folder)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ClientUnavailable(
            f"{name} is not installed, so the Node SDK cannot be installed or run",
            "install Node.js 18 or newer with npm (Debian: apt-get install nodejs npm; macOS: brew install node), "
            "then run `make node-sdks`",
        )
    return path


def node_path() -> str:
    """The ``node`` executable, or ClientUnavailable with the fix."""
    return _tool("node")


def _check_version(version: str) -> str:
    if not _VERSION.match(version):
        raise UsageError(
            f"{version!r} is not an npm version of {PACKAGE}", f"give an exact version such as {TICKET_VERSION}"
        )
    return version


def current_version(refresh: bool = False) -> str:
    """The current release on npm (``npm view @anthropic-ai/sdk version``), remembered in the cache."""
    marker = cache_root() / "node-sdk" / _CURRENT_MARKER
    if not refresh:
        with contextlib.suppress(OSError):
            remembered = marker.read_text(encoding="utf-8").strip()
            if _VERSION.match(remembered):
                return remembered
    npm = _tool("npm")
    try:
        done = subprocess.run(
            [npm, "view", PACKAGE, "version"], capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired:
        raise ClientUnavailable("npm view timed out", "check the connection to the npm registry") from None
    version = done.stdout.strip().splitlines()[-1].strip() if done.stdout.strip() else ""
    if done.returncode != 0 or not _VERSION.match(version):
        raise ClientUnavailable(
            f"npm could not tell the current version of {PACKAGE}: {done.stderr.strip()[:300]}",
            "check the connection to the npm registry (npm config get registry)",
        )
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(version + "\n", encoding="utf-8")
    return version


def default_versions() -> list[str]:
    """The versions plain ``sdk-node`` means (the ticket's and the newest the catalog knows): what KeyLab probes
    and its tests run. Not npm's current release, which moves on its own and would leave them uninstalled."""
    return list(client_catalog().node_versions)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".install.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def install(version: str) -> Path:
    """Install ``@anthropic-ai/sdk@version`` (first use only) and return its folder."""
    _check_version(version)
    folder = sdk_folder(version)
    _npm_install(PACKAGE, version, folder)
    return folder


def tool_folder(package: str, version: str, environ: Mapping[str, str] | None = None) -> Path:
    """The folder for an npm tool KeyLab's tests compare against (``dotenv``); it may not exist yet."""
    return cache_root(environ) / "node-tools" / package / version


def install_tool(package: str, version: str) -> Path:
    """Install the npm package ``package@version`` into its tool folder (first use only); returns the
    package's own directory (the one ``require`` takes)."""
    _check_version(version)
    folder = tool_folder(package, version)
    _npm_install(package, version, folder)
    return folder / "node_modules" / package


def _installed(package: str, folder: Path) -> str | None:
    try:
        data = json.loads((folder / "node_modules" / package / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version")
    return str(version) if isinstance(version, str) else None


def _npm_install(package: str, version: str, folder: Path) -> None:
    """``npm install package@version`` into ``folder``, once, under a lock (two test workers may ask at once)."""
    if _installed(package, folder) == version:
        return
    npm = _tool("npm")
    _tool("node")
    with _locked(folder):
        if _installed(package, folder) == version:
            return
        (folder / "package.json").write_text(
            json.dumps({"name": "keylab-" + re.sub(r"[^a-z0-9]+", "-", f"{package}-{version}"), "private": True})
            + "\n",
            encoding="utf-8",
        )
        command = [
            npm,
            "install",
            "--prefix",
            str(folder),
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--no-package-lock",
            "--loglevel=error",
            f"{package}@{version}",
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        except subprocess.TimeoutExpired:
            raise ClientUnavailable(
                f"npm install {package}@{version} timed out", "check the connection to the npm registry and try again"
            ) from None
        if done.returncode != 0 or _installed(package, folder) != version:
            raise ClientUnavailable(
                f"npm could not install {package}@{version}: {done.stderr.strip()[-500:]}",
                f"check the version exists (npm view {package} versions) and the connection to the npm registry",
            )


def ensure(version: str) -> Path:
    """Alias of ``install``: the folder of an installed SDK version, installing it on first use."""
    return install(version)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args in (["-h"], ["--help"]):
        print(__doc__)
        return 0 if args else 2
    versions: list[str] = []
    tools: list[tuple[str, str]] = []
    try:
        for arg in args:
            if arg == "--default-versions":
                versions += default_versions()
            elif arg == "--current":
                versions.append(current_version(refresh=True))
            elif arg == "--dotenv":
                from kit.sources.runtimes import runtime_catalog  # the version the runtime row was observed with

                tools.append(("dotenv", str(runtime_catalog()["dotenv"]["version"])))
            else:
                versions.append(_check_version(arg))
        for version in dict.fromkeys(versions):
            print(f"{PACKAGE}@{version}: {install(version)}", flush=True)
        for package, version in tools:
            print(f"{package}@{version}: {install_tool(package, version)}", flush=True)
    except (ClientUnavailable, UsageError) as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
