"""The notebook session's panels behave: a re-run replaces its results and redraws what depends on it.

These drive the panels the way a click does (``button.click()``) in this process, against the simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kit.catalog import work_root
from kit.present.panels import export_note
from kit.present.session import Session, export_path
from kit.testing import simulator


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    runs = tmp_path_factory.mktemp("runs")
    with simulator("ticket") as url:
        s = Session.start(api_url=url, sandbox="ticket", run_dir=str(runs))
        s.investigate()
        yield s


@pytest.mark.slow  # a whole investigation (the SDK child, every client): make test-fast leaves it out
def test_the_verdict_comes_first_and_names_the_ticket_cause(session: Session) -> None:
    items = session.show_verdict()
    assert "unset ANTHROPIC\\_API\\_KEY" not in items[0].data, "commands stay verbatim (code, not escaped prose)"
    assert "```bash\nunset ANTHROPIC_API_KEY\n```" in items[0].data
    assert session.verdict().cause == "stale-env-shadows-dotenv"


@pytest.mark.slow  # a whole investigation (the SDK child, every client): make test-fast leaves it out
def test_a_panel_shows_computed_values_first_and_a_click_replaces_them(session: Session) -> None:
    before = session.run.path
    panel = session.panel("path")
    first = panel.display()
    assert session.run.path is before, "the first display shows what investigate() found, without re-running"
    assert first and len(panel.handles) == len(first)
    panel.button.click()
    assert session.run.path is not before, "a click re-runs the step"
    assert panel.handles == [], "the first display's outputs are blanked"
    assert len(panel.output.outputs) == len(panel.last), "the new results appear once, in the panel"
    panel.button.click()
    assert len(panel.output.outputs) == len(panel.last), "a second click still leaves one copy"


@pytest.mark.slow  # a whole investigation (the SDK child, every client): make test-fast leaves it out
def test_a_rerun_redraws_the_diagnosis_the_verdict_and_the_ticket(session: Session) -> None:
    ticket = Session.show_ticket(session)
    diagnosis = session.panel("diagnosis")
    diagnosis.display()
    assert "requests: " in ticket[0].data
    probe = session.panel("probe", plan="full")
    probe.controls["plan"].value = "full"
    probe.button.click()
    assert session.probe is not None
    total = len(session.probe.results)
    blocks = session._live["ticket"]
    assert f"requests: {total} " in blocks[-1].last[0].data, "the ticket text counts the new run's requests"
    assert diagnosis.output.outputs, "the diagnosis panel was redrawn into its panel"
    assert "stale-env-shadows-dotenv" in diagnosis.last[0].data


def test_exports_go_to_the_projects_reports_folder_with_an_absolute_path_and_a_link(tmp_path: Path) -> None:
    default = export_path("", "20261201T000000-abcdef")
    assert default == (work_root() / "reports" / "keylab-20261201T000000-abcdef.html").resolve()
    assert export_path("reports/x.html", "r") == (work_root() / "reports" / "x.html").resolve()
    assert export_path(tmp_path / "y.html", "r") == tmp_path / "y.html"
    (note,) = export_note(tmp_path / "y.html")
    assert str(tmp_path / "y.html") in note and "](" in note and "mailto" not in note


@pytest.mark.slow  # a whole doctor run (the SDK process): make test-fast leaves it out
def test_a_notebook_that_sends_nothing_opens_on_the_sources_verdict_without_a_request() -> None:
    """Notebook 02 (no simulator, the official API as target): the card comes from the sources and keys alone."""
    from kit.present.verdict import SOURCES_NOTEBOOK_ANCHORS

    s = Session.start(sandbox="ticket", stand_in=False)
    s.investigate(send=False)
    assert not s.run.done("path") and not s.run.done("probe") and not s.run.done("admin"), "nothing was sent"
    assert s.verdict().cause == "stale-env-shadows-dotenv"
    card = s.show_verdict(SOURCES_NOTEBOOK_ANCHORS)[0].data
    assert "(#1-·-Who-wins,-per-client)" in card and "#4-·-Ask-the-API" not in card, "links to notebook 02's headings"
    s.panel("sources", detail=True).button.click()  # "Look again": the card is redrawn, still without a request
    assert not s.run.done("probe") and s._live["verdict"][0].last[0].data == card
