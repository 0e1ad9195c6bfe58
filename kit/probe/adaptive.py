"""The ``adaptive`` probe plan: ask only what can still change the answer, in stages.

Each stage is a pure function of the answers so far:

    1. *Who authenticates.* One ``GET /v1/models`` per distinct credential (zero tokens). Keys whose
       first answers look alike (same answer, same defects) form a group and one key speaks for it.
    2. *What could still change it*, per group:
       - a key that authenticates: the other SDK clients (they choose their own header and version),
         the other versions and the requested models, packed into as few checks as possible, each
         with a predicted answer (the model list from stage 1 predicts every model);
       - a key the client refused to send (h11 rejects a newline): clients that send bytes differently;
       - a rejection that leaves the header scheme in doubt (``Invalid bearer token``, ``x-api-key
         header is required``, a gateway, an OAuth token): the other header styles;
       - a version error: the other versions; a TLS failure: the other clients; a transient answer
         or timeout: the same request once more.
       A plain 401 ``invalid x-api-key`` for well-formed bytes asks nothing more: the API checks the
       key before it reads the model or the version (docs/reference/anthropic-auth.md §2), and every client
       sends the same bytes.
    3. *Isolation.* A packed check whose answer differs from its prediction is split into one request
       per dimension it changed, so the dimension responsible is named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kit.catalog import catalog
from kit.keys.report import KeyReport
from kit.probe.clients.base import transport_family
from kit.probe.plan import H11_CLIENTS, RAW_CLIENTS, Dimensions, Prediction, Stage, is_sdk
from kit.probe.plan import make_attempt as _attempt
from kit.values import Attempt, AttemptResult

__all__ = ["first_stage", "next_stage"]
from kit.probe.first_stage import _group, first_stage


def _is_version_error(r: AttemptResult) -> bool:
    return r.status == 400 and "anthropic-version" in (r.error_message or "")


def _scheme_in_doubt(r: AttemptResult, key: KeyReport) -> str | None:
    """Why the header scheme could be the problem, or ``None`` when it cannot be."""
    message = (r.error_message or "").lower()
    if key.role in ("missing", "placeholder"):
        return None  # nothing to send in any header: the bytes are the answer
    if key.role == "oauth":
        return "the credential is an OAuth token, which travels as a Bearer token"
    if r.outcome == "foreign responder":
        return f"a {r.responder} answered, not the API, and gateways often expect the other header (C17)"
    if r.status == 401 and "bearer" in message:
        return "the API says the Bearer token is invalid"
    if r.status == 401 and "header is required" in message:
        return "the API saw no x-api-key header although a key was sent"
    return None


def _stage1_results(
    dims: Dimensions, done: Mapping[str, AttemptResult]
) -> list[tuple[KeyReport, Attempt, AttemptResult]]:
    out = []
    for attempt in first_stage(dims).attempts:
        result = done.get(attempt.attempt_id)
        if result is not None:
            key = next(k for k in dims.keys if k.alias == attempt.key_alias)
            out.append((key, attempt, result))
    return out


def _other_versions(dims: Dimensions) -> list[str]:
    return list(dims.versions[1:])


def _pack(
    base: Attempt,
    clients: Sequence[str],
    versions: Sequence[str],
    models: Sequence[tuple[str, str]],
    styles: Sequence[str],
    dims: Dimensions,
) -> list[dict[str, str]]:
    """Pack the levels to check into as few requests as possible, each changing at most one level per dimension.

    A header style needs a raw client (an SDK picks its own header), so it goes to a slot whose client is raw.
    """
    slots: list[dict[str, str]] = [{"client": c} for c in clients]
    raw_base = base.client if not is_sdk(base.client) else next((c for c in dims.clients if not is_sdk(c)), None)

    def place(field_name: str, value: dict[str, str], needs_raw: bool = False) -> None:
        for slot in slots:
            client = slot.get("client", base.client)
            if field_name not in slot and (not needs_raw or not is_sdk(client)):
                slot.update(value)
                return
        slots.append(dict(value) if not needs_raw or raw_base is None else {"client": raw_base, **value})

    for style in styles:
        if raw_base is not None:
            place("style", {"style": style}, needs_raw=True)
    for version in versions:
        place("version", {"version": version})
    for model, expect in models:
        place("model", {"model": model, "expect": expect})
    for slot in slots:
        if slot.get("client") == base.client:
            del slot["client"]
    return slots


def _accepted_checks(
    dims: Dimensions, key: KeyReport, base: Attempt, listing: tuple[str, ...] | None, notes: list[str]
) -> tuple[list[Attempt], dict[str, Prediction]]:
    """Packed checks for a key that authenticates: other SDK clients, versions and models, each predicted."""
    raw_defects = bool(key.defects)
    clients = [c for c in dims.clients if c != base.client and (is_sdk(c) or raw_defects)]
    skipped_raw = [c for c in dims.clients if c != base.client and c not in clients]
    if skipped_raw:
        notes.append(
            f"{', '.join(skipped_raw)} would send {key.alias}'s bytes exactly as {base.client} did "
            "(same header, same version): not asked"
        )
    versions = _other_versions(dims)
    styles = list(dims.auth_styles[1:])
    models: list[tuple[str, str]] = []  # (model, expectation)
    if dims.models:
        if listing is not None:
            listed = [m for m in dims.models if m in listing]
            missing = [m for m in dims.models if m not in listing]
            notes.append(
                f"{key.alias}'s model list (stage 1) offers {len(listed)} of the {len(dims.models)} models "
                f"asked about" + (f"; missing: {', '.join(missing)}" if missing else "")
            )
            if missing:
                models.append((missing[0], "model-missing"))
                if len(missing) > 1:
                    notes.append(
                        f"one request confirms that a model missing from the list is refused; the list "
                        f"predicts the same for {', '.join(missing[1:])}"
                    )
            if listed:
                models.append((listed[0], "accepted"))
        else:
            models.extend((m, "") for m in dims.models)
    elif listing:
        models.append((listing[0], "accepted"))
        notes.append(
            f"{key.alias}: one {dims.model_endpoint()[1]} with {listing[0]}, the first model its list "
            "offers, checks what a listing cannot: credit, a disabled organization, a spend limit"
        )
    slots = _pack(base, clients, versions, models, styles, dims)
    method, endpoint = dims.model_endpoint()
    attempts: list[Attempt] = []
    predictions: dict[str, Prediction] = {}
    for slot in slots:
        client = slot.get("client") or base.client
        version = slot.get("version") or base.api_version
        style = slot.get("style") or base.auth_style
        model = slot.get("model")
        expect = slot.get("expect", "accepted")
        varied = tuple(
            name
            for name, changed in (
                ("client", client != base.client),
                ("version", version != base.api_version),
                ("model", model is not None),
                ("auth_style", style != base.auth_style),
            )
            if changed
        )
        m, e = (method, endpoint) if model else ("GET", "/v1/models")
        what = ", ".join(
            filter(
                None,
                (
                    client if client != base.client else None,
                    f"version {version}" if version != base.api_version else None,
                    f"model {model}" if model else None,
                    f"the {style} header" if style != base.auth_style else None,
                ),
            )
        )
        expect_words = {"model-missing": "a 404 for the model", "accepted": "acceptance"}.get(expect, "discovery")
        reason = f"{key.alias} authenticates; check {what} in one request (expect {expect_words})"
        attempt = _attempt(dims, key, client, m, e, model, version, style, reason)
        attempts.append(attempt)
        if expect:
            predictions[attempt.attempt_id] = Prediction(expect, varied, base.attempt_id)
    if attempts:
        notes.append(
            f"{key.alias} authenticates: {len(attempts)} packed check{'s' * (len(attempts) != 1)} "
            f"cover{'s' * (len(attempts) == 1)} "
            + ", ".join(
                filter(
                    None,
                    (
                        f"client{'s' * (len(clients) > 1)} {', '.join(dict.fromkeys(clients))}" if clients else None,
                        f"version{'s' * (len(versions) > 1)} {', '.join(versions)}" if versions else None,
                        f"model{'s' * (len(models) > 1)} {', '.join(m for m, _ in models)}" if models else None,
                        f"header style{'s' * (len(styles) > 1)} {', '.join(styles)}" if styles else None,
                    ),
                )
            )
            + "; a check that comes back as predicted rules out every dimension it changed"
        )
    else:
        notes.append(f"{key.alias} authenticates and no other dimension was picked: nothing more to ask")
    return attempts, predictions


def _stage2_for(
    dims: Dimensions,
    key: KeyReport,
    base: Attempt,
    first: AttemptResult,
    listing: tuple[str, ...] | None,
    notes: list[str],
) -> tuple[list[Attempt], dict[str, Prediction]]:
    """The follow-up questions for one group's representative."""
    family = transport_family(first.transport_error)
    others = [c for c in dims.clients if c != base.client]
    if first.outcome == "ok":
        return _accepted_checks(dims, key, base, listing, notes)
    if family == "refused-by-client":
        senders = [c for c in others if c not in H11_CLIENTS]
        same = [c for c in others if c in H11_CLIENTS]
        if same:
            notes.append(
                f"{', '.join(same)} use the same HTTP stack (h11) as {base.client} and would refuse the "
                f"same bytes: not asked"
            )
        if not senders:
            notes.append(
                f"{base.client} refused to send {key.alias} ({first.transport_error}); no other client "
                "picked sends bytes differently, so the key's bytes are the answer"
            )
            return [], {}
        notes.append(
            f"{base.client} refused to send {key.alias}'s bytes ({first.transport_error}): asking "
            f"{', '.join(senders)}, which send{'s' * (len(senders) == 1)} header bytes differently"
        )
        return [
            _attempt(
                dims,
                key,
                c,
                "GET",
                "/v1/models",
                None,
                base.api_version,
                base.auth_style,
                f"{base.client} refused to send {key.alias}'s bytes; does {c} send them, and what does the server say?",
            )
            for c in senders
        ], {}
    if family == "tls" and others:
        return [
            _attempt(
                dims,
                key,
                c,
                "GET",
                "/v1/models",
                None,
                base.api_version,
                base.auth_style,
                f"TLS failed for {base.client}; {c} trusts its own CA store",
            )
            for c in others
        ], {}
    if first.status == 429:
        notes.append(
            f"{key.alias}: 429 {first.error_message or ''} and a retry-after longer than the engine may wait "
            "(or none): not asked again; run again later with the same run id"
        )
        return [], {}
    if family in ("timeout", "reset", "protocol") or first.outcome == "transient":
        return [
            _attempt(
                dims,
                key,
                base.client,
                "GET",
                "/v1/models",
                None,
                base.api_version,
                base.auth_style,
                f"{first.transport_error or first.status} may be transient: the same request once more",
                tag="again",
            )
        ], {}
    if _is_version_error(first):
        versions = [v for v in dims.versions if v != base.api_version]
        if not versions:
            notes.append(
                f"{key.alias}: the version was refused and no other version was picked (try --version "
                f"{catalog().default_version})"
            )
        return [
            _attempt(
                dims,
                key,
                base.client,
                "GET",
                "/v1/models",
                None,
                v,
                base.auth_style,
                f"the API refused version {base.api_version}; does {v} pass?",
            )
            for v in versions
        ], {}
    doubt = _scheme_in_doubt(first, key)
    if doubt:
        styles = [
            s
            for s in ("x-api-key", "bearer")
            if s != base.auth_style and s in (*dims.auth_styles, "bearer", "x-api-key")
        ]
        raw = base.client if base.client in RAW_CLIENTS else next((c for c in dims.clients if c in RAW_CLIENTS), None)
        if raw is None:
            notes.append(f"{key.alias}: {doubt}, but no raw client (httpx2, curl) was picked to try another header")
            return [], {}
        notes.append(f"{key.alias}: {doubt}: trying the {' and '.join(styles)} header through {raw}")
        return [
            _attempt(dims, key, raw, "GET", "/v1/models", None, base.api_version, s, f"{doubt}; try the {s} header")
            for s in styles
        ], {}
    if first.status == 401:
        who = "the API" if first.responder == "anthropic" else f"a responder of kind {first.responder}"
        if key.well_formed:
            why = (
                "well-formed bytes. The API checks the key before it reads the model or the version, and every "
                "client sends the same bytes: nothing else can change this answer"
            )
        else:
            why = (
                f"bytes that are not a valid key ({', '.join(key.causes) or key.kind_label}). The API checks "
                "the key before it reads the model or the version: the bytes are the answer (the diagnosis "
                "names the repair)"
            )
        notes.append(f"{key.alias}: 401 {first.error_message or ''} from {who} for {why}")
        return [], {}
    notes.append(
        f"{key.alias}: {first.status or first.transport_error} {first.error_message or ''}".rstrip()
        + ": no other dimension can change this answer"
    )
    return [], {}


