"""`python -m kit doctor`: the whole investigation in one command, ending in a named cause and its fix.

It discovers credentials the way the user's clients do (process environment, ``.env`` from the
working directory upwards, shell start-up files in HOME, the SDK's profiles, each ``--key-file``),
inspects their bytes, checks the network path, probes the API (zero tokens) and prints the ranked
findings with their evidence: the fingerprint and hint of every source, the key each client really
sends, the request ids, and what the attempts rule out.

Requests go only to ``--api-url``, loopback and ``--allow-host`` hosts. With ``--json`` the output is
one JSON object ``{"findings": [...], "keys": [...], "attempts": [...], ...}``, findings most important
first. Exit status: 0 when the top finding is ``healthy``, 1 otherwise, 2 on a usage error. Bad input
(an unreadable file, a missing HOME, a binary ``.env``, no network) becomes a finding or a clear
message, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from kit.catalog import catalog
from kit.diagnose.diagnosis import Diagnosis
from kit.env import Environment
from kit.errors import KitError, UsageError
from kit.guard.childenv import risky_notes
from kit.guard.redact import scrub
from kit.guard.terminal import say
from kit.keys.report import KeyReport
from kit.values import AttemptResult, Evidence, PathCheck, Source, Winner

if TYPE_CHECKING:
    pass

__all__ = ["DoctorResult", "doctor", "render_json", "render_text", "render_timings", "run_doctor"]

@dataclass(frozen=True)
class DoctorResult:
    """What one doctor run found: the diagnosis, the evidence it was made from, and how the run went."""

    diagnosis: Diagnosis
    api_url: str
    run_id: str = ""
    run_log: str | None = None
    notes: tuple[str, ...] = field(default=())
    timings: tuple[tuple[str, float], ...] = field(default=())  # (stage, wall seconds)
    provider: str = "anthropic"

    @property
    def evidence(self) -> Evidence:
        return self.diagnosis.evidence

    @property
    def exit_code(self) -> int:
        return self.diagnosis.exit_code


# ---------------------------------------------------------------- running


def _check_key_files(paths: Sequence[Path]) -> None:
    """A named key file that cannot be read is a usage error with a clear message (exit 2).

    The look goes through the bounded reader, so a named pipe or a device is refused rather than opened.
    """
    from kit.commands.inputs import read_key_file

    for path in paths:
        read_key_file(str(path))


def run_doctor(
    env: Environment,
    *,
    api_url: str = "",
    key_files: Sequence[str | Path] = (),
    models: Sequence[str] = (),
    versions: Sequence[str] = (),
    clients: Sequence[str] = (),
    allow_hosts: Sequence[str] = (),
    run_dir: str | Path | None = None,
    progress: str | None = None,
    check_network: bool = True,
    sandbox: str | Path | None = None,
    provider: str = "anthropic",
    run_key_helper: bool = False,
) -> DoctorResult:
    """The doctor without the command line: investigate ``env`` and diagnose. Raises only ``KitError``.

    The scenario suite and users' own tests call this in-process; ``python -m kit doctor`` is a thin
    shell over it.
    """
    from kit import investigate as inv
    from kit.commands.inputs import check_api_url, check_run_dir
    from kit.providers import provider as profile_of

    profile = profile_of(provider)
    if profile.protocol != "anthropic" and not api_url:
        api_url = profile.official_base_url  # its root is the target; the zero-token path is the profile's
    paths = [Path(p) for p in key_files]
    _check_key_files(paths)
    api_url = check_api_url(api_url) or ""
    run_dir = check_run_dir(run_dir)
    for flag, values in (("--model", models), ("--version", versions), ("--allow-host", allow_hosts)):
        for value in values:
            if not value.strip() or any(c.isspace() for c in value):
                raise UsageError(f"{flag} {value!r} is empty or holds spaces", f"pass one plain id per {flag}")
    s = inv.setup(api_url=api_url, key_files=paths, models=models, versions=versions, clients=clients,
                  allow_hosts=allow_hosts, run_dir=run_dir, env=env, sandbox=sandbox)
    # The user named --api-url as where the API is: it is the target, so keys may go there.
    s = replace(s, run_key_helper=run_key_helper)
    target = urlsplit(s.api_url).hostname or ""
    if target and target not in s.allow_hosts:
        s = replace(s, allow_hosts=(*s.allow_hosts, target))
    if profile.name != "anthropic":
        from kit.investigate.provider_run import investigate_provider

        found = investigate_provider(s, profile)
        return DoctorResult(diagnosis=found.diagnosis, api_url=s.api_url, run_id=s.run_id,
                            run_log=str(found.probe.log_path) if found.probe is not None else None,
                            notes=found.notes, provider=profile.name)
    investigation = inv.investigate(s, check_network=check_network, progress=progress)
    log = investigation.run_log
    diagnosis = investigation.diagnosis
    # Risky variables may be why the user's own app differs from the probe.
    risky = tuple(risky_notes(s.env.variables, target=s.api_url))
    if risky:
        diagnosis = replace(diagnosis, notes=(*risky, *diagnosis.notes))
    return DoctorResult(diagnosis=diagnosis, api_url=s.api_url, run_id=s.run_id,
                        run_log=str(log) if log is not None else None, notes=(*risky, *investigation.notes),
                        timings=investigation.timings)


# ---------------------------------------------------------------- rendering


def _table(rows: Sequence[Sequence[str]], header: Sequence[str], indent: str = "    ") -> list[str]:
    if not rows:
        return [indent + "(none)"]
    cells = [list(header)] + [[c if c else "-" for c in row] for row in rows]
    widths = [min(max(len(r[i]) for r in cells), 60) for i in range(len(header))]
    out = []
    for n, row in enumerate(cells):
        line = "  ".join((c if len(c) <= 60 else c[:57] + "...").ljust(w) for c, w in zip(row, widths, strict=True))
        out.append(indent + line.rstrip())
        if n == 0:
            out.append(indent + "  ".join("-" * w for w in widths))
    return out


def _source_rows(sources: Iterable[Source], winners: Sequence[Winner]) -> list[list[str]]:
    rows = []
    for s in sources:
        won = sorted({w.client for w in winners if w.source_id == s.id})
        flags = []
        if s.exported:
            flags.append("exported")
        if s.note:
            flags.append(s.note)
        rows.append([s.location, s.variable or "", s.fingerprint or "", s.hint or "",
                     str(s.length) if s.length is not None else "", ", ".join(won), "; ".join(flags)])
    return rows


def _winner_rows(winners: Iterable[Winner], sources: Sequence[Source]) -> list[list[str]]:
    where = {s.id: s.location for s in sources}
    rows = []
    for w in winners:
        client = f"{w.client} {w.client_version}".strip()
        source = where.get(w.source_id or "", w.source_id or "nothing found")
        rows.append([client, source, w.header or "", w.fingerprint or "", w.hint or "", w.base_url])
    return rows


def _key_rows(keys: Iterable[KeyReport]) -> list[list[str]]:
    rows = []
    for k in keys:
        defects = "; ".join(d.describe() for d in k.defects) or "none"
        rows.append([k.alias, k.kind_label, f"{k.length}" + (f"/{k.expected_length}" if k.expected_length else ""),
                     k.fingerprint, k.hint, defects])
    return rows


def _answer(a: AttemptResult) -> str:
    if a.transport_error:
        return a.transport_error + (f": {a.client_error}" if a.client_error else "")
    if a.status is None:
        return a.client_error or "no answer"
    text = f"{a.status} {a.error_message or ''}".strip()
    if a.responder not in ("anthropic", "unknown"):
        text += f" [{a.responder}]"
    return text


def _attempt_rows(attempts: Iterable[AttemptResult]) -> list[list[str]]:
    rows = []
    for a in attempts:
        rows.append([a.key_alias, a.client, f"{a.method} {a.endpoint}", a.model or "", a.api_version or "",
                     a.auth_style, _answer(a), a.request_id or ""])
    return rows


def _path_rows(path: Iterable[PathCheck]) -> list[list[str]]:
    """One row per distinct check; the clients that share it are listed together (failures first)."""
    mark = {True: "ok", False: "FAIL", None: "-"}
    rows: dict[tuple[str, str, str, str], list[str]] = {}
    timing: dict[tuple[str, str, str, str], str] = {}
    for p in sorted(path, key=lambda p: p.ok is not False):
        key = (p.step, p.target, mark[p.ok], p.verdict)
        rows.setdefault(key, [])
        if p.client and p.client not in rows[key]:
            rows[key].append(p.client)
        timing.setdefault(key, f"{p.elapsed_ms:.0f} ms" if p.elapsed_ms is not None else "")
    return [[step, ", ".join(clients) or "all", target, ok, verdict, timing[(step, target, ok, verdict)]]
            for (step, target, ok, verdict), clients in rows.items()]


def render_text(result: DoctorResult) -> str:
    """The doctor's report for a terminal: the diagnosis first, then the evidence it rests on."""
    d, e = result.diagnosis, result.evidence
    requests = len(e.attempts)
    label = "" if result.provider == "anthropic" else f"{result.provider} "
    head = (f"KeyLab doctor · {label}API {result.api_url} · {len(e.keys)} key(s) from {len(e.sources)} source(s) · "
            f"{len({w.client for w in e.winners})} client(s) · {requests} request(s), 0 tokens")
    from kit.present.verdict import verdict_card

    findings = d.to_text().rstrip().splitlines()[2:]  # the card below says the headline
    head_lines = [head, "=" * min(len(head), 100), "", *verdict_card(d).to_text().rstrip().splitlines(), "",
                  *findings, "", "Evidence", "--------"]
    lines = list(head_lines)
    lines += ["  Credential sources (where each value lives; fingerprint = first 12 hex of its SHA-256):"]
    lines += _table(_source_rows(e.sources, e.winners),
                    ("source", "variable", "fingerprint", "hint", "chars", "wins for", "note"))
    lines += ["", "  Who wins, per client (the key each client really sends):"]
    lines += _table(_winner_rows(e.winners, e.sources), ("client", "from", "header", "fingerprint", "hint", "base URL"))
    lines += ["", "  Keys (their bytes):"]
    lines += _table(_key_rows(e.keys), ("key", "kind", "length", "fingerprint", "hint", "defects"))
    lines += ["", "  Requests (what the API answered, with its request ids):"]
    lines += _table(_attempt_rows(e.attempts),
                    ("key", "client", "request", "model", "version", "auth", "answer", "request id"))
    if e.path:
        lines += ["", "  Network path:"]
        lines += _table(_path_rows(e.path), ("step", "clients", "target", "ok", "verdict", "time"))
    if result.run_log:
        lines += ["", f"Run log: {result.run_log}"]
    # Findings were scrubbed by the diagnosis; scrub the evidence lines one by one (scrubbing the whole
    # report would read "Bearer (confidence …" as a bearer token).
    return "\n".join(line if n < len(head_lines) else scrub(line)
                     for n, line in enumerate(lines)).rstrip() + "\n"


