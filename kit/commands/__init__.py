"""One module per CLI command; ``COMMANDS`` is what ``kit.cli`` registers."""

from __future__ import annotations

import click

from kit.commands.doctor import doctor
from kit.commands.probe import probe
from kit.commands.report import report
from kit.commands.sim import sim

__all__ = ["COMMANDS"]

COMMANDS: tuple[click.Command, ...] = (doctor, sim, probe, report)