def _stage2(dims: Dimensions, done: Mapping[str, AttemptResult], listings: Mapping[str, tuple[str, ...]]) -> Stage:
    notes: list[str] = []
    attempts: list[Attempt] = []
    predictions: dict[str, Prediction] = {}
    groups: dict[tuple[object, ...], list[tuple[KeyReport, Attempt, AttemptResult]]] = {}
    for key, attempt, result in _stage1_results(dims, done):
        groups.setdefault(_group(result, key), []).append((key, attempt, result))
    for members in groups.values():
        key, base, first = members[0]
        if len(members) > 1:
            notes.append(
                f"{', '.join(k.alias for k, _, _ in members[1:])} answered like {key.alias} "
                f"({first.transport_error or first.status}, same defects): {key.alias} speaks for "
                f"{'them' if len(members) > 2 else 'it'}"
            )
        more, predicted = _stage2_for(dims, key, base, first, listings.get(first.attempt_id), notes)
        attempts.extend(more)
        predictions.update(predicted)
    return Stage(2, "what could still change the answer", tuple(attempts), tuple(notes), predictions)


def _matches(result: AttemptResult, prediction: Prediction) -> bool:
    if prediction.expect == "accepted":
        return result.outcome == "ok"
    if prediction.expect == "model-missing":
        return result.status == 404 and result.responder in ("anthropic", "unknown")
    return True