def _key_dict(k: KeyReport) -> dict[str, Any]:
    return {
        "alias": k.alias, "fingerprint": k.fingerprint, "hint": k.hint, "masked": k.masked, "length": k.length,
        "byte_length": k.byte_length, "kind": k.kind, "kind_label": k.kind_label, "role": k.role,
        "expected_length": k.expected_length, "well_formed": k.well_formed,
        "defects": [{"cause": d.cause, "detail": d.detail, "position": d.position, "char": d.char} for d in k.defects],
        "repaired_fingerprint": k.repaired_fingerprint, "repaired_hint": k.repaired_hint, "notes": list(k.notes),
        "provider": k.provider,
    }


def _scrub_tree(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub_tree(v) for v in value]
    return value


def render_timings(result: DoctorResult) -> str:
    """Each stage's wall time, slowest first, and the total: why a run took as long as it did."""
    total = sum(seconds for _, seconds in result.timings)
    rows = sorted(result.timings, key=lambda item: -item[1])
    width = max((len(stage) for stage, _ in rows), default=5)
    lines = [f"timings ({total:.2f} s in all):"]
    lines += [f"  {stage.ljust(width)}  {seconds:7.3f} s" for stage, seconds in rows]
    return "\n".join(lines)


def render_json(result: DoctorResult, *, timings: bool = False) -> str:
    """One JSON object: findings (most important first), keys, attempts, and the rest of the evidence."""
    from dataclasses import asdict

    d, e = result.diagnosis, result.evidence
    data = {
        "findings": [f.to_dict() | {"explains": f.explains} for f in d.findings],
        "keys": [_key_dict(k) for k in e.keys],
        "attempts": [a.to_row() for a in e.attempts],
        "top": d.top.cause if d.top else None,
        "exit_code": result.exit_code,
        "api_url": result.api_url,
        "run_id": result.run_id,
        "attribution": d.attribution.to_dict(),
        "ruled_out": list(d.ruled_out),
        "sources": [asdict(s) for s in e.sources],
        "winners": [asdict(w) for w in e.winners],
        "path": [asdict(p) for p in e.path],
        "notes": list(d.notes),
    }
    if timings:
        data["timings"] = {stage: round(seconds, 4) for stage, seconds in result.timings}
    return json.dumps(_scrub_tree(data), ensure_ascii=False, default=str)


