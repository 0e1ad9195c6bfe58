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
"""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.env import Environment
from kit.guard.reader import Read, Refused, read_bounded
from kit.guard.redact import redact_url, scrub
from kit.keys.credential import Credential
from kit.keys.naming import fingerprint, hint
from kit.keys.report import KeyReport
from kit.sources import shellrc
from kit.sources.winners import Inventory, ShellValue, find_winners
from kit.values import Evidence, Source, Winner

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CREDENTIAL_VARIABLES",
    "MAX_KEY_FILE_BYTES",
    "SETTING_VARIABLES",
    "Discovery",
    "discover",
    "display_path",
]

#: Variables whose values are credentials (inspected, fingerprinted, probed).
CREDENTIAL_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_ADMIN_API_KEY")
#: Variables that change where a credential goes or which one is used (shown, not secret).
SETTING_VARIABLES = ("ANTHROPIC_BASE_URL", "ANTHROPIC_CUSTOM_HEADERS", "ANTHROPIC_PROFILE", "ANTHROPIC_CONFIG_DIR")
WATCHED = CREDENTIAL_VARIABLES + SETTING_VARIABLES
#: Key files larger than this are not read (a key is about a hundred bytes).
MAX_KEY_FILE_BYTES = 8 * 1_048_576
MAX_DOTENV_BYTES = 1_048_576
_MAX_ALIAS = 24
_MAX_PROFILES = 50
# .env variants that frameworks (Next.js, Vite, dotenv-flow) read; templates are skipped.
_DOTENV_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults", ".bak", ".orig")


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
        return Evidence(keys=self.reports(), sources=self.sources, winners=self.winners,
                        notes=tuple(self.problems))

    def alias_for(self, fp: str | None) -> str | None:
        """The credential alias whose fingerprint is ``fp``."""
        return next((c.alias for c in self.credentials if c.fingerprint == fp), None) if fp else None

    def source_rows(self) -> list[dict[str, Any]]:
        """One row per source: where, what (hint, fingerprint), who uses it, notes. No secret."""
        rows = []
        for source in self.sources:
            used_by = [w.client for w in self.winners
                       if w.source_id == source.id or (w.fingerprint and w.fingerprint == source.fingerprint)]
            rows.append({
                "source": source.id, "kind": source.kind, "variable": source.variable or "",
                "location": source.location, "alias": self.alias_for(source.fingerprint) or "",
                "hint": source.hint or "", "fingerprint": source.fingerprint or "",
                "length": source.length, "exported": _yes_no(source.exported), "used by": ", ".join(used_by),
                "note": source.note,
            })
        return rows

    def winner_rows(self) -> list[dict[str, Any]]:
        """One row per client: what it sends, from where, in which header."""
        rows = []
        for winner in self.winners:
            source = self.source(winner.source_id)
            rows.append({
                "client": winner.client, "version": winner.client_version,
                "alias": self.alias_for(winner.fingerprint) or "", "hint": winner.hint or "",
                "fingerprint": winner.fingerprint or "", "header": winner.header or "(none)",
                "from": source.location if source else "", "base URL": winner.base_url, "how": winner.detail,
            })
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
                sends = f"sends {what} (`{winner.hint}`, fingerprint `{winner.fingerprint}`){where} in " \
                        f"**{winner.header or '?'}**"
            else:
                sends = "**finds no key**"
            lines.append(f"- **{winner.client}** ({winner.client_version}): {sends} → {winner.base_url}. "
                         f"*{winner.detail}*")
        return lines

    def provenance_rows(self) -> list[dict[str, Any]]:
        """One row per credential: where it lives, and for each client the header it is sent in (or blank)."""
        rows = []
        for credential in self.credentials:
            fp = credential.fingerprint
            places = [s.location for s in self.sources if s.fingerprint == fp]
            row: dict[str, Any] = {"alias": credential.alias, "hint": credential.hint, "fingerprint": fp,
                                   "found in": "; ".join(places)}
            for winner in self.winners:
                row[winner.client] = (winner.header or "sent") if winner.fingerprint == fp else ""
            rows.append(row)
        known = {c.fingerprint for c in self.credentials}
        for fp in dict.fromkeys(w.fingerprint for w in self.winners if w.fingerprint and w.fingerprint not in known):
            senders = [w for w in self.winners if w.fingerprint == fp]
            origin = self.source(senders[0].source_id)
            row = {"alias": "(changed by the client)", "hint": senders[0].hint or "", "fingerprint": fp,
                   "found in": f"{origin.location}, trimmed by the client" if origin else "not in any source found"}
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


@dataclass
class _Found:
    """A source being built, with its value (kept out of every repr)."""

    source: Source
    value: str | bytes | None = field(repr=False, default=None)
    secret: bool = False  # a credential value (gets a Credential), not a setting

    @property
    def id(self) -> str:
        return self.source.id


def _yes_no(flag: bool | None) -> str:
    return "" if flag is None else ("yes" if flag else "no")


def display_path(path: Path | str, home: Path) -> str:
    """``path`` with the home folder shown as ``~``."""
    text = str(path)
    home_text = str(home).rstrip("/")
    if home_text and (text == home_text or text.startswith(home_text + "/")):
        return "~" + text[len(home_text):]
    return text


def discover(env: Environment, key_files: Sequence[Path | str] = (), *, ask_sdk: bool = True,
             variables: Sequence[str] = (), dotenv_files: Sequence[Path | str] = ()) -> Discovery:
    """Inventory every credential source in ``env``, the distinct credentials, and the winner per client.

    ``variables`` names more variables that hold a key (``MY_CLAUDE_KEY``); ``dotenv_files`` names more
    ``.env`` files to read (besides those from the working folder up). Neither changes who wins.
    """
    problems: list[str] = []
    found: list[_Found] = []
    extra = tuple(v for v in dict.fromkeys(variables) if v and v not in WATCHED)
    found += _from_environment(env, extra, problems)
    dotenv_found, dotenv_path = _from_dotenv(env, problems, dotenv_files, extra)
    found += dotenv_found
    home_ok = _check_home(env, problems)
    shell_values: dict[str, ShellValue] = {}
    if home_ok:
        shell_found, shell_values = _from_shell(env, problems, extra)
        found += shell_found
    profile_found, active_profile, profile_error = _from_profiles(env, problems, home_ok)
    found += profile_found
    found += _from_key_files(env, key_files, problems)

    sources = tuple(f.source for f in found)
    values = {f.id: f.value for f in found if f.value is not None}
    credentials = _credentials(found, env)
    inventory = Inventory(env=env, sources=sources, values=values, shell=shell_values, dotenv_path=dotenv_path,
                          active_profile=active_profile, profile_error=profile_error)
    winners, winner_problems = find_winners(inventory, ask_sdk=ask_sdk)
    problems += winner_problems
    return Discovery(sources=sources, credentials=credentials, winners=winners,
                     problems=tuple(dict.fromkeys(scrub(p) for p in problems)))


# ----------------------------------------------------------------------------------------------------
# Building sources


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def _secret(source_id: str, kind: str, variable: str | None, location: str, value: str | bytes, *,
            path: str | None = None, line: int | None = None, exported: bool | None = None,
            note: str = "") -> _Found:
    text = _text(value)
    source = Source(id=source_id, kind=kind, variable=variable, location=location, path=path, line=line,
                    fingerprint=fingerprint(value), hint=hint(value), length=len(text), exported=exported,
                    note=scrub(note))
    return _Found(source=source, value=value, secret=True)


def _setting(source_id: str, kind: str, variable: str | None, location: str, value: str | None, *,
             path: str | None = None, line: int | None = None, exported: bool | None = None,
             note: str = "", show_value: bool = True) -> _Found:
    shown = _show_setting(variable or "", value) if show_value else ""
    full = "; ".join(p for p in (shown, note) if p)
    source = Source(id=source_id, kind=kind, variable=variable, location=location, path=path, line=line,
                    length=len(value) if value is not None else None, exported=exported, note=scrub(full))
    return _Found(source=source, value=value, secret=False)


def _show_setting(variable: str, value: str | None) -> str:
    if value is None:
        return "value not known without running the shell"
    if variable == "ANTHROPIC_BASE_URL":
        return f"= {redact_url(value)}" if value else "= (empty: the default URL is used)"
    if variable == "ANTHROPIC_CUSTOM_HEADERS":
        names = [line.split(":", 1)[0].strip() for line in value.split("\n") if ":" in line]
        return "headers: " + (", ".join(names) if names else "(none parsed)")
    return f"= {scrub(value)}" if value else "= (empty)"


def _from_environment(env: Environment, extra: Sequence[str] = (), problems: list[str] | None = None) -> list[_Found]:
    out: list[_Found] = []
    for name in extra:
        value = env.get(name)
        if value is None:
            if problems is not None:
                problems.append(f"the variable {name} is not set in this environment")
            continue
        out.append(_secret(f"env:{name}", "env", name, f"process environment (${name})", value, exported=True,
                           note="named by you" + ("; set but empty" if value == "" else "")))
    for name in WATCHED:
        value = env.get(name)
        if value is None:
            continue
        location = f"process environment (${name})"
        if name in CREDENTIAL_VARIABLES:
            note = "set but empty" if value == "" else ""
            out.append(_secret(f"env:{name}", "env", name, location, value, exported=True, note=note))
        else:
            out.append(_setting(f"env:{name}", "env", name, location, value, exported=True))
        if name == "ANTHROPIC_CUSTOM_HEADERS":
            out += _custom_header_credentials(value, f"env:{name}", location, kind="env")
    return out


def _custom_header_credentials(value: str, base_id: str, location: str, *, kind: str,
                               path: str | None = None, line: int | None = None) -> list[_Found]:
    """Credentials hidden in ``ANTHROPIC_CUSTOM_HEADERS`` (``x-api-key: ...`` or ``Authorization: ...``)."""
    out = []
    for raw_line in value.split("\n"):
        colon = raw_line.find(":")
        if colon < 0:
            continue
        name = raw_line[:colon].strip().lower()
        if name not in ("x-api-key", "authorization"):
            continue
        header_value = raw_line[colon + 1:].strip()  # the SDK strips both sides
        if name == "authorization" and header_value[:7].lower() == "bearer ":
            header_value = header_value[7:]
        out.append(_secret(f"{base_id}#{name}", kind, "ANTHROPIC_CUSTOM_HEADERS", f"{location}, header {name}",
                           header_value, path=path, line=line, exported=True if kind == "env" else None,
                           note=f"the {name} header set through ANTHROPIC_CUSTOM_HEADERS: sent beside (or instead "
                                "of) the SDK's own credential header"))
    return out


def _check_home(env: Environment, problems: list[str]) -> bool:
    try:
        if env.home.is_dir():
            return True
    except OSError:
        pass
    problems.append(f"HOME ({env.home}) does not exist or is not a folder: shell start-up files and SDK profiles "
                    "were not read (set HOME, or pass an Environment with the right home)")
    return False


# ----------------------------------------------------------------------------------------------------
# .env files


def _dotenv_candidates(cwd: Path) -> list[tuple[Path, bool]]:
    """``.env`` in the working folder and every parent (nearest first), then ``.env.*`` variants in the cwd."""
    out: list[tuple[Path, bool]] = []
    folder = cwd
    seen: set[Path] = set()
    while folder not in seen:
        seen.add(folder)
        out.append((folder / ".env", True))
        if folder.parent == folder:
            break
        folder = folder.parent
    try:
        variants = sorted(p for p in cwd.glob(".env.*") if not p.name.endswith(_DOTENV_TEMPLATES))
    except OSError:
        variants = []
    out += [(p, False) for p in variants]
    return out


def _from_dotenv(env: Environment, problems: list[str], named: Sequence[Path | str] = (),
                 extra: Sequence[str] = ()) -> tuple[list[_Found], str | None]:
    """Read every ``.env`` candidate; return the sources and the file ``find_dotenv()`` would pick."""
    out: list[_Found] = []
    picked: str | None = None
    cwd = env.cwd
    if not cwd.is_dir():
        problems.append(f"the working folder {cwd} does not exist: no .env files were read")
        return out, None
    disabled = (env.get("PYTHON_DOTENV_DISABLED") or "").casefold() in {"1", "true", "t", "yes", "y"}
    for path, upward in _dotenv_candidates(cwd):
        data, usable = _read_dotenv_bytes(path, problems)
        if upward and picked is None and usable:
            picked = str(path)
        if data is None:
            continue
        loaded_by_dotenv = upward and picked == str(path) and not disabled
        role = ("the file load_dotenv() reads from this folder" if loaded_by_dotenv
                else f"not read by load_dotenv(): it reads the nearer {picked}" if upward and picked
                else "PYTHON_DOTENV_DISABLED is set: load_dotenv() reads nothing" if upward
                else "read only by loaders configured for it (Next.js, Vite, dotenv-flow, docker compose)")
        out += _parse_dotenv(path, data, env, problems, role, extra)
    seen = {s.source.path for s in out}
    for item in named:
        path = Path(item) if Path(item).is_absolute() else env.cwd / item
        if str(path) in seen:
            continue
        if not path.exists() and not path.is_symlink():
            problems.append(f"the .env file {path} does not exist: check the path")
            continue
        data, _ = _read_dotenv_bytes(path, problems)
        if data is not None:
            out += _parse_dotenv(path, data, env, problems, "named by you: read by loaders pointed at it "
                                 "(load_dotenv(path), docker --env-file)", extra)
    return out, picked if not disabled else None


def _read_dotenv_bytes(path: Path, problems: list[str]) -> tuple[bytes | None, bool]:
    """The file's bytes, or None with a problem; ``usable`` says whether python-dotenv would pick the file."""
    got = read_bounded(path, MAX_DOTENV_BYTES)
    if isinstance(got, Read):
        return got.data, True
    if got.reason == "missing":
        return None, False
    if got.reason == "dangling-link":
        problems.append(f"{path} is a symbolic link to a file that does not exist; python-dotenv skips it")
    elif got.reason == "link-loop":
        problems.append(f"{path} is a symbolic link loop (it points back to itself); python-dotenv skips it and "
                        "looks further up. Fix: remove the link (`rm {path}`) and create a real file")
    elif got.reason == "unexaminable":
        problems.append(f"{path} cannot be examined ({got.error}); python-dotenv skips it")
    elif got.reason == "directory":
        problems.append(f"{path} is a directory named .env, not a file: python-dotenv skips it and looks further up "
                        "for a .env; move the folder away and create the file")
    elif got.reason == "fifo":
        problems.append(f"{path} is a named pipe (FIFO): load_dotenv() would block reading it; KeyLab did not open it")
        return None, True
    elif got.reason == "special":
        problems.append(f"{path} is not a regular file; not read")
    elif got.reason == "too-large":
        problems.append(f"{path} is {got.size} bytes, too large to be a .env file; not read")
        return None, True
    else:  # unreadable
        problems.append(f"{path} cannot be read ({got.error}): load_dotenv() raises on it, "
                        f"so an app that loads it crashes. Fix: `chmod 600 {path}` as its owner, or check the file")
        return None, True
    return None, False


