"""Tests of the benchmark's machinery (mapper.bench): the whole-build child, the reader's
conditions in Chromium, the scorecard's checks and the synthetic data's incident rate.

No figure is asserted here: only that each piece measures what it says it measures.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mapper.bench import scorecard
from mapper.bench.synth import SynthSpec, generate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "tiny"
    generate(SynthSpec(places=30, days=40, changes=3, seed=3, incident_rate=2.0), out)
    return out


def test_incident_rate_sets_the_incidents(tiny: Path) -> None:
    with (tiny / "events.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    incidents = sum(1 for r in rows if not r["controller"])
    changes = sum(1 for r in rows if r["controller"]) - 30  # one opening event a place
    assert changes > 20
    assert 1.2 * changes < incidents < 3.0 * changes  # about two incidents a change


def test_site_child_is_the_whole_mapper_build(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "mapper.bench.build", "site", str(tiny),
                          str(out)], capture_output=True, text=True, cwd=ROOT, timeout=600,
                         check=False)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["build_s"] > 0 and result["files"] == 6
    names = sorted(p.name for p in (out / "tiny").iterdir())
    assert names == ["index.html", "multiples.png", "snapshot.png", "territory.csv",
                     "territory.png"]
    assert (out / "index.html").is_file()
    assert result["bytes"] == sum(p.stat().st_size for p in out.rglob("*") if p.is_file()
                                  and not p.name.startswith("."))


_PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="https://cdn.example.invalid/missing.css"></head><body>
<div class="leaflet-overlay-pane"><svg width="10" height="10"><path d="M0 0L9 9"/></svg></div>
<script>window.seen = [innerWidth, innerHeight];</script></body></html>"""


#: Opens the page as the benchmark does, in a process of its own (the test session's own
#: Playwright may already run an event loop here), and prints what the page saw as JSON.
_OPEN = """
import json, sys
from pathlib import Path
from playwright.sync_api import sync_playwright
from mapper.bench.browser import PHONE, Conditions, Requests, open_page
page_file, how = Path(sys.argv[1]), sys.argv[2]
requests = Requests()
conditions = PHONE if how == "phone" else Conditions(network=how)
with sync_playwright() as pw:
    browser, page, _ = open_page(pw, page_file, "peer", requests=requests, conditions=conditions)
    try:
        out = {"first_draw": page.evaluate("window.__bench.firstDraw"),
               "seen": page.evaluate("window.seen"), "answered_empty": requests.answered_empty,
               "blocked": requests.blocked}
    finally:
        browser.close()
print(json.dumps(out))
"""


