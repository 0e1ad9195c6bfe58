"""The runner: the only place where stages are chained, with hooks for progress, timings and panels."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from kit.errors import ClientUnavailable, KitError
from kit.investigate.setup import Setup
from kit.investigate.stages import (
    Investigation,
    admin_step,
    diagnose_step,
    discover_step,
    evidence_from,
    header_styles,
    inspect_step,
    path_step,
    probe_step,
)
from kit.keys.credential import Credential
from kit.keys.report import KeyReport
from kit.probe.runlog import new_run_id
from kit.values import Evidence, Finding, PathCheck

if TYPE_CHECKING:
    from kit.diagnose.diagnosis import Diagnosis
    from kit.probe.run import ProbeRun
    from kit.sources.discover import Discovery
    from kit.sources.sdk_process import SdkProcess

# ---------------------------------------------------------------- the runner

#: The stages in the order they run. ``inspect`` and ``admin`` need ``discover``; ``probe`` needs ``discover``;
#: ``diagnose`` reads whatever the others have found so far.
STAGES = ("discover", "inspect", "path", "probe", "admin", "diagnose")
Stage = Literal["discover", "inspect", "path", "probe", "admin", "diagnose"]
_NEEDS: dict[str, tuple[str, ...]] = {
    "inspect": ("discover",),
    "probe": ("discover",),
    "admin": ("inspect",),
    "diagnose": ("inspect", "admin"),
}
#: What a stage's new value makes stale: everything computed from it.
_STALE: dict[str, tuple[str, ...]] = {
    "discover": ("inspect", "probe", "admin", "diagnose"),
    "inspect": ("admin", "diagnose"),
    "path": ("diagnose",),
    "probe": ("diagnose",),
    "admin": ("diagnose",),
    "diagnose": (),
}
#: Clients that run inside this Python process (no program to install): the fallback when one is missing.
IN_PROCESS_CLIENTS = ("httpx2", "sdk-python")


@dataclass(frozen=True)
class Hooks:
    """Callbacks around each stage, for progress lines, timings and notebook panels; none changes a result."""

    started: Callable[[str], None] | None = None
    finished: Callable[[str, float], None] | None = None  # (stage, wall seconds)


@dataclass
class Run:
    """One investigation in progress: the only place where stages are chained.

    ``stage(name)`` runs one stage (and, first, any stage it needs that has not run); its new value makes
    everything computed from the old one stale, so re-running the path check drops the diagnosis and the
    next ``stage("diagnose")`` is fresh. An unexpected failure inside a stage becomes a note and the stage's
    empty value; a ``KitError`` (bad input) is raised, since the user has to fix something first.
    ``sdk`` is the official SDK's process while ``everything`` runs (``kit.sources.sdk_process``).
    """

    setup: Setup
    extra: tuple[Credential, ...] = ()
    hooks: Hooks = field(default_factory=Hooks)
    discovery: Discovery | None = None
    keys: tuple[KeyReport, ...] | None = None
    path: tuple[PathCheck, ...] | None = None
    probe: ProbeRun | None = None
    admin_keys: tuple[Mapping[str, Any], ...] | None = None
    diagnosis: Diagnosis | None = None
    notes: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)
    sdk: SdkProcess | None = None
    _done: set[str] = field(default_factory=set)

    def done(self, name: str) -> bool:
        return name in self._done

    def stage(self, name: Stage, **options: Any) -> Any:
        """Run ``name`` now (its missing prerequisites first) and return its value."""
        for need in _NEEDS.get(name, ()):
            if need not in self._done:
                self.stage(need)  # type: ignore[arg-type]
        for stale in _STALE[name]:
            self._drop(stale)
        if self.hooks.started:
            self.hooks.started(name)
        start = time.perf_counter()
        value = self._guarded(name, options)
        elapsed = time.perf_counter() - start
        self.timings.append((name, elapsed))
        self._done.add(name)
        if self.hooks.finished:
            self.hooks.finished(name, elapsed)
        return value

    def ensure(self, name: Stage) -> Any:
        """The stage's value, running it only if it has not run (or went stale)."""
        return getattr(self, _ATTR[name]) if name in self._done else self.stage(name)

    def everything(
        self,
        *,
        plan: str = "adaptive",
        check_network: bool = True,
        progress: str | None = None,
        path_options: Mapping[str, Any] | None = None,
    ) -> Investigation:
        """Every stage, then the one ``Investigation`` value; the findings are those of running them in order.

        The waits overlap: the official SDK's process starts first (importing it takes about as long as
        everything else), the path check runs beside discovery (it sends no key and needs none), and the
        probe's ``sdk-python`` attempts go to that same process, so the SDK is imported once, not here.
        ``path_options`` are the path check's own (``path_step``: a CA file, a demo's stand-in settings).
        """
        with self._sdk_process():
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="keylab-beside") as beside:
                path = beside.submit(self._beside_discovery, check_network, dict(path_options or {}))
                self.stage("discover")
                self.stage("inspect")
                path.result()
            if self.credentials:
                self.stage("probe", plan=plan, progress=progress)
        self.stage("admin")
        self.stage("diagnose")
        return self.investigation()

    def _beside_discovery(self, check_network: bool, path_options: Mapping[str, Any]) -> None:
        """What runs while discovery waits for the SDK: the path check, then loading the later stages' code."""
        if check_network:
            self.stage("path", **path_options)
        # The later stages' code and the clients' one-off set-up, loaded now on the idle core rather than
        # after the SDK has answered.
        import kit.diagnose.diagnosis
        import kit.probe.engine  # noqa: F401
        from kit.probe.clients.registry import prepare

        with contextlib.suppress(Exception):  # only a head start: the probe meets and reports any failure
            prepare(self.setup.env, self.setup.clients)

    @contextlib.contextmanager
    def _sdk_process(self) -> Iterator[None]:
        """The SDK's process for this run (started now, ended after the probe), unless the caller started
        one for this same environment (``python -m kit doctor`` does, before loading the stages)."""
        if self.sdk is not None and self.sdk.env == self.setup.env:
            yield
            return
        from kit.sources.sdk_process import SdkProcess

        self.sdk = SdkProcess.start(self.setup.env)
        try:
            yield
        finally:
            if self.sdk is not None:
                self.sdk.close()
            self.sdk = None

    # ---------------------------------------------------------------- values
    @property
    def credentials(self) -> tuple[Credential, ...]:
        return tuple(self.discovery.credentials) if self.discovery is not None else ()

    def findings(self, family: str) -> tuple[Finding, ...]:
        """The findings of one rule family over what has been found so far (a focused notebook's view)."""
        return diagnose_step(self.evidence(), family).findings

    def evidence(self) -> Evidence:
        return evidence_from(
            self.setup,
            self.discovery or _no_discovery(),
            self.keys or (),
            self.path or (),
            self.probe,
            self.admin_keys or (),
        )

    def investigation(self) -> Investigation:
        diagnosis = self.ensure("diagnose")
        if self.notes:
            diagnosis = replace(diagnosis, notes=(*self.notes, *diagnosis.notes))
        return Investigation(
            setup=self.setup,
            discovery=self.discovery or _no_discovery(),
            keys=self.keys or (),
            path=self.path or (),
            probe=self.probe,
            diagnosis=diagnosis,
            admin_keys=self.admin_keys or (),
            notes=tuple(self.notes),
            timings=tuple(sorted(self.timings, key=lambda item: STAGES.index(item[0]))),  # stage order
        )

    # ---------------------------------------------------------------- stages
    def _guarded(self, name: str, options: Mapping[str, Any]) -> Any:
        try:
            value = _RUNNERS[name](self, **options)
        except KitError:
            raise
        except Exception as exc:
            if name not in _EMPTY:  # the diagnosis is pure: a failure there is a bug to see, not evidence
                raise
            from kit.guard.redact import scrub

            self.notes.append(
                f"the {_LABEL[name]} stage failed ({type(exc).__name__}: {scrub(str(exc))[:200]}); "
                "the diagnosis uses the other stages' evidence"
            )
            value = _EMPTY[name]()
        setattr(self, _ATTR[name], value)
        return value

    def _discover(self) -> Discovery:
        from kit.guard.redact import remember

        found = discover_step(self.setup, self.extra, sdk=self.sdk)
        remember(c.raw for c in found.credentials)
        return found

    def _probe(self, *, clients: Sequence[str] | None = None, progress: str | None = None, **options: Any) -> ProbeRun:
        assert self.discovery is not None
        credentials = options.pop("credentials", None) or self.credentials
        # A second probe is a new question, not a resume of the first: it gets its own run id (and log),
        # unless the user names one to resume.
        run_id = options.pop("run_id", None) or (new_run_id() if self.probe is not None else self.setup.run_id)
        s = replace(self.setup, run_id=run_id)
        styles = header_styles(self.discovery)
        try:
            return probe_step(
                s, credentials, clients=clients, progress=progress, auth_styles=styles, sdk=self.sdk, **options
            )
        except ClientUnavailable as exc:
            from kit.guard.redact import scrub

            # A missing program (curl, node) must not stop the diagnosis: probe with the in-process clients.
            wanted = tuple(clients) if clients is not None else s.clients
            fallback = tuple(c for c in wanted if c in IN_PROCESS_CLIENTS) or IN_PROCESS_CLIENTS
            self.notes.append(f"{scrub(exc.problem)}; probed with {', '.join(fallback)} instead ({scrub(exc.fix)})")
            return probe_step(
                s, credentials, clients=fallback, progress=progress, auth_styles=styles, sdk=self.sdk, **options
            )

    def _admin(self) -> tuple[Mapping[str, Any], ...]:
        admin_keys, note = admin_step(self.setup, self.keys or ())
        if note:
            self.notes.append(note)
        return admin_keys

    def _drop(self, name: str) -> None:
        if name in self._done:
            self._done.discard(name)
            setattr(self, _ATTR[name], None)


def _no_discovery() -> Discovery:
    from kit.sources.discover import Discovery

    return Discovery(sources=(), credentials=(), winners=(), problems=())


_ATTR = {
    "discover": "discovery",
    "inspect": "keys",
    "path": "path",
    "probe": "probe",
    "admin": "admin_keys",
    "diagnose": "diagnosis",
}
_LABEL = {
    "discover": "credential discovery",
    "inspect": "key inspection",
    "path": "network path",
    "probe": "probe",
    "admin": "Admin API lookup",
    "diagnose": "diagnosis",
}
_RUNNERS: dict[str, Callable[..., Any]] = {
    "discover": Run._discover,
    "inspect": lambda run: inspect_step(run.credentials),
    "path": lambda run, **options: path_step(run.setup, **options),
    "probe": Run._probe,
    "admin": Run._admin,
    "diagnose": lambda run: diagnose_step(run.evidence()),
}
_EMPTY: dict[str, Callable[[], Any]] = {
    "discover": _no_discovery,
    "inspect": tuple,
    "path": tuple,
    "probe": lambda: None,
    "admin": tuple,
}
