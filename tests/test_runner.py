"""The runner (kit.investigate.Run): prerequisites first, stale values dropped on a re-run, hooks around each
stage, and a failing stage becoming a note instead of ending the investigation."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import investigate as inv
from kit.errors import InputError
from kit.testing import fake_key, sandbox_env, simulator


def _setup(tmp_path: Path, url: str = "http://127.0.0.1:9") -> inv.Setup:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": fake_key("alpha")})
    return inv.setup(api_url=url, env=env, run_dir=tmp_path / "runs", clients=["httpx2"])


@pytest.mark.slow  # a whole investigation (the SDK child): make test-fast leaves it out
def test_a_stage_runs_what_it_needs_first(tmp_path: Path) -> None:
    run = inv.Run(_setup(tmp_path))
    reports = run.stage("inspect")
    assert run.done("discover") and run.discovery is not None
    assert [r.fingerprint for r in reports] == [c.report().fingerprint for c in run.credentials]


@pytest.mark.slow  # a whole investigation (the SDK child): make test-fast leaves it out
def test_re_running_a_stage_drops_what_was_computed_from_it(tmp_path: Path) -> None:
    run = inv.Run(_setup(tmp_path))
    run.stage("diagnose")
    assert run.done("diagnose") and run.done("admin")
    run.stage("discover")
    assert not run.done("inspect") and not run.done("diagnose") and run.diagnosis is None
    assert run.ensure("diagnose") is run.diagnosis and run.done("inspect")


@pytest.mark.slow  # a whole investigation (the SDK child): make test-fast leaves it out
def test_hooks_see_every_stage_with_its_time(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []
    hooks = inv.Hooks(started=lambda s: seen.append(("start", s)), finished=lambda s, t: seen.append(("end", s)))
    with simulator("healthy") as url:
        result = inv.investigate(_setup(tmp_path, url), check_network=False, hooks=hooks)
    order = [s for kind, s in seen if kind == "end"]
    assert order == ["discover", "inspect", "probe", "admin", "diagnose"]
    assert [s for s, _ in result.timings] == order and all(t >= 0 for _, t in result.timings)
    assert result.diagnosis.top is not None and result.diagnosis.top.cause == "healthy"
    assert result.run_log is not None and result.run_log.is_file()


@pytest.mark.slow  # a whole investigation (the SDK child): make test-fast leaves it out
def test_a_failing_stage_becomes_a_note_and_the_rest_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the path checker broke")

    monkeypatch.setattr("kit.path.checks.check_path", broken)
    result = inv.investigate(_setup(tmp_path), check_network=True)
    assert result.path == ()
    assert any("network path stage failed" in n and "the path checker broke" in n for n in result.notes)
    assert any("network path stage failed" in n for n in result.diagnosis.notes)
    assert result.keys, "the stages after the broken one still ran"


def test_bad_input_is_raised_not_hidden(tmp_path: Path) -> None:
    run = inv.Run(_setup(tmp_path))
    with pytest.raises(InputError):
        run.findings("no-such-family")


@pytest.mark.slow  # a whole investigation (the SDK child): make test-fast leaves it out
def test_one_family_of_rules_for_a_focused_notebook(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": fake_key("alpha") + "\n"})
    run = inv.Run(inv.setup(api_url="http://127.0.0.1:9", env=env, run_dir=tmp_path / "runs"))
    run.stage("inspect")
    causes = {f.cause for f in run.findings("keys")}
    assert "key-whitespace" in causes
    assert not causes & {"stale-env-shadows-dotenv", "network-unreachable"}
