"""The SDK fork server: a forked child answers exactly as a fresh one, and it is used only when that holds.

Each case compares a child forked from one import of the SDK with a child started anew, on the same
environment; the server declines what could make them differ, and the parent refuses a server it cannot
trust with keys.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kit.keys.naming import fingerprint
from kit.sources.sdk_fork import ENV_VAR, ForkedChild, compared, fork_child, server_path
from kit.sources.sdk_process import SdkProcess, start_child
from kit.sources.sdk_python import ask_python_sdk
from kit.testing import assert_no_leak, fake_key, sandbox_env

pytestmark = pytest.mark.slow  # a fork server imports the real SDK (about 1.5 s), and the fresh children too

KEY = fake_key("fork-alpha")
OTHER = fake_key("fork-beta")
FORKSERVER = Path(__file__).resolve().parent.parent / "kit" / "sources" / "sdk_forkserver.py"


def _load_server() -> object:
    """``sdk_forkserver.py`` as a module, for its pure functions (it is run as a file, never imported by kit)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("sdk_forkserver_under_test", FORKSERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server() -> str:
    """The session's fork server (``tests/conftest.py``): started without any ANTHROPIC_* variable."""
    return os.environ[ENV_VAR]


def _ask(
    env: object, *, forked: bool, monkeypatch: pytest.MonkeyPatch, server: str, providers: tuple[str, ...] = ()
) -> dict[str, object]:
    with monkeypatch.context() as patch:
        if forked:
            patch.setenv(ENV_VAR, server)
        else:
            patch.delenv(ENV_VAR, raising=False)
        answer, reason = ask_python_sdk(env, providers=providers)  # type: ignore[arg-type]
    assert answer is not None, reason
    return answer


@pytest.mark.parametrize(
    "variables, dotenv",
    [
        pytest.param({}, f"ANTHROPIC_API_KEY={KEY}\n", id="key-in-dotenv"),
        pytest.param(
            {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_AUTH_TOKEN": OTHER, "LANG": "en_US.UTF-8"}, None, id="key-and-token"
        ),
        pytest.param({"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}, None, id="no-key"),
    ],
)
def test_a_forked_child_answers_exactly_as_a_fresh_one(
    variables: dict[str, str],
    dotenv: str | None,
    tmp_path: Path,
    server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = sandbox_env(tmp_path, variables)
    if dotenv is not None:
        (env.cwd / ".env").write_text(dotenv, encoding="utf-8")
    forked = _ask(env, forked=True, monkeypatch=monkeypatch, server=server)
    fresh = _ask(env, forked=False, monkeypatch=monkeypatch, server=server)
    assert forked == fresh
    if KEY in variables.values() or dotenv:
        assert forked["dotenv_app"]["api_key"]["fp"] == fingerprint(KEY)  # type: ignore[index]
    assert_no_leak([json.dumps(forked)], [KEY, OTHER])


def test_the_other_providers_sdks_answer_alike_forked_and_fresh(
    tmp_path: Path, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openai and google-genai are preloaded too: their answers (and warnings) match a fresh child's."""
    openai_key, google_key = fake_key("fork-openai", "openai-project"), fake_key("fork-google", "google-api")
    env = sandbox_env(tmp_path, {"OPENAI_API_KEY": openai_key, "GOOGLE_API_KEY": google_key})
    (env.cwd / ".env").write_text(f"GEMINI_API_KEY={google_key}\n", encoding="utf-8")
    providers = ("openai", "gemini")
    forked = _ask(env, forked=True, monkeypatch=monkeypatch, server=server, providers=providers)
    fresh = _ask(env, forked=False, monkeypatch=monkeypatch, server=server, providers=providers)
    assert forked == fresh
    assert forked["others"]["openai"]["api_key"]["fp"] == fingerprint(openai_key)  # type: ignore[index]
    assert forked["others_dotenv"]["gemini"]["warnings"] or forked["others_dotenv"]["gemini"]["api_key"]  # type: ignore[index]
    assert_no_leak([json.dumps(forked)], [openai_key, google_key])


def test_it_is_a_forked_child_and_fast_after_the_first(tmp_path: Path, server: str) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY})
    start_child(env).communicate(timeout=60)  # waits for the server's import, if it is still going
    began = time.perf_counter()
    child = start_child(env)
    stdout, _ = child.communicate(timeout=60)
    assert isinstance(child, ForkedChild)
    assert child.returncode == 0
    assert json.loads(stdout)["sdk"]["api_key"]["fp"] == fingerprint(KEY)
    assert time.perf_counter() - began < 30  # a bound for a hang, not a speed claim (make bench measures that)


def test_a_variable_read_while_importing_the_sdk_makes_it_decline(tmp_path: Path, server: str) -> None:
    """ANTHROPIC_LOG is read when ``anthropic`` is imported: a forked child would keep the server's logging."""
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_LOG": "debug"})
    assert fork_child([], env.variables, env.cwd) is None
    child = start_child(env)  # started anew instead
    assert isinstance(child, subprocess.Popen)
    child.kill()
    child.communicate(timeout=60)


def test_a_locale_with_another_character_set_makes_it_decline(tmp_path: Path, server: str) -> None:
    env = sandbox_env(tmp_path, {"LC_ALL": "de_DE.ISO-8859-1"})
    assert fork_child([], env.variables, env.cwd) is None


def test_the_serving_child_is_the_same_process_kind_and_ends_when_closed(tmp_path: Path, server: str) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY})
    process = SdkProcess.start(env)
    assert process is not None
    answered, reason = process.answer()
    assert answered is not None, reason
    assert process.serves()
    child = process._proc
    assert isinstance(child, ForkedChild) and child.poll() is None
    process.close()
    assert child.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)


def test_terminate_ends_a_child_with_the_signals_code(tmp_path: Path, server: str) -> None:
    env = sandbox_env(tmp_path, {})
    child = fork_child(["--serve"], env.variables, env.cwd)
    assert child is not None
    assert child.stdout is not None
    assert child.stdout.readline().startswith(b"{")  # the answer; it now waits for the set-up line
    assert child.poll() is None
    child.terminate()
    assert child.wait(timeout=10) == -15


@pytest.mark.parametrize("mode", [0o755, 0o770, 0o701])
def test_a_socket_in_a_folder_others_can_enter_is_not_trusted(
    mode: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    path = folder / "server"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        monkeypatch.setenv(ENV_VAR, str(path))
        folder.chmod(0o700)
        assert server_path() == str(path)
        folder.chmod(mode)
        assert server_path() is None


@pytest.mark.parametrize("value", ["", "relative/server", "/nonexistent/keylab/server"])
def test_no_usable_server_named_means_none(value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, value)
    assert server_path() is None
    assert fork_child([], {"HOME": str(tmp_path)}, tmp_path) is None


def test_a_plain_file_is_not_a_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    (folder / "server").write_text("", encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(folder / "server"))
    assert server_path() is None


def test_a_server_whose_owner_dies_ends_and_leaves_nothing(tmp_path: Path) -> None:
    """Its owner killed (no close()), the server sees its pipe close, exits, and removes its socket and folder."""
    code = (
        "import time\n"
        "from kit.sources.sdk_fork import ForkServer\n"
        "server = ForkServer.start(env={'PATH': '/usr/bin:/bin'})\n"
        "print(server.path, server._proc.pid, flush=True)\n"
        "server.compared()\n"
        "print('ready', flush=True)\n"
        "time.sleep(120)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    path, pid = owner.stdout.readline().split()
    folder = Path(path).parent
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert owner.stdout.readline().strip() == "ready"
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 30
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists()
    while _running(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(int(pid)), "the server outlived its owner"


def _running(pid: int) -> bool:
    """True while ``pid`` runs: gone, or exited and waiting to be reaped (``Z``: by init, not by us), is not."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_no_key_on_any_command_line(tmp_path: Path, server: str) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY})
    child = fork_child(["--serve"], env.variables, env.cwd)
    assert child is not None
    try:
        command = Path(f"/proc/{child.pid}/cmdline").read_bytes().decode("utf-8", "replace")
        assert KEY not in command and "sdk_forkserver.py" in command
    finally:
        child.kill()
        child.wait(timeout=10)


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, "utf8"),
        ({"LANG": "C"}, "utf8"),
        ({"LC_ALL": "POSIX", "LANG": "de_DE.ISO-8859-1"}, "utf8"),
        ({"LANG": "en_US.UTF-8"}, "utf8"),
        ({"LANG": "C.utf8"}, "utf8"),
        ({"LC_CTYPE": "de_DE.ISO-8859-1@euro", "LANG": "C.UTF-8"}, "iso88591"),
        ({"LANG": "en_US"}, "en_US"),
    ],
)
def test_the_character_set_a_fresh_interpreter_would_use(env: dict[str, str], expected: str) -> None:
    assert _load_server().character_set(env) == expected  # type: ignore[attr-defined]


def test_what_is_compared() -> None:
    mismatch = _load_server().mismatch  # type: ignore[attr-defined]
    read = {"ANTHROPIC_LOG"}
    assert mismatch(read, {}, {"ANTHROPIC_API_KEY": KEY, "HOME": "/elsewhere"}) == ""
    assert "ANTHROPIC_LOG" in mismatch(read, {}, {"ANTHROPIC_LOG": "info"})
    assert "TZ" in mismatch(set(), {"TZ": "UTC"}, {})
    assert "OPENSSL_CONF" in mismatch(set(), {}, {"OPENSSL_CONF": "/etc/other.cnf"})
    assert mismatch(set(), {"SSL_CERT_FILE": "/a"}, {"SSL_CERT_FILE": "/b"}) == ""
    assert mismatch({"*"}, {"A": "1"}, {"A": "1"}) == ""
    assert mismatch({"*"}, {"A": "1"}, {"A": "2"}) != ""


def test_the_server_compares_what_importing_the_sdks_reads(server: str) -> None:
    """Seen, not listed: the names read while the SDKs were imported include those the SDKs document."""
    said = compared(server)
    read = set(said["read_while_importing"])
    assert {"ANTHROPIC_LOG", "DEFER_PYDANTIC_BUILD", "OPENAI_API_VERSION"} <= read
    assert "HOME" not in read  # sysconfig's user base: ignored, and why is written beside UNUSED
    assert said["refuses"] == ""
