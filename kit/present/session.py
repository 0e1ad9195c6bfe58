"""One notebook investigation: the stages' values so far, and each step rendered as plain outputs.

A ``Session`` is what a notebook holds between cells. Each step method runs one stage, keeps its
value and returns the items to show (Markdown, DataFrames, figures); ``panel(step)`` wraps a step in
a ``kit.present.widgets.StepPanel``. The probe step's panel also re-runs the diagnosis, so clicking its Run
button brings the findings up to date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit import investigate as inv
from kit.catalog import catalog
from kit.keys.credential import Credential
from kit.keys.report import KeyReport
from kit.values import PathCheck, rows_to_frame

if TYPE_CHECKING:
    import pandas as pd

    from kit.diagnose.diagnosis import Diagnosis
    from kit.present.widgets import StepPanel
    from kit.probe.engine import ProbeRun
    from kit.sources.discover import Discovery

__all__ = ["STEPS", "Session"]

#: The steps of the guided investigation, in order.
STEPS = ("setup", "sources", "keys", "path", "probe", "diagnosis", "report")


def _frame(rows: Sequence[dict[str, Any]], columns: Sequence[str] = ()) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(list(rows), columns=list(columns) or None)


@dataclass
class Session:
    """The state of one guided investigation (mutable: the notebook fills it in step by step)."""

    setup: inv.Setup
    extra: list[Credential] = field(default_factory=list)
    discovery: Discovery | None = None
    keys: tuple[KeyReport, ...] = ()
    path: tuple[PathCheck, ...] = ()
    probe: ProbeRun | None = None
    diagnosis: Diagnosis | None = None
    admin_keys: tuple[Any, ...] = ()

    # ---------------------------------------------------------------- steps
    def setup_summary(self) -> list[Any]:
        s = self.setup
        target = s.api_url + (" (the official API)" if s.api_url == catalog().official_base_url else "")
        lines = [
            f"**Target API:** `{target}`",
            f"**Environment:** {'demo sandbox `' + s.sandbox + '`' if s.sandbox else 'this machine'} "
            f"(HOME `{s.env.home}`, working folder `{s.env.cwd}`)",
            f"**Clients to try:** {', '.join(s.clients)}",
            f"**Models:** {', '.join(s.models) or '(none named)'} · **API versions:** "
            f"{', '.join(s.versions) or '(client defaults)'}",
            f"**Run id:** `{s.run_id}` (attempts are logged to `{s.run_dir / (s.run_id + '.jsonl')}`)",
        ]
        if s.description:
            lines.insert(0, f"*{s.description}*")
        return ["\n\n".join(lines)]

    def sources_step(self) -> list[Any]:
        self.discovery = inv.discover_step(self.setup, self.extra)
        d = self.discovery
        sources = _frame(
            [{"source": x.location, "variable": x.variable or "", "hint": x.hint or "", "fingerprint": x.fingerprint
              or "", "length": x.length, "exported": "" if x.exported is None else ("yes" if x.exported else "no"),
              "note": x.note} for x in d.sources],
            ["source", "variable", "hint", "fingerprint", "length", "exported", "note"],
        ).set_index("source")
        winners = _frame(
            [{"client": w.client, "version": w.client_version, "sends": w.hint or "(nothing)",
              "fingerprint": w.fingerprint or "", "from": w.source_id or "(no key found)", "header": w.header or "",
              "base URL": w.base_url, "how we know": w.detail} for w in d.winners],
            ["client", "version", "sends", "fingerprint", "from", "header", "base URL", "how we know"],
        ).set_index("client")
        fps = {w.fingerprint for w in d.winners if w.fingerprint}
        verdict = (f"Found **{len(d.credentials)}** distinct credential(s) in **{len(d.sources)}** place(s). "
                   + ("Every client sends the same key." if len(fps) == 1 else
                      f"The clients send **{len(fps)}** different keys." if fps else "No client finds a key."))
        items: list[Any] = [verdict, "**Where each credential lives**", sources, "**What each client will send**",
                            winners]
        items += [f"⚠ {p}" for p in d.problems]
        return items

    def keys_step(self) -> list[Any]:
        from kit.present.widgets import key_table

        if self.discovery is None:
            self.sources_step()
        assert self.discovery is not None
        self.keys = inv.inspect_step(self.discovery.credentials)
        bad = [r for r in self.keys if r.defects]
        lines = [f"Inspected **{len(self.keys)}** credential(s): **{len(bad)}** with defects."]
        for r in self.keys:
            for note in r.notes[:1]:
                if r.defects:
                    lines.append(f"- `{r.alias}`: {note}")
        return ["\n".join(lines), key_table(self.keys).set_index("key")]

    def path_step(self) -> list[Any]:
        self.path = inv.path_step(self.setup)
        table = _frame(
            [{"step": c.step, "client": c.client or "", "target": c.target,
              "ok": "–" if c.ok is None else ("yes" if c.ok else "NO"), "verdict": c.verdict,
              "ms": None if c.elapsed_ms is None else round(c.elapsed_ms, 1), "fix": c.fix} for c in self.path],
            ["step", "client", "target", "ok", "verdict", "ms", "fix"],
        ).set_index("step")
        failed = [c for c in self.path if c.ok is False]
        verdict = ("Every path check passed." if not failed else
                   f"**{len(failed)}** path check(s) failed: " + "; ".join(f"{c.step}: {c.verdict}" for c in failed))
        return [verdict, table]

    def probe_step(self, values: dict[str, Any] | None = None) -> list[Any]:
        from kit.present import plots

        values = values or {}
        if self.discovery is None:
            self.sources_step()
        assert self.discovery is not None
        chosen = set(values.get("keys") or [c.alias for c in self.discovery.credentials])
        credentials = [c for c in self.discovery.credentials if c.alias in chosen]
        # A second run is a new question, not a resume of the first: give it its own run id (and log).
        setup = replace(self.setup, run_id=inv.new_run_id()) if self.probe else self.setup
        self.probe = inv.probe_step(
            setup, credentials,
            plan=values.get("plan") or "adaptive",
            clients=list(values["clients"]) if values.get("clients") else None,
            models=list(values["models"]) if values.get("models") is not None else None,
            versions=list(values["versions"]) if values.get("versions") is not None else None,
            progress="auto",
            auth_styles=inv.header_styles(self.discovery),
        )
        if not self.keys:
            self.keys = inv.inspect_step(self.discovery.credentials)
        self.admin_keys, admin_note = inv.admin_step(self.setup, self.keys)
        frame = self.frame()
        shown = frame[["key_alias", "hint", "client", "endpoint", "model", "api_version", "auth_style", "status",
                       "error_type", "error_message", "request_id", "responder", "latency_ms", "outcome", "reason"]]
        items: list[Any] = [self.probe.summary(), shown]
        if admin_note:
            items.append(admin_note)
        items += plots.heatmaps(frame, ("endpoint", "model", "api_version", "client"))
        if frame["latency_ms"].notna().any():
            items.append(plots.latency_by_client(frame))
        items.append(plots.timeline(frame))
        return items + self.diagnosis_step()

    def diagnosis_step(self) -> list[Any]:
        self.diagnosis = inv.diagnose_step(self.evidence())
        return [self.diagnosis.to_markdown()]

    # ---------------------------------------------------------------- values
    def frame(self) -> pd.DataFrame:
        return rows_to_frame(self.probe.results if self.probe else ())

    def evidence(self) -> Any:
        from kit.sources.discover import Discovery

        discovery = self.discovery or Discovery(sources=(), credentials=(), winners=(), problems=())
        return inv.evidence_from(self.setup, discovery, self.keys, self.path, self.probe, self.admin_keys)

    def export(self, out: str | Path, *, no_input: bool = True) -> Path:
        """Write a self-contained HTML report of what this session found."""
        from kit.present.report import session_report

        return session_report(self, Path(out))

    # ---------------------------------------------------------------- panels
    def panel(self, step: str) -> StepPanel:
        """The widget panel for one step (see ``STEPS``)."""
        import ipywidgets as w

        from kit.present.widgets import StepPanel

        if step == "sources":
            return StepPanel("1 · Where the keys come from", lambda _v: self.sources_step())
        if step == "keys":
            return StepPanel("2 · What the keys' bytes say", lambda _v: self.keys_step())
        if step == "path":
            return StepPanel("3 · The network path", lambda _v: self.path_step(), button="Run the checks")
        if step == "probe":
            aliases = [c.alias for c in (self.discovery.credentials if self.discovery else ())]
            model_options = list(dict.fromkeys([*self.setup.models, "claude-haiku-4-5", "claude-sonnet-4-6"]))
            version_options = list(dict.fromkeys([*self.setup.versions, *catalog().versions]))
            controls = {
                "keys": w.SelectMultiple(options=aliases, value=aliases, description="keys", rows=4),
                "clients": w.SelectMultiple(options=["httpx2", "sdk-python", "curl", "sdk-node@0.24.3"],
                                            value=list(self.setup.clients), description="clients", rows=4),
                "models": w.SelectMultiple(options=model_options, value=list(self.setup.models),
                                           description="models", rows=4),
                "versions": w.SelectMultiple(options=version_options, value=list(self.setup.versions),
                                             description="versions", rows=4),
                "plan": w.Dropdown(options=["adaptive", "full"], value="adaptive", description="plan"),
            }
            return StepPanel("4 · Ask the API (zero tokens)", self.probe_step, controls, button="Run the probe")
        if step == "diagnosis":
            return StepPanel("5 · Diagnosis", lambda _v: self.diagnosis_step(), button="Diagnose again")
        if step == "report":
            target = w.Text(value=str(Path("reports") / f"keylab-{self.setup.run_id}.html"), description="file")
            return StepPanel("6 · Export the report", lambda v: self._export_items(v["file"]), {"file": target},
                             button="Export HTML")
        raise ValueError(f"unknown step {step!r}; use one of {STEPS}")

    def _export_items(self, out: str) -> list[Any]:
        path = self.export(out)
        return [f"Report written to `{path}` (self-contained: open it offline or attach it to a ticket)."]
