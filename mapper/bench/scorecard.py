"""Every speed target in one table: ours, the peer, the bound, met or missed and why.

``python -m mapper.bench.run --scorecard`` runs the cases below, each ``runs`` times (three by
default), takes the median of each figure over the runs, and checks the targets of issue 14
(dragging, the whole build, phones, ACLED-sized data, a fair peer) and the polygon targets of
issue 10. A missed row gets a profile: the build under cProfile, or the slider steps under
the DevTools profiler and a Chromium trace, whichever the row measures.

Cases (data from :mod:`mapper.bench.synth` and :mod:`mapper.bench.polysynth`):

- ``points-2000``: 2,000 places x 1,000 days x 10 changes. Our page, the whole
  ``mapper build`` (page, images, chart and table: :func:`mapper.site.build`) and the peer's
  page (folium ``TimestampedGeoJson``); both pages in Chromium as a reader with a working
  network (:data:`mapper.bench.browser.DESKTOP`), and the peer once more the earlier way
  (other requests aborted) for comparison.
- ``points-5000``: 5,000 places x 4,700 days x 20 changes, ours only (the peer's page would
  be several hundred MB).
- ``phone``: the committed ``geodata/aleppo-2024`` page with Chromium's CPU slowed 4x at
  390x844 (:data:`mapper.bench.browser.PHONE`).
- ``acled``: 50,000 places x 2,922 days, about 500,000 events (90,000 control changes,
  360,000 incidents): the size of a national ACLED export; built with the whole
  ``mapper build`` (images included), as the issue measured it.
- ``polygons``: the issue-10 case (:func:`mapper.bench.run.measure_polygons`).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from mapper.bench import assets
from mapper.bench.browser import DESKTOP, PHONE, Conditions, measure_page
from mapper.bench.polybrowser import measure_jumps
from mapper.bench.synth import SynthSpec, generate

#: Repository root (``geodata/`` lives there).
ROOT = Path(__file__).resolve().parents[2]

#: The synthetic cases: name -> generator spec (seed set per run).
SPECS: dict[str, SynthSpec] = {
    "points-2000": SynthSpec(places=2_000, days=1_000, changes=10),
    "points-5000": SynthSpec(places=5_000, days=4_700, changes=20),
    "acled": SynthSpec(places=50_000, days=2_922, changes=1.8, incident_rate=4.0),
}

#: Cases whose build figures are the whole ``mapper build`` (page, images, chart, table).
WHOLE_BUILD = frozenset({"acled"})

#: A build of those cases is stopped after this long (ten times the ACLED target of 60 s) or
#: past this much address space (three times its 2 GB), so that a build far off its targets
#: cannot hold the shared machine.
LIMIT_S, LIMIT_MB = 600.0, 6_144.0

#: Every case, in the order run and printed.
CASES: tuple[str, ...] = ("points-2000", "points-5000", "phone", "acled", "polygons")


@dataclass(frozen=True)
class Target:
    """One row of the table.

    Attributes
    ----------
    case
        The case that measures it.
    words
        The target as the issue states it.
    key
        The figure in our side's record.
    kind
        ``"max"`` (ours at most ``bound``), ``"ratio"`` (the peer's ``peer_key`` over ours at
        least ``bound``) or ``"clean"`` (no request aborted or left unanswered on either side).
    bound
        The bound.
    unit
        Unit of the figure, for the table.
    peer_key
        The peer's figure to compare with (default: ``key``).
    issue
        The issue that sets the target.
    """

    case: str
    words: str
    key: str
    kind: str
    bound: float
    unit: str
    peer_key: str | None = None
    issue: int = 14


TARGETS: tuple[Target, ...] = (
    Target("points-2000", "jump across the range p95 <= 33 ms at 2,000 places", "jump_ms_p95",
           "max", 33, "ms"),
    Target("points-5000", "jump across the range p95 <= 50 ms at 5,000 places", "jump_ms_p95",
           "max", 50, "ms"),
    Target("points-2000", "whole `mapper build` (page + images + chart + table) >= 3x faster "
           "than the peer's page", "site_build_s", "ratio", 3, "s", peer_key="build_s"),
    Target("points-2000", "both pages measured with a working network (first draw; nothing "
           "aborted)", "first_draw_ms", "clean", 0, "ms"),
    Target("phone", "Aleppo page interactive <= 2 s (CPU /4, 390x844)", "first_draw_ms", "max",
           2000, "ms"),
    Target("phone", "next-day step p95 <= 33 ms (CPU /4, 390x844)", "step_ms_p95", "max", 33,
           "ms"),
    Target("acled", "50k places x 500k events: `mapper build` (images too) <= 60 s", "build_s",
           "max", 60, "s"),
    Target("acled", "50k x 500k: peak memory < 2 GB", "peak_rss_mb", "max", 2048, "MB"),
    Target("acled", "50k x 500k: page <= 15 MB", "page_bytes", "max", 15e6, "B"),
    Target("acled", "50k x 500k: next-day step p95 <= 33 ms", "step_ms_p95", "max", 33, "ms"),
    Target("acled", "50k x 500k: jump p95 <= 100 ms", "jump_ms_p95", "max", 100, "ms"),
    Target("polygons", "page <= 5 MB", "page_bytes", "max", 5e6, "B", issue=10),
    Target("polygons", "page >= 20x smaller than the peer's", "page_bytes", "ratio", 20, "B",
           issue=10),
    Target("polygons", "first draw <= 1.5 s", "first_draw_ms", "max", 1500, "ms", issue=10),
    Target("polygons", "next-day step p95 <= 20 ms", "step_ms_p95", "max", 20, "ms", issue=10),
    Target("polygons", "jump p95 <= 50 ms", "jump_ms_p95", "max", 50, "ms", issue=10),
    Target("polygons", "import + build <= 30 s", "build_s", "max", 30, "s", issue=10),
    Target("polygons", "peak memory <= 1.5 GB", "peak_rss_mb", "max", 1536, "MB", issue=10),
)

#: Figures of the build itself (meaningless when it did not finish).
_BUILD_KEYS = frozenset({"build_s", "site_build_s", "peak_rss_mb", "page_bytes"})

#: Figures taken in the browser (a missed row on them is profiled there, else in the build).
_BROWSER_KEYS = frozenset({"first_draw_ms", "step_ms_p95", "jump_ms_p95"})


def _days(start: date, n: int) -> tuple[list[str], list[int]]:
    epoch = date(1970, 1, 1).toordinal()
    days = [start + timedelta(days=i) for i in range(n)]
    return [d.isoformat() for d in days], [(d.toordinal() - epoch) * 86_400_000 for d in days]


def median_record(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge the records of repeated runs: the median of each number, the first run's value
    of anything else; ``runs_of`` keeps each figure's values, run by run.

    Parameters
    ----------
    runs
        Records with the same keys (a key missing from a run is skipped for it).

    Returns
    -------
    dict

    Examples
    --------
    >>> median_record([{"a": 1.0, "n": "x"}, {"a": 3.0, "n": "y"}, {"a": 2.0}])["a"]
    2.0
    """
    if not runs:
        return {}
    out: dict[str, Any] = {}
    spread: dict[str, list[float]] = {}
    for key in dict.fromkeys(k for r in runs for k in r):
        values = [r[key] for r in runs if key in r]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if values and len(numbers) == len(values):
            out[key] = statistics.median(numbers)
            if len(numbers) > 1:
                spread[key] = numbers
        else:
            out[key] = values[0]
    out["runs_of"] = spread
    out["runs"] = len(runs)
    return out


