"""`python -m kit probe`."""

from __future__ import annotations

import click

from kit.errors import UsageError


@click.command()
def probe() -> None:
    """(being built)"""
    raise UsageError("'probe' is not available in this build yet", "use the notebooks for now")
