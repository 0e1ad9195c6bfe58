"""Plans: the full factorial, and the adaptive plan's stage-by-stage decisions (pure: no requests)."""

from __future__ import annotations

from dataclasses import replace

from kit.keys.inspect import inspect_key
from kit.probe.adaptive import first_stage, next_stage
from kit.probe.plan import Dimensions, attempt_id, full_plan
from kit.testing import fake_key
from kit.values import Attempt, AttemptResult

URL = "http://127.0.0.1:9"
MODELS = ("claude-3-haiku-20240307", "claude-3-sonnet-20240229", "claude-3-5-sonnet-20241022")
VERSIONS = ("2023-06-01", "2023-01-01")


def _keys(*names: str, newline: tuple[str, ...] = ()):
    return tuple(inspect_key(fake_key(n) + ("\n" if n in newline else ""), alias=n) for n in names)


def _answer(
    attempt: Attempt,
    status: int | None,
    *,
    error_type: str | None = None,
    message: str | None = None,
    transport: str | None = None,
    responder: str = "anthropic",
) -> AttemptResult:
    return AttemptResult(
        run_id="r",
        attempt_id=attempt.attempt_id,
        key_alias=attempt.key_alias,
        fingerprint="fp-" + attempt.key_alias,
        hint="h",
        source="test",
        client=attempt.client,
        client_version="1",
        endpoint=attempt.endpoint,
        method=attempt.method,
        model=attempt.model,
        api_version=attempt.api_version,
        auth_style=attempt.auth_style,
        base_url=attempt.base_url,
        status=status,
        error_type=error_type,
        error_message=message,
        request_id="req_x" if status else None,
        responder=responder if status else "none",
        latency_ms=1.0,
        transport_error=transport,
        started_at="2026-01-01T00:00:00Z",
    )


def test_full_plan_is_the_factorial_and_spends_no_tokens():
    dims = Dimensions(
        keys=_keys("a", "b", "c"),
        base_url=URL,
        clients=("httpx2", "sdk-python", "curl"),
        models=MODELS,
        versions=VERSIONS,
    )
    stage = full_plan(dims)
    assert len(stage.attempts) == 3 * 3 * 3 * 2 == 54
    assert len({a.attempt_id for a in stage.attempts}) == 54
    assert {a.endpoint for a in stage.attempts} == {"/v1/messages/count_tokens"}
    assert all(a.reason.startswith("full factorial") for a in stage.attempts)
    messages = full_plan(replace(dims, send_messages=True))
    assert {a.endpoint for a in messages.attempts} == {"/v1/messages"}


def test_full_plan_varies_header_styles_only_for_raw_clients():
    dims = Dimensions(
        keys=_keys("a"), base_url=URL, clients=("httpx2", "sdk-python"), auth_styles=("x-api-key", "bearer")
    )
    stage = full_plan(dims)
    assert sorted((a.client, a.auth_style) for a in stage.attempts) == [
        ("httpx2", "bearer"),
        ("httpx2", "x-api-key"),
        ("sdk-python", "default"),
    ]
    assert any("header styles vary only" in n for n in stage.notes)


def test_same_bytes_under_two_names_are_asked_once():
    a = inspect_key(fake_key("same"), alias="env")
    b = inspect_key(fake_key("same"), alias=".env")
    stage = first_stage(Dimensions(keys=(a, b), base_url=URL))
    assert [x.key_alias for x in stage.attempts] == ["env"]
    assert any(".env hold the same bytes as env" in n for n in stage.notes)


def test_attempt_ids_are_stable_and_depend_on_the_bytes():
    key = inspect_key(fake_key("a"), alias="a")
    first = attempt_id(key, "httpx2", "GET", "/v1/models", None, "2023-06-01", "x-api-key", URL)
    assert first == attempt_id(key, "httpx2", "GET", "/v1/models", None, "2023-06-01", "x-api-key", URL + "/")
    changed = inspect_key(fake_key("a") + "\n", alias="a")
    assert first != attempt_id(changed, "httpx2", "GET", "/v1/models", None, "2023-06-01", "x-api-key", URL)


