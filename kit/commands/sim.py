"""`python -m kit sim`."""

from __future__ import annotations

import click

from kit.errors import UsageError


@click.command()
def sim() -> None:
    """(being built)"""
    raise UsageError("'sim' is not available in this build yet", "use the notebooks for now")
