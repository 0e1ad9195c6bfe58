"""The request itself is wrong for the API: a retired or unknown model, or an anthropic-version it does not
accept.

Part of the API rule family (``kit.diagnose.rules.api``), whose ``RULES`` keeps the registry order.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterator

from kit.catalog import catalog
from kit.diagnose.rules.api.answers import _accepted, _api, _as_of, _ids, _is_winner, _message, _ok
from kit.diagnose.rules.base import Rule, rule
from kit.diagnose.wording import join_words as _join
from kit.values import AttemptResult, Evidence, Finding

__all__ = ["RULES", "model_unavailable", "version_invalid"]


@rule(
    "model-unavailable",
    recognises="404 `not_found_error` `model: <id>` from the API, or a requested model the catalog lists as "
    "retired (with its retirement date and successor); an unknown id gets the closest known one.",
    fix="Change the model id in your code or config to the successor KeyLab names (or one `GET /v1/models` lists).",
)
def model_unavailable(evidence: Evidence) -> Iterator[Finding]:
    cat = catalog()
    as_of = _as_of(evidence)
    api = _api(evidence)
    not_found: dict[str, list[AttemptResult]] = defaultdict(list)
    for a in api:
        if a.status == 404 and _message(a).startswith("model:"):
            model = (a.error_message or "").split(":", 1)[1].strip() or (a.model or "?")
            not_found[model].append(a)
    ok_models = {a.model for a in _ok(api) if a.model}
    retired_requested = [
        m
        for m in evidence.models_requested
        if (info := cat.model(m)) is not None and info.is_retired(as_of) and m not in ok_models
    ]
    models = list(dict.fromkeys([*not_found, *retired_requested]))
    if not models:
        return
    lines: list[str] = []
    swaps: list[str] = []
    current = False
    for model in models:
        info = cat.model(model)
        seen = not_found.get(model, [])
        answer = f"404 'model: {model}' ({_ids(seen)})" if seen else "not requested yet (auth failed first)"
        if info and info.retired:
            lines.append(f"{model} ({info.display_name}) was retired on {info.retired.isoformat()}: {answer}")
            if info.successor:
                swaps.append(f"{model} → {info.successor}")
        elif info is None:
            known = [m.id for m in cat.models if not m.is_retired(as_of)]
            close = difflib.get_close_matches(model, known, n=1, cutoff=0.6)
            lines.append(
                f"{model} is not a model id KeyLab knows (misspelled?): {answer}"
                + (f"; closest current id: {close[0]}" if close else "")
            )
            if close:
                swaps.append(f"{model} → {close[0]}")
        else:
            lines.append(f"{model}: {answer}, though the catalog does not list it as retired")
        if seen and any(_is_winner(evidence, a.fingerprint) for a in seen):
            current = True
    if not current and retired_requested and not _accepted(api):
        lines.append("the key your clients send is not accepted yet, so these models fail only after the key is fixed")
    elif not current and not_found:
        lines.append(
            "seen with a key that works but that your clients do not send: they will fail once they send a working key"
        )
    title_models = _join(models[:3]) + (f" and {len(models) - 3} more" if len(models) > 3 else "")
    retired_count = sum(1 for m in models if (i := cat.model(m)) is not None and i.retired)
    if retired_count == len(models):
        title = f"Retired model{'s' if len(models) > 1 else ''}: {title_models} (the API answers 404)"
    else:
        title = f"The API does not serve {title_models} (404 model not found)"
    yield Finding(
        cause="model-unavailable",
        severity="blocker" if current else "warning",
        confidence=0.97 if not_found else 0.85,
        title=title,
        evidence=tuple(lines),
        fix=(
            "Change the model id in your code or configuration: " + "; ".join(swaps) + "."
            if swaps
            else "Use a model id that `GET /v1/models` lists for your key."
        ),
        explains=sum(len(v) for v in not_found.values()) + len(retired_requested),
    )


@rule(
    "version-invalid",
    recognises='400 `anthropic-version: header is required` or `anthropic-version: "…" is not a valid version`.',
    fix="Send `anthropic-version: 2023-06-01` (or another version the API lists).",
)
def version_invalid(evidence: Evidence) -> Iterator[Finding]:
    api = _api(evidence)
    hits = [a for a in api if a.status == 400 and "anthropic-version" in _message(a)]
    if not hits:
        return
    bad = sorted({a.api_version or "(none)" for a in hits})
    good = sorted({a.api_version for a in _accepted(api) if a.api_version})
    valid = catalog().versions
    lines = [
        f"{a.client} with anthropic-version {a.api_version or '(missing)'} → 400 '{a.error_message}' ({_ids([a])})"
        for a in hits[:3]
    ]
    if good:
        lines.append(f"accepted with version {_join(good)}")
    lines.append(f"versions the API accepts: {_join(list(valid))}")
    stuck = sorted({a.client for a in hits} - {a.client for a in _accepted(api)})
    if stuck:
        lines.append(
            f"{_join(stuck)} got only version errors: {'it sends' if len(stuck) == 1 else 'they send'} a "
            "version this API does not accept, so every request from it fails"
        )
    yield Finding(
        cause="version-invalid",
        severity="blocker" if not good or stuck else "warning",
        confidence=0.97,
        title=f"anthropic-version {_join(bad)} is not accepted",
        evidence=tuple(lines),
        fix=f"Send the header `anthropic-version: {catalog().default_version}` (valid: {_join(list(valid))}); "
        "the official SDKs set it for you.",
        explains=len(hits),
    )


RULES: tuple[Rule, ...] = (
    model_unavailable,
    version_invalid,
)
