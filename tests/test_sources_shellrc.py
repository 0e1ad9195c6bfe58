"""Reading shell start-up files the way the shell would: bash/zsh/sh, fish and csh syntax, quotes, comments, line
numbers, includes, blocks, and which value a new terminal ends up with."""

from __future__ import annotations

from pathlib import Path

from kit.sources import shellrc
from kit.sources.shellrc import effective, read_file, startup_files
from kit.testing import fake_key, find_leaks

KEY = fake_key("shell")
OLD = fake_key("shell-old")


def parse(
    tmp_path: Path, text: str, syntax: str = "posix", name: str = ".zshrc", variables: dict[str, str] | None = None
) -> shellrc.ShellFile:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return read_file(path, syntax, home=tmp_path, variables=variables or {})


def named(file: shellrc.ShellFile, name: str) -> list[shellrc.Assignment]:
    return [a for a in file.assignments if a.name == name]


def test_posix_quotes_comments_and_line_numbers(tmp_path: Path) -> None:
    text = (
        "# export ANTHROPIC_API_KEY=commented-out\n"
        f"export ANTHROPIC_API_KEY='{KEY}'  # the new one\n"
        f'export ANTHROPIC_AUTH_TOKEN="{KEY}"\n'
        f"ANTHROPIC_BASE_URL=$'https://gw.example/\\x76\\x31'\n"
        "export PLAIN=a\\ b#not-a-comment\n"
    )
    file = parse(tmp_path, text)
    (key,) = named(file, "ANTHROPIC_API_KEY")
    assert (key.value, key.line, key.exported, key.quoting) == (KEY, 2, True, "single")
    (token,) = named(file, "ANTHROPIC_AUTH_TOKEN")
    assert token.quoting == "double" and token.line == 3
    (url,) = named(file, "ANTHROPIC_BASE_URL")
    assert url.value == "https://gw.example/v1" and not url.exported and url.quoting == "ansi-c"
    (plain,) = named(file, "PLAIN")
    assert plain.value == "a b#not-a-comment"
    assert not find_leaks(repr(file), [KEY])


def test_multi_line_values_continuations_and_heredocs(tmp_path: Path) -> None:
    text = (
        'export MULTI="line one\nline two"\n'
        "export CONT=abc\\\ndef\n"
        "cat <<EOF\nexport ANTHROPIC_API_KEY=inside-a-heredoc\nEOF\n"
        f"export ANTHROPIC_API_KEY={KEY}\n"
    )
    file = parse(tmp_path, text)
    assert named(file, "MULTI")[0].value == "line one\nline two"
    assert named(file, "CONT")[0].value == "abcdef"
    (key,) = named(file, "ANTHROPIC_API_KEY")
    assert key.value == KEY and key.line == 8


def test_functions_blocks_and_prefix_assignments(tmp_path: Path) -> None:
    text = (
        "use_old() {\n  export ANTHROPIC_API_KEY=" + OLD + "\n}\n"
        "function other {\n  export IN_OTHER=1\n}\n"
        'if [ -n "$WORK" ]; then\n  export ANTHROPIC_AUTH_TOKEN=' + OLD + "\nfi\n"
        "case $HOST in\n  laptop) export CASE_VAR=1 ;;\nesac\n"
        "ANTHROPIC_BASE_URL=http://127.0.0.1:9 some-command --flag\n"
    )
    file = parse(tmp_path, text)
    (func,) = named(file, "ANTHROPIC_API_KEY")
    assert func.in_function and "only when the function is called" in func.note
    assert named(file, "IN_OTHER")[0].in_function
    (cond,) = named(file, "ANTHROPIC_AUTH_TOKEN")
    assert cond.conditional and not cond.in_function
    assert named(file, "CASE_VAR")[0].conditional
    assert not named(file, "ANTHROPIC_BASE_URL")  # a prefix assignment is for that one command only


def test_export_forms_unset_and_allexport(tmp_path: Path) -> None:
    text = (
        "A=1 B='two words'\n"
        "export A B\n"
        "declare -x C=3\n"
        "typeset -gx D=4\n"
        "readonly E=5\n"
        "set -a\nF=6\nset +a\nG=7\n"
        "export -n A\n"
        "unset B\n"
    )
    file = parse(tmp_path, text)
    exported = {a.name: a.exported for a in file.assignments if a.action == "set"}
    assert exported == {"A": False, "B": False, "C": True, "D": True, "E": False, "F": True, "G": False}
    marks = [(a.name, a.exported) for a in file.assignments if a.action == "export-mark"]
    assert marks == [("A", True), ("B", True), ("A", False)]
    assert [a.name for a in file.assignments if a.action == "unset"] == ["B"]


