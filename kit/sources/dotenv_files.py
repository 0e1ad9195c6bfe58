"""``.env`` files as sources: which ones exist from the working folder up, which one ``load_dotenv()``
picks, and each watched line parsed with python-dotenv's own parser (line numbers and raw statements kept)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from kit.env import Environment
from kit.guard.reader import Read, read_bounded
from kit.sources.environment import custom_header_credentials
from kit.sources.found import CREDENTIAL_VARIABLES, WATCHED, Found, display_path, secret, setting

MAX_DOTENV_BYTES = 1_048_576


# .env variants that frameworks (Next.js, Vite, dotenv-flow) read; templates are skipped.
_DOTENV_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults", ".bak", ".orig")


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


def from_dotenv(
    env: Environment, problems: list[str], named: Sequence[Path | str] = (), extra: Sequence[str] = ()
) -> tuple[list[Found], str | None]:
    """Read every ``.env`` candidate; return the sources and the file ``find_dotenv()`` would pick."""
    out: list[Found] = []
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
        role = (
            "the file load_dotenv() reads from this folder"
            if loaded_by_dotenv
            else f"not read by load_dotenv(): it reads the nearer {picked}"
            if upward and picked
            else "PYTHON_DOTENV_DISABLED is set: load_dotenv() reads nothing"
            if upward
            else "read only by loaders configured for it (Next.js, Vite, dotenv-flow, docker compose)"
        )
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
            out += _parse_dotenv(
                path,
                data,
                env,
                problems,
                "named by you: read by loaders pointed at it (load_dotenv(path), docker --env-file)",
                extra,
            )
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
        problems.append(
            f"{path} is a symbolic link loop (it points back to itself); python-dotenv skips it and "
            "looks further up. Fix: remove the link (`rm {path}`) and create a real file"
        )
    elif got.reason == "unexaminable":
        problems.append(f"{path} cannot be examined ({got.error}); python-dotenv skips it")
    elif got.reason == "directory":
        problems.append(
            f"{path} is a directory named .env, not a file: python-dotenv skips it and looks further up "
            "for a .env; move the folder away and create the file"
        )
    elif got.reason == "fifo":
        problems.append(f"{path} is a named pipe (FIFO): load_dotenv() would block reading it; KeyLab did not open it")
        return None, True
    elif got.reason == "special":
        problems.append(f"{path} is not a regular file; not read")
    elif got.reason == "too-large":
        problems.append(f"{path} is {got.size} bytes, too large to be a .env file; not read")
        return None, True
    else:  # unreadable
        problems.append(
            f"{path} cannot be read ({got.error}): load_dotenv() raises on it, "
            f"so an app that loads it crashes. Fix: `chmod 600 {path}` as its owner, or check the file"
        )
        return None, True
    return None, False


def _parse_dotenv(
    path: Path, data: bytes, env: Environment, problems: list[str], role: str, extra: Sequence[str] = ()
) -> list[Found]:
    from dotenv.parser import parse_stream
    from dotenv.variables import parse_variables

    if b"\x00" in data:
        problems.append(f"{path} is a binary file (it contains NUL bytes), not a .env file; its values were not read")
        return []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            f"{path} is not valid UTF-8 (byte 0x{data[exc.start]:02X} at offset {exc.start}): it looks "
            "binary, and load_dotenv() raises UnicodeDecodeError on it. Fix: save it as UTF-8 text"
        )
        return []
    bom = text.startswith("\ufeff")
    home = env.home
    shown = display_path(path, home)
    bindings = list(parse_stream(io.StringIO(text)))
    out: list[Found] = []
    resolved: dict[str, str | None] = {}
    by_line: dict[int, str | None] = {}
    last_line: dict[str, int] = {}
    lines_of: dict[str, list[int]] = {}
    for binding in bindings:
        if binding.error:
            first = binding.original.line
            span = binding.original.string.count("\n")
            quote = next((q for q in ('"', "'") if q in binding.original.string.split("=", 1)[-1][:2]), "")
            name = {'"': "double quote", "'": "single quote"}.get(quote, "")
            why = f"an unterminated {name} (the value never closes)" if name else "python-dotenv cannot parse it"
            if name and span > 1:
                why += f"; it swallows lines {first}-{first + span - 1}"
            problems.append(
                f"{shown} line {first}: {why}; python-dotenv skips it (with a warning), so the variables "
                "there are not set. Fix: close the quote or remove the line"
            )
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
                notes.append(
                    "python-dotenv expands ${...} even inside single quotes; `source .env` in a shell does not"
                )
        source_id = f"dotenv:{path}:{line}"
        location = f"{shown} line {line}"
        note = "; ".join(notes)
        if (name in CREDENTIAL_VARIABLES or name in extra) and value is not None:
            out.append(secret(source_id, "dotenv", name, location, value, path=str(path), line=line, note=note))
        else:
            out.append(setting(source_id, "dotenv", name, location, value, path=str(path), line=line, note=note))
            if name == "ANTHROPIC_CUSTOM_HEADERS" and value:
                out += custom_header_credentials(value, source_id, location, kind="dotenv", path=str(path), line=line)
    return out


def _dotenv_line_notes(raw: str, value: str | None, lines: Sequence[int], line: int, last: int, bom: bool) -> list[str]:
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
    if after_stripped[:1] in ('"', "'"):
        quote = "double" if after_stripped[0] == '"' else "single"
        notes.append(
            f"written in {quote} quotes: python-dotenv and shells remove them; Docker --env-file and "
            "systemd EnvironmentFile keep them in the value"
        )
    elif value is not None and " #" in after:
        notes.append("has an inline ' # comment': python-dotenv drops it; Docker --env-file keeps it in the value")
    if raw.endswith("\r\n") or raw.endswith("\r"):
        notes.append(
            "Windows line ending (CRLF): python-dotenv drops the CR; `source .env` in a shell and Docker "
            "--env-file keep it at the end of the value"
        )
    if bom:
        notes.append(
            "the file starts with a byte order mark (BOM): python-dotenv ignores it, but `source .env` and "
            "Docker --env-file read this first name with the BOM, so for them the variable is not set"
        )
    if value is not None and value != value.strip() and after_stripped[:1] in ('"', "'"):
        notes.append("the quoted value has spaces at its ends, which python-dotenv keeps")
    return notes
