"""Shell start-up files as sources: every watched assignment ``kit.sources.shellrc`` reads, and what
``$NAME`` holds in a new terminal (for curl)."""

from __future__ import annotations

from collections.abc import Sequence

from kit.env import Environment
from kit.sources import shellrc
from kit.sources.found import CREDENTIAL_VARIABLES, WATCHED, Found, display_path, secret, setting
from kit.sources.inventory import ShellValue


def from_shell(
    env: Environment, problems: list[str], extra: Sequence[str] = ()
) -> tuple[list[Found], dict[str, ShellValue]]:
    """Every watched assignment in the start-up files, and what a new terminal holds for the key variables."""
    out: list[Found] = []
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
            out.append(_shell_source(item, new_id, startup, shell, env, is_secret=item.name in extra))
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
        values[name] = ShellValue(
            value=decided.value, source_id=source_id, exported=decided.exported, unknown=decided.unknown, detail=detail
        )
    return out, values


def _shell_source(
    item: shellrc.Assignment,
    source_id: str,
    startup: shellrc.Startup,
    shell: str,
    env: Environment,
    *,
    is_secret: bool = False,
) -> Found:
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
        notes.append(
            "not exported: child processes (python, node, curl run as a program) see it only if it was "
            "already in the environment"
        )
    if item.quoting:
        notes.append(f"{item.quoting}-quoted")
    if item.note:
        notes.append(item.note)
    note = "; ".join(notes)
    exported = item.exported if item.action != "unset" else False
    if (item.name in CREDENTIAL_VARIABLES or is_secret) and item.value is not None and item.action == "set":
        return secret(
            source_id,
            "shell",
            item.name,
            where,
            item.value,
            path=str(item.path),
            line=item.line,
            exported=exported,
            note=note,
        )
    value = item.value if item.action == "set" else None
    return setting(
        source_id,
        "shell",
        item.name,
        where,
        value,
        path=str(item.path),
        line=item.line,
        exported=exported,
        note=note,
        show_value=item.action == "set",
    )
