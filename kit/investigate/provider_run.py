"""The investigation for another provider: discover its variables → inspect against its formats → probe → diagnose.

Anthropic's investigation is ``runner.Run``; another provider's (OpenAI, Gemini, an OpenAI-compatible one) is
this one call, over the same ``Setup``, with the provider's profile (data/catalog/providers.toml) deciding
which variables are read, which formats are checked, what the zero-token check is and how the envelope reads.
The result is a ``Diagnosis`` whose evidence and findings carry ``provider``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from kit.investigate.setup import Setup
from kit.providers import ProviderProfile
from kit.values import Evidence

if TYPE_CHECKING:
    from kit.diagnose.diagnosis import Diagnosis
    from kit.probe.run import ProbeRun

__all__ = ["ProviderInvestigation", "investigate_provider"]


@dataclass(frozen=True)
class ProviderInvestigation:
    """What one provider's investigation found; safe to show and save (no secret inside)."""

    diagnosis: Diagnosis
    probe: ProbeRun | None
    notes: tuple[str, ...] = ()


def investigate_provider(s: Setup, profile: ProviderProfile, *, probe: bool = True) -> ProviderInvestigation:
    """Every stage for ``profile``'s API; requests go only to ``s.api_url`` and allowed hosts, zero tokens."""
    from kit.diagnose.diagnosis import diagnose
    from kit.diagnose.rules import PROVIDER_RULES
    from kit.guard.redact import remember
    from kit.keys.provider_inspect import inspect_for
    from kit.probe.provider import probe_provider
    from kit.sources.provider_sources import discover_provider, settings

    found = discover_provider(s.env, profile, s.key_files, s.dotenv_files)
    remember(c.raw for c in found.credentials)
    context = settings(s.env, profile)
    base_var = next(iter(profile.var("base-url")), "")
    by_id = {src.id: src for src in found.sources}
    keys = tuple(
        inspect_for(
            c.raw,
            profile,
            alias=c.alias,
            source=c.source,
            variable=(by_id[c.source].variable or "") if c.source in by_id else "",
            base_url=context.get(base_var, ""),
        )
        for c in found.credentials
    )
    run = None
    if probe and found.credentials:
        run = probe_provider(
            profile,
            found.credentials,
            api_url=s.api_url,
            run_id=s.run_id,
            run_dir=s.run_dir,
            context=context,
            allow_hosts=s.allow_hosts,
        )
    evidence = Evidence(
        keys=keys,
        sources=found.sources,
        winners=found.winners,
        attempts=run.results if run else (),
        models_requested=s.models,
        notes=tuple(found.problems) + (run.explanation if run else ()),
        api_url=s.api_url,
        provider=profile.name,
    )
    d = diagnose(evidence, rules=PROVIDER_RULES)
    d = replace(d, findings=tuple(replace(f, provider=profile.name) for f in d.findings))
    return ProviderInvestigation(diagnosis=d, probe=run, notes=run.explanation if run else ())
