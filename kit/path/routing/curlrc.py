"""The ``.curlrc`` curl would read, parsed for what changes where curl goes and what it trusts."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from kit.env import Environment

__all__ = ["CurlRc", "curlrc"]


@dataclass(frozen=True)
class CurlRc:
    """The settings of a ``.curlrc`` that change where curl goes and what it trusts."""

    path: Path | None = None
    proxy: str | None = None
    noproxy: str | None = None
    cacert: str | None = None
    capath: str | None = None
    insecure: bool = False


_CURLRC_KEYS = {
    "x": "proxy",
    "proxy": "proxy",
    "noproxy": "noproxy",
    "cacert": "cacert",
    "capath": "capath",
    "k": "insecure",
    "insecure": "insecure",
}


def curlrc(env: Environment) -> CurlRc:
    """The first ``.curlrc`` curl would read (CURL_HOME, XDG_CONFIG_HOME, HOME; tool_findfile.c), parsed."""
    candidates: list[Path] = []
    if env.get("CURL_HOME"):
        candidates.append(Path(env.get("CURL_HOME") or "") / ".curlrc")
    if env.get("XDG_CONFIG_HOME"):
        candidates.append(Path(env.get("XDG_CONFIG_HOME") or "") / "curlrc")
    candidates += [env.home / ".curlrc", env.home / ".config" / "curlrc"]
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found: dict[str, str | bool] = {}
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            match = re.match(r"^-{0,2}([A-Za-z][A-Za-z0-9-]*)\s*[=:\s]?\s*(.*)$", line)
            if not match or match.group(1) not in _CURLRC_KEYS:
                continue
            key, value = _CURLRC_KEYS[match.group(1)], match.group(2).strip()
            if key == "insecure":
                found[key] = True
                continue
            try:
                words = shlex.split(value)
            except ValueError:
                words = [value]
            if words:
                found[key] = words[0]
        return CurlRc(
            path=path,
            proxy=str(found["proxy"]) if "proxy" in found else None,
            noproxy=str(found["noproxy"]) if "noproxy" in found else None,
            cacert=str(found["cacert"]) if "cacert" in found else None,
            capath=str(found["capath"]) if "capath" in found else None,
            insecure=bool(found.get("insecure", False)),
        )
    return CurlRc()
