"""Shared fixtures. The autouse fixture keeps a developer's own key, proxy and CA settings out of every test.

The suite runs in parallel (pytest-xdist, ``make test``). What is expensive and read by several tests (an
executed notebook, the exported report, a simulator) is made once and shared:

- ``shared_runs``: a folder per test session, common to every xdist worker, where a result is made once
  under a file lock and then read by any test in any worker (``SharedRuns.get``);
- ``ticket_report``: ``make report``'s job (the guided notebook on the ticket demo, exported twice), once;
- ``sim_healthy`` / ``sim_ticket``: a simulator per worker for tests that only send requests to it and
  read their answers (a test that reads the access log or changes the scenario starts its own);
- one SDK fork server for the session (``pytest_configure``, ``kit.sources.sdk_fork``), so the few hundred
  SDK children the suite asks for (every doctor run, in-process or through ``python -m kit``, every
  notebook) are forked from one import of the SDKs instead of importing them each time. A test of the
  child started anew removes ``KEYLAB_SDK_FORKSERVER`` (``test_sdk_process.py``'s ``fresh`` runs);
- the same idea for notebook kernels (``kernel_forks``, ``kit.testing.kernels``): forked from one process
  per worker that imported ipykernel, pandas and matplotlib once;
- the same idea for whole probe runs: ``tests/kit_forks.py`` forks each hostile mode's ``kit probe`` from a
  process per worker that imported KeyLab and the SDK once (``test_hostile.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

# pytest keeps each test module's assertion-rewritten code in __pycache__, unless bytecode writing is off:
# this machine sets PYTHONDONTWRITEBYTECODE, and every pytest process (each xdist worker) then rewrote all
# ~90 test modules again, 3 s of CPU per process. The test modules are imported after this line.
sys.dont_write_bytecode = False

import pytest  # noqa: E402
from shared_runs import SharedRuns, TicketReport  # noqa: E402

from kit.guard import redact  # noqa: E402
from kit.present.kernel import set_launcher  # noqa: E402
from kit.sources.sdk_fork import ENV_VAR, ForkServer  # noqa: E402
from kit.testing import ISOLATED_PREFIXES, ISOLATED_VARIABLES, simulator  # noqa: E402
from kit.testing.kernels import KernelForks  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GUIDED = ROOT / "notebooks" / "00-investigation.ipynb"


def _isolated(name: str) -> bool:
    """A variable no test sees from the developer's environment (a key, a proxy, a CA setting)."""
    return name.upper() in ISOLATED_VARIABLES or name.upper().startswith(ISOLATED_PREFIXES)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Remove ANTHROPIC_*, CLAUDE_CODE_*, proxy and SSL variables for the duration of each test."""
    for name in list(os.environ):
        if _isolated(name):
            monkeypatch.delenv(name, raising=False)
    redact.forget_all()
    yield
    redact.forget_all()


_FORK_SERVER: list[ForkServer] = []


def pytest_configure(config: pytest.Config) -> None:
    """One SDK fork server for the whole session, started by the process that starts the others (the xdist
    controller, or the only pytest process): the workers inherit the variable that names it."""
    if hasattr(config, "workerinput") or os.environ.get(ENV_VAR):
        return
    server = ForkServer.start(env={name: value for name, value in os.environ.items() if not _isolated(name)})
    _FORK_SERVER.append(server)
    os.environ.update(server.environ)


def pytest_unconfigure(config: pytest.Config) -> None:
    for server in _FORK_SERVER:
        server.close()
        os.environ.pop(ENV_VAR, None)
    _FORK_SERVER.clear()


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory: pytest.TempPathFactory) -> SharedRuns:
    """One folder per session: under xdist each worker's base temp is ``<session base>/popen-gwN``."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return SharedRuns(base / "shared-runs")


@pytest.fixture(scope="session")
def ticket_report(shared_runs: SharedRuns) -> TicketReport:
    """``build_report`` on the ticket (simulator, guided notebook, two exports), once per session."""
    from kit.present.report import build_report

    def make(folder: Path) -> None:
        build_report(
            notebook=GUIDED,
            out=folder / "investigation.html",
            scenario="ticket",
            sandbox="ticket",
            extra_parameters={"run_dir": str(folder / "runs")},
        )

    folder = shared_runs.get("report-ticket", [GUIDED, "scenario=ticket sandbox=ticket"], make)
    return TicketReport(
        executed=folder / "investigation.ipynb",
        full=folder / "investigation.html",
        share=folder / "investigation-share.html",
        runs=folder / "runs",
    )


@pytest.fixture(scope="session", autouse=True)
def kernel_forks() -> Iterator[KernelForks]:
    """Every notebook kernel the worker starts is forked from one process that imported ipykernel, pandas and
    matplotlib once (``kit.testing.kernels``); started on the first notebook, so a worker without one pays
    nothing."""
    forks = KernelForks()
    set_launcher(forks.launch)
    yield forks
    set_launcher(None)
    forks.close()


@pytest.fixture(scope="session")
def sim_healthy() -> Iterator[str]:
    """The simulator on the healthy scenario, one per worker, for tests that only read their own answers."""
    with simulator("healthy") as url:
        yield url


@pytest.fixture(scope="session")
def sim_ticket() -> Iterator[str]:
    """The simulator on the ticket scenario, one per worker, for tests that only read their own answers."""
    with simulator("ticket") as url:
        yield url


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker: the ``xdist_group`` suffix on every grouped test's id, then the tests marked slow first.

    (Workers collect; the controller schedules from the ids and order they report.)
    """
    if not hasattr(config, "workerinput"):
        return
    _group_ids(config, items)
    _slow_first(items)


def _group_ids(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each test marked ``xdist_group(NAME)`` the id suffix ``@NAME``, as pytest-xdist means to.

    ``--dist loadgroup`` keeps a group in one worker by reading that suffix from the test ids the workers
    report. pytest-xdist 3.8 writes it into ``item._nodeid``, which pytest 9.2 no longer reads (ids are
    structured now, ``item._id``): the suffix went missing and loadgroup silently handed out grouped tests
    one by one (pytest-dev/pytest-xdist#1386, fix proposed in #1388). Every scenario group then ran in
    both workers: 182 SDK children instead of 92, a quarter of the suite's CPU. This does what #1388 does;
    it leaves alone an id that already ends with the suffix (an xdist that sets it itself).
    """
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        marks = item.iter_markers("xdist_group")
        names = {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks}
        if not names:
            continue
        suffix = "@" + "_".join(sorted(names))
        if not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = NodeId.parse(item.nodeid + suffix)


def _slow_first(items: list[pytest.Item]) -> None:
    """The tests marked slow first, so the quick ones fill the workers in at the end.

    ``--dist loadgroup`` hands out work units in the order it gets them, the biggest groups first and then
    single tests in collection order; a long test collected last (a notebook, a doctor run in test_wheel or
    test_winners_sdk) then kept one worker busy while the other had nothing left. Within each kind the order
    stays the collection order (a stable sort), the same in every worker.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
