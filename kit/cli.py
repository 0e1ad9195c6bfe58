"""The command line: ``python -m kit doctor | sim | probe | report``.

Each command is a thin shell over the same stage functions the notebooks call; no logic lives here.
A ``KitError`` prints its message and fix and exits 2, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from kit.errors import KitError
from kit.guard.terminal import say

__all__ = ["main"]


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KitError as exc:
            say(f"error: {exc.format_message()}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="keylab")
def main() -> None:
    """KeyLab: find out why an API says your key is invalid, without spending tokens or leaking the key."""


def _register() -> None:
    from kit import commands

    for command in commands.COMMANDS:
        main.add_command(command)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