# ---------------------------------------------------------------- the command


def _current_env() -> Environment:
    try:
        return Environment.current()
    except (FileNotFoundError, PermissionError) as exc:
        raise UsageError(f"the working directory cannot be read ({exc.strerror or type(exc).__name__})",
                         "cd into your project folder and run the doctor again") from None


@click.command()
@click.option("--api-url", default=None, metavar="URL",
              help=f"Where the official API is (default {catalog().official_base_url}); the simulator's URL "
                   "stands in for it in demos and tests.")
@click.option("--key-file", "key_files", multiple=True, metavar="PATH",
              help="A file holding one key, read as raw bytes (repeatable).")
@click.option("--model", "models", multiple=True, metavar="ID", help="A model your application calls (repeatable).")
@click.option("--version", "versions", multiple=True, metavar="VERSION",
              help="An anthropic-version value your application sends (repeatable; default: each client's own).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST",
              help="Another host KeyLab may send keys to (a base URL found in your environment, say).")
@click.option("--run-dir", default=None, metavar="DIR",
              help="Where the probe's JSONL run log goes (default: data/runs in the KeyLab folder).")
@click.option("--provider", default=None, metavar="NAME",
              help="Check one provider's API (anthropic, openai, gemini, or an OpenAI-compatible one). Default: "
                   "every provider whose key variable is set; with --api-url, anthropic.")
