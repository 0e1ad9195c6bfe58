"""The SDK child program (``kit/sources/sdk_child.py``) on its own: it labels values exactly as the parent does,
imports nothing from kit, describes what the installed SDK would send, runs ``load_dotenv()`` as an app would
without blocking on a FIFO, and prints no secret."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit.keys.naming import fingerprint
from kit.sources import sdk_child
from kit.sources.sdk_process import SDK_CHILD
from kit.testing import fake_key, find_leaks

KEY = fake_key("sdk-child")
TOKEN = fake_key("sdk-child-token", "oauth")


@pytest.mark.parametrize(
    "value", [KEY, KEY.encode(), KEY + "\n", "caf\u00e9", "bad\udcff", "lone\ud800", "", b"\xff\xfe"]
)
def test_fp_labels_values_exactly_as_the_parent_does(value: str | bytes) -> None:
    assert sdk_child.fp(value) == fingerprint(value)


def test_fp_of_nothing_is_nothing() -> None:
    assert sdk_child.fp(None) is None


def _serve_function(tree: ast.Module) -> ast.FunctionDef:
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "serve")


def test_the_child_imports_nothing_from_kit_to_answer() -> None:
    tree = ast.parse(Path(sdk_child.__file__).read_text(encoding="utf-8"))
    serve = _serve_function(tree)
    tree.body.remove(serve)  # serving requests (--serve) comes after the answer, below
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import would pull in the kit package"
            imported.add((node.module or "").split(".")[0])
    assert "kit" not in imported
    # The other providers' official SDKs (openai, google-genai) are asked in the same child (issue 13).
    assert imported <= {
        "__future__",
        "anthropic",
        "contextlib",
        "dotenv",
        "hashlib",
        "importlib",
        "json",
        "logging",
        "os",
        "stat",
        "sys",
        "typing",
        "openai",
        "google",
    }


def test_the_parent_runs_this_very_file() -> None:
    assert SDK_CHILD.resolve() == Path(sdk_child.__file__).resolve()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ANTHROPIC_* variable, HOME and the working folder in tmp_path; every change undone afterwards."""
    for name in [n for n in os.environ if n.startswith("ANTHROPIC_")] + ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"]:
        monkeypatch.setenv(name, "")  # recorded, so the variable is restored (or removed) afterwards
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_probe_reports_the_header_and_fingerprint_of_the_key(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    out = sdk_child.probe(sdk_child.Collect())
    assert out["api_key"] == {"fp": fingerprint(KEY), "len": len(KEY)}
    assert out["auth_token"] is None
    [sent] = [s for s in out["sent"] if s["from"] == "api_key"]
    assert sent["fp"] == fingerprint(KEY) and sent["header"] in ("x-api-key", "authorization")
    assert not find_leaks(json.dumps(out), [KEY])


def test_probe_with_no_credential_sends_no_credential_header(clean_env: Path) -> None:
    out = sdk_child.probe(sdk_child.Collect())
    assert out["api_key"] is None and out["auth_token"] is None and out["sent"] == []


def test_load_dotenv_sets_only_what_is_not_already_set(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    (clean_env / ".env").write_text(f"ANTHROPIC_API_KEY=other\nANTHROPIC_AUTH_TOKEN={TOKEN}\n")
    info = sdk_child.load_dotenv_like_an_app()
    assert info["path"] == str(clean_env / ".env") and info["loaded"] is True
    assert info["set"] == ["ANTHROPIC_AUTH_TOKEN"]
    assert info["kept"] == ["ANTHROPIC_API_KEY"]
    assert os.environ["ANTHROPIC_API_KEY"] == KEY


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_named_env_is_reported_not_read(clean_env: Path) -> None:
    os.mkfifo(clean_env / ".env")
    info = sdk_child.load_dotenv_like_an_app()
    assert "FIFO" in info["error"] and "loaded" not in info


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
def test_the_file_run_as_the_parent_runs_it_answers_in_one_json_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "ANTHROPIC_API_KEY": KEY}
    done = subprocess.run(
        [sys.executable, "-I", str(SDK_CHILD)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    answer = json.loads(line)
    assert answer["sdk"]["api_key"]["fp"] == fingerprint(KEY)
    assert answer["dotenv_app"]["api_key"]["fp"] == fingerprint(KEY)
    assert not find_leaks(done.stdout + done.stderr, [KEY])


def test_serving_imports_only_the_request_server_and_only_after_the_answer() -> None:
    tree = ast.parse(Path(sdk_child.__file__).read_text(encoding="utf-8"))
    modules = {
        node.module for node in ast.walk(_serve_function(tree)) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert modules == {"kit.probe.clients.sdk_serve"}
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    line_of = {n.func.id: n.lineno for n in ast.walk(main) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert line_of["print"] < line_of["serve"], "the answer is printed before serving starts"
