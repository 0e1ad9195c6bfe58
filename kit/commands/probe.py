"""`python -m kit probe`: every key through every client, one tidy row per request, zero tokens by default."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kit.catalog import catalog, runs_dir
from kit.commands.inputs import check_api_url, check_out, check_run_dir, read_key_file
from kit.env import Environment
from kit.errors import UsageError
from kit.guard.childenv import risky_notes
from kit.guard.files import write_private
from kit.guard.terminal import say
from kit.keys.credential import Credential

__all__ = ["probe", "read_key_files", "write_table"]

#: The table formats ``--out`` can write, by suffix.
OUT_SUFFIXES = (".csv", ".jsonl", ".json", ".html", ".htm", ".md")
_TABLE_COLUMNS = ("key", "client", "request", "model", "version", "header", "status", "answer", "outcome")


def read_key_files(paths: tuple[str, ...], env: Environment) -> list[Credential]:
    """One credential per file, raw bytes exactly as stored (alias: the file name); else ANTHROPIC_API_KEY.

    Every file goes through the bounded reader: a named pipe or ``/dev/zero`` is refused, never read.
    """
    creds: list[Credential] = []
    for name in paths:
        path = Path(name).expanduser()
        raw = read_key_file(name)
        creds.append(Credential(alias=path.name, raw=raw, source=f"file:{path}"))
    if not creds:
        value = env.get("ANTHROPIC_API_KEY")
        if value is None:
            raise UsageError(
                "no key to probe: no --key-file was given and ANTHROPIC_API_KEY is not set",
                "pass --key-file FILE (repeat it for several keys) or export ANTHROPIC_API_KEY",
            )
        creds.append(Credential(alias="ANTHROPIC_API_KEY", raw=value, source="env:ANTHROPIC_API_KEY"))
    return creds


def write_table(run: object, out: Path) -> None:
    """Save the rows: .csv, .jsonl, .json (the whole run), .html or .md, by the file's suffix."""
    from kit.probe.run import ProbeRun

    assert isinstance(run, ProbeRun)
    suffix = out.suffix.lower()
    frame = run.frame()
    if suffix == ".csv":
        write_private(out, frame.to_csv(index=False))
    elif suffix == ".jsonl":
        write_private(out, "".join(json.dumps(r.to_row(), ensure_ascii=False) + "\n" for r in run.results))
    elif suffix == ".json":
        write_private(out, json.dumps(run.to_dict(), indent=2, ensure_ascii=False, default=str))
    elif suffix in (".html", ".htm"):
        write_private(out, frame.to_html(index=False, na_rep=""))
    elif suffix == ".md":
        write_private(out, frame.to_markdown(index=False) if _has_tabulate() else frame.to_string(index=False))
    else:
        raise UsageError(
            f"cannot tell the format of {out} from its suffix", "name the file .csv, .jsonl, .json, .html or .md"
        )


def _has_tabulate() -> bool:
    import importlib.util

    return importlib.util.find_spec("tabulate") is not None


def _table(run: object) -> str:
    from kit.probe.run import ProbeRun

    assert isinstance(run, ProbeRun)
    table = run.table()
    if table.empty:
        return "(no attempts)"
    table["answer"] = table["answer"].str.slice(0, 60)
    return str(table[list(_TABLE_COLUMNS)].to_string(index=False))


@click.command()
@click.option(
    "--api-url",
    default=None,
    metavar="URL",
    help="The API's base URL (default: the official https://api.anthropic.com).",
)
@click.option(
    "--key-file",
    "key_files",
    multiple=True,
    metavar="FILE",
    help="A file holding one key, read as raw bytes (repeat for several). Default: $ANTHROPIC_API_KEY.",
)
@click.option("--model", "models", multiple=True, metavar="M", help="A model id to check (repeat).")
@click.option("--version", "versions", multiple=True, metavar="V", help="An anthropic-version to check (repeat).")
@click.option(
    "--client",
    "clients",
    multiple=True,
    metavar="C",
    help="httpx2 (default), sdk-python, curl, sdk-node (0.24.3 and current) or sdk-node@VERSION (repeat).",
)
@click.option(
    "--auth-style",
    "auth_styles",
    multiple=True,
    metavar="S",
    help="x-api-key (default), bearer, both or none, for httpx2 and curl (repeat).",
)
@click.option(
    "--plan",
    type=click.Choice(["adaptive", "full"]),
    default="adaptive",
    show_default=True,
    help="adaptive: only what can change the answer; full: every combination.",
)
@click.option(
    "--send-messages",
    is_flag=True,
    help="Also allow POST /v1/messages (max_tokens 1; spends a few tokens). Off: zero tokens.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Also allow sending keys to this host (a gateway you trust).",
)
@click.option("--run-id", default=None, help="Name the run; the same id again resumes it (nothing is sent twice).")
@click.option(
    "--run-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where the JSONL log goes (default: data/runs in a checkout, else ~/.local/state/keylab/runs).",
)
@click.option("--budget", type=click.IntRange(min=0), default=None, help="Send at most this many requests.")
@click.option("--concurrency", type=click.IntRange(min=1, max=256), default=8, show_default=True)
@click.option(
    "--rate",
    type=click.FloatRange(min=0),
    default=None,
    help="Requests per second per host (default: unlimited on loopback, 10 elsewhere).",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=20.0, show_default=True, help="Seconds per request.")
