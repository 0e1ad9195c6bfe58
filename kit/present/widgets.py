"""The ipywidgets panels the notebooks use, and the plain outputs that make exported HTML read the same.

Every step of a notebook is one ``StepPanel``: its controls, an explicit Run button (never a
per-keystroke callback for network work), a status line and an Output widget. Running the cell runs
the step once with the panel's defaults and prints the results as plain outputs (Markdown, DataFrame,
PNG), which is what a headless run and the HTML report keep. Clicking Run later re-runs the step into
the Output widget.

Secrets never enter a widget: keys are chosen by alias, and a key typed by hand comes from
``getpass`` (``ask_key``), never from a Password widget, whose value is saved in widget state.
"""

from __future__ import annotations

import getpass
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kit.guard.redact import remember, scrub
from kit.keys.credential import Credential
from kit.keys.report import KeyReport

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "LiveBlock",
    "StepPanel",
    "as_outputs",
    "ask_key",
    "banner",
    "figure_output",
    "key_table",
    "md",
    "scrubbed_frame",
    "show",
]


def md(text: str) -> Any:
    """A Markdown output: scrubbed (no key-shaped text survives) and with raw HTML shown as text.

    Strings from files, the environment and servers reach Markdown through rules and views; ``inert_html``
    makes sure none of them renders as live HTML in the notebook or the exported report.
    """
    from IPython.display import Markdown

    from kit.present.markup import TrustedMarkdown, inert_html

    cleaned = scrub(text)
    return Markdown(cleaned if isinstance(text, TrustedMarkdown) else inert_html(cleaned))


def banner(title: str, lines: Iterable[str] = ()) -> Any:
    """A short HTML box used at the top of each notebook: what KeyLab does and never does."""
    from IPython.display import HTML

    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return HTML(
        '<div style="border:1px solid #ccc;border-left:5px solid #0072B2;padding:0.4em 1em;'
        f'background:#f7fbff"><b>{html.escape(title)}</b><ul style="margin:0.3em 0">{items}</ul></div>'
    )


def figure_output(fig: Figure) -> Any:
    """A matplotlib figure as a plain PNG output (closed afterwards, so it is shown exactly once)."""
    from IPython.display import Image

    from kit.present.plots import figure_png

    return Image(data=figure_png(fig), format="png")


def key_table(reports: Sequence[KeyReport]) -> pd.DataFrame:
    """One row per key: alias, hint, fingerprint, kind, length, and each defect at its position."""
    import pandas as pd

    rows = []
    for r in reports:
        expected = f"{r.length} / {r.expected_length}" if r.expected_length else str(r.length)
        rows.append(
            {
                "key": r.alias,
                "hint": r.hint,
                "fingerprint": r.fingerprint,
                "kind": r.kind_label,
                "length (got / expected)": expected,
                "as stored (body masked)": r.masked,
                "defects": "; ".join(d.describe() for d in r.defects) or "none",
                "repaired": r.repaired_hint or "",
            }
        )
    return pd.DataFrame(rows)


