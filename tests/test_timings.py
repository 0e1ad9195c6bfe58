"""Where the time goes: per stage and per client, for `doctor --timings`, `probe --timings` and `make bench`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_doctor import invoke, project

from kit.commands.probe import probe
from kit.probe.timings import client_timings, timing_lines
from kit.testing import fake_key
from kit.values import AttemptResult


def _row(client: str, started_at: str, latency_ms: float | None) -> AttemptResult:
    return AttemptResult(
        run_id="t",
        attempt_id=f"{client}-{started_at}",
        key_alias="k",
        fingerprint="0" * 12,
        hint="h",
        source="s",
        client=client,
        client_version="1",
        endpoint="/v1/models",
        method="GET",
        model=None,
        api_version=None,
        auth_style="x-api-key",
        base_url="http://127.0.0.1:1",
        status=200 if latency_ms is not None else None,
        error_type=None,
        error_message=None,
        request_id=None,
        responder="anthropic",
        latency_ms=latency_ms,
        transport_error=None,
        started_at=started_at,
    )


def test_client_timings_span_first_request_to_last_answer_per_client() -> None:
    rows = [
        _row("httpx2", "2026-12-01T10:00:00.000Z", 100.0),
        _row("httpx2", "2026-12-01T10:00:00.500Z", 250.0),
        _row("curl", "2026-12-01T10:00:01.000Z", None),
    ]
    timings = client_timings(rows, ready=[("sdk-python", 1.5), ("httpx2", 0.01)])
    assert [t.client for t in timings] == ["sdk-python", "httpx2", "curl"]
    sdk, httpx2, curl = timings
    assert (sdk.attempts, sdk.ready_s, sdk.median_ms) == (0, 1.5, None)
    assert httpx2.attempts == 2 and httpx2.busy_s == pytest.approx(0.75)
    assert (httpx2.median_ms, httpx2.slowest_ms) == (175.0, 250.0)
    assert curl.attempts == 1 and curl.median_ms is None
    lines = timing_lines(timings)
    assert len(lines) == 3 and "no request answered" in lines[0] and "2 requests" in lines[1]
    assert "1 request " in lines[2]


@pytest.mark.slow  # a whole doctor run (the SDK process): make test-fast leaves it out
def test_doctor_timings_name_each_client_and_the_whole_wall(
    sim_healthy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('alpha')}\n")
    result = invoke({"HOME": str(home)}, proj, ["--api-url", sim_healthy, "--json", "--timings"], monkeypatch)
    data = json.loads(result.stdout)
    clients = [t["client"] for t in data["client_timings"]]
    assert clients == ["httpx2", "sdk-python", "curl"]
    assert all(t["ready_s"] >= 0 for t in data["client_timings"])
    # the stages overlap, so the whole run is shorter than their sum, never longer than it plus set-up
    assert 0 < data["wall_s"] <= sum(data["timings"].values()) + 5
    text = invoke({"HOME": str(home)}, proj, ["--api-url", sim_healthy, "--timings"], monkeypatch)
    assert "probe, per client:" in text.stderr and "sdk-python" in text.stderr
    assert "ran beside discovery" in text.stderr


@pytest.mark.slow  # a whole doctor run (the SDK process): make test-fast leaves it out
def test_doctor_client_option_probes_with_that_client_only(
    sim_healthy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('alpha')}\n")
    args = ["--api-url", sim_healthy, "--json", "--client", "httpx2"]
    result = invoke({"HOME": str(home)}, proj, args, monkeypatch)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["top"] == "healthy"
    assert {a["client"] for a in data["attempts"]} == {"httpx2"}


def test_doctor_names_an_unknown_client_and_the_fix_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('alpha')}\n")
    result = invoke({"HOME": str(home)}, proj, ["--api-url", "http://127.0.0.1:9", "--client", "nope"], monkeypatch)
    assert result.exit_code == 2
    assert "unknown client 'nope'" in result.stderr and "fix: use httpx2" in result.stderr
    assert not (proj.parent / "runs").exists()  # nothing was probed


def test_probe_timings_go_to_stderr_per_client(sim_healthy: str, tmp_path: Path) -> None:
    args = ["--api-url", sim_healthy, "--client", "httpx2", "--client", "sdk-python", "--timings"]
    args += ["--run-dir", str(tmp_path / "runs"), "--no-progress"]
    result = CliRunner().invoke(probe, args, env={"ANTHROPIC_API_KEY": fake_key("alpha")}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "per client:" in result.stderr and "timings (" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert [line.split()[0] for line in lines] == ["httpx2", "sdk-python"]
    as_json = CliRunner().invoke(
        probe,
        [*args[:-3], "--json", "--run-dir", str(tmp_path / "runs2")],
        env={"ANTHROPIC_API_KEY": fake_key("alpha")},
    )
    assert [t["client"] for t in json.loads(as_json.stdout)["client_timings"]] == ["httpx2", "sdk-python"]
