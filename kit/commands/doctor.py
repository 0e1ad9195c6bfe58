"""`python -m kit doctor`."""

from __future__ import annotations

import click

from kit.errors import UsageError


@click.command()
def doctor() -> None:
    """(being built)"""
    raise UsageError("'doctor' is not available in this build yet", "use the notebooks for now")
