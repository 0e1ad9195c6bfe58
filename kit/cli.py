"""The command line: ``python -m kit doctor | sim | probe | report``.

Each command is a thin shell over the same stage functions the notebooks call; no logic lives here.
Three promises are kept here, at the edge, for every command at once:

* a ``KitError`` prints its message and fix and exits 2, never a traceback;
* a command line holding something key-shaped is refused before click parses it (click's own messages
  quote arguments, and the shell history already has them): the message says where a key goes instead;
* everything written to stdout and stderr, click's messages included, goes through ``kit.guard.redact``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from kit.errors import KitError
from kit.guard.terminal import say

__all__ = ["main"]


class _Group(click.Group):
    """The command group: loads a command's module only when that command runs (``kit.commands.COMMANDS``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from kit.commands import COMMANDS

        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        import importlib

        from kit.commands import COMMANDS

        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        command = getattr(importlib.import_module(module), cmd_name)
        assert isinstance(command, click.Command)
        return command

    def main(self, args: Sequence[str] | None = None, *rest: Any, **kw: Any) -> Any:
        from kit.commands.inputs import check_argv
        from kit.guard.redact import ScrubbingWriter, scrub

        argv = list(sys.argv[1:] if args is None else args)
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = ScrubbingWriter(sys.stdout), ScrubbingWriter(sys.stderr)
        try:
            try:
                check_argv(argv)
            except KitError as exc:
                click.echo(f"error: {scrub(exc.format_message())}", err=True)
                sys.exit(exc.exit_code)
            return super().main(argv, *rest, **kw)
        finally:
            sys.stdout, sys.stderr = saved

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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