def scrubbed_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell, index label and column name through the redaction path."""

    def clean(value: Any) -> Any:
        return scrub(value) if isinstance(value, str) else value

    out = frame.map(clean)
    out.index = out.index.map(clean)
    out.columns = out.columns.map(clean)
    return out


def as_outputs(items: Iterable[Any]) -> list[Any]:
    """Turn strings into Markdown, figures into PNGs; scrub tables; leave other displayables alone.

    Every panel goes through here, so tables get the same scrub as Markdown (a path target may be a URL
    with a credential in it), and a styled table escapes its cells as HTML (a Styler does not by default)
    and is left-aligned like the people tables (``kit.present.tables.left_aligned``).
    """
    import pandas as pd
    from pandas.io.formats.style import Styler

    from kit.present.tables import left_aligned

    out: list[Any] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, str):
            out.append(md(item))
        elif type(item).__name__ == "Figure":
            out.append(figure_output(item))
        elif isinstance(item, pd.DataFrame):
            out.append(scrubbed_frame(item))
        elif isinstance(item, Styler):
            item.data = scrubbed_frame(item.data)  # type: ignore[attr-defined]  # missing from pandas-stubs
            out.append(left_aligned(item.format(escape="html")))
        else:
            out.append(item)
    return out


def show(items: Iterable[Any]) -> None:
    """Display each item as a plain output."""
    from IPython.display import display

    for item in as_outputs(items):
        display(item)


class StepPanel:
    """Controls + Run button + status + Output for one notebook step.

    ``run(values)`` receives the controls' current values by name and returns the items to show
    (Markdown strings, DataFrames, figures). Exceptions inside a click are shown as a message in the
    panel (scrubbed), never as a traceback that could carry a key.

    ``show(values)`` (default: ``run``) gives the items of the first display, for a step whose value is already
    computed. The first display prints its items as plain outputs under the panel (what a headless run and
    the HTML report keep), each with a display id; a click or a ``refresh()`` blanks those and puts the new
    results in the panel's Output widget, so a step's results appear once. Anything the step prints while
    it runs (the probe's tqdm.auto bar, its summary) is captured inside the panel, never in the Log Console,
    and cleared when the step ends. ``after`` is called after each click (the session refreshes what
    depends on this step).
    """

    def __init__(
        self,
        title: str,
        run: Callable[[dict[str, Any]], Iterable[Any]],
        controls: Mapping[str, Any] | None = None,
        button: str = "Run",
        show: Callable[[dict[str, Any]], Iterable[Any]] | None = None,
    ) -> None:
        import ipywidgets as w

        self.title = title
        self._run = run
        self._show = show or run
        self.controls = dict(controls or {})
        self.button = w.Button(description=button, button_style="primary", icon="play", tooltip=f"Run: {title}")
        self.status = w.HTML(value="")
        self.progress = w.Output()  # what the step prints while it runs; emptied when it ends
        self.output = w.Output()
        rows = [w.HTML(f"<b>{html.escape(title)}</b>")]
        if self.controls:
            rows.append(w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap")))
        rows.append(w.HBox([self.button, self.status]))
        rows += [self.progress, self.output]
        self.box = w.VBox(rows, layout=w.Layout(border="1px solid #ddd", padding="6px", margin="4px 0"))
        self.button.on_click(self._clicked)
        self.last: list[Any] = []
        self.handles: list[Any] = []  # display handles of the first display's plain outputs
        self.after: Callable[[StepPanel], None] | None = None

    def values(self) -> dict[str, Any]:
        return {name: getattr(widget, "value", None) for name, widget in self.controls.items()}

    def _execute(self, step: Callable[[dict[str, Any]], Iterable[Any]] | None = None) -> list[Any]:
        self.status.value = "<i>running…</i>"
        self.progress.outputs = ()
        failure: Exception | None = None
        items: list[Any] = []
        # tqdm.auto and prints land in the panel, not in the Log Console. The exception is caught inside the
        # block: an Output widget shows (and swallows) a traceback that escapes it, which could carry a key.
        with self.progress:
            try:
                items = as_outputs((step or self._run)(self.values()))
            except Exception as exc:  # a step failure is a message in the panel, not a traceback
                failure = exc
        self.progress.outputs = ()
        if failure is not None:
            self.status.value = f"<span style='color:#D55E00'>failed: {html.escape(scrub(str(failure)))}</span>"
            return [md(f"**{self.title} failed:** {scrub(str(failure))}")]
        self.status.value = "<span style='color:#009E73'>done</span>"
        self.last = items
        return items

    def replace(self, items: Sequence[Any]) -> None:
        """Show ``items`` as this panel's only results: blank the first display's outputs, fill the Output widget."""
        from IPython.display import HTML

        for handle in self.handles:
            handle.update(HTML(""))
        self.handles = []
        self.output.outputs = ()
        for item in items:
            self.output.append_display_data(item)

    def _clicked(self, _button: Any) -> None:
        # Set the Output widget's outputs directly: works in any kernel and in tests, and never
        # interleaves with another cell's output the way ``with output:`` capture can.
        self.replace(self._execute())
        if self.after is not None:
            self.after(self)

    def refresh(self) -> None:
        """Show the step's current value again (something it depends on was re-run)."""
        self.replace(self._execute(self._show))

    def display(self, run_now: bool = True) -> list[Any]:
        """Show the panel; with ``run_now``, show the step's results once as plain outputs under it."""
        from IPython.display import display

        display(self.box)
        items = self._execute(self._show) if run_now else []
        self.handles = _displayed(items)
        return items


class LiveBlock:
    """Plain outputs that a session re-renders when what they show changes (the verdict card, the ticket)."""

    def __init__(self, render: Callable[[], Iterable[Any]]) -> None:
        self.render = render
        self.handles: list[Any] = []
        self.last: list[Any] = []  # what it shows now

    def display(self) -> list[Any]:

        items = as_outputs(self.render())
        self.handles = _displayed(items)
        self.last = items
        return items

    def refresh(self) -> None:
        """Render again into the same outputs (extra old outputs are blanked; extra new items join the last)."""
        from IPython.display import HTML

        items = as_outputs(self.render())
        self.last = items
        for index, handle in enumerate(self.handles):
            if index < len(items):
                handle.update(items[index] if index < len(self.handles) - 1 else _joined(items[index:]))
            else:
                handle.update(HTML(""))


def _displayed(items: Sequence[Any]) -> list[Any]:
    """Display each item as a plain output with its own display id; the handles update them in place later."""
    from IPython.display import DisplayHandle

    handles = []
    for item in items:
        handle = DisplayHandle()
        handle.display(item)
        handles.append(handle)
    return handles


def _joined(items: Sequence[Any]) -> Any:
    """One displayable for several items (Markdown and HTML joined as HTML) when only one output is left."""
    if len(items) == 1:
        return items[0]
    from IPython.display import HTML

    from kit.present.text import markdown_html

    parts = []
    for item in items:
        data = getattr(item, "data", None)
        if type(item).__name__ == "Markdown" and isinstance(data, str):
            parts.append(markdown_html(data))
        elif hasattr(item, "_repr_html_"):
            parts.append(item._repr_html_() or "")
        else:
            parts.append(f"<pre>{html.escape(scrub(str(item)))}</pre>")
    return HTML(scrub("".join(parts)))


def ask_key(alias: str = "typed key", prompt: str = "Paste the key (input is hidden): ") -> Credential | None:
    """Read a key with ``getpass`` (shown as dots, stored nowhere). Returns ``None`` on empty input."""
    try:
        value = getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        return None
    if not value:
        return None
    remember([value])
    return Credential(alias=alias, raw=value, source="prompt")