def test_expansions_defaults_and_command_substitution(tmp_path: Path) -> None:
    (tmp_path / ".anthropic_key").write_text(KEY + "\n")
    text = (
        f"MY_KEY={KEY}\n"
        'export ANTHROPIC_API_KEY="$MY_KEY"\n'
        "export ANTHROPIC_AUTH_TOKEN=${UNSET_VAR:-fallback}\n"
        "export FROM_FILE=$(cat ~/.anthropic_key)\n"
        "export FROM_KEYCHAIN=$(security find-generic-password -w -s anthropic)\n"
        "export UNKNOWN=$SOMETHING_ELSE\n"
        "export HOME_DIR=~/bin\n"
    )
    file = parse(tmp_path, text)
    assert named(file, "ANTHROPIC_API_KEY")[0].value == KEY
    assert named(file, "ANTHROPIC_AUTH_TOKEN")[0].value == "fallback"
    from_file = named(file, "FROM_FILE")[0]
    assert from_file.value == KEY and "drops trailing newlines" in from_file.note
    keychain = named(file, "FROM_KEYCHAIN")[0]
    assert keychain.value is None and "macOS keychain" in keychain.note
    assert named(file, "UNKNOWN")[0].value is None
    assert named(file, "HOME_DIR")[0].value == f"{tmp_path}/bin"


def test_sourced_files_are_followed_and_loops_stop(tmp_path: Path) -> None:
    (tmp_path / ".secrets").write_text(f"export ANTHROPIC_API_KEY={KEY}\nsource ~/.zshrc\n")
    file = parse(tmp_path, "[ -f ~/.secrets ] && . ~/.secrets\nexport AFTER=1\n")
    (key,) = named(file, "ANTHROPIC_API_KEY")
    assert key.path == tmp_path / ".secrets" and key.line == 1
    assert [a.name for a in file.assignments] == ["ANTHROPIC_API_KEY", "AFTER"]
    assert any("a loop" in p for p in file.problems)


def test_fish_syntax(tmp_path: Path) -> None:
    text = (
        f"set -gx ANTHROPIC_API_KEY '{KEY}'\n"
        "set -x PLAIN value  # comment\n"
        'set --global --export QUOTED "a $PLAIN b"\n'
        "set -Ux UNIVERSAL 'it\\'s'\n"
        "set -e GONE\n"
        "function f\n    set -gx IN_FUNC 1\nend\n"
        "if test -f x\n    set -gx COND 1\nend\n"
        "set -g NOT_EXPORTED 1\n"
    )
    file = parse(tmp_path, text, "fish", ".config/fish/config.fish")
    assert named(file, "ANTHROPIC_API_KEY")[0].value == KEY
    assert named(file, "QUOTED")[0].value == "a value b"
    universal = named(file, "UNIVERSAL")[0]
    assert universal.value == "it's" and universal.exported and "universal" in universal.note
    assert named(file, "GONE")[0].action == "unset"
    assert named(file, "IN_FUNC")[0].in_function and named(file, "COND")[0].conditional
    assert not named(file, "NOT_EXPORTED")[0].exported


def test_fish_universal_variables_file(tmp_path: Path) -> None:
    escaped = KEY.replace("-", "\\x2d")
    file = parse(
        tmp_path,
        f"# fish\nSETUVAR --export ANTHROPIC_API_KEY:{escaped}\nSETUVAR fish_color:blue\n",
        "fish-universal",
        ".config/fish/fish_variables",
    )
    (key,) = named(file, "ANTHROPIC_API_KEY")
    assert key.value == KEY and key.exported and key.line == 2


def test_csh_syntax(tmp_path: Path) -> None:
    file = parse(tmp_path, f'setenv ANTHROPIC_API_KEY "{KEY}"\nset shellvar = 5\nunsetenv OLD\n', "csh", ".cshrc")
    (key,) = named(file, "ANTHROPIC_API_KEY")
    assert key.value == KEY and key.exported
    assert not named(file, "shellvar")[0].exported


