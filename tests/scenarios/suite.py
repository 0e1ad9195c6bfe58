"""The scenario suite: every case is a sandbox (fake HOME, project, variables, key files) against a simulator.

A case is a folder under ``tests/scenarios/cases/`` holding a ``sandbox.toml`` (the format of
``kit.demo.sandbox``, plus the fields below) and the files of the fake HOME and project. Files and
variables are templates: ``{{key:NAME}}`` is the fake key derived from NAME (as in data/demo/), so no
key-shaped text is committed. This runner adds a few tokens of its own, rendered before the sandbox is
written:

``{{key:NAME[:KIND]|OP:ARG}}``   a derived key, then changed: ``append:TEXT``, ``prepend:TEXT``,
                                 ``replace:POS:CHAR``, ``truncate:LENGTH`` (``\\uXXXX`` escapes allowed)
``{{foreign:KIND:NAME}}``        another provider's credential, derived from NAME (``openai``, ``google``)
``{{sim}}``                      the case's simulator URL (the stand-in for https://api.anthropic.com)
``{{sim:SCENARIO}}``             the URL of a second simulator (a gateway, say) running SCENARIO
``{{sim-tls}}``                  the case's simulator over HTTPS, with a CA nobody trusts
``{{closed-port}}``              a loopback URL where nothing listens
``{{proxy-407}}``                a real forward proxy (proxy.py) that wants credentials the case does not give

Extra ``sandbox.toml`` fields: ``expect`` (the expected top cause), ``scenario`` (a name in
data/scenarios/ or a file in the case folder), ``api_url`` (default ``{{sim}}``), ``key_files``,
``models``, ``versions``, ``clients``, ``allow_hosts``, ``pattern`` (``ticket`` marks the ways to
produce the ticket's exact pattern), ``provider`` (``openai``, ``gemini``, …: the doctor checks that
provider's API; the ``scenario`` then names one of data/scenarios/openai/ or gemini/). Keys of another
provider are ``{{key:NAME:KIND}}`` with a kind id of data/catalog/providers.toml (``openai-project``,
``google-api``), the same value that provider's simulator face derives for NAME.

Some causes cannot be produced live here (the simulator has no permission model, say); those cases
are built from evidence in ``CONSTRUCTED`` and the table says so.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit.catalog import DATA_DIR
from kit.demo.fakekeys import derive_key
from kit.demo.sandbox import materialize
from kit.diagnose.diagnosis import diagnose
from kit.values import Evidence

CASES_DIR = Path(__file__).parent / "cases"
REPORT = Path(__file__).resolve().parent.parent.parent / "reports" / "confusion.md"

_KEY_OP = re.compile(r"\{\{key:(?P<name>[A-Za-z0-9_.\-]+)(?::(?P<kind>[a-z\-]+))?\|(?P<op>[a-z]+):(?P<arg>[^}]*)\}\}")
_KEY = re.compile(r"\{\{key:(?P<name>[A-Za-z0-9_.\-]+)(?::(?P<kind>[a-z\-]+))?\}\}")
_FOREIGN = re.compile(r"\{\{foreign:(?P<kind>[a-z]+):(?P<name>[A-Za-z0-9_.\-]+)\}\}")
_SIM = re.compile(r"\{\{sim(?::(?P<scenario>[A-Za-z0-9_.\-]+))?\}\}")
_FOREIGN_PREFIX = {"openai": ("sk-proj-", 64), "google": ("AIza", 35), "openrouter": ("sk-or-v1-", 64)}


@dataclass(frozen=True)
class Case:
    name: str
    expect: str
    description: str
    folder: Path | None = None
    scenario: str = "healthy"
    api_url: str = "{{sim}}"
    key_files: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()
    pattern: str = ""
    warmup: int = 0  # requests sent with key 'alpha' before the doctor runs (another process's traffic)
    constructed: str = ""  # why the case is built from evidence instead of a live sandbox
    provider: str = "anthropic"  # whose API the doctor checks (run_doctor(provider=...))


@dataclass(frozen=True)
class Outcome:
    case: Case
    got: str
    causes: tuple[str, ...]
    seconds: float
    text: str = field(default="", repr=False)
    json: str = field(default="", repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)  # the fake keys written, for the leak check
    error: str = ""

    @property
    def passed(self) -> bool:
        return self.got == self.case.expect


# ---------------------------------------------------------------- loading


def load_cases() -> list[Case]:
    cases = []
    for folder in sorted(p for p in CASES_DIR.iterdir() if (p / "sandbox.toml").is_file()):
        with (folder / "sandbox.toml").open("rb") as fh:
            spec = tomllib.load(fh)
        cases.append(
            Case(
                name=folder.name,
                expect=spec["expect"],
                description=spec.get("description", ""),
                folder=folder,
                scenario=spec.get("scenario", "healthy"),
                api_url=spec.get("api_url", "{{sim}}"),
                key_files=tuple(spec.get("key_files", ())),
                models=tuple(spec.get("models", ())),
                versions=tuple(spec.get("versions", ())),
                clients=tuple(spec.get("clients", ())),
                allow_hosts=tuple(spec.get("allow_hosts", ())),
                pattern=spec.get("pattern", ""),
                warmup=int(spec.get("warmup", 0)),
                provider=spec.get("provider", "anthropic"),
            )
        )
    cases += [c for c, _ in CONSTRUCTED.values()]
    return cases


# ---------------------------------------------------------------- tokens


def _decode(arg: str) -> str:
    return arg.encode("utf-8").decode("unicode_escape") if "\\" in arg else arg


def _changed(value: str, op: str, arg: str) -> str:
    if op == "append":
        return value + _decode(arg)
    if op == "prepend":
        return _decode(arg) + value
    if op == "truncate":
        return value[: int(arg)]
    if op == "replace":
        pos, char = arg.split(":", 1)
        return value[: int(pos)] + _decode(char) + value[int(pos) + 1 :]
    raise ValueError(f"unknown key operation {op!r}")


def foreign_key(kind: str, name: str) -> str:
    prefix, length = _FOREIGN_PREFIX[kind]
    body = b""
    counter = 0
    while len(body) < length:
        body += hashlib.sha256(f"keylab-foreign:{kind}:{name}:{counter}".encode()).digest()
        counter += 1
    text = base64.b64encode(body).decode().replace("+", "").replace("/", "").replace("=", "")
    return prefix + text[:length]


class _Renderer:
    """Renders the runner's tokens and remembers every secret it wrote (for the leak check)."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.secrets: set[str] = set()

    def __call__(self, text: str) -> str:
        def key_op(m: re.Match[str]) -> str:
            value = derive_key(m["name"], m["kind"] or "api")
            self.secrets.add(value)
            return _changed(value, m["op"], m["arg"])

        def key(m: re.Match[str]) -> str:
            self.secrets.add(derive_key(m["name"], m["kind"] or "api"))
            return m.group(0)  # kit.demo.sandbox renders it

        def foreign(m: re.Match[str]) -> str:
            value = foreign_key(m["kind"], m["name"])
            self.secrets.add(value)
            return value

        text = _KEY_OP.sub(key_op, text)
        _KEY.sub(key, text)
        text = _FOREIGN.sub(foreign, text)
        for token, name in (("{{sim-tls}}", "tls"), ("{{closed-port}}", "closed"), ("{{proxy-407}}", "proxy")):
            text = text.replace(token, self.urls.get(name, ""))
        return _SIM.sub(lambda m: self.urls[m["scenario"] or ""], text)