def _ticket():
    keys = _keys("env", "dotenv", "key-1", "key-2", newline=("key-1", "key-2"))
    dims = Dimensions(
        keys=keys, base_url=URL, clients=("httpx2", "sdk-python", "curl"), models=MODELS, versions=VERSIONS
    )
    stage1 = first_stage(dims)
    by_alias = {a.key_alias: a for a in stage1.attempts}
    done = {
        by_alias["env"].attempt_id: _answer(
            by_alias["env"], 401, error_type="authentication_error", message="invalid x-api-key"
        ),
        by_alias["dotenv"].attempt_id: _answer(by_alias["dotenv"], 200),
        by_alias["key-1"].attempt_id: _answer(
            by_alias["key-1"], None, transport="LocalProtocolError", message="Illegal header value"
        ),
        by_alias["key-2"].attempt_id: _answer(
            by_alias["key-2"], None, transport="LocalProtocolError", message="Illegal header value"
        ),
    }
    listings = {by_alias["dotenv"].attempt_id: ("claude-haiku-4-5", "claude-sonnet-4-6")}
    return dims, stage1, done, listings


def test_adaptive_ticket_asks_keys_plus_two():
    dims, stage1, done, listings = _ticket()
    assert len(stage1.attempts) == 4
    assert {a.endpoint for a in stage1.attempts} == {"/v1/models"}
    assert {a.client for a in stage1.attempts} == {"httpx2"}
    stage2 = next_stage(dims, 2, done, listings)
    assert stage2 is not None
    asked = sorted((a.key_alias, a.client) for a in stage2.attempts)
    # the working key: one packed check through the SDK (curl would send the same bytes as httpx2);
    # the newline keys: one of them through curl (sdk-python uses h11 too); the rejected key: nothing
    assert asked == [("dotenv", "sdk-python"), ("key-1", "curl")]
    assert len(stage1.attempts) + len(stage2.attempts) <= 4 + 2
    check = next(a for a in stage2.attempts if a.key_alias == "dotenv")
    assert check.api_version == "2023-01-01" and check.model == MODELS[0]
    assert check.endpoint == "/v1/messages/count_tokens"
    assert stage2.predictions[check.attempt_id].expect == "model-missing"
    text = "\n".join(stage2.notes)
    assert "nothing else can change this answer" in text  # the 401 key
    assert "key-2 answered like key-1" in text
    assert "same HTTP stack (h11)" in text
    assert "offers 0 of the 3 models" in text
    assert all(a.reason for a in stage2.attempts)


def test_a_check_that_comes_back_as_predicted_ends_the_plan():
    dims, _stage1, done, listings = _ticket()
    stage2 = next_stage(dims, 2, done, listings)
    assert stage2 is not None
    for attempt in stage2.attempts:
        status = 404 if attempt.model else 200
        message = f"model: {attempt.model}" if attempt.model else None
        done[attempt.attempt_id] = _answer(attempt, status, message=message)
    stage3 = next_stage(dims, 3, done, listings)
    assert stage3 is not None and stage3.attempts == ()
    # the SDK check changed client, version and model: the first two are cleared; the model's 404 was predicted
    assert set(stage3.checked) == {("dotenv", "client", False), ("dotenv", "version", False)}
    assert "came back as predicted" in "\n".join(stage3.notes)


def test_a_contradicted_check_is_isolated_one_dimension_at_a_time():
    dims, _stage1, done, listings = _ticket()
    stage2 = next_stage(dims, 2, done, listings)
    assert stage2 is not None
    for attempt in stage2.attempts:
        # the SDK check is refused: Bearer not accepted here
        done[attempt.attempt_id] = _answer(
            attempt, 401, error_type="authentication_error", message="Invalid bearer token"
        )
    stage3 = next_stage(dims, 3, done, listings)
    assert stage3 is not None
    isolated = [(a.client, a.api_version, a.model) for a in stage3.attempts]
    assert isolated == [
        ("sdk-python", "2023-06-01", None),
        ("httpx2", "2023-01-01", None),
        ("httpx2", "2023-06-01", MODELS[0]),
    ]
    assert "not as predicted" in "\n".join(stage3.notes)
    # the isolating requests answer: only the SDK is refused
    for attempt in stage3.attempts:
        if attempt.client == "sdk-python":
            done[attempt.attempt_id] = _answer(
                attempt, 401, error_type="authentication_error", message="Invalid bearer token"
            )
        else:
            done[attempt.attempt_id] = _answer(
                attempt, 404 if attempt.model else 200, message=f"model: {attempt.model}" if attempt.model else None
            )
    stage4 = next_stage(dims, 4, done, listings)
    assert stage4 is not None and stage4.attempts == ()
    assert set(stage4.checked) == {("dotenv", "client", True), ("dotenv", "version", False), ("dotenv", "model", True)}
    assert any("the client (sdk-python" in note and "alone changes the answer" in note for note in stage4.notes)


