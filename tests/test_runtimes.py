"""Env-file runtimes as data: the engine's rules, detection, precedence, and each rule checked against the real
tool where this machine can run it (Node --env-file, python-dotenv, bash, direnv, Docker's CLI parser, uv, npm
dotenv); the others cite the facts sheet (docs/reference/claude-code-and-runtimes.md §3)."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kit.env import Environment
from kit.sources.runtimes import apply, detect, parse_env_file, runtime_catalog

CAT = runtime_catalog()
#: One line per reading rule: quotes, a spaced comment, a glued `#`, single quotes, CRLF.
CORPUS = "A=\"q v\"\nB=v # c\nC=v#c\nE='single'\nF=crlf\r\n"
NAMES = ("A", "B", "C", "E", "F")


def _engine(name: str, text: str = CORPUS) -> dict[str, str]:
    return {k: v for _, k, v in parse_env_file(text, CAT[name])}


def _project(tmp: Path, files: dict[str, str], **variables: str) -> Environment:
    project = tmp / "project"
    project.mkdir(exist_ok=True)
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8", newline="")
    return Environment(variables=variables, home=tmp, cwd=project)


def _value(env: Environment, runtime: str) -> tuple[str | None, str]:
    [found] = [r for r in detect(env.cwd) if r.name == runtime]
    loaded = apply(found, env, "ANTHROPIC_API_KEY")
    assert loaded is not None
    return loaded.value, loaded.origin


# ---------------------------------------------------------------- the engine's rules (facts §3)


def test_docker_keeps_quotes_and_comments_and_refuses_export() -> None:
    assert _engine("docker-env-file") == {"A": '"q v"', "B": "v # c", "C": "v#c", "E": "'single'", "F": "crlf"}
    assert parse_env_file("export A=1\n", CAT["docker-env-file"]) == []


def test_hash_rules_differ_between_node_and_python() -> None:
    assert _engine("node-env-file")["C"] == "v" and _engine("python-dotenv")["C"] == "v#c"
    assert _engine("bash-source")["F"] == "crlf\r"  # only bash keeps the CR


def test_every_catalog_entry_has_the_fields_the_engine_reads() -> None:
    for name, entry in CAT.items():
        assert {"name", "files", "existing_wins", "quotes", "comment", "export", "crlf", "detect"} <= set(entry), name
        assert entry["quotes"] in ("strip", "keep") and entry["comment"] in ("space-hash", "any-hash", "none")


# ---------------------------------------------------------------- detection and precedence


def test_nextjs_env_local_beats_env_but_not_in_test_mode(tmp_path: Path) -> None:
    files = {
        "package.json": '{"dependencies": {"next": "16"}}',
        ".env": "ANTHROPIC_API_KEY=base\n",
        ".env.local": "ANTHROPIC_API_KEY=local\n",
    }
    assert _value(_project(tmp_path, files), "nextjs") == ("local", ".env.local line 1")
    assert _value(_project(tmp_path, files, NODE_ENV="test"), "nextjs")[0] == "base"
    assert _value(_project(tmp_path, files, ANTHROPIC_API_KEY="shell"), "nextjs") == ("shell", "process environment")


def test_vite_mode_file_beats_env_local(tmp_path: Path) -> None:
    files = {
        "package.json": '{"devDependencies": {"vite": "8"}}',
        ".env.local": "ANTHROPIC_API_KEY=local\n",
        ".env.development": "ANTHROPIC_API_KEY=mode\n",
    }
    assert _value(_project(tmp_path, files), "vite")[0] == "mode"


def test_bun_is_detected_from_its_lock_file(tmp_path: Path) -> None:
    files = {"bun.lock": "{}", ".env": "ANTHROPIC_API_KEY=base\n", ".env.local": "ANTHROPIC_API_KEY=local\n"}
    assert _value(_project(tmp_path, files), "bun")[0] == "local"


def test_direnv_file_beats_the_shell(tmp_path: Path) -> None:
    files = {".envrc": "dotenv\n", ".env": "ANTHROPIC_API_KEY=file\n"}
    assert _value(_project(tmp_path, files, ANTHROPIC_API_KEY="shell"), "direnv")[0] == "file"


def test_docker_env_file_found_in_a_script_and_compose(tmp_path: Path) -> None:
    files = {
        "run.sh": "docker run --rm --env-file ./prod.env app\n",
        "prod.env": 'ANTHROPIC_API_KEY="x"\n',
        "compose.yaml": "services:\n  app:\n    env_file: prod.env\n",
    }
    env = _project(tmp_path, files)
    assert _value(env, "docker-env-file")[0] == '"x"'
    assert _value(env, "compose")[0] == "x"


def test_nothing_is_detected_in_an_empty_or_missing_folder(tmp_path: Path) -> None:
    assert detect(tmp_path) == []
    assert detect(tmp_path / "missing") == []


# ---------------------------------------------------------------- against the real tools


def _write(tmp: Path, text: str = CORPUS) -> Path:
    path = tmp / "corpus.env"
    path.write_bytes(text.encode())
    return path


def _python_print(names: tuple[str, ...]) -> str:
    return f"import os,json;print(json.dumps({{k: os.environ.get(k) for k in {list(names)!r}}}))"


def test_node_env_file_matches_the_engine(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    path = _write(tmp_path)
    script = f"console.log(JSON.stringify(Object.fromEntries({list(NAMES)!r}.map(k => [k, process.env[k]]))))"
    out = subprocess.run(
        [node, f"--env-file={path}", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", "")},
        check=True,
    )
    assert json.loads(out.stdout) == _engine("node-env-file")


def test_node_env_file_keeps_an_existing_variable(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    path = _write(tmp_path, "ANTHROPIC_API_KEY=file\n")
    out = subprocess.run(
        [node, f"--env-file={path}", "-e", "console.log(process.env.ANTHROPIC_API_KEY)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PATH": os.environ.get("PATH", ""), "ANTHROPIC_API_KEY": "shell"},
    )
    assert out.stdout.strip() == "shell"
    assert CAT["node-env-file"]["existing_wins"] is True


def test_python_dotenv_matches_the_engine(tmp_path: Path) -> None:
    from dotenv import dotenv_values

    assert dotenv_values(_write(tmp_path)) == _engine("python-dotenv")


def test_bash_source_matches_the_engine(tmp_path: Path) -> None:
    path = _write(tmp_path)
    printer = tmp_path / "print.py"
    printer.write_text(_python_print(NAMES))
    out = subprocess.run(
        ["bash", "-c", f"set -a; . {path}; set +a; python3 {printer}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert json.loads(out.stdout) == _engine("bash-source")


def test_direnv_matches_the_engine(tmp_path: Path) -> None:
    direnv = shutil.which("direnv")
    if direnv is None:
        pytest.skip("direnv is not installed (Debian: apt-get install direnv)")
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / ".envrc").write_text("dotenv\n")
    (folder / ".env").write_bytes(CORPUS.encode())
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "d"),
        "XDG_CONFIG_HOME": str(tmp_path / "c"),
        "C": "shell",
    }
    subprocess.run([direnv, "allow", str(folder)], env=env, capture_output=True, timeout=60, check=True)
    out = subprocess.run(
        [direnv, "exec", str(folder), "python3", "-c", _python_print(NAMES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout) == _engine("direnv")  # C: the file beat the variable already set
    assert CAT["direnv"]["existing_wins"] is False


@contextlib.contextmanager
def _fake_docker_daemon(folder: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A Docker Engine API stand-in on a unix socket: records /containers/create, refuses it (nothing runs)."""
    sock = folder / "docker.sock"
    seen: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def address_string(self) -> str:
            return "docker"

        def _send(self, code: int, body: bytes = b"{}") -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError):
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self._send(200, b"")

        def do_GET(self) -> None:
            self._send(200, b"OK" if "_ping" in self.path else b"{}")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if "containers/create" in self.path:
                seen.append(json.loads(body))
            self._send(500, b'{"message":"keylab fake daemon: nothing is created"}')

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    server = Server(str(sock), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"unix://{sock}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_docker_cli_parser_matches_the_engine(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("the docker CLI is not installed")
    path = _write(tmp_path)
    with _fake_docker_daemon(tmp_path) as (host, seen):
        subprocess.run(
            [docker, "run", "--env-file", str(path), "busybox", "true"],
            capture_output=True,
            timeout=60,
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DOCKER_HOST": host},
            check=False,
        )
    if not seen:
        pytest.skip("this docker CLI did not reach the fake daemon's create call")
    env = dict(item.split("=", 1) for item in seen[0]["Env"])
    assert {k: env[k] for k in NAMES} == _engine("docker-env-file")


def test_docker_cli_refuses_export(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("the docker CLI is not installed")
    path = _write(tmp_path, "export A=1\n")
    out = subprocess.run(
        [docker, "run", "--env-file", str(path), "busybox", "true"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DOCKER_HOST": f"unix://{tmp_path}/none.sock"},
    )
    assert "contains whitespaces" in out.stderr
    assert CAT["docker-env-file"]["export"] == "error"


def test_uv_env_file_matches_the_engine(tmp_path: Path) -> None:
    beside = Path(sys.executable).with_name("uv")  # `make venv` bootstraps uv into the venv
    uv = str(beside) if beside.is_file() else shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed here; its row cites the facts sheet §3 (uv 0.13.9, Obs)")
    path = _write(tmp_path)
    out = subprocess.run(
        [uv, "run", "--no-project", "--env-file", str(path), "python3", "-c", _python_print(NAMES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
    )
    assert json.loads(out.stdout.splitlines()[-1]) == _engine("uv")


def test_npm_dotenv_matches_the_engine(tmp_path: Path) -> None:
    from kit.probe.clients import node_install

    version = CAT["dotenv"]["version"]
    found = node_install.tool_folder("dotenv", version) / "node_modules" / "dotenv" / "package.json"
    if not found.is_file() or shutil.which("node") is None:
        pytest.skip(f"npm dotenv {version} is not installed (make node-sdks); its row cites the facts sheet §3")
    path = _write(tmp_path)
    script = (
        f"const d=require({str(found.parent)!r});const r=d.parse(require('fs').readFileSync({str(path)!r}));"
        f"console.log(JSON.stringify(r))"
    )
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == _engine("dotenv")
