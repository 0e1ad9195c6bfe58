"""Reports: run a notebook headless, export it as one self-contained HTML file, and the support-ticket text.

The HTML is written with the ``keylab`` nbconvert template (the lab template without any externally
hosted script), after widget state and widget views are dropped: a report must open offline, make
no request outside itself, and read the same without JavaScript. Every export is checked for
key-shaped text before it is written.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import html
import platform
import re
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.catalog import NOTEBOOK_DIR, work_root
from kit.errors import InputError, KitError, UsageError
from kit.guard.files import write_private
from kit.guard.redact import scrub

if TYPE_CHECKING:
    from kit.present.session import Session

__all__ = [
    "ROOT",
    "build_report",
    "execute_notebook",
    "export_html",
    "scrub_notebook",
    "session_report",
    "strip_widgets",
    "support_ticket",
]

ROOT = work_root()
TEMPLATES = Path(__file__).resolve().parent / "templates"
_EXPORT_LOCK = threading.Lock()
_EXTERNAL = re.compile(r"<(?:script|link|img|iframe)[^>]+(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


def strip_widgets(nb: Any) -> Any:
    """Remove saved widget state and widget-view outputs (their content is also printed as plain output)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                continue
            if output.get("output_type") == "stream" and "\r" in output.get("text", ""):
                # progress bars: keep only the final state of each line
                output["text"] = "\n".join(line.split("\r")[-1] for line in output["text"].split("\n"))
            kept.append(output)
        cell["outputs"] = kept
    return nb


def _check_offline_and_clean(text: str, where: Path) -> str:
    match = _EXTERNAL.search(text)
    if match:
        raise KitError(
            f"the report {where} would load {match.group(0)!r} from another host",
            "report this as a bug: reports must be self-contained",
        )
    return text


