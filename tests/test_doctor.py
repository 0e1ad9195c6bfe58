"""`python -m kit doctor`: the contract (flags, JSON, exit codes) and bad input that must never crash it.

Most tests run the click command in-process (CliRunner) with a real sandbox and the real simulator; one
runs `python -m kit doctor` as a subprocess, the way tests outside the repository use it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kit.commands.doctor import doctor, render_json, run_doctor
from kit.demo.sandbox import materialize
from kit.testing import assert_no_leak, fake_key, sandbox_env, simulator

pytestmark = pytest.mark.slow  # whole doctor runs (the SDK child, every client): make test-fast leaves them out

REPO = Path(__file__).resolve().parent.parent
TICKET = REPO / "data" / "demo" / "ticket"
TICKET_KEYS = [fake_key(n) for n in ("prototype-2024", "fresh-1", "fresh-2", "fresh-3")]


@pytest.fixture(scope="module")
def sim(sim_healthy: str) -> str:
    """The healthy simulator shared by this worker's tests (tests/conftest.py): these tests only read answers."""
    return sim_healthy


def invoke(env_vars: dict[str, str], cwd: Path, args: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    """The click command in-process, with the process environment and working directory of a user's shell."""
    monkeypatch.chdir(cwd)
    for name in ("HOME", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    runs = cwd.parent / "runs"  # keep run logs out of the repository's data/runs
    return CliRunner().invoke(doctor, [*args, "--run-dir", str(runs)], env=env_vars, catch_exceptions=False)


def project(tmp_path: Path, dotenv: bytes | str | None = None, home: bool = True) -> tuple[Path, Path]:
    home_dir, proj = tmp_path / "home", tmp_path / "project"
    proj.mkdir(parents=True)
    if home:
        home_dir.mkdir()
    if dotenv is not None:
        (proj / ".env").write_bytes(dotenv if isinstance(dotenv, bytes) else dotenv.encode())
    return home_dir, proj


# ---------------------------------------------------------------- the contract


def test_healthy_exits_zero_and_json_is_one_object(sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('alpha')}\n")
    result = invoke({"HOME": str(home)}, proj, ["--api-url", sim, "--json", "--model", "claude-haiku-4-5"], monkeypatch)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"findings", "keys", "attempts"} <= set(data)
    assert data["findings"][0]["cause"] == "healthy"
    assert data["keys"][0]["fingerprint"] and data["attempts"]
    assert all(a["base_url"].rstrip("/") == sim for a in data["attempts"])
    assert_no_leak([result.output], [fake_key("alpha")])


def test_a_revoked_key_exits_one_with_the_cause_and_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('old')}\n")
    with simulator("revoked-key") as url:
        result = invoke({"HOME": str(home)}, proj, ["--api-url", url], monkeypatch)
    assert result.exit_code == 1
    assert "Cause: key-rejected" in result.output and "fix:" in result.output
    assert_no_leak([result.output], [fake_key("old")])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--api-url", "ftp://example.com"], "not an http(s) URL"),
        (["--key-file", "/nonexistent/key.txt"], "no such file"),
        (["--no-such-flag"], "No such option"),
        (["--model", "claude haiku"], "holds spaces"),
    ],
)
def test_usage_errors_exit_two_with_a_clear_message(
    args: list[str], words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, proj = project(tmp_path)
    result = invoke({"HOME": str(home)}, proj, args, monkeypatch)
    assert result.exit_code == 2
    assert words in result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- bad input


def test_a_key_file_that_is_a_directory_or_a_symlink_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, proj = project(tmp_path)
    loop = proj / "loop.key"
    loop.symlink_to(loop)
    for path, words in ((proj, "is a directory"), (loop, "cannot be read")):
        result = invoke({"HOME": str(home)}, proj, ["--key-file", str(path)], monkeypatch)
        assert result.exit_code == 2 and words in result.output, result.output
        assert "Traceback" not in result.output and "fix:" in result.output


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, proj = project(tmp_path)
    key = proj / "secret.key"
    key.write_text(fake_key("alpha"))
    key.chmod(0)
    result = invoke({"HOME": str(home)}, proj, ["--key-file", str(key)], monkeypatch)
    assert result.exit_code == 2 and "cannot be read" in result.output and "chmod" in result.output


@pytest.mark.parametrize("kind", ["missing", "a-file"])
def test_home_that_does_not_exist(kind: str, sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('alpha')}\n", home=False)
    home = tmp_path / "no-such-home"
    if kind == "a-file":
        home.write_text("not a folder")
    result = invoke({"HOME": str(home)}, proj, ["--api-url", sim, "--json"], monkeypatch)
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.output)
    assert data["findings"] and data["attempts"], "the .env key is still found and probed"
    assert any("HOME" in n for n in data["notes"]), data["notes"]


