"""GitHub Actions workflow commands for the doctor's findings (``python -m kit doctor --ci``).

A blocker becomes ``::error title=KeyLab: <cause>::<title> · fix: <fix>`` and a warning ``::warning ...``, so the
step shows them on the run's summary; the text is scrubbed already (findings never hold a key) and escaped
the way GitHub's toolkit does (``%``, CR, LF; and ``:``, ``,`` inside properties).
"""

from __future__ import annotations

from kit.diagnose.diagnosis import Diagnosis

__all__ = ["ci_exit_code", "workflow_commands"]

_LEVEL = {"blocker": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(diagnosis: Diagnosis) -> list[str]:
    """One workflow command per finding that is not ``healthy``, most important first."""
    out = []
    for f in diagnosis.findings:
        if f.cause == "healthy":
            continue
        message = f.title + (f" · fix: {f.fix}" if f.fix else "")
        out.append(f"::{_LEVEL.get(f.severity, 'notice')} title={_property('KeyLab: ' + f.cause)}::{_data(message)}")
    return out


def ci_exit_code(diagnosis: Diagnosis) -> int:
    """1 when any finding blocks (the workflow step fails), else 0."""
    return 1 if diagnosis.blockers else 0