def _parse_dotenv(path: Path, data: bytes, env: Environment, problems: list[str], role: str,
                  extra: Sequence[str] = ()) -> list[_Found]:
    from dotenv.parser import parse_stream
    from dotenv.variables import parse_variables

    if b"\x00" in data:
        problems.append(f"{path} is a binary file (it contains NUL bytes), not a .env file; its values were not read")
        return []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{path} is not valid UTF-8 (byte 0x{data[exc.start]:02X} at offset {exc.start}): it looks "
                        "binary, and load_dotenv() raises UnicodeDecodeError on it. Fix: save it as UTF-8 text")
        return []
    bom = text.startswith("\ufeff")
    home = env.home
    shown = display_path(path, home)
    bindings = list(parse_stream(io.StringIO(text)))
    out: list[_Found] = []
    resolved: dict[str, str | None] = {}
    by_line: dict[int, str | None] = {}
    last_line: dict[str, int] = {}
    lines_of: dict[str, list[int]] = {}
    for binding in bindings:
        if binding.error:
            first = binding.original.line
            span = binding.original.string.count("\n")
            quote = next((q for q in ("\"", "'") if q in binding.original.string.split("=", 1)[-1][:2]), "")
            name = {"\"": "double quote", "'": "single quote"}.get(quote, "")
            why = f"an unterminated {name} (the value never closes)" if name else "python-dotenv cannot parse it"
            if name and span > 1:
                why += f"; it swallows lines {first}-{first + span - 1}"
            problems.append(f"{shown} line {first}: {why}; python-dotenv skips it (with a warning), so the variables "
                            "there are not set. Fix: close the quote or remove the line")
            continue
        if binding.key is None:
            continue
        if binding.value is None:
            value: str | None = None
        else:
            scope: dict[str, str | None] = {**resolved, **env.variables}  # load_dotenv(): the environment wins
            value = "".join(atom.resolve(scope) for atom in parse_variables(binding.value))
        resolved[binding.key] = value
        by_line[binding.original.line] = value
        last_line[binding.key] = binding.original.line
        lines_of.setdefault(binding.key, []).append(binding.original.line)
    for binding in bindings:
        if binding.error or binding.key is None or (binding.key not in WATCHED and binding.key not in extra):
            continue
        name = binding.key
        line = binding.original.line
        raw = binding.original.string
        notes = [role]
        if binding.value is None:
            notes.append("the name has no '=': python-dotenv leaves the variable unset")
        value = by_line.get(line)
        notes += _dotenv_line_notes(raw, binding.value, lines_of[name], line, last_line[name], bom and line == 1)
        if binding.value and binding.value != value:
            notes.append("${...} interpolated from the environment and earlier lines, as load_dotenv() does")
            if raw.split("=", 1)[-1].strip().startswith("'"):
                notes.append("python-dotenv expands ${...} even inside single quotes; `source .env` in a shell "
                             "does not")
        source_id = f"dotenv:{path}:{line}"
        location = f"{shown} line {line}"
        note = "; ".join(notes)
        if (name in CREDENTIAL_VARIABLES or name in extra) and value is not None:
            out.append(_secret(source_id, "dotenv", name, location, value, path=str(path), line=line, note=note))
        else:
            out.append(_setting(source_id, "dotenv", name, location, value, path=str(path), line=line, note=note))
            if name == "ANTHROPIC_CUSTOM_HEADERS" and value:
                out += _custom_header_credentials(value, source_id, location, kind="dotenv", path=str(path),
                                                  line=line)
    return out


