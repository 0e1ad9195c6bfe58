"""The notebook panels: Run runs the step, failures become a scrubbed message, keys never enter a widget."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from kit.keys.inspect import inspect_key
from kit.present import widgets
from kit.testing import assert_no_leak, fake_key


def test_panel_runs_with_defaults_and_returns_plain_outputs() -> None:
    import ipywidgets as w

    seen: list[dict[str, Any]] = []

    def run(values: dict[str, Any]) -> list[Any]:
        seen.append(values)
        return ["**done**", pd.DataFrame({"a": [1]})]

    panel = widgets.StepPanel("step", run, {"plan": w.Dropdown(options=["adaptive", "full"], value="full")})
    items = panel.display()
    assert seen == [{"plan": "full"}]
    assert type(items[0]).__name__ == "Markdown" and isinstance(items[1], pd.DataFrame)
    assert "done" in panel.status.value


def test_clicking_run_reruns_into_the_output_widget() -> None:
    calls = []
    panel = widgets.StepPanel("step", lambda v: calls.append(1) or ["again"])
    panel.display(run_now=False)
    assert calls == []
    panel.button.click()
    assert calls == [1]
    assert panel.output.outputs, "the click's results are shown in the panel's Output widget"


def test_a_failing_step_is_a_scrubbed_message_not_a_traceback() -> None:
    key = fake_key("widget-failure")

    def run(values: dict[str, Any]) -> list[Any]:
        raise RuntimeError(f"server said no to {key}")

    panel = widgets.StepPanel("probe", run)
    items = panel.display()
    text = items[0].data
    assert "probe failed" in text
    assert_no_leak([text, panel.status.value], [key])


def test_key_table_masks_the_body_and_marks_invisible_characters() -> None:
    key = fake_key("widget-table")
    table = widgets.key_table([inspect_key(key[:60] + "\u200b" + key[60:], alias=".env")])
    row = table.iloc[0]
    assert "⟨U+200B⟩" in row["as stored (body masked)"]
    assert "U+200B ZERO WIDTH SPACE at position 60" in row["defects"]
    assert_no_leak([table.to_csv()], [key])


def test_ask_key_uses_getpass_and_keeps_the_key_out_of_widgets(monkeypatch: pytest.MonkeyPatch) -> None:
    key = fake_key("widget-typed")
    monkeypatch.setattr(widgets.getpass, "getpass", lambda prompt="": key)
    credential = widgets.ask_key("typed")
    assert credential is not None and credential.value == key
    assert_no_leak([repr(credential), str(credential)], [key])
    monkeypatch.setattr(widgets.getpass, "getpass", lambda prompt="": "")
    assert widgets.ask_key() is None
