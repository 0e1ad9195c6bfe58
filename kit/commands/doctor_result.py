"""What one doctor run found: the diagnosis, the evidence it rests on, and how the run went."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kit.values import Evidence

if TYPE_CHECKING:
    from kit.diagnose.diagnosis import Diagnosis
    from kit.probe.timings import ClientTiming


@dataclass(frozen=True)
class DoctorResult:
    """What one doctor run found: the diagnosis, the evidence it was made from, and how the run went."""

    diagnosis: Diagnosis
    api_url: str
    run_id: str = ""
    run_log: str | None = None
    notes: tuple[str, ...] = field(default=())
    timings: tuple[tuple[str, float], ...] = field(default=())  # (stage, wall seconds), in stage order
    provider: str = "anthropic"
    wall_s: float = 0.0  # the whole investigation (stages overlap, so it is less than their sum)
    client_timings: tuple[ClientTiming, ...] = field(default=())  # the probe's, per client

    @property
    def evidence(self) -> Evidence:
        return self.diagnosis.evidence

    @property
    def exit_code(self) -> int:
        return self.diagnosis.exit_code


# ---------------------------------------------------------------- running