@functools.cache
def _exporter(no_input: bool) -> Any:
    """One HTML exporter per variant, kept: nbconvert compiles its templates once per exporter."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="keylab", extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = no_input
    exporter.exclude_input_prompt = no_input
    exporter.exclude_output_prompt = no_input
    return exporter


def _warm_exporters() -> threading.Thread:
    """Compile both variants' templates in the background while the notebook runs (about 0.5 s of CPU).

    ``build_report`` starts this before the notebook runs: the kernel works on the other core meanwhile,
    so the exports that follow start warm. The modules both threads import are imported here, in the
    calling thread, before the thread starts: a package imported by two threads at once can be left half
    initialised for both. jupyter_client (papermill and nbconvert) failed that way, and so did IPython:
    the ``ipython3`` lexer imports it in the render while the kernel's start imports ``IPython.paths``
    (``'IPython' has no attribute 'core'`` for the rest of the process). A failure in the thread is
    ignored; the export itself reports it.
    """
    import IPython.lib.lexers  # imported before the thread starts: see above
    import IPython.paths  # noqa: F401
    import nbformat
    import papermill  # noqa: F401

    exporters = (_exporter(False), _exporter(True))
    nb = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    cell = nbformat.v4.new_code_cell("1")
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=1)]
    nb.cells = [nbformat.v4.new_markdown_cell("*warm*"), cell]

    def warm() -> None:
        for exporter in exporters:
            with _EXPORT_LOCK, contextlib.suppress(Exception):
                exporter.from_notebook_node(nb, resources={"metadata": {"name": "warm"}})

    thread = threading.Thread(target=warm, name="keylab-warm-nbconvert", daemon=True)
    thread.start()
    return thread


def export_html(notebook: Path, out: Path, *, no_input: bool = False) -> Path:
    """Export an executed notebook as a self-contained HTML file (``no_input``: outputs only, for sharing)."""
    import nbformat

    nb = strip_widgets(nbformat.read(str(notebook), as_version=4))
    with _EXPORT_LOCK:  # one exporter per variant, shared by threads: one render at a time
        body, _resources = _exporter(no_input).from_notebook_node(
            nb, resources={"metadata": {"name": "KeyLab investigation"}}
        )
    body = _check_offline_and_clean(scrub(body), out)
    return write_private(out, body)


def execute_notebook(
    notebook: Path, out: Path, parameters: Mapping[str, Any], *, cwd: Path | None = None, timeout: int = 600
) -> Path:
    """Run ``notebook`` headless with papermill ``parameters`` (never a key: names and paths only)."""
    import papermill

    from kit.present.kernel import private_kernel

    write_private(out, "")  # papermill then writes into this 0600 file (refused if it is a link)
    try:
        with private_kernel() as kernel:
            papermill.execute_notebook(
                str(notebook),
                str(out),
                parameters=dict(parameters),
                cwd=str(cwd or ROOT),
                kernel_name="python3",
                progress_bar=False,
                request_save_on_cell_execute=False,
                execution_timeout=timeout,
                **kernel,
            )
    except papermill.PapermillExecutionError as exc:
        raise KitError(
            f"the notebook {notebook.name} failed in cell {exc.exec_count}: {scrub(exc.ename)}: {scrub(exc.evalue)}",
            f"open {out} to see the failing cell",
        ) from None
    return out


def scrub_notebook(path: Path) -> Path:
    """Rewrite an executed notebook with every output through the redaction path (it is kept beside the report).

    Panels scrub what they show, but a cell's own output (a traceback, a print, a library's warning) is
    written by the kernel as it is; the notebook is an artifact like any other.
    """
    import nbformat

    from kit.guard.redact import scrub_value

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            for field in ("text", "evalue", "traceback", "ename"):
                if field in output:
                    output[field] = scrub_value(output[field])
            data = output.get("data", {})
            for mime in list(data):
                if not mime.startswith("image/"):  # base64 pictures hold no text, and scrubbing could break them
                    data[mime] = scrub_value(data[mime])
    nbformat.write(nb, str(path))
    return path


@contextlib.contextmanager
def _simulator(scenario: str | None, api_url: str | None) -> Iterator[str]:
    if api_url:
        yield api_url
        return
    from kit.sim import serve

    with serve(scenario or "ticket") as server:
        yield server.url


def build_report(
    *,
    notebook: Path = NOTEBOOK_DIR / "00-investigation.ipynb",
    out: Path = ROOT / "reports" / "investigation.html",
    scenario: str | None = "ticket",
    sandbox: str | None = "ticket",
    api_url: str | None = None,
    extra_parameters: Mapping[str, Any] | None = None,
) -> tuple[Path, Path]:
    """``make report``: start the simulator, run the notebook headless, export full and no-input HTML.

    The simulator is stopped when the context ends, also when the notebook fails. Returns the paths of
    the full report and the ``-share`` variant without code.
    """
    if not notebook.is_file():
        raise InputError(f"no notebook at {notebook}", "run from the repository root, or pass --notebook")
    if out.suffix.lower() != ".html":
        raise UsageError(
            f"the report is HTML, but {out} ends in {out.suffix or 'no suffix'!r} (the executed "
            "notebook is kept beside it as .ipynb)",
            f"name the report {out.with_suffix('.html').name}",
        )
    executed = out.with_suffix(".ipynb")
    warming = _warm_exporters()
    with _simulator(scenario, api_url) as url:
        parameters = {"api_url": url, "sandbox": sandbox or "", **(extra_parameters or {})}
        execute_notebook(notebook, executed, parameters)
    warming.join()
    scrub_notebook(executed)
    share = out.with_name(out.stem + "-share.html")
    return export_both(executed, out, share)


def export_both(executed: Path, full: Path, share: Path) -> tuple[Path, Path]:
    """The full report and its no-input share copy, rendered side by side.

    Each render is about a second of pure-Python CPU, so threads would take turns; on a POSIX system a
    forked copy of this process (templates already compiled) renders the share copy on the other core.
    The copy leaves with ``os._exit``: it runs none of this process's exit handlers (which remove its
    private folders). If the copy fails, the share copy is rendered here, so a failure is still reported.
    """
    import os

    child = os.fork() if hasattr(os, "fork") else -1
    if child == 0:  # pragma: no cover - the forked copy; its exit status is checked below
        code = 1
        try:
            export_html(executed, share, no_input=True)
            code = 0
        finally:
            os._exit(code)
    export_html(executed, full)
    if child < 0 or os.waitpid(child, 0)[1] != 0 or not share.is_file():
        export_html(executed, share, no_input=True)
    return full, share


# ------------------------------------------------------------------------------------------ ticket text


def _versions() -> dict[str, str]:
    from importlib import metadata

    found = {"python": platform.python_version(), "os": f"{platform.system()} {platform.release()}"}
    for dist in ("keylab", "anthropic", "httpx2"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[dist] = metadata.version(dist)
    return found


def support_ticket(session: Session) -> str:
    """A block a user can paste into a support ticket: environment, clients, key hints, request ids, findings."""
    lines = [
        "KeyLab investigation summary",
        "=" * 28,
        f"generated: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "environment: " + ", ".join(f"{k} {v}" for k, v in _versions().items()),
        f"target API: {session.setup.api_url}",
        "",
    ]
    if session.discovery:
        lines.append("clients and the key each sends:")
        for w in session.discovery.winners:
            lines.append(
                f"  - {w.client} {w.client_version}: {w.hint or '(no key)'} fp:{w.fingerprint or '-'} "
                f"via {w.header or '-'} from {w.source_id or '-'}"
            )
        lines.append("")
    if session.keys:
        lines.append("keys (hint, fingerprint, length, defects):")
        for report in session.keys:
            defects = ", ".join(report.causes) or "none"
            lines.append(
                f"  - {report.alias}: {report.hint} fp:{report.fingerprint} {report.length} chars; defects: {defects}"
            )
        lines.append("")
    if session.probe:
        ids = [r for r in session.probe.results if r.request_id]
        lines.append(f"requests: {len(session.probe.results)} (request ids of the API's answers below)")
        for row in ids[:12]:
            lines.append(
                f"  - {row.request_id}: {row.status} {row.error_type or ''} {row.error_message or ''} "
                f"[{row.key_alias}, {row.client}, {row.endpoint}]"
            )
        if len(ids) > 12:
            lines.append(f"  - … and {len(ids) - 12} more in the attempts log")
        lines.append("")
    if session.diagnosis:
        lines.append("findings:")
        for f in session.diagnosis.findings:
            lines.append(f"  - [{f.severity}] {f.cause}: {f.title}")
    lines.append("")
    lines.append("(No key is included: keys are shown as Console-style hints and SHA-256 fingerprint prefixes.)")
    return scrub("\n".join(lines))


# ------------------------------------------------------------------------------------------ session HTML


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'


def session_report(session: Session, out: Path) -> Path:
    """The notebook's export button: one self-contained HTML file built from the session's values.

    It opens on the verdict card; the evidence follows in the order a support engineer reads it: the
    findings, where the keys come from, their bytes, the network path, the requests, the ticket text.
    """
    from kit.present import plots
    from kit.present.prose import diagnosis_markdown
    from kit.present.tables import people
    from kit.present.text import markdown_html
    from kit.present.verdict import verdict_card
    from kit.present.views import path_summary_items, probe_table

    def section(name: str, title: str, body: str) -> str:
        return f'<h2 id="kl-{name}">{html.escape(title)}</h2>{body}'

    diagnosis = session.diagnosis
    parts = ["<h1>KeyLab investigation</h1>", verdict_card(diagnosis if session.discovery else None).to_html()]
    if diagnosis:
        parts.append(section("diagnosis", "Findings", markdown_html(diagnosis_markdown(diagnosis))))
    if session.discovery:
        parts.append(
            section(
                "sources",
                "Where the keys come from",
                "<ul>"
                + "".join(
                    f"<li>{html.escape(w.client)}: {html.escape(w.hint or '(no key)')} from "
                    f"{html.escape(w.source_id or '-')}</li>"
                    for w in session.discovery.winners
                )
                + "</ul>",
            )
        )
    if session.keys:
        from kit.present.widgets import key_table

        table = people(key_table(session.keys), ["key", "hint", "kind", "length (got / expected)", "defects"])
        parts.append(section("keys", "The keys' bytes", table.to_html()))
    if session.path:
        verdict, table = path_summary_items(session.path)
        parts.append(section("path", "The network path", markdown_html(verdict) + table.to_html()))
    if session.probe:
        frame = session.frame()
        body = probe_table(session.probe).to_html()
        for fig in plots.outcome_figures(frame):
            body += _img(plots.figure_png(fig), "outcome matrix")
        parts.append(section("probe", "What the API answered", body))
    parts.append("<h2 id='kl-ticket'>Support ticket</h2><pre>" + html.escape(support_ticket(session)) + "</pre>")
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>KeyLab report</title>"
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:0 8px}"
        "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;padding:6px;border:1px solid #ddd}"
        ".kl-finding{border-left:4px solid #999;padding:2px 10px;margin:8px 0}.kl-blocker{border-left-color:"
        "#D55E00}.kl-warning{border-left-color:#E69F00}img{max-width:100%}</style></head><body>"
        + "".join(parts)
        + "</body></html>"
    )
    page = _check_offline_and_clean(scrub(page), out)
    return write_private(out, page)
