"""The probe engine end to end against the simulator: plans, the JSONL log, resume, budget, 429s, gates, leaks."""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from dotenv import dotenv_values

from kit.catalog import DATA_DIR
from kit.cli import main
from kit.demo.sandbox import materialize
from kit.errors import UsageError
from kit.keys.credential import Credential
from kit.probe.engine import probe, run_probe
from kit.probe.options import check_host
from kit.probe.runlog import RunLog
from kit.probe.scheduler import retry_after_seconds
from kit.sim import serve
from kit.testing import Answer, ScriptedTransport, assert_no_leak, fake_key

TICKET = DATA_DIR / "demo" / "ticket"
#: Where scripted runs "send": loopback passes the host gate, and a scripted client sends nothing anyway.
NOWHERE = "http://127.0.0.1:9"


def _ticket_credentials(tmp_path: Path) -> tuple[list[Credential], dict]:
    """The ticket sandbox's four credentials: the exported variable, the .env value and two key files."""
    env = materialize(TICKET, tmp_path / "sandbox")
    spec = tomllib.loads((TICKET / "sandbox.toml").read_text())
    creds = [
        Credential("ANTHROPIC_API_KEY", env.get("ANTHROPIC_API_KEY") or "", "env:ANTHROPIC_API_KEY"),
        Credential(".env", dotenv_values(env.cwd / ".env")["ANTHROPIC_API_KEY"] or "", "dotenv"),
    ]
    for name in spec["key_files"]:
        path = tmp_path / "sandbox" / name
        creds.append(Credential(path.name, path.read_bytes(), f"file:{path}"))
    return creds, spec


def _secrets(creds: list[Credential]) -> list[str]:
    return [c.value.strip() for c in creds]


def test_ticket_adaptive_plan_needs_keys_plus_two_and_no_tokens(tmp_path: Path):
    creds, spec = _ticket_credentials(tmp_path)
    with serve("ticket") as server:
        run = probe(
            creds,
            base_url=server.url,
            clients=("httpx2", "sdk-python", "curl"),
            models=spec["models"],
            versions=spec["versions"],
            run_dir=tmp_path / "runs",
            progress=None,
        )
        paths = [e["path"] for e in server.entries()]
    assert len(run.results) == len(run.plan) <= len(creds) + 2
    assert run.tokens_spent == 0 and not any(p.startswith("/v1/messages?") or p == "/v1/messages" for p in paths)
    by = {r.key_alias: r for r in run.results if r.endpoint == "/v1/models" and r.client == "httpx2"}
    assert by["ANTHROPIC_API_KEY"].error_message == "invalid x-api-key"
    assert by[".env"].outcome == "ok"
    assert by["key-1.txt"].transport_error == "LocalProtocolError"
    retired = [r for r in run.results if r.model]
    assert retired and all(r.status == 404 and r.error_message == f"model: {r.model}" for r in retired)
    text = "\n".join(run.explanation)
    assert "Stage 1: who authenticates (4 requests)" in text and "key-1.txt speaks for it" in text
    assert all(a.reason for a in run.plan)
    # the log holds exactly the rows, one per line, and nothing secret
    lines = run.log_path.read_text().splitlines()
    assert sorted(json.loads(line)["attempt_id"] for line in lines) == sorted(r.attempt_id for r in run.results)
    assert_no_leak(
        [run.log_path, run.log_path.with_suffix(".models.jsonl"), run.summary(), text, run.frame().to_csv()],
        _secrets(creds),
    )


def test_full_plan_is_the_factorial(tmp_path: Path):
    creds, spec = _ticket_credentials(tmp_path)
    with serve("ticket") as server:
        run = probe(
            creds,
            base_url=server.url,
            clients=("httpx2", "curl"),
            models=spec["models"],
            versions=spec["versions"],
            plan="full",
            run_dir=tmp_path,
            progress=None,
        )
        sent = len(server.entries())
    assert len(run.results) == 4 * 2 * 3 * 2 == 48
    # the two newline keys never reach the API: httpx2 (h11) refuses to send them, and the server's HTTP
    # parser rejects curl's bare newline before any handler runs
    newline = [r for r in run.results if r.key_alias.startswith("key-")]
    assert len(newline) == 24 and sent == 48 - 24
    assert {r.transport_error for r in newline} == {"LocalProtocolError", "JSONDecodeError"}
    assert run.frame().shape[0] == 48 and set(run.frame()["outcome"]) >= {"auth rejected", "transport", "request"}


