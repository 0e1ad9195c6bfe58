"""Notebook 00's "other providers" step: the doctor for OpenAI, Gemini or an OpenAI-compatible provider.

The notebook's steps above investigate Anthropic's API through the session; this step runs the same
investigation for each other provider (``kit.investigate.provider_run`` through ``run_doctor``), over the
session's environment: the one named by the ``provider`` parameter (with the notebook's ``api_url``), or,
when it is empty, every provider whose key variable is set, each against its official API.
"""

from __future__ import annotations

from typing import Any

from kit.errors import KitError
from kit.guard.redact import scrub

__all__ = ["other_providers"]


def other_providers(setup: Any, provider: str = "") -> list[str]:
    """Markdown blocks, one per provider checked (its findings and evidence, no secret), for ``kw.show``."""
    from kit.commands.doctor import render_text, run_doctor
    from kit.providers import providers
    from kit.sources.provider_sources import found_providers

    if provider == "anthropic":
        return ['The steps above are Anthropic\'s investigation (`provider = "anthropic"`).']
    if provider and provider not in providers():
        return [f"**`provider = {provider!r}` is not a provider KeyLab knows**: use one of {', '.join(providers())}."]
    names = [provider] if provider else [n for n in found_providers(setup.env) if n != "anthropic"]
    if not names:
        return [
            "No other provider's key variable (`OPENAI_API_KEY`, `GEMINI_API_KEY`, `GOOGLE_API_KEY`, …) is set "
            "here; set `provider` to check one anyway."
        ]
    out = []
    for name in names:
        label = providers()[name].label
        try:
            result = run_doctor(
                setup.env,
                api_url=setup.api_url if provider else "",
                key_files=setup.key_files,
                allow_hosts=setup.allow_hosts,
                run_dir=setup.run_dir,
                provider=name,
            )
        except KitError as exc:
            out.append(f"### {label}\n\n{scrub(exc.format_message())}")
            continue
        out.append(f"### {label}\n\n```text\n{render_text(result).rstrip()}\n```")
    return out
