"""The doctor's one SDK process: it answers who wins exactly as the one-shot child does, then sends the
probe's ``sdk-python`` attempts with the rows the in-process client gives, in a clean environment."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit.keys.credential import Credential
from kit.keys.naming import fingerprint
from kit.probe.clients.base import Client
from kit.probe.clients.sdk_child_client import SdkChildClient
from kit.probe.clients.sdk_python import SdkPythonClient
from kit.sim import serve
from kit.sources.sdk_fork import ENV_VAR, ForkedChild
from kit.sources.sdk_process import SdkProcess
from kit.sources.sdk_python import ask_python_sdk
from kit.testing import assert_no_leak, fake_key, sandbox_env
from kit.values import Attempt, AttemptResult

pytestmark = pytest.mark.slow  # each process imports the real SDK (about 2 s here)

KEY = fake_key("alpha")
OTHER = fake_key("beta")


def _attempt(url: str, *, style: str = "default", endpoint: str = "/v1/models", model: str | None = None) -> Attempt:
    return Attempt(
        attempt_id=f"{endpoint}-{style}-{model}",
        key_alias="k",
        client="sdk-python",
        endpoint=endpoint,
        method="GET" if endpoint.startswith("/v1/models") else "POST",
        base_url=url,
        api_version=None,
        auth_style=style,  # type: ignore[arg-type]
        model=model,
        reason="test",
    )


def _rows(client: Client, attempts: list[Attempt], raw: str) -> list[AttemptResult]:
    async def go() -> list[AttemptResult]:
        await client.start()
        try:
            credential = Credential("k", raw, "test")
            return list(await asyncio.gather(*(client.send(a, credential, run_id="t", timeout=10) for a in attempts)))
        finally:
            await client.aclose()

    return asyncio.run(go())


@pytest.fixture(scope="module", params=["forked", "fresh"])
def investigated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SdkProcess, object]]:
    """One process for an environment whose own variables would change every request if they leaked: forked
    by the suite's SDK fork server, and started anew as outside the suite (``kit.sources.sdk_fork``).

    The fork server is hidden only while the process starts: the module's other tests, which run while
    this fixture lives, keep forking their children (a fresh one costs an import of the SDK)."""
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "fresh":
            patch.delenv(ENV_VAR, raising=False)
        env = sandbox_env(
            tmp_path_factory.mktemp("sdk-process"),
            {
                "ANTHROPIC_API_KEY": KEY,
                "ANTHROPIC_CUSTOM_HEADERS": f"x-api-key: {OTHER}",
                "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
            },
        )
        process = SdkProcess.start(env)
    assert process is not None
    assert isinstance(process._proc, ForkedChild) == (request.param == "forked")
    with process:
        yield process, env


def test_it_answers_who_wins_exactly_as_the_one_shot_child(
    investigated: tuple[SdkProcess, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    process, env = investigated
    answered, reason = process.answer()
    if not isinstance(process._proc, ForkedChild):
        monkeypatch.delenv(ENV_VAR, raising=False)  # fresh against fresh, as outside the suite
    once, _ = ask_python_sdk(env)  # type: ignore[arg-type]
    assert reason == "" and answered is not None and once is not None
    assert answered == once
    assert answered["sdk"]["api_key"]["fp"] == fingerprint(KEY)


def test_its_rows_are_the_in_process_clients_rows(investigated: tuple[SdkProcess, object]) -> None:
    process, _ = investigated
    assert process.serves()
    with serve("healthy") as server:
        attempts = [
            _attempt(server.url),
            _attempt(server.url, style="x-api-key"),
            _attempt(server.url, endpoint="/v1/models/{id}", model="claude-no-such-model"),
            _attempt(server.url, endpoint="/v1/messages/count_tokens", model="claude-sonnet-4-5"),
        ]
        there = _rows(SdkChildClient(process), attempts, KEY)
        here = _rows(SdkPythonClient(), attempts, KEY)
        unknown = _rows(SdkChildClient(process), attempts[:1], fake_key("nobody-issued-this"))[0]
    fields = ("status", "error_type", "error_message", "outcome", "responder", "auth_style", "api_version")
    for a, b in zip(there, here, strict=True):
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
        assert (a.client, a.client_version, a.user_agent) == (b.client, b.client_version, b.user_agent)
    assert (unknown.status, unknown.error_type) == (401, "authentication_error")
    assert unknown.client_error and unknown.client_error.startswith("AuthenticationError: Error code: 401")
    assert_no_leak([json.dumps([r.to_row() for r in [*there, unknown]], default=str)], [KEY, OTHER])


def test_the_investigated_environment_never_reaches_a_request(investigated: tuple[SdkProcess, object]) -> None:
    """Its ANTHROPIC_CUSTOM_HEADERS would add a second key and its ANTHROPIC_BASE_URL another host."""
    process, _ = investigated
    with serve("healthy") as server:
        row = _rows(SdkChildClient(process), [_attempt(server.url, style="bearer")], KEY)[0]
        seen = server.entries()
    assert row.status == 200
    assert [(e["fingerprint"], e["auth_style"]) for e in seen] == [(fingerprint(KEY), "bearer")]


def test_many_attempts_in_flight_each_get_their_own_reply(investigated: tuple[SdkProcess, object]) -> None:
    process, _ = investigated
    with serve("healthy") as server:
        models = [f"claude-model-{i}" for i in range(24)]
        attempts = [_attempt(server.url, endpoint="/v1/models/{id}", model=m) for m in models]
        rows = _rows(SdkChildClient(process, max_connections=4), attempts, KEY)
    assert [r.attempt_id for r in rows] == [a.attempt_id for a in attempts]
    assert {(r.status, r.transport_error, r.error_message) for r in rows if r.status != 404} == set()
    assert all(m in (r.error_message or "") for r, m in zip(rows, models, strict=True))


def test_an_environment_that_loads_code_keeps_keys_out_of_the_process(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY, "NODE_OPTIONS": "--no-warnings"})
    process = SdkProcess.start(env)
    assert process is not None
    with process:
        assert not process.serves()  # the probe then uses the in-process client
        answered, _ = process.answer()
        assert answered is not None  # it still answers who wins, as the one-shot child would


def test_a_dead_process_is_a_row_not_a_hang(tmp_path: Path) -> None:
    process = SdkProcess.start(sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY}))
    assert process is not None
    with process, serve("healthy") as server:
        assert process.serves()
        process._proc.kill()
        row = _rows(SdkChildClient(process), [_attempt(server.url)], KEY)[0]
    assert row.status is None and row.transport_error == "SdkWorkerError"
    assert row.error_message and "SDK process" in row.error_message


def test_closing_before_serving_ends_the_process(tmp_path: Path) -> None:
    process = SdkProcess.start(sandbox_env(tmp_path, {}))
    assert process is not None
    process.close()
    assert process._proc.returncode is not None


def test_the_doctor_never_imports_the_sdk_in_its_own_process(tmp_path: Path) -> None:
    script = (
        "import json, sys\n"
        "from kit.commands.doctor import run_doctor\n"
        "from kit.testing import sandbox_env, simulator\n"
        "from pathlib import Path\n"
        "with simulator('healthy') as url:\n"
        f"    env = sandbox_env(Path({str(tmp_path)!r}), {{'ANTHROPIC_API_KEY': {KEY!r}}})\n"
        f"    result = run_doctor(env, api_url=url, run_dir={str(tmp_path / 'runs')!r})\n"
        "clients = sorted({a.client for a in result.diagnosis.evidence.attempts})\n"
        "print(json.dumps([result.diagnosis.findings[0].cause, clients, 'anthropic' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")},
    )
    cause, clients, imported = json.loads(done.stdout.splitlines()[-1])
    assert cause == "healthy" and "sdk-python" in clients
    assert imported is False


def test_its_answer_is_used_once_so_a_later_look_sees_edited_files(tmp_path: Path) -> None:
    from kit.sources.discover import discover

    env = sandbox_env(tmp_path, {})
    dotenv = env.cwd / ".env"
    dotenv.write_text(f"ANTHROPIC_API_KEY={KEY}\n")
    process = SdkProcess.start(env)
    assert process is not None
    with process:
        first = {w.client: w.fingerprint for w in discover(env, sdk=process).winners}
        dotenv.write_text(f"ANTHROPIC_API_KEY={OTHER}\n")  # the user fixes the file and looks again
        again = {w.client: w.fingerprint for w in discover(env, sdk=process).winners}
    assert first["dotenv-app"] == fingerprint(KEY)
    assert again["dotenv-app"] == fingerprint(OTHER)