def _dotenv_line_notes(raw: str, value: str | None, lines: Sequence[int], line: int, last: int,
                       bom: bool) -> list[str]:
    notes: list[str] = []
    statement = raw.lstrip()
    if len(lines) > 1:
        if line != last:
            notes.append(f"overridden by line {last} (python-dotenv keeps the last duplicate)")
        else:
            earlier = ", ".join(str(n) for n in lines if n != line)
            notes.append(f"duplicate: also set on line(s) {earlier}; this last one wins")
    if statement.startswith("export "):
        notes.append("written with 'export': python-dotenv and shells accept it; Docker --env-file does not")
    after = statement.split("=", 1)[1] if "=" in statement else ""
    after_stripped = after.strip()
    if after_stripped[:1] in ("\"", "'"):
        quote = "double" if after_stripped[0] == "\"" else "single"
        notes.append(f"written in {quote} quotes: python-dotenv and shells remove them; Docker --env-file and "
                     "systemd EnvironmentFile keep them in the value")
    elif value is not None and " #" in after:
        notes.append("has an inline ' # comment': python-dotenv drops it; Docker --env-file keeps it in the value")
    if raw.endswith("\r\n") or raw.endswith("\r"):
        notes.append("Windows line ending (CRLF): python-dotenv drops the CR; `source .env` in a shell and Docker "
                     "--env-file keep it at the end of the value")
    if bom:
        notes.append("the file starts with a byte order mark (BOM): python-dotenv ignores it, but `source .env` and "
                     "Docker --env-file read this first name with the BOM, so for them the variable is not set")
    if value is not None and value != value.strip() and after_stripped[:1] in ("\"", "'"):
        notes.append("the quoted value has spaces at its ends, which python-dotenv keeps")
    return notes


