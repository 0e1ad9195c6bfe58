"""Where every credential comes from: an inventory of sources, the distinct keys among them, and who wins.

``discover(env)`` reads, from an explicit ``Environment`` and never from ``os.environ`` or the real
home folder:

* the process environment (``ANTHROPIC_API_KEY``, ``ANTHROPIC_AUTH_TOKEN``, ``ANTHROPIC_ADMIN_API_KEY``,
  ``ANTHROPIC_BASE_URL``, ``ANTHROPIC_CUSTOM_HEADERS``, ``ANTHROPIC_PROFILE``, ``ANTHROPIC_CONFIG_DIR``);
* ``.env`` files from the working folder upwards, parsed with python-dotenv's own parser (line numbers
  and raw statements kept), interpolated as ``load_dotenv()`` would with these variables;
* shell start-up files in HOME (bash, zsh, sh, fish, csh; ``kit.sources.shellrc``), and what a new terminal
  ends up with;
* the official SDK's profiles (``<config_dir>/configs/<profile>.json`` with the token in
  ``credentials/<profile>.json``; ``ANTHROPIC_CONFIG_DIR``, ``ANTHROPIC_PROFILE``, ``active_config``);
* key files the user names, as raw bytes.

Every unusable input (a binary ``.env``, a directory named ``.env``, a symlink loop, an unreadable file,
a missing HOME) becomes a plain message in ``Discovery.problems``, never a traceback.

This module holds the ``Discovery`` value and the assembly; each kind of source is read by its own module
(``environment``, ``dotenv_files``, ``shell_files``, ``profiles``, ``key_files``), built through ``found``,
and reduced to distinct credentials by ``aliases``; ``winners`` says who sends what.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.env import Environment
from kit.guard.redact import scrub
from kit.keys.credential import Credential
from kit.keys.report import KeyReport
from kit.sources.aliases import distinct_credentials
from kit.sources.dotenv_files import from_dotenv
from kit.sources.environment import check_home, from_environment
from kit.sources.found import CREDENTIAL_VARIABLES, SETTING_VARIABLES, WATCHED, Found, display_path
from kit.sources.inventory import Inventory, ShellValue
from kit.sources.key_files import MAX_KEY_FILE_BYTES, from_key_files
from kit.sources.profiles import from_profiles
from kit.sources.shell_files import from_shell
from kit.sources.tools import read_tools
from kit.sources.winners import find_winners
from kit.values import Evidence, Source, Winner

if TYPE_CHECKING:
    import pandas as pd

    from kit.sources.sdk_process import SdkProcess

__all__ = [
    "CREDENTIAL_VARIABLES",
    "MAX_KEY_FILE_BYTES",
    "SETTING_VARIABLES",
    "Discovery",
    "discover",
    "display_path",
]


@dataclass(frozen=True)
class Discovery:
    """Every place a credential was found, the distinct credentials, who wins per client, and problems."""

    sources: tuple[Source, ...]
    credentials: tuple[Credential, ...]
    winners: tuple[Winner, ...]
    problems: tuple[str, ...]

    def source(self, source_id: str | None) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def credential(self, alias: str) -> Credential:
        for credential in self.credentials:
            if credential.alias == alias:
                return credential
        raise KeyError(alias)

    def winner(self, client: str) -> Winner | None:
        return next((w for w in self.winners if w.client == client), None)

    def reports(self) -> tuple[KeyReport, ...]:
        """A ``KeyReport`` per credential (alias and source kept), ready for ``Evidence.keys``."""
        return tuple(c.report() for c in self.credentials)

    def evidence(self) -> Evidence:
        """The local part of the evidence: key reports, sources and winners (no requests made)."""
        return Evidence(keys=self.reports(), sources=self.sources, winners=self.winners, notes=tuple(self.problems))

    def alias_for(self, fp: str | None) -> str | None:
        """The credential alias whose fingerprint is ``fp``."""
        return next((c.alias for c in self.credentials if c.fingerprint == fp), None) if fp else None

    def source_rows(self) -> list[dict[str, Any]]:
        """One row per source: where, what (hint, fingerprint), who uses it, notes. No secret."""
        rows = []
        for source in self.sources:
            used_by = [
                w.client
                for w in self.winners
                if w.source_id == source.id or (w.fingerprint and w.fingerprint == source.fingerprint)
            ]
            rows.append(
                {
                    "source": source.id,
                    "kind": source.kind,
                    "variable": source.variable or "",
                    "location": source.location,
                    "alias": self.alias_for(source.fingerprint) or "",
                    "hint": source.hint or "",
                    "fingerprint": source.fingerprint or "",
                    "length": source.length,
                    "exported": _yes_no(source.exported),
                    "used by": ", ".join(used_by),
                    "note": source.note,
                }
            )
        return rows

    def winner_rows(self) -> list[dict[str, Any]]:
        """One row per client: what it sends, from where, in which header."""
        rows = []
        for winner in self.winners:
            source = self.source(winner.source_id)
            rows.append(
                {
                    "client": winner.client,
                    "version": winner.client_version,
                    "alias": self.alias_for(winner.fingerprint) or "",
                    "hint": winner.hint or "",
                    "fingerprint": winner.fingerprint or "",
                    "header": winner.header or "(none)",
                    "from": source.location if source else "",
                    "base URL": winner.base_url,
                    "how": winner.detail,
                }
            )
        return rows

    def winner_lines(self) -> list[str]:
        """One Markdown line per client: what it sends, from where, in which header, and how KeyLab knows."""
        lines = []
        for winner in self.winners:
            source = self.source(winner.source_id)
            alias = self.alias_for(winner.fingerprint)
            if winner.fingerprint:
                what = f"`{alias}`" if alias else "a value changed by the client"
                where = f" from {source.location}" if source else ""
                sends = (
                    f"sends {what} (`{winner.hint}`, fingerprint `{winner.fingerprint}`){where} in "
                    f"**{winner.header or '?'}**"
                )
            else:
                sends = "**finds no key**"
            lines.append(
                f"- **{winner.client}** ({winner.client_version}): {sends} → {winner.base_url}. *{winner.detail}*"
            )
        return lines

    def provenance_rows(self) -> list[dict[str, Any]]:
        """One row per credential: where it lives, and for each client the header it is sent in (or blank)."""
        rows = []
        for credential in self.credentials:
            fp = credential.fingerprint
            places = [s.location for s in self.sources if s.fingerprint == fp]
            row: dict[str, Any] = {
                "alias": credential.alias,
                "hint": credential.hint,
                "fingerprint": fp,
                "found in": "; ".join(places),
            }
            for winner in self.winners:
                row[winner.client] = (winner.header or "sent") if winner.fingerprint == fp else ""
            rows.append(row)
        known = {c.fingerprint for c in self.credentials}
        for fp in dict.fromkeys(w.fingerprint for w in self.winners if w.fingerprint and w.fingerprint not in known):
            senders = [w for w in self.winners if w.fingerprint == fp]
            origin = self.source(senders[0].source_id)
            row = {
                "alias": "(changed by the client)",
                "hint": senders[0].hint or "",
                "fingerprint": fp,
                "found in": f"{origin.location}, trimmed by the client" if origin else "not in any source found",
            }
            for winner in self.winners:
                row[winner.client] = (winner.header or "sent") if winner.fingerprint == fp else ""
            rows.append(row)
        nobody = [w for w in self.winners if not w.fingerprint]
        if nobody:
            row = {"alias": "(no key)", "hint": "", "fingerprint": "", "found in": ""}
            for winner in self.winners:
                row[winner.client] = "none found" if not winner.fingerprint else ""
            rows.append(row)
        return rows

    def provenance_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.provenance_rows())

    def sources_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.source_rows())

    def winners_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.winner_rows())


def _yes_no(flag: bool | None) -> str:
    return "" if flag is None else ("yes" if flag else "no")


def discover(
    env: Environment,
    key_files: Sequence[Path | str] = (),
    *,
    ask_sdk: bool = True,
    variables: Sequence[str] = (),
    dotenv_files: Sequence[Path | str] = (),
    run_key_helper: bool = False,
    sdk: SdkProcess | None = None,
) -> Discovery:
    """Inventory every credential source in ``env``, the distinct credentials, and the winner per client.

    ``variables`` names more variables that hold a key (``MY_CLAUDE_KEY``); ``dotenv_files`` names more
    ``.env`` files to read (besides those from the working folder up). Neither changes who wins.
    ``run_key_helper`` runs Claude Code's ``apiKeyHelper`` (only when the user asked for it). ``sdk`` is the
    SDK process started for ``env`` (``kit.sources.sdk_process``), asked instead of a one-shot child.
    """
    problems: list[str] = []
    found: list[Found] = []
    extra = tuple(v for v in dict.fromkeys(variables) if v and v not in WATCHED)
    found += from_environment(env, extra, problems)
    dotenv_found, dotenv_path = from_dotenv(env, problems, dotenv_files, extra)
    found += dotenv_found
    home_ok = check_home(env, problems)
    shell_values: dict[str, ShellValue] = {}
    if home_ok:
        shell_found, shell_values = from_shell(env, problems, extra)
        found += shell_found
    profile_found, active_profile, profile_error = from_profiles(env, problems, home_ok)
    found += profile_found
    found += from_key_files(env, key_files, problems)
    tools = read_tools(env, problems, run_key_helper=run_key_helper)
    found += tools.found

    sources = tuple(f.source for f in found)
    values = {f.id: f.value for f in found if f.value is not None}
    credentials = distinct_credentials(found, env)
    inventory = Inventory(
        env=env,
        sources=sources,
        values=values,
        shell=shell_values,
        dotenv_path=dotenv_path,
        active_profile=active_profile,
        profile_error=profile_error,
    )
    winners, winner_problems = find_winners(inventory, ask_sdk=ask_sdk, sdk=sdk)
    problems += winner_problems
    winners += tools.winners({s.id: s for s in sources})
    return Discovery(
        sources=sources,
        credentials=credentials,
        winners=winners,
        problems=tuple(dict.fromkeys(scrub(p) for p in problems)),
    )