def _open(tmp_path: Path, how: str) -> dict[str, Any]:
    page_file = tmp_path / "p.html"
    page_file.write_text(_PAGE, encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", _OPEN, str(page_file), how], capture_output=True,
                         text=True, cwd=ROOT, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


@pytest.mark.browser
@pytest.mark.parametrize("network", ["online", "offline"])
def test_reader_conditions(tmp_path: Path, network: str) -> None:
    seen = _open(tmp_path, network)
    assert seen["first_draw"] > 0
    assert seen["seen"] == [1280, 800]
    missing = "https://cdn.example.invalid/missing.css"
    if network == "online":  # a working network answers; nothing is aborted
        assert seen["answered_empty"] == [missing] and seen["blocked"] == []
    else:
        assert seen["blocked"] == [missing] and seen["answered_empty"] == []


@pytest.mark.browser
def test_phone_conditions_set_the_screen(tmp_path: Path) -> None:
    assert _open(tmp_path, "phone")["seen"] == [390, 844]


def test_scorecard_rows_say_met_missed_and_why() -> None:
    records: dict[str, dict[str, Any]] = {
        "points-2000": {
            "ours": {"jump_ms_p95": 30.0, "site_build_s": 4.0, "first_draw_ms": 500.0,
                     "conditions": "online, 1280x800", "blocked": []},
            "peer": {"jump_ms_p95": 90.0, "build_s": 10.0, "first_draw_ms": 7000.0,
                     "conditions": "online, 1280x800", "blocked": [],
                     "answered_empty": ["https://x.invalid/font.woff"],
                     "first_draw_ms_offline": 9000.0},
        },
        "acled": {"ours": {"build_s": 75.0, "page_bytes": 9e6, "error": None}},
    }
    rows = {(r["case"], r["target"]): r for r in scorecard.check(records)}
    assert len(rows) == len(scorecard.TARGETS)
    jump = rows[("points-2000", "jump across the range p95 <= 33 ms at 2,000 places")]
    assert jump["ok"] is True and jump["ours"] == 30.0 and jump["peer"] == 90.0
    whole = next(r for k, r in rows.items() if k[0] == "points-2000" and r["kind"] == "ratio")
    assert whole["ok"] is False and whole["why"] == "2.5x, wants 3x"
    clean = next(r for k, r in rows.items() if r["kind"] == "clean")
    assert clean["ok"] is True and "9000.0 ms" in clean["why"]
    acled = {k[1]: r for k, r in rows.items() if k[0] == "acled"}
    assert acled["50k x 500k: page <= 15 MB"]["ok"] is True
    build = next(r for t, r in acled.items() if t.endswith("<= 60 s"))
    assert build["ok"] is False and build["why"] == "75 s is 1.25x the bound 60 s"
    assert acled["50k x 500k: jump p95 <= 100 ms"]["ok"] is None  # not measured
    assert all(r["ok"] is None and r["why"] == "case not run"
               for (case, _), r in rows.items() if case in ("phone", "polygons"))
    # an aborted request makes the fairness row a miss
    records["points-2000"]["peer"]["blocked"] = ["https://x.invalid/font.woff"]
    clean = next(r for r in scorecard.check(records) if r["kind"] == "clean")
    assert clean["ok"] is False and clean["why"] == "1 request(s) aborted"
    # a build stopped at the time limit: its time row missed, its memory not a pass
    stopped = scorecard.check({"acled": {"ours": {
        "peak_rss_mb": 1014.0, "error": "stopped after 600 s (the time limit of this case)"}}})
    by = {r["target"]: r for r in stopped if r["case"] == "acled"}
    build = next(r for t, r in by.items() if t.endswith("<= 60 s"))
    assert build["ok"] is False and build["why"].startswith("stopped after 600 s")
    memory = by["50k x 500k: peak memory < 2 GB"]
    assert memory["ok"] is None and memory["why"].startswith("the build did not finish")
    table = scorecard.format_rows(scorecard.check(records))
    assert table.count("\n") == len(scorecard.TARGETS) + 1
    assert "**MISSED**: 75 s is 1.25x the bound 60 s" in table


def test_scorecard_says_how_fast_the_machine_was() -> None:
    ref = scorecard.machine_reference_ms(repeat=1)
    assert 0 < ref < 60_000
    line = scorecard.format_speed({"phone": {"machine_ref_ms": [110.0, 231.4, 118.0]},
                                   "acled": {"ours": {}}})
    assert "phone 110 / 231 / 118." in line and "acled" not in line
    assert scorecard.format_speed({"acled": {"ours": {}}}) == ""


def test_payload_parts_add_up(mini_html: str, tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(mini_html, encoding="utf-8")
    parts = dict((k, v) for k, v in scorecard.payload_parts(page, top=100))
    assert parts["(page)"] == len(mini_html.encode())
    top = [k for k in parts if not k.startswith("(") and "." not in k]
    assert {"events", "atoms", "places", "basemap"} <= set(top)
    # the payload's parts and the rest make the page, give or take the JSON punctuation
    assert abs(sum(parts[k] for k in top) + parts["(code and markup)"] - parts["(page)"]) \
        < 20 * len(top)


def _module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, code: str) -> str:
    """Write a module a child process can run with ``python -m``; return its name."""
    (tmp_path / f"{name}.py").write_text(code, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}:{ROOT}")
    return name


def test_child_is_stopped_at_its_time_and_memory_limits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mapper.bench.run import run_child

    busy = _module(tmp_path, monkeypatch, "busy", (
        "import sys, time\n"
        "if sys.argv[1] == 'sleep':\n    time.sleep(60)\n"
        "elif sys.argv[1] == 'grow':\n    b = bytearray(4 * 2**30)\n"
        "print('{\"build_s\": 0.5}')\n"))
    slept = run_child(busy, ["sleep"], timeout_s=1.0)
    assert slept["error"] == "stopped after 1 s (the time limit of this case)"
    assert "build_s" not in slept  # stopped before it could print
    grown = run_child(busy, ["grow"], max_memory_mb=1024)
    assert grown["error"].startswith("stopped at the memory cap of 1024 MB")
    done = run_child(busy, ["quick"], timeout_s=60.0, max_memory_mb=4096)
    assert "error" not in done and done["build_s"] == 0.5


def test_a_profiled_build_stopped_by_its_time_limit_keeps_its_profile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mapper.bench.run import run_child

    slow = _module(tmp_path, monkeypatch, "slow_build", (
        "from pathlib import Path\n"
        "import mapper.bench.build as b\n"
        "def fake(side, data, out):\n"
        "    while True:\n        sum(range(10000))\n"
        "b.build = fake\n"
        "print(__import__('json').dumps(b.profiled_build('ours', Path('.'), Path('x'))))\n"))
    # 8 s: on a loaded machine the child's imports alone took more than 3 s (no profile yet).
    result = run_child(slow, [], timeout_s=8.0)
    assert result["error"].startswith("stopped after 8 s")
    assert any("fake" in row[0] for row in result["profile"])  # where the time went