@click.option("--ci", "ci", is_flag=True,
              help="Inside GitHub Actions: print ::error::/::warning:: annotations and exit 1 on any blocker.")
@click.option("--run-key-helper", is_flag=True,
              help="Run Claude Code's apiKeyHelper to check what it prints (never run otherwise).")
@click.option("--sandbox", default=None, metavar="NAME",
              help="Diagnose a demo sandbox (data/demo/NAME, e.g. ticket) instead of this machine's environment; "
                   "pair it with the simulator's URL as --api-url.")
@click.option("--timings", is_flag=True,
              help="Also show the wall time of each stage, so a wait can be explained (stderr; `timings` in JSON).")
def doctor(api_url: str | None, key_files: tuple[str, ...], models: tuple[str, ...], versions: tuple[str, ...],
           as_json: bool, allow_hosts: tuple[str, ...], run_dir: str | None, provider: str | None,
           sandbox: str | None, timings: bool, ci: bool = False, run_key_helper: bool = False) -> None:
    """Find out why your key is refused: name the cause, show the evidence, give the fix.

    Exit status: 0 when a key works end to end (top finding `healthy`), 1 when something blocks,
    2 on a usage error.
    """
    from kit.commands.doctor_providers import MultiResult, render_json_all, render_text_all

    try:
        env = _current_env()
        names = _providers_to_check(env, provider, api_url, sandbox)
        parts = tuple(run_doctor(
            env, api_url=api_url or "", key_files=key_files, models=models, versions=versions,
            allow_hosts=allow_hosts, run_dir=run_dir, sandbox=sandbox, provider=name, run_key_helper=run_key_helper,
            progress=None if as_json or ci or not sys.stderr.isatty() else "text",
        ) for name in names)
    except KitError as exc:
        say(f"error: {scrub(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        say("interrupted: finished requests are kept in the run log", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug must still not print a traceback that could hold a secret
        say(f"error: KeyLab failed unexpectedly ({type(exc).__name__}: {scrub(str(exc))[:300]})\n"
                   "  fix: please report this with the command you ran (no key is in this message)", err=True)
        sys.exit(2)
    if ci:
        from kit.commands.annotations import ci_exit_code, workflow_commands

        for part in parts:
            for line in workflow_commands(part.diagnosis):
                say(line)
    if len(parts) == 1:
        say(render_json(parts[0], timings=timings) if as_json else render_text(parts[0]).rstrip("\n"))
        if timings and not as_json:
            say(render_timings(parts[0]), err=True)
        sys.exit(ci_exit_code(parts[0].diagnosis) if ci else parts[0].exit_code)
    multi = MultiResult(parts)
    say(render_json_all(multi, render_json) if as_json else render_text_all(multi, render_text).rstrip("\n"))
    sys.exit(max(ci_exit_code(p.diagnosis) for p in parts) if ci else multi.exit_code)


def _providers_to_check(env: Environment, provider: str | None, api_url: str | None,
                        sandbox: str | None) -> tuple[str, ...]:
    """``--provider``; else the sandbox's provider; else anthropic with ``--api-url``; else every provider found."""
    from kit.providers import providers
    from kit.sources.provider_sources import found_providers

    if provider:
        if provider not in providers():
            raise UsageError(f"--provider {provider!r} is not a provider KeyLab knows",
                             f"use one of: {', '.join(providers())}")
        return (provider,)
    if sandbox:
        from kit.investigate.setup import sandbox_provider

        return (sandbox_provider(sandbox),)
    if api_url:
        return ("anthropic",)
    return found_providers(env)
