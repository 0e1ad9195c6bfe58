"""``ProbeRun``: what one probe run returns (rows, plan, explanation) and how people read it."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.values import Attempt, AttemptResult, rows_to_frame

if TYPE_CHECKING:
    import pandas as pd

    from kit.probe.timings import ClientTiming

__all__ = ["ProbeRun"]


@dataclass(frozen=True)
class ProbeRun:
    """One probe run: the rows, the plan with its reasons, and why each stage asked what it asked."""

    run_id: str
    results: tuple[AttemptResult, ...]
    plan: tuple[Attempt, ...]
    explanation: tuple[str, ...]
    log_path: Path
    strategy: str = "adaptive"
    resumed: int = 0  # rows loaded from an earlier run with this id
    sent: int = 0  # requests sent by this invocation, 429 retries included
    skipped: int = 0  # planned attempts not sent (budget reached or interrupted)
    tokens_spent: int = 0  # input + output tokens reported by /v1/messages answers of this invocation
    elapsed_s: float = 0.0
    stages: int = 1
    keys: int = 0  # distinct credentials
    #: (key, dimension, changes the answer?) from the adaptive plan's checks against their predictions
    checked: tuple[tuple[str, str, bool], ...] = field(default=())
    #: (client, seconds) each client took to get ready (install, worker, SDK import), in the order named
    ready_s: tuple[tuple[str, float], ...] = field(default=())

    def client_timings(self) -> tuple[ClientTiming, ...]:
        """Where the time went, per client (``kit.probe.timings``)."""
        from kit.probe.timings import client_timings

        return client_timings(self.results, self.ready_s)

    def outcome_counts(self) -> dict[str, int]:
        counts = Counter(r.outcome for r in self.results)
        from kit.values import OUTCOME_CLASSES

        return {name: counts[name] for name in OUTCOME_CLASSES if counts[name]}

    def summary(self) -> str:
        """One line: what ran, how fast, what it cost and what came back."""
        new = len(self.results) - self.resumed
        parts = [
            f"probe {self.run_id}: {len(self.results)} attempt{'s' * (len(self.results) != 1)}"
            f" ({self.strategy}, {self.keys} key{'s' * (self.keys != 1)}, "
            f"{self.stages} stage{'s' * (self.stages != 1)})"
        ]
        if self.resumed:
            parts.append(f"{self.resumed} resumed + {new} new")
        parts.append(f"{self.sent} request{'s' * (self.sent != 1)} in {self.elapsed_s:.1f} s")
        parts.append(f"{self.tokens_spent} tokens")
        parts.append(", ".join(f"{name} {n}" for name, n in self.outcome_counts().items()) or "no answers")
        if self.skipped:
            parts.append(f"budget reached: {self.skipped} not sent (run again with run id {self.run_id} to finish)")
        parts.append(f"log {self.log_path}")
        return " · ".join(parts)

    def frame(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame (one tidy row per attempt, with an ``outcome`` column)."""
        return rows_to_frame(self.results)

    def table(self) -> pd.DataFrame:
        """The rows as people read them: the request in a few columns and the answer in words."""
        import pandas as pd

        rows = [
            {
                "key": r.key_alias,
                "hint": r.hint,
                "client": r.client,
                "request": f"{r.method} {r.endpoint}",
                "model": r.model or "",
                "version": r.api_version or "",
                "header": r.auth_style,
                "status": "" if r.status is None else str(r.status),
                "answer": _answer_words(r),
                "outcome": r.outcome,
                "ms": None if r.latency_ms is None else round(r.latency_ms, 1),
                "request id": r.request_id or "",
                "why asked": r.reason,
            }
            for r in self.results
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "key",
                "hint",
                "client",
                "request",
                "model",
                "version",
                "header",
                "status",
                "answer",
                "outcome",
                "ms",
                "request id",
                "why asked",
            ],
        )

    def explanation_markdown(self) -> str:
        """The explanation as Markdown: each stage in bold, its reasons as a list."""
        out: list[str] = []
        for line in self.explanation:
            out.append("- " + line[4:] if line.startswith("  - ") else f"\n**{line}**\n")
        return "\n".join(out).strip()

    def effect_title(self, dimension: str) -> str:
        """A plot title that states what the attempts show about ``dimension`` (model, version, client…)."""
        attribution = self.attribution()
        auth = attribution.effect(dimension, "auth")
        full = attribution.effect(dimension, "outcome")
        if auth is None:
            return f"Outcome by key and {dimension}"
        label = auth.label
        if auth.verdict == "matters":
            return f"The {label} changes whether a key is accepted ({auth.changed} of {auth.comparisons} comparisons)"
        if full is not None and full.verdict == "matters":
            return (
                f"The {label} does not change whether a key is accepted, but changes the answer once it is "
                f"({full.changed} of {full.comparisons} comparisons)"
            )
        if auth.verdict == "moot":
            return f"The {label} cannot change a rejection: the API checks the key first"
        if auth.verdict == "no-effect":
            return f"The {label} changes nothing ({auth.comparisons} comparisons, none changed the verdict)"
        changed = sorted({alias for alias, dim, changes in self.checked if dim == auth.dimension and changes})
        if changed:
            return f"The {label} changes the answer for {', '.join(changed)} (an isolating request; see why below)"
        cleared = sorted({alias for alias, dim, changes in self.checked if dim == auth.dimension and not changes})
        if cleared:
            return (
                f"The {label} changes nothing: a check came back as predicted for {', '.join(cleared)} (see why below)"
            )
        return f"Outcome by key and {label} (one {label} per key: nothing to compare)"

    def attribution(self) -> Any:
        """Which dimensions change the answer and which do not, with counts (``kit.diagnose.attribution``)."""
        from kit.diagnose.attribution import attribute

        return attribute(self.results, models_requested=tuple(dict.fromkeys(a.model for a in self.plan if a.model)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "strategy": self.strategy,
            "summary": self.summary(),
            "log_path": str(self.log_path),
            "resumed": self.resumed,
            "sent": self.sent,
            "skipped": self.skipped,
            "tokens_spent": self.tokens_spent,
            "elapsed_s": round(self.elapsed_s, 3),
            "explanation": list(self.explanation),
            "outcomes": self.outcome_counts(),
            "client_timings": [asdict(t) for t in self.client_timings()],
            "results": [r.to_row() for r in self.results],
        }

    def _repr_markdown_(self) -> str:
        return f"**{self.summary()}**\n\n" + "\n".join(f"    {line}" for line in self.explanation)


def _answer_words(r: AttemptResult) -> str:
    """``invalid x-api-key``, ``LocalProtocolError: Illegal header value …``, ``ok``."""
    if r.transport_error:
        return f"{r.transport_error}: {r.error_message or ''}".rstrip(": ")[:90]
    if r.error_message:
        return r.error_message[:90]
    return "ok" if r.outcome == "ok" else r.outcome
