"""Tools, runtimes and CI as sources: Claude Code's files, what each env-file runtime loads, GitHub Actions.

One call for ``discover``: ``read_tools(env)`` reads them all and returns their ``Found`` sources, and
``winners(sources)`` adds one ``Winner`` per tool and runtime (``claude-code``, ``runtime:nextjs``, ...), so
the rules compare what each of them sends with what the user edited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kit.catalog import catalog
from kit.env import Environment
from kit.keys.naming import fingerprint, hint
from kit.sources.ci import from_github_actions
from kit.sources.claude_code import ClaudeCode, claude_winner, from_claude_code
from kit.sources.found import Found, secret
from kit.sources.runtimes import project_values
from kit.values import Source, Winner

__all__ = ["RUNTIME_PREFIX", "Tools", "read_tools"]

RUNTIME_PREFIX = "runtime:"
_RUNTIME_VARIABLES = ("ANTHROPIC_API_KEY",)


@dataclass
class Tools:
    found: list[Found] = field(default_factory=list)
    claude: ClaudeCode | None = None
    runtime_winners: list[Winner] = field(default_factory=list)

    def winners(self, sources: Mapping[str, Source]) -> tuple[Winner, ...]:
        out: list[Winner] = []
        if self.claude is not None and _uses_claude(self.claude, sources):
            out.append(claude_winner(self.claude, sources, catalog().official_base_url))
        return (*out, *self.runtime_winners)


def _uses_claude(cc: ClaudeCode, sources: Mapping[str, Source]) -> bool:
    """Claude Code is a client here when any of its own files or variables exist."""
    return bool(cc.found) or any(s.startswith("claude:") for s in sources)


def read_tools(env: Environment, problems: list[str], *, run_key_helper: bool = False) -> Tools:
    """Read Claude Code, the project's runtimes and CI; problems are appended to ``problems``.

    ``run_key_helper`` runs Claude Code's ``apiKeyHelper`` (the user asked); otherwise it is only described.
    """
    tools = Tools()
    cc = from_claude_code(env, run_key_helper=run_key_helper)
    problems += cc.problems
    tools.found += cc.found
    tools.claude = cc
    tools.found += from_github_actions(env)
    base = env.get("ANTHROPIC_BASE_URL") or catalog().official_base_url
    for runtime, loaded in project_values(env, _RUNTIME_VARIABLES):
        client = RUNTIME_PREFIX + runtime.name
        if loaded.path is None:
            sid = f"env:{loaded.variable}"
        else:
            sid = f"{client}:{loaded.variable}"
            note = loaded.reason + "".join(
                f"; replaces {o} ({hint(v)}, fingerprint {fingerprint(v)})" for o, v in loaded.overridden
            )
            tools.found.append(
                secret(
                    sid,
                    "runtime",
                    loaded.variable,
                    f"{loaded.origin} as {runtime.entry['name']} loads it",
                    loaded.value or "",
                    path=str(loaded.path),
                    line=loaded.line,
                    note=note,
                )
            )
        value = loaded.value or ""
        tools.runtime_winners.append(
            Winner(
                client,
                runtime.entry.get("version", ""),
                sid,
                "x-api-key" if value else None,
                fingerprint(value) if value else None,
                hint(value) if value else None,
                base,
                detail=f"{runtime.why}; {loaded.reason} (modelled from data/catalog/runtimes.toml)",
            )
        )
    return tools
