"""`python -m kit report`."""

from __future__ import annotations

import click

from kit.errors import UsageError


@click.command()
def report() -> None:
    """(being built)"""
    raise UsageError("'report' is not available in this build yet", "use the notebooks for now")
