"""The built-in simulator of the Anthropic API (and of the OpenAI and Gemini APIs): the stand-in in demos and tests.

``serve(scenario)`` runs it in-process and yields a ``SimServer`` (``.url``); ``python -m kit sim``
runs it in the foreground. A scenario (data/scenarios/NAME.toml) describes keys, organizations,
models and faults; ``decide`` turns each request into the answer the real API would give, in the
order documented in docs/simulator.md. Modules:

- ``scenario``   TOML → frozen dataclasses (``world``), strict validation (``strict``; ``ScenarioError``
                 names field and fix)
- ``decide``     the ordered checks: request in, ``Answer`` out
- ``openai_face``, ``gemini_face``, ``faces``  the OpenAI and Gemini APIs (``[api] provider``)
- ``answers``    the answer value, error envelopes, request ids
- ``endpoints``  models, messages, count_tokens; ``admin``: the Admin API; ``paging``: list pagination
- ``responders`` gateway, HTML proxy, region block, capture
- ``ratelimit``  requests per minute and the ``anthropic-ratelimit-*`` headers
- ``faults``     seeded fault draws, latency, resets and truncated bodies
- ``accesslog``  what each request carried, reduced to fingerprints and hints (JSONL)
- ``server``     aiohttp in a background thread (``serve``) or the foreground (the CLI)
"""

from __future__ import annotations

from kit.sim.scenario import Scenario, list_scenarios, load_scenario
from kit.sim.server import SimServer, serve

__all__ = ["Scenario", "SimServer", "list_scenarios", "load_scenario", "serve"]