def _scenario_ref(case: Case, name: str) -> str | Path:
    assert case.folder is not None
    local = case.folder / name
    if local.is_file():
        return local
    local = case.folder / f"{name}.toml"
    if local.is_file():
        return local
    if (DATA_DIR / "scenarios" / f"{name}.toml").is_file():
        return name
    raise FileNotFoundError(f"case {case.name}: no scenario {name!r}")


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def _servers(case: Case) -> Iterator[dict[str, str]]:
    """Start the case's simulators (the main one, extra ones named by {{sim:X}}, the TLS one); yield their URLs."""
    from kit.testing import simulator

    assert case.folder is not None
    texts = [p.read_text("utf-8", "replace") for p in case.folder.rglob("*") if p.is_file()]
    extra = sorted({m["scenario"] for t in texts for m in _SIM.finditer(t) if m["scenario"]})
    wants_tls = any("{{sim-tls}}" in t for t in texts)
    urls: dict[str, str] = {"closed": _closed_port()}
    with contextlib.ExitStack() as stack:
        if any("{{proxy-407}}" in t for t in texts):
            from kit.testing import forward_proxy

            urls["proxy"] = stack.enter_context(forward_proxy(basic_auth="keylab:not-given"))
        if wants_tls:
            urls["tls"] = stack.enter_context(simulator(_scenario_ref(case, case.scenario), tls=True))
        urls[""] = stack.enter_context(simulator(_scenario_ref(case, case.scenario)))
        for name in extra:
            urls[name] = stack.enter_context(simulator(_scenario_ref(case, name)))
        yield urls