def _stage3(dims: Dimensions, done: Mapping[str, AttemptResult], stage2: Stage) -> Stage:
    """Compare each packed check with its prediction: confirm what it rules out, or split it one dimension apiece."""
    notes: list[str] = []
    attempts: list[Attempt] = []
    checked: list[tuple[str, str, bool]] = []
    isolating: dict[str, tuple[str, str, str]] = {}
    by_id = {a.attempt_id: a for a in stage2.attempts}
    for attempt_id_, prediction in stage2.predictions.items():
        result = done.get(attempt_id_)
        if result is None:
            continue
        check = by_id[attempt_id_]
        answer = f"{result.status or result.transport_error} {result.error_message or ''}".strip()
        if _matches(result, prediction):
            cleared = [d for d in prediction.varied if not (d == "model" and prediction.expect == "model-missing")]
            checked.extend((check.key_alias, d, False) for d in cleared)
            if cleared:
                notes.append(
                    f"{check.key_alias}: the check of {', '.join(prediction.varied)} came back as predicted "
                    f"({answer}): the {', '.join(cleared)} do not change the answer"
                )
            continue
        if len(prediction.varied) < 2:
            checked.extend((check.key_alias, d, True) for d in prediction.varied)
            notes.append(
                f"{check.key_alias}: the check of the {prediction.varied[0] if prediction.varied else 'key'} "
                f"came back {answer}, not as predicted: that dimension changes the answer"
            )
            continue
        base = next(a for a in first_stage(dims).attempts if a.attempt_id == prediction.baseline)
        key = next(k for k in dims.keys if k.alias == check.key_alias)
        notes.append(
            f"{check.key_alias}: the check of {', '.join(prediction.varied)} came back {answer}, not as "
            "predicted: one request per dimension to find which one"
        )
        method, endpoint = dims.model_endpoint()
        for name in prediction.varied:
            client = check.client if name == "client" else base.client
            version = check.api_version if name == "version" else base.api_version
            style = check.auth_style if name == "auth_style" else base.auth_style
            model = check.model if name == "model" else None
            m, e = (method, endpoint) if model else ("GET", "/v1/models")
            single = _attempt(
                dims,
                key,
                client,
                m,
                e,
                model,
                version,
                style,
                f"isolate the {name}: only it differs from {check.key_alias}'s first request",
                tag="isolate",
            )
            attempts.append(single)
            isolating[single.attempt_id] = (check.key_alias, name, base.attempt_id)
    title = "isolate what a check contradicted" if attempts else "what the checks showed"
    return Stage(3, title, tuple(attempts), tuple(notes), checked=tuple(checked), isolating=isolating)


