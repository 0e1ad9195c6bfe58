"""The engine with ``kit.testing.ScriptedTransport``: per-key scripts, retries, the budget, failures, run ids.

No sockets: the scripted client answers in process, so these tests pin scheduling and bookkeeping alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import investigate
from kit.errors import UsageError
from kit.keys.credential import Credential
from kit.probe import runlog
from kit.probe.engine import probe
from kit.testing import Answer, ScriptedTransport, assert_no_leak, fake_key
from kit.values import Attempt

NOWHERE = "http://127.0.0.1:9"


def _creds(*names: str) -> list[Credential]:
    return [Credential(n, fake_key(n), "t") for n in names]


def test_a_script_per_key_gives_each_key_its_answers(tmp_path: Path) -> None:
    transport = ScriptedTransport({"beta": [Answer.rejected()]})
    run = probe(
        _creds("alpha", "beta"),
        base_url=NOWHERE,
        run_dir=tmp_path,
        progress=None,
        plan="full",
        client_factory=transport,
    )
    by = {r.key_alias: r for r in run.results}
    assert (by["alpha"].outcome, by["beta"].outcome) == ("ok", "auth rejected")
    assert by["beta"].error_message == "invalid x-api-key" and by["beta"].responder == "anthropic"
    assert {c.key_alias for c in transport.calls} == {"alpha", "beta"}


def test_a_function_script_sees_each_try(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []

    def script(attempt: Attempt, attempt_try: int) -> Answer:
        seen.append((attempt.endpoint, attempt_try))
        return Answer(429, headers={"retry-after-ms": "10"}) if attempt_try < 2 else Answer.ok(models=())

    run = probe(
        _creds("alpha"), base_url=NOWHERE, run_dir=tmp_path, progress=None, client_factory=ScriptedTransport(script)
    )
    assert seen == [("/v1/models", 0), ("/v1/models", 1), ("/v1/models", 2)]
    assert (run.results[0].status, run.results[0].retry_wait_s, run.sent) == (200, 0.02, 3)


def test_retries_spend_the_budget(tmp_path: Path) -> None:
    transport = ScriptedTransport([Answer.rate_limited("0"), Answer.ok(models=())])
    run = probe(_creds("alpha"), base_url=NOWHERE, run_dir=tmp_path, progress=None, budget=1, client_factory=transport)
    assert (run.results[0].status, run.sent, len(transport.calls)) == (429, 1, 1)


def test_at_most_three_retries_after_429(tmp_path: Path) -> None:
    transport = ScriptedTransport([Answer.rate_limited("0")])
    run = probe(_creds("alpha"), base_url=NOWHERE, run_dir=tmp_path, progress=None, client_factory=transport)
    assert [c.attempt_try for c in transport.calls] == [0, 1, 2, 3]
    assert run.results[0].status == 429


def test_a_transport_failure_is_a_row(tmp_path: Path) -> None:
    transport = ScriptedTransport([Answer.failed("ConnectTimeout", "timed out")])
    run = probe(
        _creds("alpha"), base_url=NOWHERE, run_dir=tmp_path, progress=None, plan="full", client_factory=transport
    )
    row = run.results[0]
    assert (row.status, row.transport_error, row.outcome) == (None, "ConnectTimeout", "transport")


def test_the_client_names_come_from_the_probe_not_the_script(tmp_path: Path) -> None:
    """A scripted ``sdk-node@…`` needs no node: the factory replaces every real adapter."""
    transport = ScriptedTransport()
    run = probe(
        _creds("alpha"),
        base_url=NOWHERE,
        run_dir=tmp_path,
        progress=None,
        plan="full",
        clients=("httpx2", "sdk-node"),
        client_factory=transport,
    )
    assert {r.client for r in run.results} == {"httpx2", *(c.client for c in transport.calls)}
    assert len({r.client for r in run.results}) == 3  # httpx2 and the two Node SDK versions


def test_the_script_and_its_calls_hold_no_key(tmp_path: Path) -> None:
    creds = _creds("alpha")
    transport = ScriptedTransport()
    run = probe(creds, base_url=NOWHERE, run_dir=tmp_path, progress=None, client_factory=transport)
    assert_no_leak([repr(transport.calls), run.log_path, run.summary()], [creds[0].value])


def test_one_run_id_format_checked_as_a_whole() -> None:
    first, second = runlog.new_run_id(), runlog.new_run_id()
    assert runlog.is_run_id(first) and first != second
    assert investigate.new_run_id is runlog.new_run_id  # one maker, used by the investigation and the probe
    assert not runlog.is_run_id("ticket-1\n") and not runlog.is_run_id("../x") and not runlog.is_run_id("")
    with pytest.raises(UsageError, match="not usable as a file name"):
        runlog.check_run_id("ticket-1\n")


def test_a_run_id_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not usable as a file name"):
        probe(
            _creds("alpha"),
            base_url=NOWHERE,
            run_dir=tmp_path,
            progress=None,
            run_id="resume-me\n",
            client_factory=ScriptedTransport(),
        )
    with pytest.raises(UsageError, match="not usable as a file name"):
        runlog.load_run("resume-me\n", tmp_path)