# ----------------------------------------------------------------------------------------------------
# Shell start-up files


def _from_shell(env: Environment, problems: list[str],
                extra: Sequence[str] = ()) -> tuple[list[_Found], dict[str, ShellValue]]:
    out: list[_Found] = []
    startups = shellrc.startup_files(env.home, env.variables)
    shell = shellrc.shell_name(env.variables) or "unknown"
    read_files: list[shellrc.ShellFile] = []
    deciding_ids: dict[tuple[str, int, str], str] = {}
    seen: set[tuple[str, int, str]] = set()
    for startup in startups:
        parsed = shellrc.read_file(startup.path, startup.syntax, home=env.home, variables=env.variables)
        problems.extend(parsed.problems)
        if startup.read_by_shell:
            read_files.append(parsed)
        for item in parsed.assignments:
            if item.name not in WATCHED and item.name not in extra:
                continue
            key = (str(item.path), item.line, item.name)
            if key in seen:
                continue
            seen.add(key)
            new_id = f"shell:{item.path}:{item.line}"
            if any(f.id == new_id for f in out):
                new_id += f":{item.name}"
            deciding_ids[key] = new_id
            out.append(_shell_source(item, new_id, startup, shell, env, secret=item.name in extra))
    values: dict[str, ShellValue] = {}
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        decided = shellrc.effective(name, read_files, env.variables)
        if decided.assignment is None and not decided.inherited:
            continue
        if decided.assignment is not None:
            item = decided.assignment
            source_id: str | None = deciding_ids.get((str(item.path), item.line, item.name))
            where = f"{display_path(item.path, env.home)} line {item.line}"
            if item.action == "unset":
                detail = f"{where} unsets it"
            elif item.action == "export-mark":
                detail = f"{where} exports the inherited value"
                source_id = f"env:{name}" if env.get(name) is not None else source_id
            else:
                detail = f"{where} sets it" + (" (exported)" if decided.exported else "")
        else:
            source_id = f"env:{name}"
            detail = "no start-up file sets it; inherited from the environment KeyLab runs in"
        values[name] = ShellValue(value=decided.value, source_id=source_id, exported=decided.exported,
                                  unknown=decided.unknown, detail=detail)
    return out, values