def _stage4(done: Mapping[str, AttemptResult], stage3: Stage) -> Stage | None:
    """Name the dimension each isolating request showed to matter (or not)."""
    notes: list[str] = []
    checked: list[tuple[str, str, bool]] = []
    for attempt_id_, (alias, name, baseline) in stage3.isolating.items():
        result, base = done.get(attempt_id_), done.get(baseline)
        if result is None or base is None:
            continue
        answer = f"{result.status or result.transport_error} {result.error_message or ''}".strip()
        what = name
        if name == "client":  # an SDK brings its own header and version: say what it really sent
            what = f"client ({result.client}: {result.auth_style} header, version {result.api_version or 'none'})"
        changes = result.outcome != base.outcome
        checked.append((alias, name, changes))
        if changes:
            notes.append(
                f"{alias}: the {what} alone changes the answer ({answer}; the first request: "
                f"{base.status or base.transport_error})"
            )
        else:
            notes.append(f"{alias}: the {what} alone does not change the answer ({answer})")
    if not notes:
        return None
    return Stage(4, "what the isolation showed", (), tuple(notes), checked=tuple(checked))


def next_stage(
    dims: Dimensions, number: int, done: Mapping[str, AttemptResult], listings: Mapping[str, tuple[str, ...]]
) -> Stage | None:
    """Stage ``number`` (2, 3 or 4) of the adaptive plan from the answers so far, or ``None`` when nothing is left.

    Stage 4 sends nothing: it reads what stage 3's isolating requests showed.
    """
    if number == 2:
        return _stage2(dims, done, listings)
    if number == 3:
        stage3 = _stage3(dims, done, _stage2(dims, done, listings))
        return stage3 if stage3.attempts or stage3.notes else None
    if number == 4:
        return _stage4(done, _stage3(dims, done, _stage2(dims, done, listings)))
    return None