# ---------------------------------------------------------------- running


def run_case(case: Case, tmp: Path) -> Outcome:
    """Write the sandbox, start its simulators, run the doctor in-process; return the top cause."""
    if case.constructed:
        return _run_constructed(case)
    from kit.commands.doctor import render_json, render_text, run_doctor

    assert case.folder is not None
    start = time.perf_counter()
    with _servers(case) as urls:
        render = _Renderer(urls)
        template = tmp / "template"
        shutil.copytree(case.folder, template)
        for path in template.rglob("*"):
            if path.is_file() and path.name != "scenario.toml" and not path.name.endswith(".bin"):
                try:
                    text = path.read_text("utf-8")
                except UnicodeDecodeError:
                    continue
                with path.open("w", encoding="utf-8", newline="") as fh:
                    fh.write(render(text))
        env = materialize(template, tmp / "sandbox")
        _warm_up(urls[""], case.warmup)
        root = tmp / "sandbox"
        try:
            result = run_doctor(
                env,
                api_url=render(case.api_url),
                key_files=[root / p for p in case.key_files],
                models=case.models,
                versions=case.versions,
                clients=case.clients,
                allow_hosts=case.allow_hosts,
                run_dir=tmp / "runs",
                provider=case.provider,
            )
        except Exception as exc:  # the table shows a crash as a result, the test then fails on it
            return Outcome(
                case,
                got=f"error: {type(exc).__name__}",
                causes=(),
                seconds=time.perf_counter() - start,
                error=str(exc),
                secrets=tuple(render.secrets),
            )
    d = result.diagnosis
    return Outcome(
        case,
        got=d.top.cause if d.top else "(none)",
        causes=d.causes,
        seconds=time.perf_counter() - start,
        text=render_text(result),
        json=render_json(result),
        secrets=tuple(render.secrets),
    )


def _warm_up(url: str, count: int) -> None:
    """Another process's traffic: ``count`` requests with key 'alpha' (to use up a rate limit, say)."""
    if not count:
        return
    import httpx2

    headers = {"x-api-key": derive_key("alpha"), "anthropic-version": "2023-06-01"}
    with httpx2.Client(base_url=url, timeout=10) as client:
        for _ in range(count):
            client.get("/v1/models", headers=headers)


def _run_constructed(case: Case) -> Outcome:
    start = time.perf_counter()
    evidence = CONSTRUCTED[case.name][1]()
    d = diagnose(evidence)
    return Outcome(
        case,
        got=d.top.cause if d.top else "(none)",
        causes=d.causes,
        seconds=time.perf_counter() - start,
        text=d.to_text(),
    )


# ---------------------------------------------------------------- constructed cases


def _permission_denied() -> Evidence:
    """403 permission_error on count_tokens for a model the key's workspace may not use; /v1/models works."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent))
    from scenarios.builders import attempt, evidence, source, winner

    return evidence(
        attempt("team", 200),
        attempt(
            "team", "permission-denied", endpoint="/v1/messages/count_tokens", method="POST", model="claude-opus-4-8"
        ),
        sources=(source("team", kind="dotenv", location="project/.env line 1"),),
        winners=(winner("sdk-python", "team"), winner("curl", "team")),
        models_requested=("claude-opus-4-8",),
    )


def _duplicate_key_header() -> Evidence:
    """ANTHROPIC_CUSTOM_HEADERS repeats x-api-key beside Claude Code's own: the joined value is refused."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent))
    from scenarios.builders import attempt, evidence, source, winner

    return evidence(
        attempt(
            "team",
            "duplicate-key-header",
            client="claude-code",
            endpoint="/v1/messages",
            method="POST",
            model="claude-sonnet-4-6",
            request_id=None,
            responder="gateway",
        ),
        attempt("team", 200),
        sources=(
            source("team", location="process environment"),
            source(
                "team-header",
                variable="ANTHROPIC_CUSTOM_HEADERS",
                location="process environment",
                note="headers: x-api-key",
            ),
        ),
        winners=(winner("claude-code", "team"), winner("curl", "team")),
    )


