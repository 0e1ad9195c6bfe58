"""Read shell start-up files (bash, zsh, sh, fish, csh) the way the shell would, without running them.

A stale ``export ANTHROPIC_API_KEY=...`` in ``~/.zshrc`` is the most common reason a new key "does not
work": every new terminal exports the old one, and dotenv loaders do not override it. This module finds
every assignment to a variable, with its file, line, quoting and whether it is exported, follows
``source``/``.`` includes, and works out which value a new terminal ends up with.

It is a reader, not a shell: command substitutions are not run (except the common ``$(cat FILE)``,
which is read), functions are not called, and conditions are not evaluated; such assignments are
marked so that the report can say so. Values are secrets: ``Assignment.value`` never appears in a
repr, and notes are scrubbed.

Modules, in the order of work: ``startup`` (which files), ``walk`` (one file and what it sources), ``lexer``
(words), ``expand`` (one word's value), ``parse`` with ``posix``/``csh``/``fish`` (statements to
assignments, sharing ``state``), ``terminal`` (what a new terminal ends up with); ``records`` holds the
values and ``files`` the bounded reads.
"""

from kit.sources.shellrc.files import MAX_SHELL_FILE_BYTES
from kit.sources.shellrc.parse import parse_text
from kit.sources.shellrc.records import (
    AssignAction,
    Assignment,
    Quoting,
    ShellFile,
    ShellSyntax,
    Startup,
    StartupShell,
)
from kit.sources.shellrc.startup import shell_name, startup_files
from kit.sources.shellrc.terminal import Effective, effective
from kit.sources.shellrc.walk import read_file

__all__ = [
    "MAX_SHELL_FILE_BYTES",
    "AssignAction",
    "Assignment",
    "Effective",
    "Quoting",
    "ShellFile",
    "ShellSyntax",
    "Startup",
    "StartupShell",
    "effective",
    "parse_text",
    "read_file",
    "shell_name",
    "startup_files",
]