def test_binary_and_bom_files_are_problems_not_crashes(tmp_path: Path) -> None:
    (tmp_path / ".zshrc").write_bytes(b"export A=1\x00\x01")
    assert "binary" in read_file(tmp_path / ".zshrc", "posix", home=tmp_path, variables={}).problems[0]
    bom = parse(tmp_path, "\ufeffexport ANTHROPIC_API_KEY=x\n")
    assert any("byte order mark" in p for p in bom.problems)
    missing = read_file(tmp_path / "nope", "posix", home=tmp_path, variables={})
    assert missing.problems and not missing.assignments


def test_garbage_never_raises(tmp_path: Path) -> None:
    garbage = [
        'export A="unterminated',
        "f() {",
        "}}}",
        "((((",
        "$(",
        "`",
        "cat <<EOF\nno end",
        "\\",
        "'",
        "fi\ndone",
        "set -gx",
        "setenv",
        "export =x",
        "A=$'\\x'",
        "A=${",
        "for x in 1 2; do export X=$x; done",
    ]
    for text in garbage:
        for syntax in ("posix", "fish", "csh"):
            parse(tmp_path, text, syntax)


def test_startup_files_follow_the_users_shell(tmp_path: Path) -> None:
    for name in (".zshrc", ".zprofile", ".bashrc", ".bash_profile", ".profile"):
        (tmp_path / name).write_text("# x\n")
    zsh = {s.path.name: s.read_by_shell for s in startup_files(tmp_path, {"SHELL": "/bin/zsh"})}
    assert zsh[".zshrc"] and zsh[".zprofile"] and not zsh[".bashrc"] and not zsh[".profile"]
    bash = {s.path.name: s.read_by_shell for s in startup_files(tmp_path, {"SHELL": "/bin/bash"})}
    assert bash[".bash_profile"] and bash[".bashrc"] and not bash[".profile"] and not bash[".zshrc"]
    zdot = tmp_path / "zdot"
    zdot.mkdir()
    (zdot / ".zshrc").write_text("# x\n")
    paths = [s.path for s in startup_files(tmp_path, {"SHELL": "zsh", "ZDOTDIR": str(zdot)})]
    assert zdot / ".zshrc" in paths and tmp_path / ".zshrc" not in paths


def test_effective_value_in_a_new_terminal(tmp_path: Path) -> None:
    first = parse(tmp_path, f"export ANTHROPIC_API_KEY={OLD}\n", name=".zshenv")
    second = parse(tmp_path, f"ANTHROPIC_API_KEY={KEY}\nf() {{ export ANTHROPIC_API_KEY=x; }}\n")
    result = effective("ANTHROPIC_API_KEY", [first, second], {})
    assert result.value == KEY and result.exported and result.assignment is not None
    assert result.assignment.path.name == ".zshrc"
    # not exported anywhere, but inherited from the environment: the shell keeps exporting it
    bare = parse(tmp_path, f"ANTHROPIC_API_KEY={KEY}\n", name="bare")
    assert effective("ANTHROPIC_API_KEY", [bare], {"ANTHROPIC_API_KEY": OLD}).exported
    assert not effective("ANTHROPIC_API_KEY", [bare], {}).exported
    gone = parse(tmp_path, "unset ANTHROPIC_API_KEY\n", name="gone")
    assert effective("ANTHROPIC_API_KEY", [first, gone], {}).value is None
    inherited = effective("ANTHROPIC_API_KEY", [], {"ANTHROPIC_API_KEY": OLD})
    assert inherited.inherited and inherited.value == OLD
    unknown = parse(tmp_path, "export ANTHROPIC_API_KEY=$(op read op://vault/key)\n", name="unknown")
    assert effective("ANTHROPIC_API_KEY", [unknown], {}).unknown
    assert "1Password" in named(unknown, "ANTHROPIC_API_KEY")[0].note


def test_windows_line_endings_keep_the_cr_in_the_value_as_bash_does(tmp_path: Path) -> None:
    text = f"if true; then\r\n  export ANTHROPIC_API_KEY={KEY}\r\nfi\r\nexport AFTER=1\r\n"
    file = parse(tmp_path, text, name=".bashrc")
    (key,) = named(file, "ANTHROPIC_API_KEY")
    assert key.value == KEY + "\r" and "carriage return" in key.note and key.conditional
    (after,) = named(file, "AFTER")
    assert not after.conditional  # `fi\r` still closes the block