def _shell_source(item: shellrc.Assignment, source_id: str, startup: shellrc.Startup, shell: str,
                  env: Environment, *, secret: bool = False) -> _Found:
    where = f"{display_path(item.path, env.home)} line {item.line}"
    notes: list[str] = []
    if startup.read_by_shell:
        notes.append(f"read by your shell ({shell}) in a new terminal")
    else:
        notes.append(f"read by {startup.shell}, not by your shell ({shell})")
    if item.path != startup.path:
        notes.append(f"sourced from {display_path(startup.path, env.home)}")
    if item.action == "unset":
        notes.append("unsets the variable")
    elif item.action == "export-mark":
        notes.append("exports the variable without setting it")
    elif not item.exported:
        notes.append("not exported: child processes (python, node, curl run as a program) see it only if it was "
                     "already in the environment")
    if item.quoting:
        notes.append(f"{item.quoting}-quoted")
    if item.note:
        notes.append(item.note)
    note = "; ".join(notes)
    exported = item.exported if item.action != "unset" else False
    if (item.name in CREDENTIAL_VARIABLES or secret) and item.value is not None and item.action == "set":
        return _secret(source_id, "shell", item.name, where, item.value, path=str(item.path), line=item.line,
                       exported=exported, note=note)
    value = item.value if item.action == "set" else None
    return _setting(source_id, "shell", item.name, where, value, path=str(item.path), line=item.line,
                    exported=exported, note=note, show_value=item.action == "set")


