"""A run log is a file an attacker (or an accident) may have replaced (issue 17, items 4 and 5): it is never
followed through a symbolic link, never hung on, never trusted line by line, and created 0600."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit.errors import InputError
from kit.keys.credential import Credential
from kit.probe.engine import probe
from kit.probe.runlog import MAX_LOG_BYTES, RunLog
from kit.testing import ScriptedTransport, fake_key

NOWHERE = "http://127.0.0.1:9"
VERSIONS = ("2023-06-01", "2023-01-01")


def _probe(tmp_path: Path, run_id: str = "r1", transport: ScriptedTransport | None = None):
    return probe(
        [Credential("alpha", fake_key("alpha"), "t")],
        base_url=NOWHERE,
        plan="full",
        versions=VERSIONS,
        run_id=run_id,
        run_dir=tmp_path,
        progress=None,
        client_factory=transport or ScriptedTransport(),
    )


def test_run_logs_are_created_0600_in_a_0700_folder(tmp_path: Path) -> None:
    run_dir = tmp_path / "new" / "runs"
    _probe(run_dir)
    assert (run_dir / "r1.jsonl").stat().st_mode & 0o777 == 0o600
    assert run_dir.stat().st_mode & 0o777 == 0o700
    log = RunLog(run_dir, "r1")
    log.open()
    log.append(_probe(run_dir).results[0], models=("claude-haiku-4-5",))
    log.close()
    assert (run_dir / "r1.models.jsonl").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("which", ["r1.jsonl", "r1.models.jsonl"])
def test_a_symlinked_log_is_refused_and_its_target_untouched(tmp_path: Path, which: str) -> None:
    target = tmp_path / "precious.txt"
    target.write_bytes(b"line 1\nline 2 without a newline")
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / which).symlink_to(target)
    with pytest.raises(InputError, match="symbolic link"):
        _probe(runs)
    assert target.read_bytes() == b"line 1\nline 2 without a newline"


def test_the_cli_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "linked.jsonl").symlink_to(target)
    key = tmp_path / "key.txt"
    key.write_text(fake_key("alpha"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kit",
            "probe",
            "--api-url",
            NOWHERE,
            "--key-file",
            str(key),
            "--run-dir",
            str(runs),
            "--run-id",
            "linked",
            "--timeout",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "is a symbolic link" in done.stderr and target.read_text() == "keep me"


def test_tampered_rows_are_named_by_line_skipped_and_sent_again(tmp_path: Path) -> None:
    first = _probe(tmp_path)
    log = tmp_path / "r1.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    rows[1]["status"] = "401"  # a string: TypeError on main
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "r1.models.jsonl").write_text(json.dumps({"attempt_id": "x", "models": 5}) + "\n")
    again = _probe(tmp_path)
    assert (again.resumed, again.sent) == (len(first.results) - 1, 1)
    assert any("r1.jsonl line 2: field status is str" in line for line in again.explanation)
    assert any("r1.models.jsonl line 1: models is not a list of strings" in line for line in again.explanation)


def test_a_fifo_at_the_log_path_is_refused_not_hung_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "r1.jsonl")
    with pytest.raises(InputError, match="named pipe"):
        _probe(tmp_path)


def test_a_huge_sparse_log_is_refused_without_reading_it(tmp_path: Path) -> None:
    with (tmp_path / "r1.jsonl").open("wb") as fh:
        fh.truncate(1024**3)  # 1 GB, no blocks: reading it would cost 1 GB and more
    with pytest.raises(InputError, match=f"more than the {MAX_LOG_BYTES:,}"):
        _probe(tmp_path)
