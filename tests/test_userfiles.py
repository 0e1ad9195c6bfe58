"""read_bounded: every kind of file a user can point at is read or refused with its reason, never opened blindly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kit.guard.reader import Read, Refused, read_bounded


def test_a_small_regular_file_is_read_with_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "key.txt"
    path.write_bytes(b"value\n")
    path.chmod(0o640)
    assert read_bounded(path, 100) == Read(b"value\n", 0o640)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: None, "missing"),
        (lambda p: p.symlink_to(p.parent / "nowhere"), "dangling-link"),
        (lambda p: p.symlink_to(p), "link-loop"),
        (lambda p: p.mkdir(), "directory"),
        (lambda p: os.mkfifo(p), "fifo"),
        (lambda p: p.write_bytes(b"x" * 101), "too-large"),
    ],
)
def test_each_kind_of_unusable_file_is_refused_with_its_reason(tmp_path: Path, make: object, reason: str) -> None:
    path = tmp_path / "target"
    make(path)  # type: ignore[operator]
    got = read_bounded(path, 100)
    assert isinstance(got, Refused) and got.reason == reason
    if reason == "too-large":
        assert got.size == 101


def test_devices_are_refused_and_unreadable_files_say_why() -> None:
    assert read_bounded(Path("/dev/null"), 100) == Refused("special")
    got = read_bounded(Path("/proc/self/mem"), 100)  # a regular file whose read fails, even for root
    assert isinstance(got, Refused) and got.reason == "unreadable" and got.error