# ----------------------------------------------------------------------------------------------------
# SDK profiles


def _config_dir(env: Environment) -> Path:
    """``ANTHROPIC_CONFIG_DIR``, else ``~/.config/anthropic`` (the SDK's layout on Linux and macOS)."""
    configured = env.get("ANTHROPIC_CONFIG_DIR")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else env.cwd / path
    return env.home / ".config" / "anthropic"


def _expand_user(path: str, env: Environment) -> Path:
    if path == "~" or path.startswith("~/"):
        return env.home / path[2:]
    candidate = Path(path)
    return candidate if candidate.is_absolute() else env.cwd / candidate


def _read_json(path: Path, problems: list[str], what: str) -> Any:
    got = read_bounded(path, MAX_DOTENV_BYTES)
    if isinstance(got, Refused):
        if got.reason in ("missing", "dangling-link"):
            pass
        elif got.reason in ("directory", "fifo", "special"):
            problems.append(f"{what} {path} is not a regular file")
        elif got.reason == "too-large":
            problems.append(f"{what} {path} is too large ({got.size} bytes)")
        else:
            problems.append(f"{what} {path} cannot be read ({got.error})")
        return None
    try:
        return json.loads(got.data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{what} {path} is not valid JSON ({type(exc).__name__}): the SDK raises CredentialsError "
                        "when it uses this profile")
    return None


