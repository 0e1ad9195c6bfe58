"""One notebook investigation: the runner's values so far, and each step as a panel.

A ``Session`` is what a notebook holds between cells. It owns one ``kit.investigate.Run`` (the only place
where stages are chained) and turns each stage's value into items to show through ``kit.present.views``.
``panel(step)`` wraps a step in a ``kit.present.widgets.StepPanel``; ``detail=True`` gives the focused
notebooks' fuller view of the same step. Every notebook starts with ``Session.start(...)`` and the same
parameter names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit import investigate as inv
from kit.catalog import catalog
from kit.env import Environment
from kit.keys.credential import Credential
from kit.keys.report import KeyReport
from kit.present import views
from kit.present.panels import STEPS, export_path, panel
from kit.present.toolsview import tools_detail
from kit.present.verdict import NOTEBOOK_ANCHORS, VerdictCard, verdict_card
from kit.values import Evidence, PathCheck, rows_to_frame

if TYPE_CHECKING:
    import pandas as pd

    from kit.diagnose.diagnosis import Diagnosis
    from kit.present.widgets import StepPanel
    from kit.probe.run import ProbeRun
    from kit.sources.discover import Discovery
    from kit.sources.sdk_process import SdkProcess

__all__ = ["STEPS", "Session", "export_path"]


@dataclass
class Session:
    """The state of one guided investigation: a ``Run`` the notebook advances step by step."""

    setup: inv.Setup
    extra: list[Credential] = field(default_factory=list)
    run: inv.Run = field(init=False)
    path_options: dict[str, Any] = field(default_factory=dict)  # check_path's extra settings (a CA file, a demo)

    _live: dict[str, list[Any]] = field(default_factory=dict, init=False, repr=False)  # step → its panels/blocks
    sends: bool = field(default=True, init=False)  # False: a notebook that sends no request (investigate(send=False))

    def __post_init__(self) -> None:
        self.run = inv.Run(self.setup)

    @classmethod
    def start(
        cls,
        *,
        api_url: str = "",
        sandbox: str = "",
        demo: str = "",
        key_variables: Sequence[str] = (),
        dotenv_files: Sequence[str] = (),
        key_files: Sequence[str] = (),
        models: Sequence[str] = (),
        versions: Sequence[str] = (),
        clients: Sequence[str] = (),
        allow_hosts: Sequence[str] = (),
        run_dir: str = "",
        ask_for_key: bool = False,
        stand_in: bool = True,
        env: Environment | None = None,
        run_key_helper: bool = False,
        ask_sdk: bool = True,
    ) -> Session:
        """A session from a notebook's parameters (the same names in every notebook).

        ``demo`` names a simulator scenario that stands in for the API; a ``sandbox`` with no ``api_url``
        gets its own scenario's simulator, so a demo's fake keys never go to the real API (``stand_in=False``
        for notebooks that send nothing). ``env`` replaces this machine's environment (a path demo's).
        ``run_key_helper`` runs Claude Code's ``apiKeyHelper`` (never run otherwise). ``ask_sdk`` starts the
        official SDK's process now, so it imports while the notebook loads (``False`` for a notebook that
        neither asks who wins nor probes: the path notebook).
        """
        s = inv.setup(
            api_url=api_url,
            sandbox=sandbox or None,
            key_files=key_files,
            models=models,
            versions=versions,
            clients=clients,
            allow_hosts=allow_hosts,
            run_dir=run_dir or None,
            key_variables=key_variables,
            dotenv_files=dotenv_files,
            env=env,
        )
        s = replace(s, run_key_helper=run_key_helper)
        scenario = demo or (s.scenario if sandbox and not api_url else None)
        if stand_in and scenario and not api_url:
            from kit.demo.standin import simulator_url

            s = replace(s, api_url=simulator_url(scenario))
        session = cls(s)
        session.run.sdk = _sdk_process(s) if ask_sdk else None
        if ask_for_key:
            from kit.present.widgets import ask_key

            typed = ask_key()
            if typed is not None:
                session.extra.append(typed)
        return session

    # ---------------------------------------------------------------- the runner's values
    @property
    def discovery(self) -> Discovery | None:
        return self.run.discovery

    @property
    def keys(self) -> tuple[KeyReport, ...]:
        return self.run.keys or ()

    @property
    def path(self) -> tuple[PathCheck, ...]:
        return self.run.path or ()

    @property
    def probe(self) -> ProbeRun | None:
        return self.run.probe

    @property
    def diagnosis(self) -> Diagnosis | None:
        return self.run.diagnosis

    @property
    def admin_keys(self) -> tuple[Any, ...]:
        return self.run.admin_keys or ()

    def frame(self) -> pd.DataFrame:
        return rows_to_frame(self.probe.results if self.probe else ())

    def evidence(self) -> Evidence:
        return self.run.evidence()

    # ---------------------------------------------------------------- the answer first
    def investigate(self, plan: str = "adaptive", *, send: bool = True) -> Diagnosis:
        """Every stage once, in order, so the notebook can open on the verdict; the steps below show the evidence.

        What the stages print while they run (the probe's progress bar and summary) goes to a temporary
        output that is closed afterwards, so the notebook keeps one summary line: the probe step's.
        ``send=False`` is for a notebook that sends no request (02): only the sources and the keys' bytes,
        and the session's verdicts from then on are diagnosed from those alone (no path, probe or Admin API).
        """
        self.sends = send

        def everything() -> None:
            self.run.extra = tuple(self.extra)
            if not send:
                self.run.stage("discover")
                self.run.stage("inspect")
                return
            # The runner's overlap: the SDK imported once, in its own process, while the path is checked.
            self.run.everything(plan=plan, progress="auto", path_options=self.path_options)

        try:
            _quietly(everything)
        finally:
            if self.run.sdk is not None:  # the SDK's process served the first pass; a later click asks anew
                self.run.sdk.close()
                self.run.sdk = None
        return self._diagnosis()

    def _diagnosis(self) -> Diagnosis:
        """The diagnosis of what has been found so far (without sending anything when ``sends`` is off)."""
        if not self.sends:
            self.run.ensure("inspect")  # a "Look again" re-discovers, which drops the keys' inspection
            return inv.diagnose_step(self.run.evidence())
        diagnosis: Diagnosis = self.run.ensure("diagnose")
        return diagnosis

    def verdict(self) -> VerdictCard:
        """The verdict card of what has been found so far."""
        return verdict_card(self._diagnosis() if self.run.done("discover") else None)

    def show_verdict(self, anchors: Mapping[str, str] = NOTEBOOK_ANCHORS) -> list[Any]:
        """Display the verdict card (its evidence links: ``anchors``); it is drawn again whenever a step is re-run."""
        return self._block("verdict", lambda: [self.verdict().to_markdown(anchors)])

    def show_ticket(self) -> list[Any]:
        """Display the support-ticket text; it is drawn again whenever a step is re-run."""
        from kit.present.report import support_ticket
        from kit.present.text import code_block

        return self._block("ticket", lambda: [code_block(support_ticket(self), "text")])

    def _block(self, name: str, render: Any) -> list[Any]:
        from kit.present.widgets import LiveBlock

        block = LiveBlock(render)
        self._live.setdefault(name, []).append(block)
        return block.display()

    def refresh_after(self, step: str, clicked: Any = None) -> None:
        """A step was re-run: draw again everything computed from it (diagnosis, verdict, ticket, keys)."""
        for name in _DOWNSTREAM.get(step, _ALWAYS):
            for view in self._live.get(name, ()):
                if view is clicked:
                    continue
                if name == "report":
                    if getattr(view, "last", None):
                        view.status.value = "<i>the investigation changed since this export: export again</i>"
                    continue
                view.refresh()

    # ---------------------------------------------------------------- steps
    def setup_summary(self) -> list[Any]:
        from kit.present.text import code_span, md_text

        s = self.setup
        target = s.api_url + (" (the official API)" if s.api_url == catalog().official_base_url else "")
        where = f"demo sandbox {code_span(s.sandbox)}" if s.sandbox else "this machine"
        lines = [
            f"**Target API:** {code_span(target)}",
            f"**Environment:** {where} (HOME {code_span(str(s.env.home))}, working folder {code_span(str(s.env.cwd))})",
            f"**Clients to try:** {', '.join(code_span(c) for c in s.clients)}",
            f"**Models:** {', '.join(code_span(m) for m in s.models) or '(none named)'} · **API versions:** "
            f"{', '.join(code_span(v) for v in s.versions) or '(client defaults)'}",
            f"**Run id:** {code_span(s.run_id)} (attempts are logged to "
            f"{code_span(str(s.run_dir / (s.run_id + '.jsonl')))})",
        ]
        if s.description:
            lines.insert(0, f"*{md_text(s.description)}*")
        return ["\n\n".join(lines)]

    def _rerun(self, stage: inv.Stage, **options: Any) -> Any:
        self.run.extra = tuple(self.extra)
        return self.run.stage(stage, **options)

    def _value(self, stage: inv.Stage, fresh: bool, **options: Any) -> Any:
        """The stage's value: run again when ``fresh`` (a click), else what has been computed already."""
        if not fresh and self.run.done(stage):
            return self.run.ensure(stage)
        return self._rerun(stage, **options)

    def sources_step(self, detail: bool = False, fresh: bool = True) -> list[Any]:
        found: Discovery = self._value("discover", fresh)
        if detail:
            tools = tools_detail(found, self.run.findings("tools"))
            return views.sources_detail(found, self.run.findings("sources")) + tools
        return views.sources_summary(found, self.run.evidence())

    def keys_step(self, detail: bool = False, fresh: bool = True) -> list[Any]:
        self.run.ensure("discover")
        reports = self._value("inspect", fresh)
        if detail:
            problems = self.discovery.problems if self.discovery else ()
            return views.keys_detail(reports, self.run.findings("keys"), problems)
        return views.keys_summary(reports)

    def path_step(self, values: dict[str, Any] | None = None, detail: bool = False, fresh: bool = True) -> list[Any]:
        values = values or {}
        options = dict(self.path_options)
        if values.get("url"):
            options["url"] = values["url"]
        if values.get("timeout"):
            options["timeout"] = float(values["timeout"])
        rows = self._value("path", fresh, **options)
        return views.path_detail(rows) if detail else views.path_summary_items(rows)

    def probe_step(self, values: dict[str, Any] | None = None, detail: bool = False, fresh: bool = True) -> list[Any]:
        values = values or {}
        self.run.ensure("discover")
        chosen = set(values.get("keys") or [c.alias for c in self.run.credentials])
        options: dict[str, Any] = {
            "credentials": [c for c in self.run.credentials if c.alias in chosen],
            "plan": values.get("plan") or "adaptive",
            "clients": list(values["clients"]) if values.get("clients") else None,
            "models": _listed(values["models"]) if values.get("models") is not None else None,
            "versions": _listed(values["versions"]) if values.get("versions") is not None else None,
            "progress": values.get("progress", "auto"),
        }
        for name in ("send_messages", "budget", "run_id"):
            if values.get(name):
                options[name] = values[name]
        run: ProbeRun = self._value("probe", fresh, **options)
        if detail:
            return views.probe_matrix(run, self.run.evidence())
        notes_before = len(self.run.notes)
        self.run.ensure("admin")
        admin_note = "; ".join(self.run.notes[notes_before:]) or None
        return [*views.probe_summary_items(run, admin_note), *views.diagnosis_line(self.run.ensure("diagnose"))]

    def diagnosis_step(self) -> list[Any]:
        from kit.present.prose import diagnosis_markdown

        diagnosis: Diagnosis = self.run.ensure("diagnose")
        return [diagnosis_markdown(diagnosis)]

    def export(self, out: str | Path = "", *, no_input: bool = True) -> Path:
        """Write a self-contained HTML report of what this session found (default: the project's ``reports/``).

        A relative path is taken from the project's root (``kit.catalog.work_root()``), not from the
        kernel's folder, so the file lands where people look; the path returned is absolute.
        """
        from kit.present.report import session_report

        return session_report(self, export_path(out, self.setup.run_id))

    # ---------------------------------------------------------------- panels
    def panel(self, step: str, detail: bool = False, **defaults: Any) -> StepPanel:
        """The widget panel for one step (see ``STEPS``); ``detail`` for a focused notebook's fuller view;
        ``defaults`` are a panel's starting values (``plan``, ``budget``, ``send_messages``)."""
        made = panel(self, step, detail, **defaults)
        made.after = lambda clicked: self.refresh_after(step, clicked)
        self._live.setdefault(step, []).append(made)
        return made


#: What to draw again after a step is re-run (the runner has already dropped the stale values).
_ALWAYS = ("diagnosis", "verdict", "ticket", "report")
_DOWNSTREAM: dict[str, tuple[str, ...]] = {"sources": ("keys", *_ALWAYS)}


def _sdk_process(s: inv.Setup) -> SdkProcess | None:
    """The official SDK's own process, started with the session: it imports the SDK while the notebook loads
    its plotting code, then answers who wins and sends the probe's SDK requests (``kit.sources.sdk_process``)."""
    from kit.sources.sdk_process import SdkProcess

    return SdkProcess.start(s.env)


def _quietly(work: Any) -> None:
    """Run ``work`` with what it displays or prints in a temporary output, closed afterwards (in a kernel)."""
    try:
        import ipywidgets as w
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the notebook extras are dependencies
        work()
        return
    if get_ipython() is None:
        work()
        return
    from IPython.display import display

    area = w.Output()
    display(area)  # type: ignore[no-untyped-call]
    failure: BaseException | None = None
    with area:  # an exception must not escape inside: the Output widget would show its traceback
        try:
            work()
        except BaseException as exc:
            failure = exc
    area.outputs = ()
    area.close()
    if failure is not None:
        raise failure


def _listed(value: str | Sequence[str]) -> list[str]:
    """A list from a multiple choice or a comma-separated text box."""
    if isinstance(value, str):
        return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]
    return list(value)