@click.option(
    "--out",
    "outs",
    type=click.Path(path_type=Path),
    multiple=True,
    metavar="PATH",
    help="Also save the table (.csv, .jsonl, .json, .html or .md; repeat for several formats).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole run as JSON on stdout.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar (default: when on a terminal).")
@click.option(
    "--timings",
    is_flag=True,
    help="Also show, per client, how long it took to get ready and to answer (stderr; always in --json).",
)
def probe(
    api_url: str | None,
    key_files: tuple[str, ...],
    models: tuple[str, ...],
    versions: tuple[str, ...],
    clients: tuple[str, ...],
    auth_styles: tuple[str, ...],
    plan: str,
    send_messages: bool,
    allow_hosts: tuple[str, ...],
    run_id: str | None,
    run_dir: Path | None,
    budget: int | None,
    concurrency: int,
    rate: float | None,
    timeout: float,
    outs: tuple[Path, ...],
    as_json: bool,
    progress: bool | None,
    timings: bool = False,
) -> None:
    """Probe every key through every client: one tidy row per request, zero tokens unless --send-messages.

    \b
    Examples:
      python -m kit probe --key-file keys/key-1.txt --key-file keys/key-2.txt
      python -m kit probe --api-url http://127.0.0.1:8080 --client httpx2 --client sdk-python \\
          --client curl --model claude-haiku-4-5 --version 2023-06-01 --plan full --out table.csv

    A run id names the log (--run-dir/<run id>.jsonl, one JSON row per request); running the same
    command with the same --run-id resumes an interrupted run without sending anything twice.
    """
    from kit.probe.engine import probe as run_probe
    from kit.probe.runlog import new_run_id

    # Every input is checked before the first request, so a typo never costs what was gathered.
    api_url = check_api_url(api_url)
    run_dir = check_run_dir(run_dir) or run_dir
    checked = [check_out(out, OUT_SUFFIXES) for out in outs]
    run_id = run_id or new_run_id()  # chosen here, so an interrupted run can be named for its resume
    env = Environment.current()
    credentials = read_key_files(key_files, env)
    for note in risky_notes(env.variables, target=api_url or catalog().official_base_url):
        click.echo(f"note: {note}", err=True)
    show = sys.stderr.isatty() if progress is None else progress
    try:
        run = run_probe(
            credentials,
            base_url=api_url or catalog().official_base_url,
            clients=clients or ("httpx2",),
            models=models,
            versions=versions,
            plan=plan,
            auth_styles=auth_styles or ("x-api-key",),
            send_messages=send_messages,
            run_id=run_id,
            run_dir=run_dir,
            concurrency=concurrency,
            budget=budget,
            allow_hosts=allow_hosts,
            progress="text" if show else None,
            rate=rate,
            timeout=timeout,
        )
    except KeyboardInterrupt:
        log = (run_dir or runs_dir()) / (run_id + ".jsonl")
        say(
            f"\ninterrupted: every finished attempt is saved in {log}; run the "
            f"same command with --run-id {run_id} to finish without repeating any",
            err=True,
        )
        sys.exit(130)
    for out in checked:
        if out is not None:
            write_table(run, out)
    if as_json:
        say(json.dumps(run.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        say(_table(run))
        say("")
        say("\n".join(run.explanation))
    if not show:
        say(run.summary(), err=True)
    if timings:
        from kit.probe.timings import timing_lines

        say(
            "\n".join([f"timings ({run.elapsed_s:.2f} s in all), per client:", *timing_lines(run.client_timings())]),
            err=True,
        )
