"""Promise: no byte of a key reaches any output, log or artifact: doctor, probe, simulator, notebook, report.

Canaries (made at run time) are planted in every input KeyLab reads (the environment, ``.env``, the
shell's start-up file, key files) and in places a key is misplaced (a base URL's user part, a key file
name); a hostile loopback server copies the key it receives into every field it answers with. Then
every line printed and every file written is searched for any 12-character window of any canary,
as written and decoded (``kit.testing.canary``).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from kit.sim import serve
from kit.testing.canary import assert_no_canary
from kit.testing.netns import echo_key_answer, recorder

from .test_cli_input import run_kit

OUT_FORMATS = (".csv", ".jsonl", ".json", ".html", ".md")


def _names() -> dict[str, str]:
    """Canary names per input; ``{{key:NAME}}`` in a sandbox becomes ``derive_key(NAME)``, as canary_key does."""
    return {place: f"canary-{secrets.token_hex(8)}" for place in ("env", "dotenv", "zshrc", "keyfile", "url")}


def _sandbox(root: Path, names: dict[str, str], description: str = "canary sandbox") -> Path:
    """A sandbox folder (sandbox.toml, home, project) with a canary in every input KeyLab reads."""
    box = root / "sandbox"
    (box / "home").mkdir(parents=True)
    (box / "project" / "keys").mkdir(parents=True)
    (box / "home" / ".zshrc").write_text(f'export ANTHROPIC_API_KEY="{{{{key:{names["zshrc"]}}}}}"\n')
    (box / "project" / ".env").write_text(f"ANTHROPIC_API_KEY={{{{key:{names['dotenv']}}}}}\n")
    (box / "project" / "keys" / "key.txt").write_text(f"{{{{key:{names['keyfile']}}}}}\n")
    (box / "sandbox.toml").write_text(
        f'description = {json.dumps(description)}\nscenario = "healthy"\nhome = "home"\ncwd = "project"\n'
        f'key_files = ["project/keys/key.txt"]\n\n[variables]\n'
        f'ANTHROPIC_API_KEY = "{{{{key:{names["env"]}}}}}"\nSHELL = "/bin/zsh"\n'
    )
    return box


def _canaries(names: dict[str, str]) -> list[str]:
    from kit.demo.fakekeys import derive_key

    return [derive_key(name) for name in names.values()]


@pytest.mark.slow  # `python -m kit` runs that import the SDK: make test-fast leaves it out
def test_doctor_text_json_and_run_log_hold_no_key(tmp_path: Path) -> None:
    names = _names()
    box = _sandbox(tmp_path, names)
    canaries = _canaries(names)
    runs = tmp_path / "runs"
    with serve("healthy") as sim:
        text = run_kit("doctor", "--sandbox", str(box), "--api-url", sim.url, "--run-dir", str(runs), cwd=tmp_path)
        as_json = run_kit(
            "doctor", "--sandbox", str(box), "--api-url", sim.url, "--run-dir", str(runs), "--json", cwd=tmp_path
        )
    for result in (text, as_json):
        assert result.returncode in (0, 1), result.stderr[-1000:]
        assert_no_canary(result.stdout + result.stderr, canaries)
    assert json.loads(as_json.stdout)["attempts"], "the keys were probed"
    assert_no_canary(runs, canaries)


@pytest.mark.slow  # `python -m kit` runs that import the SDK: make test-fast leaves it out
def test_probe_tables_logs_and_json_hold_no_key(tmp_path: Path) -> None:
    names = _names()
    canaries = _canaries(names)
    key_files = []
    for n, name in enumerate(names.values()):
        from kit.demo.fakekeys import derive_key

        path = tmp_path / f"key-{n}.txt"
        path.write_text(derive_key(name) + "\n")
        key_files += ["--key-file", str(path)]
    out = tmp_path / "out"
    with serve("healthy") as sim:
        for suffix in OUT_FORMATS:
            result = run_kit(
                "probe",
                "--api-url",
                sim.url,
                *key_files,
                "--run-dir",
                str(tmp_path / "runs"),
                "--out",
                str(out / f"table{suffix}"),
                "--json",
                cwd=tmp_path,
            )
            assert result.returncode == 0, result.stderr[-1000:]
            assert_no_canary(result.stdout + result.stderr, canaries)
    assert_no_canary(out, canaries)
    assert_no_canary(tmp_path / "runs", canaries)


@pytest.mark.slow  # `python -m kit` runs that import the SDK: make test-fast leaves it out
def test_a_server_that_echoes_the_key_gets_it_into_no_artifact(tmp_path: Path) -> None:
    """Item 11: request-id, anthropic-organization-id and error.type were copied into rows unscrubbed."""
    from kit.testing.canary import canary_key

    canary = canary_key()
    key = tmp_path / "key.txt"
    key.write_text(canary)
    out = tmp_path / "out"
    with recorder("127.0.0.1", answer=echo_key_answer) as hostile:
        result = run_kit(
            "probe",
            "--api-url",
            f"http://127.0.0.1:{hostile.port}",
            "--key-file",
            str(key),
            "--client",
            "httpx2",
            "--client",
            "curl",
            "--client",
            "sdk-python",
            "--plan",
            "full",
            "--run-dir",
            str(tmp_path / "runs"),
            *(arg for suffix in OUT_FORMATS for arg in ("--out", str(out / f"t{suffix}"))),
            "--json",
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr[-1000:]
        assert_no_canary(result.stdout + result.stderr, [canary])
    assert sorted(p.suffix for p in out.iterdir()) == sorted(OUT_FORMATS), "every format was written"
    assert canary.encode() in hostile.data, "the hostile server really received the key it echoes"
    assert_no_canary(out, [canary])
    assert_no_canary(tmp_path / "runs", [canary])


def test_the_executed_notebook_kept_beside_the_report_is_scrubbed(tmp_path: Path) -> None:
    """Items 7, 11: a cell's own output (a print, a traceback) was kept in the executed .ipynb as written."""
    import nbformat

    from kit.present.report import scrub_notebook
    from kit.testing.canary import canary_key

    canary = canary_key()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(key)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"sending {canary}\n"),
        nbformat.v4.new_output(
            "error", ename="ValueError", evalue=f"bad {canary!r}", traceback=[f"ValueError: bad {canary.encode()!r}"]
        ),
        nbformat.v4.new_output(
            "display_data", data={"text/plain": canary, "text/html": f"<b>{canary}</b>", "image/png": "iVBORw0KGgo="}
        ),
    ]
    nb.cells.append(cell)
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, str(path))
    scrub_notebook(path)
    assert_no_canary(path, [canary])
    assert nbformat.read(str(path), as_version=4).cells[0].outputs[2]["data"]["image/png"] == "iVBORw0KGgo="