def _from_profiles(env: Environment, problems: list[str],
                   home_ok: bool) -> tuple[list[_Found], str | None, str | None]:
    """The profiles' sources, the active profile's Source.id, and the error the SDK raises for them (if any)."""
    out: list[_Found] = []
    if not home_ok and not env.get("ANTHROPIC_CONFIG_DIR"):
        return out, None, None
    config_dir = _config_dir(env)
    pointer = None
    try:
        pointer = (config_dir / "active_config").read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        pointer = None
    selected_by = ("ANTHROPIC_PROFILE" if env.get("ANTHROPIC_PROFILE")
                   else "active_config" if pointer else "default")
    active = env.get("ANTHROPIC_PROFILE") or pointer or "default"
    configs_dir = config_dir / "configs"
    try:
        configs = sorted(configs_dir.glob("*.json"))[:_MAX_PROFILES] if configs_dir.is_dir() else []
    except OSError:
        configs = []
    names = [c.stem for c in configs]
    error = None
    if selected_by != "default" and active not in names:
        error = (f"{selected_by} names the SDK profile '{active}', but {display_path(configs_dir, env.home)}/"
                 f"{active}.json does not exist")
        problems.append(f"{error}: the official Python SDK raises CredentialsError when the client is created. "
                        f"Fix: create the profile, or unset {selected_by}")
    elif env.get("ANTHROPIC_CONFIG_DIR") and active not in names:
        error = (f"ANTHROPIC_CONFIG_DIR is set, but {display_path(configs_dir, env.home)}/{active}.json does not "
                 "exist")
        problems.append(f"{error}: the official Python SDK raises CredentialsError when it finds no other "
                        "credential. Fix: create the profile or unset ANTHROPIC_CONFIG_DIR")
    active_id: str | None = None
    for config_path in configs:
        name = config_path.stem
        config = _read_json(config_path, problems, "SDK profile config")
        if not isinstance(config, dict):
            if config is not None:
                problems.append(f"SDK profile config {config_path} must hold a JSON object")
            continue
        auth_value = config.get("authentication")
        auth: dict[str, Any] = auth_value if isinstance(auth_value, dict) else {}
        auth_type = str(auth.get("type", "?"))
        is_active = name == active
        # kit.diagnose.rules.sources recognises the active profile by this note's first words: keep them
        role = (f"active profile (selected by {selected_by})" if is_active else "not the active profile")
        notes = [role, f"authentication.type = {auth_type}"]
        notes += _mode_notes(config_path, 0o022, "config", problems)
        credentials_path = _expand_user(str(auth["credentials_path"]), env) if auth.get("credentials_path") \
            else config_dir / "credentials" / f"{name}.json"
        location = f"SDK profile '{name}' ({display_path(credentials_path, env.home)})"
        source_id = f"profile:{name}"
        token = None
        if auth_type == "user_oauth" or credentials_path.exists():
            creds = _read_json(credentials_path, problems, "SDK credentials file")
            if isinstance(creds, dict) and isinstance(creds.get("access_token"), str):
                token = creds["access_token"]
                notes += _mode_notes(credentials_path, 0o077, "credentials", problems)
                if creds.get("expires_at"):
                    notes.append(f"expires_at = {creds['expires_at']}")
            elif auth_type == "user_oauth":
                notes.append("no access_token in the credentials file: the SDK raises CredentialsError")
        if auth_type == "oidc_federation" and token is None:
            notes.append("workload identity federation: a token is exchanged at request time")
        if token is not None:
            out.append(_secret(source_id, "profile", None, location, token,
                               path=str(credentials_path), note="; ".join(notes)))
        else:
            out.append(_setting(source_id, "profile", None, location, name, path=str(config_path),
                                note="; ".join(notes), show_value=False))
        if is_active:
            active_id = source_id
        if config.get("base_url"):
            out.append(_setting(f"profile:{name}:base_url", "profile", "ANTHROPIC_BASE_URL",
                                f"SDK profile '{name}' ({display_path(config_path, env.home)})",
                                str(config["base_url"]), path=str(config_path),
                                note=f"{role}: the SDK sends requests here unless ANTHROPIC_BASE_URL or base_url= "
                                     "is set"))
    return out, active_id, error


def _mode_notes(path: Path, forbidden: int, what: str, problems: list[str]) -> list[str]:
    if os.name != "posix":
        return []
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return []
    if mode & forbidden:
        verb, fix = ("write", "go-w") if forbidden == 0o022 else ("read", "600")
        message = f"the SDK refuses this {what} file: mode {mode:#o} lets group or others {verb} it " \
                  f"(fix: `chmod {fix} {path}`)"
        problems.append(f"{path}: {message}")
        return [message]
    return []


