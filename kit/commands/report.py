"""`python -m kit report`: run the guided investigation headless and export it as HTML (what `make report` runs)."""

from __future__ import annotations

from pathlib import Path

import click

from kit.catalog import NOTEBOOK_DIR
from kit.commands.inputs import check_api_url, check_out
from kit.errors import UsageError
from kit.guard.terminal import say
from kit.present.report import build_report


@click.command()
@click.option(
    "--scenario",
    default="ticket",
    show_default=True,
    help="Simulator scenario (data/scenarios/NAME.toml) to run against.",
)
@click.option(
    "--sandbox",
    default="ticket",
    show_default=True,
    help="Demo sandbox (data/demo/NAME or a folder with sandbox.toml); '' for your own environment.",
)
@click.option("--api-url", default=None, help="Use this API instead of starting the simulator.")
@click.option(
    "--notebook", type=click.Path(path_type=Path), default=NOTEBOOK_DIR / "00-investigation.ipynb", show_default=True
)
@click.option("--out", type=click.Path(path_type=Path), default=Path("reports/investigation.html"), show_default=True)
def report(scenario: str, sandbox: str, api_url: str | None, notebook: Path, out: Path) -> None:
    """Run the investigation notebook headless against the simulator and write a self-contained HTML report."""
    api_url = check_api_url(api_url)
    out = check_out(out, (".html",)) or out
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise UsageError(
            f"--notebook {notebook} is not a notebook file (.ipynb)",
            "name one of the notebooks in notebooks/, such as notebooks/00-investigation.ipynb",
        )
    say(f"running {notebook.name} against the {'API at ' + api_url if api_url else scenario + ' simulator'}…", err=True)
    full, share = build_report(
        notebook=notebook, out=out.resolve(), scenario=scenario, sandbox=sandbox or None, api_url=api_url
    )
    say(f"shareable copy without code: {share}", err=True)
    say(str(full))