def test_rerun_with_the_same_id_repeats_nothing(tmp_path: Path):
    creds = [Credential(n, fake_key(n), "t") for n in ("alpha", "beta", "gamma")]
    transport = ScriptedTransport()
    kwargs = dict(
        base_url=NOWHERE,
        clients=("httpx2",),
        models=("claude-haiku-4-5", "claude-opus-4-8"),
        versions=("2023-06-01", "2023-01-01"),
        plan="full",
        run_id="resume-me",
        run_dir=tmp_path,
        progress=None,
        client_factory=transport,
    )
    first = probe(creds, budget=5, **kwargs)  # type: ignore[arg-type]
    assert (len(first.results), first.skipped, first.sent) == (5, 7, 5)
    assert "budget reached: 7 not sent" in first.summary()
    second = probe(creds, **kwargs)  # type: ignore[arg-type]
    third = probe(creds, **kwargs)  # type: ignore[arg-type]
    served = len(transport.calls)
    assert (second.resumed, second.sent, len(second.results)) == (5, 7, 12)
    assert (third.resumed, third.sent) == (12, 0)
    assert served == 12  # every attempt reached the server exactly once
    ids = [json.loads(line)["attempt_id"] for line in (tmp_path / "resume-me.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 12
    assert "Resumed run resume-me: 5 attempts" in second.explanation[0]


def test_a_line_torn_by_a_kill_is_cut_and_the_attempt_sent_again(tmp_path: Path):
    creds = [Credential("alpha", fake_key("alpha"), "t")]
    transport = ScriptedTransport()
    run = probe(
        creds,
        base_url=NOWHERE,
        plan="full",
        versions=("2023-06-01", "2023-01-01"),
        run_id="torn",
        run_dir=tmp_path,
        progress=None,
        client_factory=transport,
    )
    log = tmp_path / "torn.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + lines[1][: len(lines[1]) // 2])  # killed in the middle of the second line
    again = probe(
        creds,
        base_url=NOWHERE,
        plan="full",
        versions=("2023-06-01", "2023-01-01"),
        run_id="torn",
        run_dir=tmp_path,
        progress=None,
        client_factory=transport,
    )
    assert (again.resumed, again.sent) == (1, 1)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(r["attempt_id"] for r in rows) == sorted(r.attempt_id for r in run.results)


def test_probe_works_inside_a_running_event_loop(tmp_path: Path):
    """A Jupyter cell runs inside an event loop: probe() must still work there."""
    creds = [Credential("alpha", fake_key("alpha"), "t")]

    async def cell() -> int:
        run = probe(creds, base_url=NOWHERE, run_dir=tmp_path, progress=None, client_factory=ScriptedTransport())
        return len(run.results)

    assert asyncio.run(cell()) == 2  # the key's GET /v1/models, then its zero-token account check


def test_cancelled_run_keeps_finished_rows_and_resumes(tmp_path: Path):
    transport = ScriptedTransport([Answer.ok(delay=0.04)])  # every answer takes 40 ms, like a slow API
    creds = [Credential(n, fake_key(n), "t") for n in ("alpha", "beta")]
    models = ("claude-haiku-4-5", "claude-opus-4-8", "claude-sonnet-4-6")
    versions = ("2023-06-01", "2023-01-01", "2026-10-21")

    async def interrupted() -> None:
        task = asyncio.create_task(
            run_probe(
                creds,
                base_url=NOWHERE,
                models=models,
                versions=versions,
                plan="full",
                run_id="cancel",
                run_dir=tmp_path,
                concurrency=2,
                client_factory=transport,
            )
        )
        log = tmp_path / "cancel.jsonl"
        while not log.exists() or len(log.read_text().splitlines()) < 3:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(interrupted())
    kept = len((tmp_path / "cancel.jsonl").read_text().splitlines())
    assert 3 <= kept < 18
    done = probe(
        creds,
        base_url=NOWHERE,
        models=models,
        versions=versions,
        plan="full",
        run_id="cancel",
        run_dir=tmp_path,
        progress=None,
        client_factory=transport,
    )
    assert done.resumed == kept and len(done.results) == 18
    ids = [json.loads(line)["attempt_id"] for line in (tmp_path / "cancel.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 18


def test_429_with_retry_after_is_waited_out_and_the_wait_recorded(tmp_path: Path):
    transport = ScriptedTransport([Answer.rate_limited("0.3"), Answer.ok(models=())])  # an empty model list
    run = probe(
        [Credential("alpha", fake_key("alpha"), "t")],
        base_url=NOWHERE,
        run_dir=tmp_path,
        progress=None,
        client_factory=transport,
    )
    times = [call.at for call in transport.calls]
    row = run.results[0]
    assert (row.status, row.outcome, row.retry_wait_s) == (200, "ok", 0.3)
    assert run.sent == 2 and times[1] - times[0] >= 0.29


def test_429_beyond_the_bound_is_kept_as_the_answer(tmp_path: Path):
    transport = ScriptedTransport([Answer.rate_limited("120"), Answer.ok()])
    run = probe(
        [Credential("alpha", fake_key("alpha"), "t")],
        base_url=NOWHERE,
        run_dir=tmp_path,
        progress=None,
        retry_bound_s=5,
        client_factory=transport,
    )
    times = transport.calls
    row = run.results[0]
    assert (row.status, row.outcome, row.retry_wait_s, len(times)) == (429, "transient", 0.0, 1)


def test_retry_after_forms():
    assert retry_after_seconds({"Retry-After": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0


def test_keys_go_only_to_the_api_loopback_or_named_hosts(tmp_path: Path):
    with pytest.raises(UsageError) as info:
        probe(
            [Credential("alpha", fake_key("alpha"))],
            base_url="https://api.anthropic.com.evil.example",
            run_dir=tmp_path,
            progress=None,
        )
    assert "--allow-host api.anthropic.com.evil.example" in str(info.value)
    assert_no_leak([str(info.value)], [fake_key("alpha")])
    with pytest.raises(UsageError, match="allow-host"):
        check_host("http://api.anthropic.com")  # the official host, but in clear text
    assert check_host("https://api.anthropic.com/") == "https://api.anthropic.com"
    assert check_host("https://gw.example.com", ["gw.example.com"]) == "https://gw.example.com"
    assert check_host("http://localhost:8080") == "http://localhost:8080"
    assert not list(tmp_path.iterdir())  # refused before anything was written


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"plan": "all"}, "unknown plan"),
        ({"clients": ("wget",)}, "unknown client"),
        ({"auth_styles": ("basic",)}, "unknown header style"),
        ({"run_id": "../escape"}, "not usable as a file name"),
        ({"models": ("claude haiku",)}, "holds spaces"),
        ({"concurrency": 0}, "at least 1"),
    ],
)
def test_bad_arguments_are_usage_errors_with_a_fix(tmp_path: Path, kwargs: dict, words: str):
    with pytest.raises(UsageError, match=words) as info:
        probe(
            [Credential("alpha", fake_key("alpha"))],
            base_url="http://127.0.0.1:9",
            run_dir=tmp_path,
            progress=None,
            **kwargs,
        )
    assert info.value.fix


def test_no_credentials_is_a_usage_error(tmp_path: Path):
    with pytest.raises(UsageError, match="no key to probe"):
        probe([], base_url="http://127.0.0.1:9", run_dir=tmp_path, progress=None)


def test_run_log_loads_what_it_wrote(tmp_path: Path):
    run = probe(
        [Credential("alpha", fake_key("alpha"), "t")],
        base_url=NOWHERE,
        run_id="log",
        run_dir=tmp_path,
        progress=None,
        client_factory=ScriptedTransport(),
    )
    rows, listings = RunLog(tmp_path, "log").load()
    assert list(rows.values()) == list(run.results)
    assert "claude-haiku-4-5" in next(iter(listings.values()))


def test_text_progress_ends_with_the_one_line_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    run = probe(
        [Credential("alpha", fake_key("alpha"), "t")],
        base_url=NOWHERE,
        run_dir=tmp_path,
        progress="text",
        client_factory=ScriptedTransport(),
    )
    err = capsys.readouterr().err
    assert run.summary() in err and "2 requests" in run.summary() and "0 tokens" in run.summary()


# ── the command line ──────────────────────────────────────────────────────────────────────


def test_cli_probe_table_json_and_out(tmp_path: Path):
    (tmp_path / "k1.txt").write_text(fake_key("alpha"))
    (tmp_path / "k2.txt").write_text(fake_key("alpha") + "\n")
    runner = CliRunner()
    with serve("healthy") as server:
        base = [
            "probe",
            "--api-url",
            server.url,
            "--key-file",
            str(tmp_path / "k1.txt"),
            "--key-file",
            str(tmp_path / "k2.txt"),
            "--client",
            "httpx2",
            "--client",
            "curl",
            "--run-dir",
            str(tmp_path),
        ]
        table = runner.invoke(main, [*base, "--out", str(tmp_path / "t.csv"), "--out", str(tmp_path / "t.md")])
        as_json = runner.invoke(main, [*base, "--json"])
    assert table.exit_code == 0, table.output
    assert "k1.txt" in table.output and "LocalProtocolError" in table.output and "Stage 1" in table.output
    assert (tmp_path / "t.csv").read_text().startswith("run_id,attempt_id,key_alias")
    assert "key_alias" in (tmp_path / "t.md").read_text()  # --out repeated: one run, every format asked for
    data = json.loads(as_json.stdout)
    assert data["outcomes"]["ok"] >= 1 and len(data["results"]) == len(data["results"])
    assert Counter(r["key_alias"] for r in data["results"])["k1.txt"] >= 1
    assert_no_leak([table.output, as_json.output, tmp_path / "t.csv", tmp_path / "t.md"], [fake_key("alpha")])


def test_cli_reads_the_environment_key_when_no_file_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", fake_key("alpha"))
    with serve("healthy") as server:
        result = CliRunner().invoke(main, ["probe", "--api-url", server.url, "--run-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["key_alias"] == "ANTHROPIC_API_KEY"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--api-url", "http://127.0.0.1:9"], "ANTHROPIC_API_KEY"),
        (["--api-url", "http://127.0.0.1:9", "--key-file", "/no/such/file"], "cannot read key file"),
        (["--api-url", "https://example.com", "--key-file", "{k}"], "--allow-host example.com"),
        (["--api-url", "http://127.0.0.1:9", "--key-file", "{k}", "--client", "wget"], "unknown client"),
        (["--api-url", "http://127.0.0.1:9", "--key-file", "{k}", "--out", "{d}/t.xlsx"], "cannot tell the format"),
    ],
)
def test_cli_bad_input_exits_2_with_a_message(tmp_path: Path, args: list[str], words: str):
    key = tmp_path / "k.txt"
    key.write_text(fake_key("alpha"))
    args = [a.format(k=key, d=tmp_path) for a in args]
    result = CliRunner().invoke(main, ["probe", "--run-dir", str(tmp_path), *args])
    assert result.exit_code == 2
    assert words in result.output and "fix:" in result.output
    assert "Traceback" not in result.output


def test_a_key_that_works_directly_but_not_through_the_sdk_is_pinned_on_the_client(tmp_path: Path):
    """The bearer-rejected world: the SDK 2.x sends API keys as Bearer, which this API refuses."""
    with serve("bearer-rejected") as server:
        run = probe(
            [Credential("alpha", fake_key("alpha"), "t")],
            base_url=server.url,
            clients=("httpx2", "sdk-python", "curl"),
            run_dir=tmp_path,
            progress=None,
        )
    direct = [r for r in run.results if r.client == "httpx2"]
    sdk = [r for r in run.results if r.client == "sdk-python"]
    assert direct and all(r.outcome == "ok" for r in direct)
    assert sdk and all(r.error_message == "Invalid bearer token" and r.auth_style == "bearer" for r in sdk)
    assert ("alpha", "client", True) in run.checked
    assert run.effect_title("client").startswith("The client changes the answer for alpha")
    assert "the client (sdk-python: bearer header" in "\n".join(run.explanation)
