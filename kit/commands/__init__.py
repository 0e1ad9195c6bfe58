"""One module per CLI command; ``COMMANDS`` names them for ``kit.cli``, which imports one only when it runs.

Loading a command on demand keeps ``python -m kit doctor`` from importing the simulator, the probe's table
writer and the report builder before it can start the official SDK's process.
"""

from __future__ import annotations

__all__ = ["COMMANDS"]

#: Command name -> the module that defines it (as a function of the same name).
COMMANDS: dict[str, str] = {
    "doctor": "kit.commands.doctor",
    "sim": "kit.commands.sim",
    "probe": "kit.commands.probe",
    "report": "kit.commands.report",
}
