"""The notebook panels of a session: one ``StepPanel`` per step, with the controls that step offers.

The guided notebook (00) and the focused ones (01–04) use the same panels; ``detail`` chooses the fuller
view. A panel's Run button re-runs its stage through the session's runner, which drops everything computed
from the old value.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.catalog import catalog

if TYPE_CHECKING:
    from kit.present.session import Session
    from kit.present.widgets import StepPanel

__all__ = ["STEPS", "export_note", "export_path", "panel"]

#: The steps of the guided investigation, in order.
STEPS = ("setup", "sources", "keys", "path", "probe", "diagnosis", "report")


def panel(session: Session, step: str, detail: bool = False, **defaults: Any) -> StepPanel:
    """The panel for ``step`` (``sources``, ``keys``, ``more-keys``, ``path``, ``probe``, ``diagnosis``, ``report``)."""
    makers = {
        "sources": _sources,
        "keys": _keys,
        "more-keys": _more_keys,
        "path": _path,
        "probe": _probe,
        "diagnosis": _diagnosis,
        "report": _report,
    }
    if step not in makers:
        raise ValueError(f"unknown step {step!r}; use one of {STEPS[1:]} or 'more-keys'")
    return makers[step](session, detail, defaults)


def _sources(session: Session, detail: bool, _defaults: dict[str, Any]) -> StepPanel:
    from kit.present.widgets import StepPanel

    title = "Find every source and the winner per client" if detail else "1 · Where the keys come from"
    return StepPanel(
        title,
        lambda _v: session.sources_step(detail),
        button="Look again" if detail else "Run",
        show=lambda _v: session.sources_step(detail, fresh=False),
    )


def _keys(session: Session, detail: bool, _defaults: dict[str, Any]) -> StepPanel:
    from kit.present.widgets import StepPanel

    title = "Every key, byte by byte" if detail else "2 · What the keys' bytes say"
    return StepPanel(
        title, lambda _v: session.keys_step(detail), show=lambda _v: session.keys_step(detail, fresh=False)
    )


def _more_keys(session: Session, _detail: bool, _defaults: dict[str, Any]) -> StepPanel:
    """Inspect one more named source (a variable, a .env file, a key file) without touching the session."""
    import ipywidgets as w

    from kit.present.widgets import StepPanel

    controls = {
        "variable": w.Text(value="", placeholder="MY_CLAUDE_KEY", description="variable"),
        "dotenv": w.Text(value="", placeholder="path/to/.env", description=".env file"),
        "file": w.Text(value="", placeholder="path/to/key.txt", description="key file"),
    }

    def again(values: dict[str, Any]) -> list[Any]:
        s = session.setup
        more = replace(
            s,
            key_variables=(*s.key_variables, *([values["variable"]] if values["variable"] else [])),
            dotenv_files=(*s.dotenv_files, *([Path(values["dotenv"])] if values["dotenv"] else [])),
            key_files=(*s.key_files, *([Path(values["file"])] if values["file"] else [])),
        )
        return type(session)(more, extra=list(session.extra)).keys_step(detail=True)

    return StepPanel("Inspect a named source", again, controls, button="Inspect")


def _path(session: Session, detail: bool, _defaults: dict[str, Any]) -> StepPanel:
    import ipywidgets as w

    from kit.present.widgets import StepPanel

    if not detail:
        return StepPanel(
            "3 · The network path",
            lambda _v: session.path_step(),
            button="Run the checks",
            show=lambda _v: session.path_step(fresh=False),
        )
    controls = {
        "url": w.Text(value=session.setup.api_url, description="URL", layout=w.Layout(width="32em")),
        "timeout": w.FloatText(
            value=float(session.path_options.get("timeout", 5.0)),
            description="timeout (s)",
            layout=w.Layout(width="12em"),
        ),
    }
    return StepPanel(
        "The network path",
        lambda v: session.path_step(v, detail=True),
        controls,
        button="Run the checks",
        show=lambda v: session.path_step(v, detail=True, fresh=False),
    )


def _probe(session: Session, detail: bool, defaults: dict[str, Any]) -> StepPanel:
    import ipywidgets as w

    from kit.present.widgets import StepPanel

    s = session.setup
    session.run.ensure("discover")
    aliases = [c.alias for c in session.run.credentials]
    clients = list(dict.fromkeys([*s.clients, *_known_clients()]))
    if not detail:
        model_options = list(dict.fromkeys([*s.models, "claude-haiku-4-5", "claude-sonnet-4-6"]))
        version_options = list(dict.fromkeys([*s.versions, *catalog().versions]))
        controls = {
            "keys": w.SelectMultiple(options=aliases, value=aliases, description="keys", rows=4),
            "clients": w.SelectMultiple(options=clients, value=list(s.clients), description="clients", rows=4),
            "models": w.SelectMultiple(options=model_options, value=list(s.models), description="models", rows=4),
            "versions": w.SelectMultiple(
                options=version_options, value=list(s.versions), description="versions", rows=4
            ),
            "plan": w.Dropdown(
                options=["adaptive", "full"], value=defaults.get("plan", "adaptive"), description="plan"
            ),
        }
        return StepPanel(
            "4 · Ask the API (zero tokens)",
            session.probe_step,
            controls,
            button="Run the probe",
            show=lambda v: session.probe_step(v, fresh=False),
        )
    controls = {
        "keys": w.SelectMultiple(options=aliases, value=aliases, description="keys", rows=min(6, max(2, len(aliases)))),
        "clients": w.SelectMultiple(options=clients, value=list(s.clients), description="clients", rows=5),
        "models": w.Textarea(
            value=", ".join(s.models),
            description="models",
            placeholder="claude-haiku-4-5, …",
            layout=w.Layout(width="30em", height="5em"),
        ),
        "versions": w.Text(
            value=", ".join(s.versions),
            description="versions",
            placeholder="2023-06-01, …",
            layout=w.Layout(width="30em"),
        ),
        "plan": w.ToggleButtons(
            options=["adaptive", "full"], value=defaults.get("plan", "adaptive"), description="plan"
        ),
        "send_messages": w.Checkbox(
            value=bool(defaults.get("send_messages")), description="allow messages (spends tokens)", indent=False
        ),
        "run_id": w.Text(value="", description="run id", placeholder="empty: a new run"),
    }

    def run_matrix(values: dict[str, Any]) -> list[Any]:
        # The live bar shows in the panel's progress area (StepPanel captures it there) and is cleared after.
        return session.probe_step(
            {**values, "progress": "notebook", "budget": defaults.get("budget"), "run_id": values["run_id"].strip()},
            detail=True,
        )

    return StepPanel("Probe every key through every client", run_matrix, controls, button="Run the probe")


def _known_clients() -> tuple[str, ...]:
    from kit.path.routing import CLIENTS

    return tuple(CLIENTS)


def _diagnosis(session: Session, _detail: bool, _defaults: dict[str, Any]) -> StepPanel:
    from kit.present.widgets import StepPanel

    return StepPanel("5 · Diagnosis", lambda _v: session.diagnosis_step(), button="Diagnose again")


def _report(session: Session, _detail: bool, _defaults: dict[str, Any]) -> StepPanel:
    import ipywidgets as w

    from kit.present.widgets import StepPanel

    target = w.Text(value=str(export_path("", session.setup.run_id)), description="file", layout=w.Layout(width="48em"))

    def export(values: dict[str, Any]) -> list[Any]:
        return export_note(session.export(values["file"]))

    return StepPanel("6 · Export the report", export, {"file": target}, button="Export HTML")


def export_note(path: Path) -> list[Any]:
    """Where the export went: its absolute path and a link that opens it (relative to the kernel's folder)."""
    import os

    from kit.present.text import code_span

    try:
        link = Path(os.path.relpath(path, Path.cwd())).as_posix()
    except ValueError:  # another drive (Windows): only the path
        link = path.as_uri()
    return [
        f"Report written to {code_span(str(path))} ([open it]({link.replace(' ', '%20')}); self-contained: "
        "open it offline or attach it to a ticket)."
    ]


def export_path(out: str | Path, run_id: str) -> Path:
    """Where an export goes: ``reports/keylab-<run id>.html`` under the project root unless named; absolute."""
    from kit.catalog import work_root

    path = Path(out).expanduser() if str(out).strip() else Path("reports") / f"keylab-{run_id}.html"
    return (path if path.is_absolute() else work_root() / path).resolve()