CONSTRUCTED: dict[str, tuple[Case, Callable[[], Evidence]]] = {
    "w04-duplicate-key-header": (
        Case(
            name="w04-duplicate-key-header",
            expect="duplicate-auth-header",
            description="ANTHROPIC_CUSTOM_HEADERS repeats x-api-key beside the client's own: 401 API key is invalid.",
            constructed="no probe client sends a header twice (only Claude Code merges ANTHROPIC_CUSTOM_HEADERS "
            "into its "
            "own key header), so the attempt is built from the catalog's answer; the simulator's answer to a "
            "joined header is tested in tests/test_tools_sim.py",
        ),
        _duplicate_key_header,
    ),
    "c01-permission-denied": (
        Case(
            name="c01-permission-denied",
            expect="permission-denied",
            description="The key authenticates but its workspace may not use the model: 403 permission_error",
            constructed="the simulator has no permission model, so the 403 permission_error answer is built as "
            "evidence (status, type and message from the catalog)",
        ),
        _permission_denied,
    ),
}


# ---------------------------------------------------------------- the table


def confusion(outcomes: list[Outcome]) -> str:
    """Markdown: one row per case, then expected × got counts, then the causes each case covered."""
    passed = sum(o.passed for o in outcomes)
    lines = [
        "# Scenario suite: expected vs got",
        "",
        "<!-- Written by tests/test_diagnose_scenarios.py (the scenario suite in tests/scenarios/). -->",
        "",
        f"{passed} of {len(outcomes)} cases give the expected top cause. "
        f"{sum(1 for o in outcomes if not o.case.constructed)} run live (sandbox + simulator + `run_doctor`), "
        f"{sum(1 for o in outcomes if o.case.constructed)} built from evidence (reason given).",
        "",
        "| case | expected top cause | got | ok | how | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        how = f"constructed: {o.case.constructed}" if o.case.constructed else "live"
        if o.case.pattern:
            how += f" ({o.case.pattern} pattern)"
        mark = "✓" if o.passed else ("✗ known gap" if o.case.name in KNOWN_GAPS else "✗")
        lines.append(f"| {o.case.name} | `{o.case.expect}` | `{o.got}` | {mark} | {how} | {o.seconds:.1f} |")
    lines += ["", "## Confusion (expected → got, counts)", "", "| expected | cases | got |", "|---|---|---|"]
    by_expect: dict[str, Counter[str]] = {}
    for o in outcomes:
        by_expect.setdefault(o.case.expect, Counter())[o.got] += 1
    for expect in sorted(by_expect):
        got = by_expect[expect]
        shown = ", ".join(f"`{g}` ×{n}" + ("" if g == expect else " ✗") for g, n in got.most_common())
        lines.append(f"| `{expect}` | {sum(got.values())} | {shown} |")
    failures = [o for o in outcomes if not o.passed]
    if failures:
        lines += ["", "## Failures", ""]
        for o in failures:
            lines += [
                f"### {o.case.name}",
                "",
                f"expected `{o.case.expect}`, got `{o.got}`; all causes: {', '.join(o.causes) or '(none)'} {o.error}",
                "",
            ]
            if o.case.name in KNOWN_GAPS:
                lines += [f"Known gap: {KNOWN_GAPS[o.case.name]}.", ""]
    return "\n".join(lines) + "\n"


@dataclass
class SuiteRun:
    outcomes: list[Outcome] = field(default_factory=list)

    def by_name(self) -> dict[str, Outcome]:
        return {o.case.name: o for o in self.outcomes}


def run_all(tmp: Path, cases: list[Case] | None = None, workers: int = 3) -> SuiteRun:
    """Run every case (a few at a time: each waits mostly on subprocesses and sockets)."""
    from concurrent.futures import ThreadPoolExecutor

    cases = cases if cases is not None else load_cases()

    def one(index_case: tuple[int, Case]) -> Outcome:
        index, case = index_case
        folder = tmp / f"{index:02d}-{case.name}"
        folder.mkdir(parents=True, exist_ok=True)
        return run_case(case, folder)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(one, enumerate(cases)))
    return SuiteRun(outcomes)


