"""The bad-input corpus: keys and .env files that go wrong in every way people report; each one gives the right
finding or a clear message, never a traceback, and never shows the key.

Keys are checked through ``inspect_key`` and the key rules; ``.env`` files through ``discover`` (which never
raises) and, where a finding is expected, the rules.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from kit.diagnose.rules import keys as key_rules
from kit.diagnose.rules import sources as source_rules
from kit.keys.inspect import inspect_key
from kit.keys.naming import fingerprint
from kit.sources.discover import discover
from kit.testing import fake_key, find_leaks, sandbox_env
from kit.values import Evidence, Source

KEY = fake_key("corpus")
B = KEY.encode()


def at(position: int, text: str) -> str:
    return KEY[:position] + text + KEY[position:]


# (id, value, the cause it must give, the position of the first defect or None)
KEY_CASES: list[tuple[str, str | bytes, str, int | None]] = [
    ("empty", "", "key-missing", None),
    ("empty-bytes", b"", "key-missing", None),
    ("only-spaces", "    ", "key-missing", None),
    ("only-zwsp", "\u200b\u200b", "key-missing", None),
    ("one-megabyte", "A" * 1_048_576, "key-extra-chars", None),
    ("megabyte-holding-a-key", "x " * 300_000 + KEY + " y" * 300_000, "key-extra-chars", None),
    ("nul-inside", at(20, "\x00"), "key-invisible-char", 20),
    ("nul-at-end", KEY + "\x00", "key-invisible-char", 108),
    ("invalid-utf8-byte", B[:30] + b"\xff" + B[30:], "key-invisible-char", 30),
    ("truncated-utf8-sequence", B + b"\xe2\x80", "key-invisible-char", 108),
    ("latin1-encoded-nbsp", B + b"\xa0", "key-invisible-char", 108),
    ("zero-width-space", at(50, "\u200b"), "key-invisible-char", 50),
    ("zero-width-non-joiner", at(51, "\u200c"), "key-invisible-char", 51),
    ("zero-width-joiner", at(52, "\u200d"), "key-invisible-char", 52),
    ("word-joiner", at(53, "\u2060"), "key-invisible-char", 53),
    ("bom-at-start", "\ufeff" + KEY, "key-invisible-char", 0),
    ("bom-at-end", KEY + "\ufeff", "key-invisible-char", 108),
    ("no-break-space", KEY + "\u00a0", "key-invisible-char", 108),
    ("narrow-no-break-space", at(40, "\u202f"), "key-invisible-char", 40),
    ("figure-space", at(41, "\u2007"), "key-invisible-char", 41),
    ("soft-hyphen", at(42, "\u00ad"), "key-invisible-char", 42),
    ("bidi-lrm", at(15, "\u200e"), "key-invisible-char", 15),
    ("bidi-rlm", at(16, "\u200f"), "key-invisible-char", 16),
    ("bidi-alm", at(17, "\u061c"), "key-invisible-char", 17),
    ("bidi-lre", at(18, "\u202a"), "key-invisible-char", 18),
    ("bidi-rle", at(19, "\u202b"), "key-invisible-char", 19),
    ("bidi-pdf", at(20, "\u202c"), "key-invisible-char", 20),
    ("bidi-lro", at(21, "\u202d"), "key-invisible-char", 21),
    ("bidi-rlo", at(22, "\u202e"), "key-invisible-char", 22),
    ("bidi-lri", at(23, "\u2066"), "key-invisible-char", 23),
    ("bidi-rli", at(24, "\u2067"), "key-invisible-char", 24),
    ("bidi-fsi", at(25, "\u2068"), "key-invisible-char", 25),
    ("bidi-pdi", at(26, "\u2069"), "key-invisible-char", 26),
    ("em-space", at(60, "\u2003"), "key-invisible-char", 60),
    ("ideographic-space", KEY + "\u3000", "key-invisible-char", 108),
    ("line-separator", KEY + "\u2028", "key-invisible-char", 108),
    ("paragraph-separator", at(61, "\u2029"), "key-invisible-char", 61),
    ("variation-selector", at(62, "\ufe0f"), "key-invisible-char", 62),
    ("tag-character", at(63, "\U000e0041"), "key-invisible-char", 63),
    ("hangul-filler", at(64, "\u3164"), "key-invisible-char", 64),
    ("mongolian-vowel-separator", at(65, "\u180e"), "key-invisible-char", 65),
    ("escape-control", at(66, "\x1b"), "key-invisible-char", 66),
    ("delete-control", KEY + "\x7f", "key-invisible-char", 108),
    ("c1-next-line", KEY + "\x85", "key-invisible-char", 108),
    ("emoji", KEY + "\N{KEY}", "key-extra-chars", 108),
    ("emoji-zwj-sequence", KEY + "\N{WOMAN}\u200d\N{PERSONAL COMPUTER}", "key-extra-chars", 108),
    ("double-quotes", f'"{KEY}"', "key-quoted", 0),
    ("single-quotes", f"'{KEY}'", "key-quoted", 0),
    ("backticks", f"`{KEY}`", "key-quoted", 0),
    ("curly-double-quotes", f"\u201c{KEY}\u201d", "key-quoted", 0),
    ("curly-single-quotes", f"\u2018{KEY}\u2019", "key-quoted", 0),
    ("german-quotes", f"\u201e{KEY}\u201c", "key-quoted", 0),
    ("guillemets", f"\u00ab{KEY}\u00bb", "key-quoted", 0),
    ("single-guillemets", f"\u2039{KEY}\u203a", "key-quoted", 0),
    ("fullwidth-quote", f"\uff02{KEY}\uff02", "key-quoted", 0),
    ("one-stray-quote", KEY + '"', "key-quoted", 108),
    ("label-dotenv", "ANTHROPIC_API_KEY=" + KEY, "key-extra-chars", 0),
    ("label-export", "export ANTHROPIC_API_KEY=" + KEY, "key-extra-chars", 0),
    ("label-header", "x-api-key: " + KEY, "key-extra-chars", 0),
    ("label-authorization", "Authorization: Bearer " + KEY, "key-bearer-prefix", 15),
    ("label-fish", "set -gx ANTHROPIC_API_KEY " + KEY, "key-extra-chars", 0),
    ("label-json", f'"ANTHROPIC_API_KEY": "{KEY}"', "key-extra-chars", 0),
    ("label-powershell", "$env:ANTHROPIC_API_KEY=" + KEY, "key-extra-chars", 0),
    ("trailing-newline", KEY + "\n", "key-whitespace", 108),
    ("trailing-crlf", KEY + "\r\n", "key-whitespace", 108),
    ("leading-space", " " + KEY, "key-whitespace", 0),
    ("trailing-tab", KEY + "\t", "key-whitespace", 108),
    ("inner-space", at(70, " "), "key-whitespace", 70),
    ("bearer-prefix", "Bearer " + KEY, "key-bearer-prefix", 0),
    ("lowercase-bearer", "bearer " + KEY, "key-bearer-prefix", 0),
    ("truncated", KEY[:90], "key-truncated", None),
    ("extra-full-stop", KEY + ".", "key-extra-chars", 108),
    ("zsh-percent-marker", KEY + "%", "key-extra-chars", 108),
    ("extra-comma-inside", at(77, ","), "key-extra-chars", 77),
    ("pasted-twice", KEY + KEY, "key-extra-chars", 108),
    ("admin-key", fake_key("corpus", "admin"), "key-admin", None),
    ("oauth-access-token", fake_key("corpus", "oauth"), "key-oauth-token", None),
    ("oauth-refresh-token", fake_key("corpus", "oauth-refresh"), "key-oauth-token", None),
    ("openai-project-key", "sk-proj-" + "Zq9" * 30, "key-wrong-provider", None),
    ("google-key", "AIza" + "Sy7" * 11 + "ab", "key-wrong-provider", None),
    ("aws-access-key", "AKIA" + "ABCD2345" * 2, "key-wrong-provider", None),
    ("openrouter-key", "sk-or-v1-" + "f00d" * 16, "key-wrong-provider", None),
    ("unknown-format", "hello-world-1234567890", "key-wrong-provider", None),
    ("placeholder", "your-api-key", "key-placeholder", None),
    ("placeholder-prefix", "sk-ant-api03-...", "key-placeholder", None),
    ("console-hint", "sk-ant-api03-" + KEY[13:16] + "..." + KEY[-4:], "key-placeholder", None),
    ("unexpanded-variable", "${ANTHROPIC_API_KEY}", "key-placeholder", None),
    ("cyrillic-a", KEY[:44] + "\u0430" + KEY[45:], "key-non-ascii", 44),
    ("greek-omicron", KEY[:45] + "\u03bf" + KEY[46:], "key-non-ascii", 45),
    ("en-dash-for-hyphen", "sk\u2013ant-api03-" + KEY[13:], "key-non-ascii", 2),
    ("combining-accent", at(46, "\u0301"), "key-non-ascii", 46),
    ("fullwidth-letter", KEY[:47] + "\uff21" + KEY[48:], "key-non-ascii", 47),
]


def test_the_corpus_is_big_enough() -> None:
    assert len(KEY_CASES) + len(DOTENV_CASES) >= 60
    assert len({c[0] for c in KEY_CASES}) == len(KEY_CASES)


@pytest.mark.parametrize(("name", "value", "cause", "position"), KEY_CASES, ids=[c[0] for c in KEY_CASES])
def test_each_bad_key_gives_its_cause_and_position(
    name: str, value: str | bytes, cause: str, position: int | None
) -> None:
    report = inspect_key(value, alias=name)
    assert cause in report.causes, (name, report.defects)
    first = next(d for d in report.defects if d.cause == cause)
    if position is not None:
        assert first.position == position, (name, first)
    shown = " ".join([repr(report), report.summary(), str(report.to_row()), str(report.defect_rows())])
    secret = KEY if KEY in (value.decode("utf-8", "replace") if isinstance(value, bytes) else value) else None
    if secret:
        assert not find_leaks(shown, [secret]), name


@pytest.mark.parametrize(("name", "value", "cause", "position"), KEY_CASES[::7], ids=[c[0] for c in KEY_CASES[::7]])
def test_the_key_rules_turn_each_defect_into_a_finding_with_a_fix(
    name: str, value: str | bytes, cause: str, position: int | None
) -> None:
    report = inspect_key(value, alias=name, source="file:/keys/k.txt")
    source = Source(
        id="file:/keys/k.txt",
        kind="file",
        variable=None,
        location="key file /keys/k.txt",
        path="/keys/k.txt",
        fingerprint=report.fingerprint,
        hint=report.hint,
    )
    evidence = Evidence(keys=(report,), sources=(source,))
    findings = [f for r in key_rules.RULES for f in r(evidence)]
    finding = next(f for f in findings if f.cause == cause)
    assert finding.fix and report.fingerprint in " ".join(finding.evidence)
    if cause != "key-missing":
        assert "/keys/k.txt" in finding.fix


# ----------------------------------------------------------------------------------------------------
# .env files


def _write(root: Path, content: bytes) -> Path:
    project = root / "project"
    project.mkdir(parents=True, exist_ok=True)
    path = project / ".env"
    path.write_bytes(content)
    return path


def _run(tmp_path: Path, content: bytes | None = None, variables: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    env = sandbox_env(tmp_path, variables)
    if content is not None:
        _write(tmp_path, content)
    return env, discover(env, ask_sdk=False)


def _dotenv_sources(found):  # type: ignore[no-untyped-def]
    return [s for s in found.sources if s.kind == "dotenv"]


def test_env_bom(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b"\xef\xbb\xbfANTHROPIC_API_KEY=" + B + b"\n")
    (source,) = _dotenv_sources(found)
    assert source.fingerprint == fingerprint(KEY) and "byte order mark" in source.note


def test_env_crlf(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b"APP=1\r\nANTHROPIC_API_KEY=" + B + b"\r\n")
    (source,) = _dotenv_sources(found)
    assert source.fingerprint == fingerprint(KEY) and source.line == 2 and "CRLF" in source.note


def test_env_unterminated_quote_is_a_clear_problem(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b'ANTHROPIC_API_KEY="' + B + b"\nAPP_MODEL=x\nOTHER=y\n")
    assert not _dotenv_sources(found)
    (problem,) = [p for p in found.problems if "unterminated double quote" in p]
    assert "line 1" in problem and "close the quote" in problem
    assert not find_leaks(problem, [KEY])
    # a quote further down closes it: python-dotenv then reads everything in between as one broken statement
    _, swallowed = _run(tmp_path / "b", b'ANTHROPIC_API_KEY="' + B + b'\nAPP=x\nNOTE="hi"\n')
    assert any("swallows lines 1-3" in p for p in swallowed.problems)


def test_env_export_prefix(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b'export ANTHROPIC_API_KEY="' + B + b'"\n')
    (source,) = _dotenv_sources(found)
    assert source.fingerprint == fingerprint(KEY)
    assert "'export'" in source.note and "double quotes" in source.note


def test_env_duplicates_the_last_wins(tmp_path: Path) -> None:
    old = fake_key("corpus-old")
    _, found = _run(tmp_path, f"ANTHROPIC_API_KEY={old}\nANTHROPIC_API_KEY={KEY}\n".encode())
    first, last = _dotenv_sources(found)
    assert "overridden by line 2" in first.note and "this last one wins" in last.note
    assert last.fingerprint == fingerprint(KEY)


def test_env_interpolation_uses_the_inspected_environment(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b"ANTHROPIC_API_KEY=${MY_SECRET}\n", {"MY_SECRET": KEY})
    (source,) = _dotenv_sources(found)
    assert source.fingerprint == fingerprint(KEY) and "interpolated" in source.note
    _, unset = _run(tmp_path / "b", b"ANTHROPIC_API_KEY=${NOT_SET}\n")
    (blank,) = _dotenv_sources(unset)
    assert blank.length == 0


def test_env_single_quotes_are_interpolated_too_as_python_dotenv_does(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b"ANTHROPIC_API_KEY='${MY_SECRET}'\n", {"MY_SECRET": KEY})
    (source,) = _dotenv_sources(found)
    assert source.fingerprint == fingerprint(KEY)  # unlike a shell, python-dotenv expands inside single quotes
    assert inspect_key("${MY_SECRET}").causes == ("key-placeholder",)  # what a loader that does not expand sees


def test_env_binary_is_a_clear_problem(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b"\x00\x01\x02ANTHROPIC_API_KEY=" + B + b"\x00")
    assert any("binary file" in p for p in found.problems)
    assert not _dotenv_sources(found)


def test_env_invalid_utf8_is_a_clear_problem(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b"ANTHROPIC_API_KEY=" + B + b"\xff\xfe\n")
    (problem,) = [p for p in found.problems if "UTF-8" in p]
    assert "byte 0xFF" in problem and "load_dotenv() raises UnicodeDecodeError" in problem


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads chmod 000 files; the /proc/self/mem case covers unreadable files as root",
)
def test_env_unreadable_by_permissions(tmp_path: Path) -> None:
    path = _write(tmp_path, b"ANTHROPIC_API_KEY=" + B + b"\n")
    path.chmod(0)
    _, found = _run(tmp_path)
    assert any("cannot be read" in p and "Permission denied" in p for p in found.problems)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_env_unreadable_even_for_root(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").symlink_to("/proc/self/mem")  # a regular file whose read fails with EIO
    _, found = _run(tmp_path)
    (problem,) = [p for p in found.problems if ".env" in p]
    assert "cannot be read" in problem and "Traceback" not in problem


def test_env_directory_named_dotenv(tmp_path: Path) -> None:
    (tmp_path / "project" / ".env").mkdir(parents=True)
    _, found = _run(tmp_path)
    assert any("directory named .env" in p for p in found.problems)


def test_env_symlink_loop(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").symlink_to(project / ".env")
    _, found = _run(tmp_path)
    assert any("symbolic link loop" in p for p in found.problems)


def test_env_dangling_symlink(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").symlink_to(project / "gone.env")
    _, found = _run(tmp_path)
    assert any("does not exist" in p for p in found.problems)


@pytest.mark.slow  # a whole investigation (the SDK child): make test-fast leaves it out
def test_env_fifo_is_not_opened(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    os.mkfifo(project / ".env")
    env, found = _run(tmp_path)
    assert any("named pipe" in p for p in found.problems)
    asked = discover(env)  # the real SDK subprocess must not block on it either
    app = asked.winner("dotenv-app")
    assert app is not None and "FIFO" in app.detail


def test_env_unix_socket_is_not_a_file(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.bind(str(project / ".env"))
        except OSError:
            pytest.skip("this file system does not take unix sockets")
        _, found = _run(tmp_path)
    assert any("not a regular file" in p for p in found.problems)


def test_env_blank_value_gives_key_missing(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b"ANTHROPIC_API_KEY=\n")
    (source,) = _dotenv_sources(found)
    assert source.length == 0
    evidence = found.evidence()
    causes = {f.cause for r in key_rules.RULES + source_rules.RULES for f in r(evidence)}
    assert "key-missing" in causes


def test_env_inline_comment_and_unquoted_spaces(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b"ANTHROPIC_API_KEY=" + B + b"   # the new key\n")
    (source,) = _dotenv_sources(found)
    assert source.fingerprint == fingerprint(KEY) and "inline ' # comment'" in source.note


def test_env_quoted_value_keeps_its_inner_spaces(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b'ANTHROPIC_API_KEY=" ' + B + b' "\n')
    (source,) = _dotenv_sources(found)
    assert source.length == 110 and "spaces at its ends" in source.note
    assert inspect_key(" " + KEY + " ").causes == ("key-whitespace",)


def test_env_name_without_value(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b"ANTHROPIC_API_KEY\n")
    (source,) = _dotenv_sources(found)
    assert source.fingerprint is None and "no '='" in source.note


def test_env_too_large(tmp_path: Path) -> None:
    _, found = _run(tmp_path, b"# " + b"x" * 1_100_000 + b"\n")
    assert any("too large" in p for p in found.problems)


def test_env_in_a_parent_folder_and_a_nearer_one(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path)
    (tmp_path / ".env").write_text(f"ANTHROPIC_API_KEY={fake_key('parent')}\n")
    found = discover(env, ask_sdk=False)
    (parent,) = _dotenv_sources(found)
    assert "the file load_dotenv() reads" in parent.note
    (env.cwd / ".env").write_text(f"ANTHROPIC_API_KEY={KEY}\n")
    found = discover(env, ask_sdk=False)
    near, far = _dotenv_sources(found)
    assert near.fingerprint == fingerprint(KEY) and "the file load_dotenv() reads" in near.note
    assert "not read by load_dotenv()" in far.note


def test_env_local_variant_is_listed_templates_are_not(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path)
    (env.cwd / ".env.local").write_text(f"ANTHROPIC_API_KEY={KEY}\n")
    (env.cwd / ".env.example").write_text("ANTHROPIC_API_KEY=your-api-key\n")
    found = discover(env, ask_sdk=False)
    (local,) = _dotenv_sources(found)
    assert local.path and local.path.endswith(".env.local") and "configured for it" in local.note


DOTENV_CASES = [name for name in globals() if name.startswith("test_env_")]


def test_no_problem_message_is_a_traceback_or_leaks(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_bytes(b'ANTHROPIC_API_KEY="' + B + b"\n\x00")
    (tmp_path / ".env").mkdir()
    _, found = _run(tmp_path)
    for problem in found.problems:
        assert "Traceback" not in problem and not find_leaks(problem, [KEY])