# ----------------------------------------------------------------------------------------------------
# Key files


def _key_file_refusal(got: Refused) -> str:
    """Why a named key file was not read, worded for a file the user named on purpose."""
    if got.reason in ("missing", "dangling-link"):
        return "does not exist: check the path"
    if got.reason in ("link-loop", "unexaminable"):
        return f"cannot be examined ({got.error})"
    if got.reason == "directory":
        return "is a directory: name the file that holds the key"
    if got.reason in ("fifo", "special"):
        return "is not a regular file (a pipe or device); not read"
    if got.reason == "too-large":
        return f"is {got.size} bytes: far too large to hold a key; not read"
    return f"cannot be read ({got.error})"


def _from_key_files(env: Environment, key_files: Iterable[Path | str], problems: list[str]) -> list[_Found]:
    out: list[_Found] = []
    for item in key_files:
        path = Path(item)
        if str(item).startswith("~"):
            path = _expand_user(str(item), env)
        elif not path.is_absolute():
            path = env.cwd / path
        shown = display_path(path, env.home)
        got = read_bounded(path, MAX_KEY_FILE_BYTES)
        if isinstance(got, Refused):
            problems.append(f"key file {shown} {_key_file_refusal(got)}")
            continue
        raw = got.data
        notes = []
        if raw.endswith(b"\n"):
            notes.append("ends with a newline (written with echo?): `KEY=$(cat file)` drops it, but "
                         "readFileSync / open().read() keep it")
        if os.name == "posix" and got.mode & 0o077:
            notes.append(f"readable by other users (mode {got.mode:#o}): `chmod 600 {shown}`")
        out.append(_secret(f"file:{path}", "file", None, f"key file {shown}", raw, path=str(path),
                           note="; ".join(notes)))
    return out


# ----------------------------------------------------------------------------------------------------
# Distinct credentials and their aliases


def _credentials(found: Sequence[_Found], env: Environment) -> tuple[Credential, ...]:
    out: list[Credential] = []
    by_fp: dict[str, Credential] = {}
    taken: set[str] = set()
    for item in found:
        if not item.secret or item.value is None or item.source.fingerprint is None:
            continue
        if item.source.fingerprint in by_fp:
            continue
        alias = _unique(_alias(item.source, env), item.source, taken)
        taken.add(alias)
        credential = Credential(alias=alias, raw=item.value, source=item.source.id)
        by_fp[item.source.fingerprint] = credential
        out.append(credential)
    return tuple(out)


def _alias(source: Source, env: Environment) -> str:
    if source.kind == "env":
        variable = source.variable or "?"
        if variable == "ANTHROPIC_API_KEY":
            return "env"
        if "#" in source.id:
            return "headers:" + source.id.rsplit("#", 1)[1]  # a credential inside ANTHROPIC_CUSTOM_HEADERS
        return "env:" + variable.removeprefix("ANTHROPIC_")
    if source.kind == "dotenv" and source.path:
        path = Path(source.path)
        try:
            rel = os.path.relpath(path, env.cwd)
        except ValueError:
            rel = str(path)
        return rel if len(rel) <= _MAX_ALIAS else ".../" + path.parent.name + "/" + path.name
    if source.kind == "shell" and source.path:
        return f"{display_path(source.path, env.home)}:{source.line}"
    if source.kind == "profile":
        return source.id
    if source.kind == "file" and source.path:
        return Path(source.path).name
    return source.id


def _unique(alias: str, source: Source, taken: set[str]) -> str:
    candidates = [alias]
    if source.line is not None and not alias.endswith(f":{source.line}"):
        candidates.append(f"{alias}:{source.line}")
    if source.kind == "file" and source.path:
        path = Path(source.path)
        candidates.append(f"{path.parent.name}/{path.name}")
    candidates += [f"{alias}#{n}" for n in range(2, 100)]
    for candidate in candidates:
        short = _shorten(candidate)
        if short not in taken:
            return short
    return _shorten(f"{alias}#{len(taken)}")


def _shorten(alias: str) -> str:
    if len(alias) <= _MAX_ALIAS:
        return alias
    return "…" + alias[-(_MAX_ALIAS - 1):]