def test_dotenv_that_is_a_symlink_loop(sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, proj = project(tmp_path)
    (proj / ".env").symlink_to(proj / ".env")
    result = invoke({"HOME": str(home)}, proj, ["--api-url", sim, "--json"], monkeypatch)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["findings"][0]["cause"] == "key-missing"
    assert any(".env" in n for n in data["notes"]), data["notes"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_dotenv(sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('alpha')}\n")
    (proj / ".env").chmod(0)
    result = invoke({"HOME": str(home)}, proj, ["--api-url", sim, "--json"], monkeypatch)
    assert result.exit_code == 1 and json.loads(result.output)["findings"]


@pytest.mark.parametrize(
    "dotenv",
    [
        bytes(range(256)) * 4,
        b"\x00\x00\x00ANTHROPIC_API_KEY=\x00\xff\xfe\n",
        b'\xef\xbb\xbfANTHROPIC_API_KEY="unterminated\n',
    ],
    ids=["binary", "nul-and-invalid-utf8", "bom-unterminated-quote"],
)
def test_binary_or_broken_dotenv(dotenv: bytes, sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, proj = project(tmp_path, dotenv)
    result = invoke({"HOME": str(home)}, proj, ["--api-url", sim, "--json"], monkeypatch)
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.output)
    assert data["findings"], "a broken .env must become a finding"
    assert data["findings"][0]["severity"] == "blocker"


def test_dotenv_that_is_a_directory(sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, proj = project(tmp_path)
    (proj / ".env").mkdir()
    result = invoke({"HOME": str(home)}, proj, ["--api-url", sim], monkeypatch)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "key-missing" in result.output


def test_no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('alpha')}\n")
    result = invoke({"HOME": str(home)}, proj, ["--api-url", f"http://127.0.0.1:{port}", "--json"], monkeypatch)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["findings"][0]["cause"] == "network-unreachable"


def test_unresolvable_api_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('alpha')}\n")
    result = invoke({"HOME": str(home)}, proj, ["--api-url", "https://no-such-host.invalid", "--json"], monkeypatch)
    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["findings"][0]["cause"] == "network-unreachable"


def test_requests_go_only_to_the_api_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A base URL in the environment that is not loopback and not allowed is not sent the key."""
    home, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('alpha')}\n")
    with simulator("healthy") as url:
        result = invoke(
            {"HOME": str(home), "ANTHROPIC_BASE_URL": "https://gateway.example.invalid"},
            proj,
            ["--api-url", url, "--json"],
            monkeypatch,
        )
    data = json.loads(result.output)
    assert all("gateway.example.invalid" not in a["base_url"] for a in data["attempts"])


# ---------------------------------------------------------------- the ticket


def ticket_sandbox(tmp_path: Path) -> tuple[dict[str, str], Path, list[str]]:
    env = materialize(TICKET, tmp_path / "ticket")
    key_files = [str(tmp_path / "ticket" / "project" / "keys" / f"key-{i}.txt") for i in (1, 2)]
    return dict(env.variables), env.cwd, key_files


TICKET_MODELS = ["claude-3-haiku-20240307", "claude-3-sonnet-20240229", "claude-3-5-sonnet-20241022"]


def test_the_ticket_demo_names_the_cause_shows_the_evidence_and_rules_out_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    variables, cwd, key_files = ticket_sandbox(tmp_path)
    args = [a for f in key_files for a in ("--key-file", f)] + [a for m in TICKET_MODELS for a in ("--model", m)]
    with simulator("ticket") as url:
        result = invoke(variables, cwd, ["--api-url", url, *args], monkeypatch)
    out = result.output
    assert result.exit_code == 1, out
    assert out.splitlines()[3].startswith("Cause: stale-env-shadows-dotenv"), out
    # the evidence: every source's fingerprint and hint, the per-client winner, the request ids
    from kit.keys.naming import fingerprint, hint

    for name in ("prototype-2024", "fresh-3"):
        assert fingerprint(fake_key(name)) in out and hint(fake_key(name)) in out
    assert "~/.zshrc line 6" in out
    assert "Who wins, per client" in out and "sdk-python" in out and "curl" in out
    assert "req_" in out
    # one sentence rules out model, version and client
    sentence = next(line for line in out.splitlines() if "change nothing" in line)
    ruled_out = sentence.split("Outcome depends only on the key;", 1)[1].split("change nothing", 1)[0]
    assert all(word in ruled_out for word in ("model", "version", "client")), sentence
    assert_no_leak([out], TICKET_KEYS)


def test_the_ticket_through_python_m_kit_doctor_json(tmp_path: Path) -> None:
    variables, cwd, key_files = ticket_sandbox(tmp_path)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}, **variables}
    args = [a for f in key_files for a in ("--key-file", f)] + [a for m in TICKET_MODELS for a in ("--model", m)]
    with simulator("ticket") as url:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "kit",
                "doctor",
                "--api-url",
                url,
                "--json",
                *args,
                "--run-dir",
                str(tmp_path / "runs"),
            ],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["findings"][0]["cause"] == "stale-env-shadows-dotenv"
    causes = [f["cause"] for f in data["findings"]]
    assert causes.index("stale-env-shadows-dotenv") < causes.index("model-unavailable")
    assert "Traceback" not in proc.stderr
    assert_no_leak([proc.stdout, proc.stderr], TICKET_KEYS)


def test_run_doctor_in_process_gives_the_same_json_contract(sim: str, tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": fake_key("alpha")})
    result = run_doctor(env, api_url=sim, run_dir=tmp_path / "runs")
    data = json.loads(render_json(result))
    assert data["top"] == "healthy" and data["exit_code"] == 0 == result.exit_code
    assert data["attribution"]["sentence"]


def test_a_missing_curl_does_not_stop_the_diagnosis(sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('alpha')}\n")
    empty = tmp_path / "bin"
    empty.mkdir()
    result = invoke({"HOME": str(home), "PATH": str(empty)}, proj, ["--api-url", sim, "--json"], monkeypatch)
    data = json.loads(result.output)
    assert result.exit_code == 0, data["notes"]
    assert data["findings"][0]["cause"] == "healthy"
    assert any("curl" in n and "instead" in n for n in data["notes"]), data["notes"]


def test_doctor_sandbox_flag_diagnoses_the_ticket_demo_from_the_command_line(tmp_path: Path) -> None:
    from kit.cli import main
    from kit.testing import simulator

    with simulator("ticket") as url:  # in-process; test_the_ticket_through_python_m_kit_doctor_json runs the process
        done = CliRunner().invoke(
            main,
            ["doctor", "--sandbox", "ticket", "--api-url", url, "--json", "--run-dir", str(tmp_path)],
            catch_exceptions=False,
        )
    assert done.exit_code == 1, done.output[-500:]
    result = json.loads(done.stdout)
    assert result["findings"][0]["cause"] == "stale-env-shadows-dotenv"


def test_timings_name_every_stage_that_ran(sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, proj = project(tmp_path, f"ANTHROPIC_API_KEY={fake_key('alpha')}\n")
    result = invoke({"HOME": str(home)}, proj, ["--api-url", sim, "--json", "--timings"], monkeypatch)
    assert result.exit_code == 0, result.output
    timings = json.loads(result.stdout)["timings"]
    assert list(timings) == ["discover", "inspect", "path", "probe", "admin", "diagnose"]
    assert all(seconds >= 0 for seconds in timings.values())
    text = invoke({"HOME": str(home)}, proj, ["--api-url", sim, "--timings"], monkeypatch)
    assert "timings (" in text.stderr and " probe " in text.stderr
    assert "timings (" not in text.stdout