def test_scheme_in_doubt_tries_the_other_header():
    keys = _keys("k")
    dims = Dimensions(keys=keys, base_url=URL, clients=("httpx2",))
    first = first_stage(dims).attempts[0]
    done = {
        first.attempt_id: _answer(first, 401, error_type="authentication_error", message="x-api-key header is required")
    }
    stage2 = next_stage(dims, 2, done, {})
    assert stage2 is not None
    assert [(a.client, a.auth_style) for a in stage2.attempts] == [("httpx2", "bearer")]


def test_gateway_answer_tries_the_other_header_and_version_error_tries_other_versions():
    keys = _keys("g", "v")
    dims = Dimensions(keys=keys, base_url=URL, clients=("httpx2",), versions=("2024-10-22", "2023-06-01"))
    stage1 = {a.key_alias: a for a in first_stage(dims).attempts}
    done = {
        stage1["g"].attempt_id: _answer(stage1["g"], 401, message="API key required", responder="gateway"),
        stage1["v"].attempt_id: _answer(
            stage1["v"],
            400,
            error_type="invalid_request_error",
            message='anthropic-version: "2024-10-22" is not a valid version',
        ),
    }
    stage2 = next_stage(dims, 2, done, {})
    assert stage2 is not None
    asked = sorted((a.key_alias, a.auth_style, a.api_version) for a in stage2.attempts)
    assert asked == [("g", "bearer", "2024-10-22"), ("v", "x-api-key", "2023-06-01")]


def test_transient_answers_are_asked_once_more_and_refused_connections_are_not():
    keys = _keys("t", "c")
    dims = Dimensions(keys=keys, base_url=URL, clients=("httpx2", "curl"))
    stage1 = {a.key_alias: a for a in first_stage(dims).attempts}
    done = {
        stage1["t"].attempt_id: _answer(stage1["t"], 529, error_type="overloaded_error", message="Overloaded"),
        stage1["c"].attempt_id: _answer(stage1["c"], None, transport="ConnectError", message="refused"),
    }
    stage2 = next_stage(dims, 2, done, {})
    assert stage2 is not None
    assert [(a.key_alias, a.client) for a in stage2.attempts] == [("t", "httpx2")]
    assert stage2.attempts[0].attempt_id != stage1["t"].attempt_id  # a new attempt, not a resumed one


def test_a_working_key_with_no_model_asked_gets_a_zero_token_account_check():
    keys = _keys("k")
    dims = Dimensions(keys=keys, base_url=URL, clients=("httpx2",))
    first = first_stage(dims).attempts[0]
    stage2 = next_stage(dims, 2, {first.attempt_id: _answer(first, 200)}, {first.attempt_id: ("claude-haiku-4-5",)})
    assert stage2 is not None
    [check] = stage2.attempts
    assert (check.endpoint, check.model) == ("/v1/messages/count_tokens", "claude-haiku-4-5")
    assert "credit" in "\n".join(stage2.notes)


def test_without_a_model_list_every_model_is_asked():
    keys = _keys("k")
    dims = Dimensions(keys=keys, base_url=URL, clients=("httpx2",), models=MODELS)
    first = first_stage(dims).attempts[0]
    done = {first.attempt_id: _answer(first, 200)}
    stage2 = next_stage(dims, 2, done, {})  # the list could not be read
    assert stage2 is not None
    assert sorted(a.model for a in stage2.attempts) == sorted(MODELS)
    assert not stage2.predictions