def _browse(page: Path, side: str, *, start: date, days: int, steps: int, cache: Path,
            conditions: Conditions, jumps: int, profile: bool = False) -> dict[str, Any]:
    """Next-day steps from a third of the way in, then jumps first day <-> last day."""
    warm = 3
    first = max(0, min(days // 3, days - steps - warm))
    dates, times = _days(start + timedelta(days=first), min(steps + warm, days - first))
    fig = asdict(measure_page(page, side, dates=dates, times=times, steps=steps, warm=warm,
                              cache=cache, conditions=conditions, profile=profile,
                              play_seconds=0.5))
    fig.pop("final_state", None)
    if jumps:
        ends_d, ends_t = _days(start, days)
        jump = measure_jumps(page, side, first=(ends_d[0], ends_t[0]),
                             last=(ends_d[-1], ends_t[-1]), rounds=jumps, cache=cache,
                             conditions=conditions, profile=profile)
        fig.update(asdict(jump))
    return fig


def run_case(case: str, *, out: Path, seed: int, steps: int, jumps: int, cache: Path,
             log: Callable[[str], None]) -> dict[str, Any]:
    """Run one case once; return ``{"ours": {...}, "peer": {...}, ...}``.

    Parameters
    ----------
    case
        One of :data:`CASES` but ``polygons`` (see :func:`mapper.bench.run.measure_polygons`).
    out
        Output folder (data under ``data/``, pages under ``pages/``).
    seed
        Generator seed.
    steps, jumps
        Next-day steps and round-trip jumps timed per page.
    cache
        The npm releases the peer page loads.
    log
        Progress messages.

    Returns
    -------
    dict
    """
    from mapper.bench.run import page_sizes, run_build

    rec: dict[str, Any] = {"case": case}
    if case == "phone":
        from mapper.dataset import load_dataset

        data = ROOT / "geodata" / "aleppo-2024"
        ds = load_dataset(data)
        start, days = ds.start, (ds.end - ds.start).days + 1
        rec["data"] = str(data.relative_to(ROOT))
        sides = ["ours"]
    else:
        spec = SynthSpec(**{**asdict(SPECS[case]), "seed": seed})
        data = out / "data" / case
        summary = generate(spec, data)
        start, days = spec.start, spec.days
        rec.update(places=summary.places, events=summary.events, days=days,
                   control_changes=summary.control_changes, incidents=summary.incidents)
        sides = ["ours", "peer"] if case == "points-2000" else ["ours"]
    for side in sides:
        page = out / "pages" / f"{case}-{side}.html"
        log(f"[{case}] {side}: building ...")
        if case in WHOLE_BUILD:  # `mapper build`, images included; its page is measured
            fig = run_build("site", data, out / "site" / case, timeout_s=LIMIT_S,
                            max_memory_mb=LIMIT_MB)
            page = out / "site" / case / data.name / "index.html"
        else:
            fig = run_build(side, data, page)
        if "error" in fig:
            log(f"[{case}] {side}: build failed: {fig['error']}")
            rec[side] = fig
            continue
        fig.update(page_sizes(page))
        if side == "ours" and case == "points-2000":
            log(f"[{case}] the whole `mapper build` (page and images) ...")
            whole = run_build("site", data, out / "site" / case)
            fig["site_build_s"] = whole.get("build_s")
            fig["site_peak_rss_mb"] = whole.get("peak_rss_mb")
            if "error" in whole:
                fig["site_error"] = whole["error"]
        log(f"[{case}] {side}: built in {fig['build_s']:.2f} s, "
            f"{fig['page_bytes'] / 1e6:.2f} MB; measuring in Chromium ...")
        conditions = PHONE if case == "phone" else DESKTOP
        fig.update(_browse(page, side, start=start, days=days, steps=steps, cache=cache,
                           conditions=conditions, jumps=jumps))
        if side == "peer":  # the earlier method, for comparison: other requests aborted
            two_d, two_t = _days(start, 2)
            before = measure_page(page, side, dates=two_d, times=two_t, steps=1, warm=0,
                                  cache=cache, play_seconds=0.1,
                                  conditions=Conditions(network="offline"))
            fig["first_draw_ms_offline"] = before.first_draw_ms
            fig["blocked_offline"] = before.blocked
        rec[side] = fig
    return rec


def check(records: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Check every target of :data:`TARGETS` against the (median) records.

    Parameters
    ----------
    records
        Case name -> record (``ours``, ``peer``).

    Returns
    -------
    list of dict
        One row per target: ``case``, ``issue``, ``target``, ``ours``, ``peer``, ``unit``,
        ``ok`` (``True``, ``False``, or ``None`` when not measured) and ``why``.

    Examples
    --------
    >>> rows = check({"acled": {"ours": {"build_s": 75.0}}})
    >>> [r["why"] for r in rows if r["target"].endswith("<= 60 s")]
    ['75 s is 1.25x the bound 60 s']
    """
    rows: list[dict[str, Any]] = []
    for t in TARGETS:
        rec = records.get(t.case)
        ours = (rec or {}).get("ours", {})
        peer = (rec or {}).get("peer", {})
        mine, theirs = ours.get(t.key), peer.get(t.peer_key or t.key)
        row: dict[str, Any] = {"case": t.case, "issue": t.issue, "target": t.words,
                               "key": t.key, "ours": mine, "peer": theirs, "unit": t.unit,
                               "bound": t.bound, "kind": t.kind}
        err = ours.get("error")
        if rec is None:
            row.update(ok=None, why="case not run")
        elif err and t.key in _BUILD_KEYS:  # the build did not finish
            stopped = (("time limit" in err and t.key in ("build_s", "site_build_s"))
                       or ("memory cap" in err and t.key == "peak_rss_mb"))
            row.update(ours=None, ok=False if stopped else None,
                       why=err if stopped else f"the build did not finish: {err}")
        elif mine is None:
            row.update(ok=None, why=ours.get("error") or ours.get("site_error")
                       or ours.get("jump_error") or "not measured")
        elif t.kind == "max":
            ok = mine <= t.bound
            row.update(ok=ok, why="" if ok else f"{mine:g} {t.unit} is {mine / t.bound:.2f}x "
                                              f"the bound {t.bound:g} {t.unit}")
        elif t.kind == "ratio":
            if not theirs:
                row.update(ok=None, why="peer not measured")
            else:
                ratio = theirs / mine if mine else float("inf")
                ok = ratio >= t.bound
                row.update(ok=ok, value=round(ratio, 2),
                           why=f"{ratio:.1f}x" if ok else f"{ratio:.1f}x, wants {t.bound:g}x")
        else:  # clean: both pages measured online, nothing aborted
            aborted = [u for side in (ours, peer) for u in side.get("blocked", [])]
            empty = sorted({u for side in (ours, peer) for u in side.get("answered_empty", [])})
            ok = not aborted and all(s.get("conditions", "").startswith("online")
                                     for s in (ours, peer) if s)
            why = (f"{len(aborted)} request(s) aborted" if not ok else
                   f"peer answered empty: {len(empty)} (web fonts the CDN would send); the "
                   f"earlier method (aborted) drew at {peer.get('first_draw_ms_offline')} ms")
            row.update(ok=ok, why=why)
        rows.append(row)
    return rows


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "B":
        return f"{value / 1e6:.2f} MB"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.1f} ms"


def machine_reference_ms(repeat: int = 5) -> float:
    """How fast the machine is now: the median of ``repeat`` runs of a fixed Python loop, ms.

    Measured before each run of a case, so that a reader of the table can tell a slow run of
    the machine (its speed moves by up to 2x from minute to minute here) from a slow page.
    """
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        acc = 0
        for i in range(300_000):
            acc += i * i
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1000, 1)


def format_speed(records: dict[str, dict[str, Any]]) -> str:
    """One line: the machine's reference loop (:func:`machine_reference_ms`) before each run."""
    parts = [f"{case} {' / '.join(f'{x:.0f}' for x in rec['machine_ref_ms'])}"
             for case, rec in records.items() if rec.get("machine_ref_ms")]
    if not parts:
        return ""
    return ("Machine speed before each run (a fixed Python loop, median of 5, ms, lower is "
            "faster; the same loop takes from 1x to 2x its fastest time on this machine): "
            + "; ".join(parts) + ".")


def format_rows(rows: list[dict[str, Any]]) -> str:
    """The table as Markdown: case, target, ours, peer, result and the reason."""
    lines = ["| case | issue | target | ours | peer | result |", "|---|---|---|---:|---:|---|"]
    marks = {True: "met", False: "**MISSED**", None: "not measured"}
    for r in rows:
        why = f": {r['why']}" if r.get("why") else ""
        lines.append(f"| {r['case']} | {r['issue']} | {r['target']} | "
                     f"{_fmt(r['ours'], r['unit'])} | {_fmt(r['peer'], r['unit'])} | "
                     f"{marks[r['ok']]}{why} |")
    return "\n".join(lines)


def profile_missed(rows: list[dict[str, Any]], records: dict[str, dict[str, Any]], *,
                   out: Path, cache: Path, steps: int, log: Callable[[str], None],
                   top: int = 8) -> dict[str, Any]:
    """Profile what the missed rows measure, once per case and kind (build or browser).

    Returns
    -------
    dict
        ``"<case> build"``: the build's top functions by cumulative time (cProfile);
        ``"<case> steps"``: the renderer main thread's heaviest trace events per step, and the
        functions with most self time (DevTools).
    """
    from mapper.bench.run import run_build

    found: dict[str, Any] = {}
    for r in rows:
        if r["ok"] is not False or r["case"] == "polygons":
            continue
        case = r["case"]
        data = ROOT / "geodata" / "aleppo-2024" if case == "phone" else out / "data" / case
        page = (out / "site" / case / data.name / "index.html" if case in WHOLE_BUILD
                else out / "pages" / f"{case}-ours.html")
        kind = "jumps" if r["key"].startswith("jump") else "steps"
        if r["key"] in _BROWSER_KEYS and f"{case} {kind}" not in found:
            log(f"[{case}] profiling the slider {kind} ...")
            rec = records[case]
            start = date.fromisoformat(rec.get("start", "")) if rec.get("start") else None
            spec = SPECS.get(case)
            if start is None:
                if spec is not None:
                    start, days = spec.start, spec.days
                else:
                    from mapper.dataset import load_dataset

                    ds = load_dataset(data)
                    start, days = ds.start, (ds.end - ds.start).days + 1
            else:
                days = int(rec["days"])
            fig = _browse(page, "ours", start=start, days=days, steps=min(steps, 20),
                          cache=cache, conditions=PHONE if case == "phone" else DESKTOP,
                          jumps=3 if kind == "jumps" else 0, profile=True)
            prefix = "jump" if kind == "jumps" else "step"
            found[f"{case} {kind}"] = {"trace": fig.get(f"{prefix}_trace", [])[:top],
                                       "self_time": fig.get(f"{prefix}_profile", [])[:top]}
        elif r["key"] == "page_bytes" and page.is_file():
            found[f"{case} bytes"] = payload_parts(page)
        elif r["key"] not in _BROWSER_KEYS and f"{case} build" not in found:
            log(f"[{case}] profiling the build ...")
            side = "site" if r["key"].startswith("site_") or case in WHOLE_BUILD else "ours"
            target = out / "site" / f"{case}.prof" if side == "site" else \
                out / "pages" / f"{case}-ours.prof.html"
            limits = {"timeout_s": LIMIT_S, "max_memory_mb": LIMIT_MB} \
                if case in WHOLE_BUILD else {}
            again = run_build(side, data, target, profile=True, **limits)
            found[f"{case} build"] = again.get("profile", again.get("error"))
    return found


def payload_parts(page: Path, top: int = 12) -> list[list[Any]]:
    """Where a page's bytes go: its JSON payload's parts, largest first.

    Parameters
    ----------
    page
        One of our pages (:func:`mapper.render.render_html`).
    top
        Rows kept.

    Returns
    -------
    list
        ``[part, bytes]``: each top-level key of the payload and, for the events, atoms and
        places, each of their keys (``events.texts``...), as compact JSON; ``(page)`` is the
        whole file and ``(code and markup)`` what is not the payload.
    """
    import json
    import re

    html = page.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="[^"]*-data">(.*?)</script>', html, re.S)
    if m is None:
        return [["(page)", len(html.encode())]]
    payload = json.loads(m.group(1))

    def size(value: Any) -> int:
        return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())

    rows: list[list[Any]] = [["(page)", len(html.encode())],
                             ["(code and markup)", len(html.encode()) - len(m.group(1).encode())]]
    for key, value in payload.items():
        rows.append([key, size(value)])
        if key in ("events", "atoms", "places", "control") and isinstance(value, dict):
            rows += [[f"{key}.{k}", size(v)] for k, v in value.items()]
    head, rest = rows[:2], sorted(rows[2:], key=lambda r: -r[1])
    return head + rest[:top]


def format_profiles(found: dict[str, Any], top: int = 8) -> str:
    """The profiles of the missed rows as Markdown lists."""
    lines: list[str] = []
    for name, prof in found.items():
        lines.append(f"\n**{name}**\n")
        if isinstance(prof, str):
            lines.append(f"- failed: {prof}")
        elif name.endswith(" bytes"):  # [part, bytes]
            lines += [f"- `{part}`: {n / 1e6:.2f} MB" for part, n in prof]
        elif isinstance(prof, list):  # build: [function, calls, own s, cumulative s]
            for fn, calls, own, cum in prof[:top]:
                lines.append(f"- {cum:.2f} s cumulative ({own:.2f} s own, {calls} calls) `{fn}`")
        else:
            for name2, ms, calls in prof.get("trace", [])[:top]:
                lines.append(f"- trace `{name2}`: {ms} ms a step ({calls} events)")
            for fn, where, ms, share in prof.get("self_time", [])[:top]:
                lines.append(f"- JS self time `{fn}` {where}: {ms} ms ({share:.0%})")
    return "\n".join(lines)


def run_scorecard(*, cases: list[str], runs: int, out: Path, seed: int, steps: int, jumps: int,
                  cache: Path = assets.DEFAULT_CACHE, profile: bool = True,
                  log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the cases ``runs`` times each, take medians, check every target, profile misses.

    Parameters
    ----------
    cases
        Names from :data:`CASES`.
    runs
        Runs per case; each figure is the median over them.
    out
        Output folder.
    seed
        Generator seed (the same data every run).
    steps, jumps
        Next-day steps and round-trip jumps timed per page.
    cache
        The npm releases of the peer page.
    profile
        Profile the missed rows.
    log
        Progress messages.

    Returns
    -------
    dict
        ``records`` (case -> median record, with ``runs_of``), ``rows`` (:func:`check`),
        ``profiles`` (:func:`profile_missed`).
    """
    from mapper.bench.run import PolygonCase, measure_polygons

    records: dict[str, dict[str, Any]] = {}
    for case in cases:
        if case not in CASES:
            raise ValueError(f"unknown case {case!r}; cases: {', '.join(CASES)}")
        done: list[dict[str, Any]] = []
        speed: list[float] = []
        for i in range(max(1, runs)):
            speed.append(machine_reference_ms())
            log(f"[{case}] run {i + 1} of {runs} (machine reference loop {speed[-1]:.0f} ms)")
            if case == "polygons":
                done.append(measure_polygons(PolygonCase(), out=out, seed=seed, peer=True,
                                             browser=True, steps=steps, cache=cache,
                                             jumps=jumps, log=log))
            else:
                done.append(run_case(case, out=out, seed=seed, steps=steps, jumps=jumps,
                                     cache=cache, log=log))
        merged = {k: v for k, v in done[0].items() if k not in ("ours", "peer")}
        for side in ("ours", "peer"):
            if any(side in d for d in done):
                merged[side] = median_record([d[side] for d in done if side in d])
        merged["machine_ref_ms"] = speed
        records[case] = merged
    rows = check(records)
    profiles = (profile_missed(rows, records, out=out, cache=cache, steps=steps, log=log)
                if profile else {})
    return {"records": records, "rows": rows, "profiles": profiles}
