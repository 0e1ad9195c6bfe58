"""The doctor's report of the network path: a route no check contacted reads "not tried", never "ok" (issue 14).

Pointed at a simulator, the SDKs' routes to the official API are left out of the checks: their routing rows are a
model of where the client would send, not a pass. The doctor says so in its text and JSON, by the same rule the
notebooks' path tables follow (``kit.path.contact``). No network: the rows are written by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys

from kit.commands.doctor_render import render_json, render_text
from kit.commands.doctor_result import DoctorResult
from kit.diagnose.diagnosis import diagnose
from kit.path.contact import NOT_TRIED, shown_ok, untried
from kit.values import Evidence, PathCheck

SIM, API = "http://127.0.0.1:4000", "https://api.anthropic.com"
ROUTE = (("url", SIM), ("clients", "KeyLab, httpx2"))
ROWS = (
    PathCheck("tcp", "127.0.0.1:4000", True, "IPv4 connect works", elapsed_ms=0.4, details=ROUTE),
    PathCheck("http", "127.0.0.1:4000", True, "the API itself answers: 401", elapsed_ms=2.0, details=ROUTE),
    PathCheck("base-url", SIM, True, "sends to the target", client="httpx2"),
    PathCheck("base-url", API, True, "sends to the official API", client="sdk-python"),
    PathCheck("proxy", API, True, "direct (no proxy applies)", client="sdk-python"),
    PathCheck("base-url", "", False, "ANTHROPIC_BASE_URL gives ''", client="sdk-node@0.24.3", fix="unset it"),
)


def _result(rows: tuple[PathCheck, ...] = ROWS) -> DoctorResult:
    return DoctorResult(diagnosis=diagnose(Evidence(path=rows, api_url=SIM)), api_url=SIM)


def _path_section(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("  Network path:")
    return [line for line in lines[start + 3 :] if line.startswith("    ")]


def _row(section: list[str], step: str, client: str) -> str:
    found = [line for line in section if line.split()[:2] == [step, client]]
    assert len(found) == 1, (step, client, section)
    return found[0]


def test_the_contact_rule_marks_only_routing_rows_that_passed_off_every_checked_route() -> None:
    assert untried(ROWS) == {"sdk-python", "sdk-node@0.24.3"}
    shown = [shown_ok(r, untried(ROWS)) for r in ROWS]
    assert shown == [True, True, True, NOT_TRIED, NOT_TRIED, False], "a failure the model finds stays a failure"
    old_run = tuple(PathCheck(r.step, r.target, r.ok, r.verdict, details=(("url", SIM),)) for r in ROWS[:2])
    assert untried(old_run + ROWS[2:]) == set(), "rows that never recorded their clients mark nobody"


def test_the_text_report_says_not_tried_for_a_route_no_check_contacted() -> None:
    section = _path_section(render_text(_result()))
    for step in ("base-url", "proxy"):
        line = _row(section, step, "sdk-python")
        assert f"  {NOT_TRIED}  " in line and "  ok  " not in line, line
    assert "  ok  " in _row(section, "base-url", "httpx2")
    tcp = _row(section, "tcp", "KeyLab,")  # a network row names the clients whose route it contacted, not "all"
    assert "KeyLab, httpx2" in tcp and "  ok  " in tcp and "sdk-python" not in tcp
    assert "  FAIL  " in _row(section, "base-url", "sdk-node@0.24.3")


def test_the_json_keeps_ok_and_says_the_outcome_in_words() -> None:
    data = json.loads(render_json(_result()))
    by_row = {(p["step"], p["client"]): p for p in data["path"]}
    python = by_row[("base-url", "sdk-python")]
    assert python["ok"] is True and python["outcome"] == NOT_TRIED, "the model passed; the route was not tried"
    assert by_row[("proxy", "sdk-python")]["outcome"] == NOT_TRIED
    assert by_row[("base-url", "httpx2")]["outcome"] == "ok"
    assert by_row[("tcp", None)]["outcome"] == "ok"
    assert by_row[("base-url", "sdk-node@0.24.3")]["outcome"] == "FAIL"


def test_when_every_route_was_contacted_nothing_reads_not_tried() -> None:
    route = (("url", SIM), ("clients", "KeyLab, httpx2, sdk-python"))
    rows = (
        PathCheck("tcp", "127.0.0.1:4000", True, "IPv4 connect works", details=route),
        PathCheck("base-url", SIM, True, "sends to the target", client="httpx2"),
        PathCheck("base-url", SIM, True, "sends to the target", client="sdk-python"),
    )
    text = render_text(_result(rows))
    assert NOT_TRIED not in text
    assert {p["outcome"] for p in json.loads(render_json(_result(rows)))["path"]} == {"ok"}


def test_the_contact_rule_and_the_doctor_render_load_neither_matplotlib_nor_pandas() -> None:
    code = (
        "import sys\n"
        "import kit.path.contact, kit.commands.doctor_render\n"
        "print(sorted(m for m in ('matplotlib', 'pandas') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
