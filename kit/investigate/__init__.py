"""The investigation, stage by stage: discover → inspect → route → probe → diagnose.

This package is the one place that strings the stages together: ``setup`` resolves the user's parameters,
``stages`` holds each stage as one call, ``runner.Run`` chains them (prerequisites first, stale values dropped,
hooks around each stage). ``python -m kit doctor``, ``make report`` and every notebook go through it; none of them
holds logic of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kit.investigate.runner import IN_PROCESS_CLIENTS, STAGES, Hooks, Run, Stage
from kit.investigate.setup import DEFAULT_CLIENTS, Setup, setup
from kit.investigate.stages import (
    FAMILIES,
    Investigation,
    admin_step,
    diagnose_step,
    discover_step,
    evidence_from,
    header_styles,
    inspect_step,
    path_step,
    probe_step,
)
from kit.keys.credential import Credential
from kit.probe.runlog import new_run_id

if TYPE_CHECKING:
    from kit.sources.sdk_process import SdkProcess

__all__ = [
    "DEFAULT_CLIENTS",
    "FAMILIES",
    "IN_PROCESS_CLIENTS",
    "STAGES",
    "Hooks",
    "Investigation",
    "Run",
    "Setup",
    "Stage",
    "admin_step",
    "diagnose_step",
    "discover_step",
    "evidence_from",
    "header_styles",
    "inspect_step",
    "investigate",
    "new_run_id",
    "path_step",
    "probe_step",
    "setup",
]


def investigate(
    s: Setup,
    *,
    plan: str = "adaptive",
    check_network: bool = True,
    progress: str | None = None,
    extra: Sequence[Credential] = (),
    hooks: Hooks | None = None,
    sdk: SdkProcess | None = None,
) -> Investigation:
    """Run every stage and diagnose. Failures inside a stage become evidence, not exceptions.

    ``sdk``: the official SDK's process, already started for ``s.env`` (the caller closes it).
    """
    run = Run(s, extra=tuple(extra), hooks=hooks or Hooks(), sdk=sdk)
    return run.everything(plan=plan, check_network=check_network, progress=progress)