#: Cases that fail because of a stage this suite does not own, with the owner and the fix. The tests mark them
#: xfail(strict=True): the day the stage is fixed they pass, strict turns that into a failure, and the entry
#: must be removed.
KNOWN_GAPS: dict[str, str] = {}

#: Every outcome of this test session, by case name (the groups run in separate test files).
SESSION: dict[str, Outcome] = {}


def group_cases(*prefixes: str) -> list[Case]:
    """The cases whose names start with one of ``prefixes`` (each test file runs one group)."""
    return [c for c in load_cases() if c.name.startswith(prefixes)]


def run_group(cases: list[Case], tmp: Path, shared: Path | None = None) -> dict[str, Outcome]:
    """Run one group, add it to the session's outcomes and rewrite reports/confusion.md with all of them.

    ``shared``: a folder common to every xdist worker of the session; each group's rows are kept there and
    the table is written from all of them, under a lock and by an atomic replace, so that workers running
    different groups neither overwrite each other's rows nor leave a half-written file.
    """
    run = run_all(tmp, cases)
    SESSION.update(run.by_name())
    everything = load_cases()
    done = SESSION
    with contextlib.ExitStack() as stack:
        if shared:
            from filelock import FileLock

            stack.enter_context(FileLock(str(shared / "confusion.lock")))
            done = _merged(run.outcomes, shared, everything)
        rows = [done[c.name] for c in everything if c.name in done]
        table = confusion(rows)
        if len(rows) < len(everything):
            table += f"\n(This session ran {len(rows)} of the {len(everything)} cases.)\n"
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        partial = REPORT.with_name(f".{REPORT.name}.{os.getpid()}")
        partial.write_text(table, encoding="utf-8")
        os.replace(partial, REPORT)
    print("\n" + table)
    return run.by_name()


def _merged(outcomes: list[Outcome], shared: Path, everything: list[Case]) -> dict[str, Outcome]:
    """Keep this group's rows in ``shared`` and read back every group's (the table needs no text or secret)."""
    shared.mkdir(parents=True, exist_ok=True)
    if outcomes:
        rows = [
            {"name": o.case.name, "got": o.got, "causes": list(o.causes), "seconds": o.seconds, "error": o.error}
            for o in outcomes
        ]
        (shared / f"outcomes-{outcomes[0].case.name}.json").write_text(json.dumps(rows), encoding="utf-8")
    by_name = {c.name: c for c in everything}
    merged: dict[str, Outcome] = {}
    for path in sorted(shared.glob("outcomes-*.json")):
        for row in json.loads(path.read_text(encoding="utf-8")):
            if row["name"] in by_name:
                merged[row["name"]] = Outcome(
                    case=by_name[row["name"]],
                    got=row["got"],
                    causes=tuple(row["causes"]),
                    seconds=row["seconds"],
                    error=row["error"],
                )
    return merged


def params(cases: list[Case], group: Callable[[str], str] | None = None) -> list[Any]:
    """Case names for ``pytest.mark.parametrize``, with the known gaps marked xfail(strict=True).

    ``group``: the case's group, for ``xdist_group``: under pytest-xdist (``--dist loadgroup``) a group's
    tests run in one worker, which runs that group's cases once.
    """
    import pytest

    out = []
    for c in cases:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[c.name])] if c.name in KNOWN_GAPS else []
        if group is not None:
            marks.append(pytest.mark.xdist_group(f"scenarios-{group(c.name)}"))
        out.append(pytest.param(c.name, marks=marks, id=c.name))
    return out


def failure_message(o: Outcome) -> str:
    return (
        f"{o.case.name}: expected {o.case.expect}, got {o.got} (all causes: {', '.join(o.causes)}) {o.error}\n"
        f"{o.case.description}\n{o.text}"
    )


def main() -> int:  # pragma: no cover - a convenience for running the suite by hand
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        run = run_all(Path(tmp))
    table = confusion(run.outcomes)
    print(table)
    return 0 if all(o.passed for o in run.outcomes) else 1
