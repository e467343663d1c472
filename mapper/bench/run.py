"""The benchmark: build the same synthetic dataset as our page and as folium's
``TimestampedGeoJson`` page, measure both, print a table and write JSON.

::

    python -m mapper.bench.run                          # the small size
    python -m mapper.bench.run --sizes small,medium     # presets (see SIZES)
    python -m mapper.bench.run --places 500 --days 300 --changes 6
    python -m mapper.bench.run --curve                  # cost curves: CSV + PNG
    python -m mapper.bench.run --polygons               # daily snapshot polygons, imported

Per size and side: build time and peak memory (a child process per build; peak = its
``ru_maxrss`` from ``os.wait4``), page bytes raw and gzipped (level 6), then in headless Chromium
with the network cut off (:mod:`mapper.bench.browser`): time to first drawn map, slider step
cost (median, p95), playback frames per second. Results go to ``benchmarks/out/results.json``.
The polygon case (``--polygons``, :func:`measure_polygons`) generates daily snapshot files
(:mod:`mapper.bench.polysynth`), imports and builds them in one child process
(:mod:`mapper.bench.polybuild`), builds the peer from the same polygons
(:mod:`mapper.bench.polypeer`), and also times jumps across the whole range
(:mod:`mapper.bench.polybrowser`); its results go to ``polygons.json`` when run alone.
The method is described in ``benchmarks/README.md``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from mapper._files import write_atomic
from mapper.bench import assets
from mapper.bench.scorecard import CASES
from mapper.bench.synth import SynthSpec, generate

#: Repository root (``benchmarks/`` lives there).
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "benchmarks" / "out"


@dataclass(frozen=True)
class Size:
    """A benchmark size: places x days x mean changes a place."""

    name: str
    places: int
    days: int
    changes: float

    @property
    def place_days(self) -> int:
        """Points the peer page must list: one per place per day."""
        return self.places * self.days


#: Presets for ``--sizes``.
SIZES: dict[str, Size] = {
    "small": Size("small", 200, 200, 5),
    "medium": Size("medium", 2_000, 1_000, 10),
    "large": Size("large", 5_000, 4_700, 20),
}

#: Sizes of ``--curve`` (ours at each; the peer where it is run at all).
CURVE: tuple[Size, ...] = (
    Size("curve-1", 500, 500, 6),
    Size("curve-2", 1_000, 1_000, 10),
    Size("curve-3", 2_000, 2_000, 15),
    Size("curve-4", 5_000, 4_700, 20),
)

#: The peer lists every place on every day; past this many place-days its page is hundreds of
#: megabytes and Chromium runs out of memory or time (the large preset has 23.5 million).
PEER_MAX_PLACE_DAYS = 2_500_000

#: The peer's figures at 2,000 x 1,000 x 10 as given in the issue, used for the ratio targets
#: when the peer is not measured in this run.
PEER_REFERENCE = {"page_bytes": 77e6, "first_draw_ms": 8000.0, "step_ms_p95": 73.0,
                  "build_s": 8.5}

#: Targets: (size name, figure, "ratio" (peer / ours at least) or "max"/"min", bound, wording).
TARGETS: tuple[tuple[str, str, str, float, str], ...] = (
    ("medium", "page_bytes", "ratio", 50, "page >= 50x smaller than the peer's"),
    ("medium", "first_draw_ms", "ratio", 5, "first draw >= 5x faster"),
    ("medium", "step_ms_p95", "ratio", 4, "step p95 >= 4x faster"),
    ("medium", "step_ms_p95", "max", 16, "step p95 < 16 ms"),
    ("medium", "build_s", "ratio", 3, "build >= 3x faster"),
    ("large", "build_s", "max", 15, "build < 15 s"),
    ("large", "page_bytes", "max", 8e6, "page < 8 MB"),
    ("large", "first_draw_ms", "max", 3000, "first draw < 3 s"),
    ("large", "step_ms_p95", "max", 16, "step p95 < 16 ms"),
    ("large", "play_fps", "min", 30, "play >= 30 fps"),
)


def run_build(side: str, data: Path, out: Path, *, profile: bool = False,
              timeout_s: float | None = None, max_memory_mb: float | None = None,
              ) -> dict[str, Any]:
    """Build one page in a child process; add its wall time and peak resident memory.

    Parameters
    ----------
    side
        ``"ours"`` or ``"peer"``.
    data
        The dataset folder.
    out
        The page to write.
    profile
        Run the build under cProfile (slower; adds ``profile``).
    timeout_s, max_memory_mb
        Stop the child after this long, or when its address space passes this size (see
        :func:`run_child`).

    Returns
    -------
    dict
        The child's timings (see :mod:`mapper.bench.build`) plus ``process_s`` (the child's
        whole life, interpreter start included), ``peak_rss_mb`` (its ``ru_maxrss``) and, on
        failure, ``error``.
    """
    return run_child("mapper.bench.build", [side, str(data), str(out),
                                            *(["--profile"] if profile else [])],
                     timeout_s=timeout_s, max_memory_mb=max_memory_mb)


def run_child(module: str, args: list[str], *, timeout_s: float | None = None,
              max_memory_mb: float | None = None) -> dict[str, Any]:
    """Run ``python -m module args...``, which prints its timings as a last JSON line; add its
    wall time (``process_s``) and peak resident memory (``peak_rss_mb``, from ``os.wait4``),
    or ``error`` (the last line of its stderr) when it fails.

    ``timeout_s`` kills the child after that many seconds, and ``max_memory_mb`` caps its
    address space (``RLIMIT_AS``), so that a build far off its target cannot hold the
    shared machine; either one is reported as the ``error``.
    """
    import resource
    import threading

    def limit() -> None:  # in the child, before it runs Python
        if max_memory_mb is not None:
            cap = int(max_memory_mb * 2**20)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", module, *args],
                                stdout=subprocess.PIPE, stderr=err, cwd=ROOT,
                                preexec_fn=limit if max_memory_mb is not None else None)
        killed = threading.Event()

        last_resort: list[threading.Timer] = []

        def stop() -> None:  # SIGTERM (a profiled build then prints what it has), then kill
            killed.set()
            proc.terminate()
            last_resort.append(threading.Timer(30.0, proc.kill))
            last_resort[0].start()

        timer = threading.Timer(timeout_s, stop) if timeout_s else None
        if timer is not None:
            timer.start()
        assert proc.stdout is not None
        text = proc.stdout.read().decode("utf-8", "replace")
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        if timer is not None:
            timer.cancel()
        for late in last_resort:  # the child is gone: never signal its pid again
            late.cancel()
        timed_out = killed.is_set()
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - t0
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    result: dict[str, Any] = {"process_s": round(elapsed, 3),
                              "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}
    if timed_out:
        result["error"] = f"stopped after {timeout_s:g} s (the time limit of this case)"
        lines = text.strip().splitlines()
        if lines and lines[-1].startswith("{"):  # a profiled build's profile until then
            result["profile"] = json.loads(lines[-1]).get("profile")
        return result
    if proc.returncode != 0 and max_memory_mb is not None and "MemoryError" in stderr:
        result["error"] = (f"stopped at the memory cap of {max_memory_mb:g} MB (MemoryError); "
                           "its peak is above that")
        return result
    if proc.returncode != 0:
        last = [ln for ln in stderr.strip().splitlines() if ln.strip()]
        result["error"] = last[-1][:400] if last else f"exit code {proc.returncode}"
        return result
    result.update({k: round(v, 3) if isinstance(v, float) else v
                   for k, v in json.loads(text.strip().splitlines()[-1]).items()})
    return result


def page_sizes(page: Path) -> dict[str, int]:
    """Raw and gzipped (level 6, as web servers commonly send) bytes of a page."""
    data = page.read_bytes()
    return {"page_bytes": len(data), "page_gzip_bytes": len(gzip.compress(data, 6, mtime=0))}


def _days(meta_start: date, n: int) -> tuple[list[str], list[int]]:
    epoch = date(1970, 1, 1).toordinal()
    days = [meta_start + timedelta(days=i) for i in range(n)]
    return ([d.isoformat() for d in days],
            [(d.toordinal() - epoch) * 86_400_000 for d in days])


def measure_size(size: Size, *, out: Path, seed: int, peer: bool, browser: bool, steps: int,
                 cache: Path, profile: bool = False, repeat: int = 1,
                 log: Any = print) -> dict[str, Any]:
    """Generate, build and measure one size; return its record for ``results.json``.

    Parameters
    ----------
    size
        The size.
    out
        The output folder (datasets under ``data/``, pages under ``pages/``).
    seed
        Generator seed.
    peer, browser
        Also build the peer; also measure in Chromium.
    steps
        Slider steps timed per page.
    cache
        The benchmark cache (npm releases for the peer page).
    repeat
        Build each page this many times; the fastest build is reported (``build_runs_s``
        lists them all; peak memory is the largest of the runs).
    profile
        Also profile each build (a second, profiled build after the timed one) and the slider
        steps (a second pass under the DevTools profiler).
    log
        Progress messages go here.

    Returns
    -------
    dict
    """
    spec = SynthSpec(places=size.places, days=size.days, changes=size.changes, seed=seed)
    data = out / "data" / size.name
    summary = generate(spec, data)
    log(f"[{size.name}] data: {summary.places} places x {size.days} days, "
        f"{summary.events} events ({summary.seconds:.2f} s) -> {data}")
    record: dict[str, Any] = {
        "size": size.name, "places": size.places, "days": size.days, "changes": size.changes,
        "events": summary.events, "control_changes": summary.control_changes,
        "place_days": size.place_days, "seed": seed, "area": summary.area,
    }
    warm = 3
    first = max(0, min(size.days // 3, size.days - steps - warm))
    dates, times = _days(spec.start + timedelta(days=first), min(steps + warm, size.days - first))
    sides = ["ours"] + (["peer"] if peer else [])
    if peer and size.place_days > PEER_MAX_PLACE_DAYS:
        sides.remove("peer")
        record["peer"] = {"skipped": (
            f"{size.place_days:,} place-days: the TimestampedGeoJson page lists a point per "
            f"place per day and would be several hundred MB; the limit here is "
            f"{PEER_MAX_PLACE_DAYS:,}")}
    for side in sides:
        page = out / "pages" / f"{size.name}-{side}.html"
        log(f"[{size.name}] {side}: building ...")
        runs = [run_build(side, data, page) for _ in range(max(1, repeat))]
        fig = min(runs, key=lambda r: r.get("build_s", float("inf")))
        if len(runs) > 1 and all("build_s" in r for r in runs):
            fig["build_runs_s"] = [r["build_s"] for r in runs]
            fig["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
        if "error" not in fig:
            fig.update(page_sizes(page))
            log(f"[{size.name}] {side}: built in {fig['build_s']:.2f} s, "
                f"{fig['page_bytes'] / 1e6:.2f} MB, peak RSS {fig['peak_rss_mb']:.0f} MB")
            if browser:
                from mapper.bench.browser import measure_page

                log(f"[{size.name}] {side}: measuring in Chromium ...")
                figures = measure_page(page, side, dates=dates, times=times, steps=steps,
                                       warm=warm, cache=cache, profile=profile)
                state = figures.final_state
                figures.final_state = None
                fig.update(asdict(figures))
                del fig["final_state"]
                if state is not None:
                    fig["state_mismatches"] = _state_mismatches(data, state, first + len(dates) - 1)
                if figures.error:
                    log(f"[{size.name}] {side}: browser error: {figures.error}")
            if profile:
                log(f"[{size.name}] {side}: profiling the build ...")
                again = run_build(side, data, out / "pages" / f"{size.name}-{side}.prof.html",
                                  profile=True)
                fig["build_profile"] = again.get("profile", again.get("error"))
        else:
            log(f"[{size.name}] {side}: build failed: {fig['error']}")
        record[side] = fig
    return record


def _state_mismatches(data: Path, state: dict[str, Any], day: int) -> int:
    """Places whose holder in our page (``mapper.state()``) differs, on day index ``day``,
    from a plain replay of the events (the one the peer page is built from)."""
    from mapper.bench.peer import holding_runs

    _, places, runs = holding_runs(data)
    expected: dict[str, str | None] = dict.fromkeys(places)
    for r in runs:
        if r.first <= day <= r.last:
            expected[r.place] = r.holder
    return sum(1 for pid, who in expected.items() if state.get(pid) != who)


# --------------------------------------------------------------------------------------------
# The polygon case (--polygons): daily snapshot files of one side's ground, imported
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PolygonCase:
    """The polygon case: ``days`` daily files of a MultiPolygon of ``vertices`` vertices."""

    name: str = "polygons"
    days: int = 730
    vertices: int = 3000


#: Targets of the polygon case: (figure, "le" (ours at most) or "ratio" (peer / ours at
#: least), bound, wording). Memory in MB as the runner counts it (MiB): 1.5 GB = 1,536.
POLYGON_TARGETS: tuple[tuple[str, str, float, str], ...] = (
    ("page_bytes", "le", 5e6, "page <= 5 MB"),
    ("page_bytes", "ratio", 20, "page >= 20x smaller than the peer's"),
    ("first_draw_ms", "le", 1500, "first draw <= 1.5 s"),
    ("step_ms_p95", "le", 20, "next-day step p95 <= 20 ms"),
    ("jump_ms_p95", "le", 50, "jump p95 <= 50 ms"),
    ("build_s", "le", 30, "import + build <= 30 s"),
    ("peak_rss_mb", "le", 1536, "peak memory <= 1.5 GB"),
)


def measure_polygons(case: PolygonCase, *, out: Path, seed: int, peer: bool, browser: bool,
                     steps: int, cache: Path, profile: bool = False, repeat: int = 1,
                     jumps: int = 10, log: Any = print) -> dict[str, Any]:
    """Generate the daily files, import and build our page, build the peer's, measure both.

    Parameters
    ----------
    case
        Days and vertices.
    out
        The output folder (files and dataset under ``data/<case>/``, pages under ``pages/``).
    seed
        Generator seed.
    peer, browser
        Also build the peer; also measure in Chromium.
    steps
        Next-day steps timed per page.
    cache
        The benchmark cache (npm releases for the peer page).
    profile
        Also profile the slider steps (DevTools).
    repeat
        Builds per page; the fastest is reported (peak memory: the largest).
    jumps
        Round trips first day -> last day -> first day timed per page.
    log
        Progress messages go here.

    Returns
    -------
    dict
        The record for ``results.json``: ``case`` ``"polygons"``, the data's figures, and
        ``ours`` / ``peer`` (as the points case, plus the ``jump_*`` figures of
        :mod:`mapper.bench.polybrowser`).
    """
    from mapper.bench.polysynth import PolySpec, generate_fronts

    spec = PolySpec(days=case.days, vertices=case.vertices, seed=seed)
    files, dataset = out / "data" / case.name / "fronts", out / "data" / case.name / "dataset"
    summary = generate_fronts(spec, files)
    log(f"[{case.name}] data: {summary.files} daily files x {summary.vertices:,} vertices, "
        f"{summary.moved_per_day:.0f} moved a day, {summary.bytes / 1e6:.1f} MB "
        f"({summary.seconds:.2f} s) -> {files}")
    record: dict[str, Any] = {
        "case": "polygons", "size": case.name, "days": case.days, "vertices": summary.vertices,
        "files": summary.files, "file_bytes": summary.bytes,
        "moved_per_day": round(summary.moved_per_day, 1), "seed": seed,
    }
    warm = 3
    first = max(0, min(case.days // 3, case.days - steps - warm))
    dates, times = _days(spec.start + timedelta(days=first),
                         min(steps + warm, case.days - first))
    ends_d, ends_t = _days(spec.start, case.days)
    for side in ["ours"] + (["peer"] if peer else []):
        page = out / "pages" / f"{case.name}-{side}.html"
        log(f"[{case.name}] {side}: {'importing and ' if side == 'ours' else ''}building ...")
        args = (["ours", str(files), str(dataset), str(page)] if side == "ours"
                else ["peer", str(dataset), str(page)])
        runs = [run_child("mapper.bench.polybuild", args) for _ in range(max(1, repeat))]
        fig = min(runs, key=lambda r: r.get("build_s", float("inf")))
        if len(runs) > 1 and all("build_s" in r for r in runs):
            fig["build_runs_s"] = [r["build_s"] for r in runs]
            fig["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
        record[side] = fig
        if "error" in fig:
            log(f"[{case.name}] {side}: build failed: {fig['error']}")
            if side == "ours":
                break  # the peer reads the dataset the import writes
            continue
        fig.update(page_sizes(page))
        log(f"[{case.name}] {side}: built in {fig['build_s']:.2f} s, "
            f"{fig['page_bytes'] / 1e6:.2f} MB, peak RSS {fig['peak_rss_mb']:.0f} MB")
        if not browser:
            continue
        from mapper.bench.browser import measure_page
        from mapper.bench.polybrowser import measure_jumps

        log(f"[{case.name}] {side}: measuring in Chromium ...")
        figures = measure_page(page, side, dates=dates, times=times, steps=steps, warm=warm,
                               cache=cache, profile=profile)
        figures.final_state = None
        fig.update(asdict(figures))
        del fig["final_state"]
        if figures.error:
            log(f"[{case.name}] {side}: browser error: {figures.error}")
        log(f"[{case.name}] {side}: timing jumps {ends_d[0]} <-> {ends_d[-1]} ...")
        jump = measure_jumps(page, side, first=(ends_d[0], ends_t[0]),
                             last=(ends_d[-1], ends_t[-1]), rounds=jumps, cache=cache)
        fig.update(asdict(jump))
        if jump.jump_error:
            log(f"[{case.name}] {side}: jump error: {jump.jump_error}")
        if jump.area_layers == 0:
            log(f"[{case.name}] {side}: warning: the page draws no area (mapper.layers.areas "
                "is empty): its figures are not those of a page showing the snapshots")
    return record


def check_polygon_targets(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Compare the polygon case's figures with :data:`POLYGON_TARGETS`.

    Returns
    -------
    list of dict
        Rows as :func:`check_targets` gives (``ok``: met).
    """
    checks: list[dict[str, Any]] = []
    for rec in records:
        if rec.get("case") != "polygons":
            continue
        ours, peer = rec.get("ours", {}), rec.get("peer", {})
        for key, kind, bound, words in POLYGON_TARGETS:
            mine = ours.get(key)
            row: dict[str, Any] = {"size": rec["size"], "target": words, "ours": mine}
            if mine is None:
                row.update(ok=None, miss="not measured")
            elif kind == "ratio":
                theirs = peer.get(key)
                row["peer"], row["peer_source"] = theirs, "measured"
                value = theirs / mine if theirs and mine else None
                ok = value is not None and value >= bound
                miss = ("" if ok else f"{value:.1f}x, wants {bound:g}x" if value
                        else "peer not measured")
                row.update(value=round(value, 2) if value else None,
                           ok=ok if value else None, miss=miss)
            else:
                ok = mine <= bound
                row.update(value=round(mine, 2), ok=ok,
                           miss="" if ok else f"{mine:g} is {mine / bound:.2f}x the bound "
                                              f"{bound:g}")
            checks.append(row)
    return checks


#: Table rows of the polygon case: (label, key, format).
_POLYGON_ROWS: tuple[tuple[str, str, str], ...] = (
    ("import + build", "build_s", "{:.2f} s"),
    ("  of which import", "import_s", "{:.2f} s"),
    ("  of which load", "load_s", "{:.2f} s"),
    ("  of which render", "render_s", "{:.2f} s"),
    ("child process (with imports)", "process_s", "{:.2f} s"),
    ("peak RSS (child ru_maxrss)", "peak_rss_mb", "{:.0f} MB"),
    ("page", "page_bytes", "{:,.0f} B"),
    ("page gzipped", "page_gzip_bytes", "{:,.0f} B"),
    ("first drawn map", "first_draw_ms", "{:.0f} ms"),
    ("load event", "load_event_ms", "{:.0f} ms"),
    ("next-day step cost median", "step_ms_median", "{:.2f} ms"),
    ("next-day step cost p95", "step_ms_p95", "{:.2f} ms"),
    ("next-day step latency median", "step_latency_ms_median", "{:.1f} ms"),
    ("next-day step latency p95", "step_latency_ms_p95", "{:.1f} ms"),
    ("jump latency median", "jump_ms_median", "{:.1f} ms"),
    ("jump latency p95", "jump_ms_p95", "{:.1f} ms"),
    ("jump until reported drawn p95", "jump_resolved_ms_p95", "{:.1f} ms"),
    ("jump cost p95", "jump_cost_ms_p95", "{:.2f} ms"),
    ("play (a date a frame)", "play_fps", "{:.1f} fps"),
    ("  frame ceiling", "display_fps", "{:.1f} fps"),
    ("JS heap after load", "js_heap_mb", "{:.1f} MB"),
    ("DOM nodes after load", "dom_nodes", "{:,}"),
)


def _polygon_head(rec: dict[str, Any]) -> str:
    return (f"{rec['size']}: {rec['files']:,} daily snapshot files x {rec['vertices']:,} "
            f"vertices ({rec['moved_per_day']:g} moved a day), imported with --side A "
            f"--rest B --countries SY")


def _polygon_problems(rec: dict[str, Any]) -> list[str]:
    lines = []
    for side in ("ours", "peer"):
        fig = rec.get(side, {})
        for key in ("error", "jump_error"):
            if fig.get(key):
                lines.append(f"{side}: {key}: {fig[key]}")
        for key in ("wrong_dates", "jump_wrong_dates"):
            if fig.get(key):
                lines.append(f"{side}: {fig[key]} step(s) showed another date than asked")
        if fig.get("page_errors"):
            lines.append(f"{side}: page errors: {fig['page_errors'][:3]}")
        if fig.get("area_layers") == 0:
            lines.append(f"{side}: the page draws no area (window.mapper.layers.areas is "
                         "empty): these figures are not those of a page showing the snapshots")
    return lines


def format_polygon_table(rec: dict[str, Any]) -> str:
    """The polygon case as a text table (ours, the peer, peer / ours), then its targets."""
    ours, peer = rec.get("ours", {}), rec.get("peer", {})
    lines = [f"== {_polygon_head(rec)} ==", f"{'':32}{'ours':>16}{'peer':>16}{'peer/ours':>11}"]
    for label, key, fmt in _POLYGON_ROWS:
        a, b = ours.get(key), peer.get(key)
        if a is None and b is None:
            continue
        ratio = (f"{b / a:.1f}x" if isinstance(a, int | float) and isinstance(b, int | float)
                 and a else "")
        lines.append(f"{label:32}{fmt.format(a) if a is not None else '-':>16}"
                     f"{fmt.format(b) if b is not None else '-':>16}{ratio:>11}")
    lines += _polygon_problems(rec)
    lines.append("-- targets --")
    for row in check_polygon_targets([rec]):
        mark = {True: "met   ", False: "MISSED", None: "n/a   "}[row["ok"]]
        lines.append(f"{mark} {row['target']}: {row.get('value')} {row['miss']}".rstrip())
    return "\n".join(lines)


def _polygon_markdown(rec: dict[str, Any]) -> list[str]:
    ours, peer = rec.get("ours", {}), rec.get("peer", {})
    out = [f"**{_polygon_head(rec)}**", "", "| figure | ours | peer | peer / ours |",
           "|---|---:|---:|---:|"]
    for label, key, fmt in _POLYGON_ROWS:
        a, b = ours.get(key), peer.get(key)
        if a is None and b is None:
            continue
        ratio = (f"{b / a:.1f}x" if isinstance(a, int | float) and isinstance(b, int | float)
                 and a else "")
        out.append(f"| {label.strip()} | {fmt.format(a) if a is not None else '-'} | "
                   f"{fmt.format(b) if b is not None else '-'} | {ratio} |")
    problems = _polygon_problems(rec)
    return [*out, *(["", *problems] if problems else []), ""]


def check_targets(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Compare measured figures with :data:`TARGETS`.

    Parameters
    ----------
    records
        Records from :func:`measure_size`.

    Returns
    -------
    list of dict
        One per applicable target: ``size``, ``target``, ``ours``, ``peer`` (for ratios; the
        issue's reference figure when the peer was not measured, flagged ``peer_source``),
        ``value`` (ratio or figure), ``ok``, and ``miss`` (how far off, in words).
    """
    checks: list[dict[str, Any]] = []
    for rec in records:
        ours = rec.get("ours", {})
        peer = rec.get("peer", {})
        for size, key, kind, bound, words in TARGETS:
            if rec["size"] != size:
                continue
            mine = ours.get(key)
            row: dict[str, Any] = {"size": size, "target": words, "ours": mine}
            if mine is None:
                row.update(ok=None, miss="not measured")
                checks.append(row)
                continue
            if kind == "ratio":
                theirs = peer.get(key)
                row["peer_source"] = "measured"
                if theirs is None:
                    theirs, row["peer_source"] = PEER_REFERENCE.get(key), "issue reference"
                row["peer"] = theirs
                value = theirs / mine if theirs and mine else None
                ok = value is not None and value >= bound
                miss = "" if ok else f"{value:.1f}x, wants {bound:g}x" if value else "n/a"
            elif kind == "max":
                value, ok = mine, mine < bound
                miss = "" if ok else f"{mine:g} is {mine / bound:.2f}x the bound {bound:g}"
            else:
                value, ok = mine, mine >= bound
                miss = "" if ok else f"{mine:g} is {mine / bound:.2f}x the floor {bound:g}"
            row.update(value=round(value, 2) if value is not None else None, ok=ok, miss=miss)
            checks.append(row)
    return checks


#: Table rows: (label, key, format).
_ROWS: tuple[tuple[str, str, str], ...] = (
    ("build (load+render+write)", "build_s", "{:.2f} s"),
    ("  of which load", "load_s", "{:.2f} s"),
    ("  of which render", "render_s", "{:.2f} s"),
    ("child process (with imports)", "process_s", "{:.2f} s"),
    ("peak RSS (child ru_maxrss)", "peak_rss_mb", "{:.0f} MB"),
    ("page", "page_bytes", "{:,.0f} B"),
    ("page gzipped", "page_gzip_bytes", "{:,.0f} B"),
    ("first drawn map", "first_draw_ms", "{:.0f} ms"),
    ("load event", "load_event_ms", "{:.0f} ms"),
    ("step cost median", "step_ms_median", "{:.2f} ms"),
    ("step cost p95", "step_ms_p95", "{:.2f} ms"),
    ("step latency median", "step_latency_ms_median", "{:.1f} ms"),
    ("step latency p95", "step_latency_ms_p95", "{:.1f} ms"),
    ("play (a date a frame)", "play_fps", "{:.1f} fps"),
    ("  frame ceiling", "display_fps", "{:.1f} fps"),
    ("JS heap after load", "js_heap_mb", "{:.1f} MB"),
    ("DOM nodes after load", "dom_nodes", "{:,}"),
)


def format_table(rec: dict[str, Any]) -> str:
    """Format one size's record as a text table: ours, the peer, and peer / ours."""
    ours, peer = rec.get("ours", {}), rec.get("peer", {})
    head = (f"== {rec['size']}: {rec['places']:,} places x {rec['days']:,} days x "
            f"{rec['changes']:g} changes = {rec['events']:,} events ==")
    lines = [head, f"{'':32}{'ours':>16}{'peer':>16}{'peer/ours':>11}"]
    for label, key, fmt in _ROWS:
        a, b = ours.get(key), peer.get(key)
        if a is None and b is None:
            continue
        ratio = f"{b / a:.1f}x" if isinstance(a, int | float) and isinstance(b, int | float) \
            and a else ""
        lines.append(f"{label:32}{fmt.format(a) if a is not None else '-':>16}"
                     f"{fmt.format(b) if b is not None else '-':>16}{ratio:>11}")
    for side, fig in (("ours", ours), ("peer", peer)):
        for key in ("skipped", "error"):
            if fig.get(key):
                lines.append(f"{side}: {key}: {fig[key]}")
        if fig.get("state_mismatches"):
            lines.append(f"{side}: {fig['state_mismatches']} place(s) shown with another holder "
                         "than the events give")
        if fig.get("wrong_dates"):
            lines.append(f"{side}: {fig['wrong_dates']} step(s) showed another date than asked")
        if fig.get("page_errors"):
            lines.append(f"{side}: page errors: {fig['page_errors'][:3]}")
    return "\n".join(lines)


def format_markdown(results: dict[str, Any]) -> str:
    """Format a whole run (every size, then the targets) as Markdown tables for the README."""
    m = results.get("machine", {})
    out = [f"Run started {results.get('started')}, {m.get('cpu')} ({m.get('cores')} cores, "
           f"load average {', '.join(f'{x:.1f}' for x in m.get('load_avg_at_start', []))} "
           f"at the start), {m.get('chromium')}, folium {m.get('folium')}.", ""]
    for rec in results.get("runs", []):
        if rec.get("case") == "polygons":
            out += _polygon_markdown(rec)
            continue
        ours, peer = rec.get("ours", {}), rec.get("peer", {})
        out += [f"**{rec['size']}**: {rec['places']:,} places x {rec['days']:,} days x "
                f"{rec['changes']:g} changes = {rec['events']:,} events", "",
                "| figure | ours | peer | peer / ours |", "|---|---:|---:|---:|"]
        for label, key, fmt in _ROWS:
            a, b = ours.get(key), peer.get(key)
            if a is None and b is None:
                continue
            ratio = (f"{b / a:.1f}x" if isinstance(a, int | float) and isinstance(b, int | float)
                     and a else "")
            out.append(f"| {label.strip()} | {fmt.format(a) if a is not None else '-'} | "
                       f"{fmt.format(b) if b is not None else '-'} | {ratio} |")
        if peer.get("skipped"):
            out.append(f"\nPeer skipped: {peer['skipped']}.")
        out.append("")
    checks = results.get("targets", [])
    if checks:
        out += ["| size | target | value | result |", "|---|---|---:|---|"]
        for t in checks:
            ref = " (peer: issue's figure)" if t.get("peer_source") == "issue reference" else ""
            yes, no = ("met", "**missed**") if t["size"] == "polygons" else ("ok", "**missed**")
            res = {True: yes, False: f"{no}: {t['miss']}", None: "not measured"}[t["ok"]]
            out.append(f"| {t['size']} | {t['target']} | {t.get('value')}{ref} | {res} |")
    return "\n".join(out) + "\n"


def format_profiles(rec: dict[str, Any], top: int = 12) -> str:
    """Format the build and step profiles of one size's record."""
    lines: list[str] = []
    for side in ("ours", "peer"):
        fig = rec.get(side, {})
        prof = fig.get("build_profile")
        if isinstance(prof, list):
            lines.append(f"-- {side}: build, top functions by cumulative time (cProfile) --")
            lines += [f"{cum:9.2f} s cum {own:8.2f} s own {calls:>9} calls  {name}"
                      for name, calls, own, cum in prof[:top]]
        steps = fig.get("step_profile")
        if steps:
            lines.append(f"-- {side}: slider steps, top self time (DevTools CPU profile) --")
            lines += [f"{ms:9.1f} ms {share:6.1%}  {name} {where}"
                      for name, where, ms, share in steps[:top]]
        trace = fig.get("step_trace")
        if trace:
            lines.append(f"-- {side}: slider steps, renderer main thread per step (trace) --")
            lines += [f"{ms:9.2f} ms/step {calls:>7} x  {name}" for name, ms, calls in trace[:top]]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """Where the figures were taken: CPU, load, versions."""
    from importlib.metadata import version

    from mapper.bench.browser import chromium_version

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "load_avg_at_start": os.getloadavg(),
            "python": platform.python_version(), "folium": version("folium"),
            "chromium": chromium_version(), "platform": platform.platform()}


def write_curve(records: list[dict[str, Any]], out: Path) -> list[Path]:
    """Write ``curve.csv`` and ``curve.png`` (each figure against places and against events).

    Parameters
    ----------
    records
        Records of the curve sizes, smallest first.
    out
        The output folder.

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    keys = [("build_s", "build (s)"), ("peak_rss_mb", "peak RSS (MB)"),
            ("page_bytes", "page (MB)"), ("first_draw_ms", "first draw (ms)"),
            ("step_ms_p95", "step p95 (ms)"), ("play_fps", "play (fps)")]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["size", "side", "places", "days", "events", *[k for k, _ in keys]])
    for rec in records:
        for side in ("ours", "peer"):
            fig = rec.get(side, {})
            if fig and "build_s" in fig:
                w.writerow([rec["size"], side, rec["places"], rec["days"], rec["events"],
                            *[fig.get(k, "") for k, _ in keys]])
    write_atomic(out / "curve.csv", buf.getvalue().encode("utf-8"))

    fig_, axes = plt.subplots(len(keys), 2, figsize=(10, 2.6 * len(keys)), squeeze=False)
    for row, (key, label) in enumerate(keys):
        for col, (xkey, xlabel) in enumerate((("places", "places"), ("events", "events"))):
            ax = axes[row][col]
            for side, style in (("ours", "o-"), ("peer", "s--")):
                pts = [(rec[xkey], rec[side][key]) for rec in records
                       if isinstance(rec.get(side, {}).get(key), int | float)]
                if pts:
                    xs = [p[0] for p in pts]
                    ys = [p[1] / 1e6 if key == "page_bytes" else p[1] for p in pts]
                    ax.plot(xs, ys, style, label=side)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            if row == 0:
                ax.legend()
    ours_pts = [(rec["events"], rec["ours"]["build_s"]) for rec in records
                if isinstance(rec.get("ours", {}).get("build_s"), int | float)]
    if len(ours_pts) >= 2:
        x, y = np.array(ours_pts, dtype=float).T
        slope, icpt = np.polyfit(x, y, 1)
        r2 = 1 - ((y - (slope * x + icpt)) ** 2).sum() / max(((y - y.mean()) ** 2).sum(), 1e-12)
        axes[0][1].set_title(f"ours: build = {icpt:.2f} s + {slope * 1e3:.3f} ms/event "
                             f"(R² {r2:.3f})", fontsize=9)
    fig_.tight_layout()
    png = io.BytesIO()
    fig_.savefig(png, format="png", dpi=80, metadata={"Software": None})
    plt.close(fig_)
    write_atomic(out / "curve.png", png.getvalue())
    return [out / "curve.csv", out / "curve.png"]


#: Vertices of a day's MultiPolygon in the polygon cost curve (``--curve --polygons``).
POLYGON_CURVE_VERTICES: tuple[int, ...] = (1_000, 3_000, 10_000)


def write_polygon_curve(records: list[dict[str, Any]], out: Path) -> list[Path]:
    """Write ``polygon-curve.csv`` and ``polygon-curve.png``: each figure of the polygon case
    against the vertices of a day's polygon.

    Parameters
    ----------
    records
        Records of :func:`measure_polygons`, fewest vertices first.
    out
        The output folder.

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [("build_s", "import + build (s)"), ("peak_rss_mb", "peak RSS (MB)"),
            ("page_bytes", "page (MB)"), ("first_draw_ms", "first draw (ms)"),
            ("step_ms_p95", "next-day step p95 (ms)"), ("jump_ms_p95", "jump p95 (ms)")]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["size", "side", "days", "vertices", *[k for k, _ in keys]])
    for rec in records:
        for side in ("ours", "peer"):
            fig = rec.get(side, {})
            if fig and "build_s" in fig:
                w.writerow([rec["size"], side, rec["days"], rec["vertices"],
                            *[fig.get(k, "") for k, _ in keys]])
    write_atomic(out / "polygon-curve.csv", buf.getvalue().encode("utf-8"))
    fig_, axes = plt.subplots(2, 3, figsize=(12, 6), squeeze=False)
    for i, (key, label) in enumerate(keys):
        ax = axes[i // 3][i % 3]
        for side, style in (("ours", "o-"), ("peer", "s--")):
            pts = [(rec["vertices"], rec[side][key]) for rec in records
                   if isinstance(rec.get(side, {}).get(key), int | float)]
            if pts:
                ax.plot([p[0] for p in pts],
                        [p[1] / 1e6 if key == "page_bytes" else p[1] for p in pts], style,
                        label=side)
        ax.set_xlabel("vertices of a day's polygon")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend()
    fig_.tight_layout()
    png = io.BytesIO()
    fig_.savefig(png, format="png", dpi=80, metadata={"Software": None})
    plt.close(fig_)
    write_atomic(out / "polygon-curve.png", png.getvalue())
    return [out / "polygon-curve.csv", out / "polygon-curve.png"]


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--sizes", default=None,
              help=f"Comma-separated presets: {', '.join(SIZES)}, or polygons (the polygon "
                   "case, as --polygons)  [default: small, unless --polygons].")
@click.option("--places", type=int, default=None, help="Custom size: places (with --days).")
@click.option("--days", type=int, default=None, help="Custom size: days.")
@click.option("--changes", type=float, default=5.0, show_default=True,
              help="Custom size: mean changes a place.")
@click.option("--seed", type=int, default=1, show_default=True, help="Generator seed.")
@click.option("--curve", is_flag=True, help="Run the curve sizes; write curve.csv and curve.png.")
@click.option("--no-peer", is_flag=True, help="Do not build or measure the folium page.")
@click.option("--no-browser", is_flag=True, help="Builds and page sizes only.")
@click.option("--repeat", type=int, default=None,
              help="Builds per page, fastest reported [default: 1; 3 with --curve].")
@click.option("--profile", is_flag=True,
              help="Also profile the builds (cProfile) and the slider steps (DevTools).")
@click.option("--steps", type=int, default=40, show_default=True, help="Slider steps timed.")
@click.option("--out", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Output folder.")
@click.option("--cache", type=click.Path(path_type=Path), default=assets.DEFAULT_CACHE,
              show_default=True, help="Cache of npm releases for the peer page.")
@click.option("--polygons", is_flag=True,
              help="The polygon case: daily snapshot files imported with `mapper import "
                   "snapshots`, against TimestampedGeoJson fed the same polygons.")
@click.option("--polygon-days", type=int, default=PolygonCase.days, show_default=True,
              help="Polygon case: daily files.")
@click.option("--polygon-vertices", type=int, default=PolygonCase.vertices, show_default=True,
              help="Polygon case: vertices of a day's MultiPolygon.")
@click.option("--jumps", type=int, default=10, show_default=True,
              help="Polygon case: round trips first day -> last day -> first day timed.")
@click.option("--scorecard", is_flag=True,
              help="Every target of issues 14 and 10 in one table (medians of --runs runs).")
@click.option("--runs", type=int, default=3, show_default=True,
              help="Scorecard: runs per case; each figure is their median.")
@click.option("--cases", default=",".join(CASES), show_default=True,
              help="Scorecard: the cases to run.")
def main(sizes: str | None, places: int | None, days: int | None, changes: float, seed: int,
         curve: bool, no_peer: bool, no_browser: bool, repeat: int | None, profile: bool,
         steps: int, out: Path, cache: Path, polygons: bool, polygon_days: int,
         polygon_vertices: int, jumps: int, scorecard: bool, runs: int, cases: str) -> None:
    """Benchmark our map page against folium's TimestampedGeoJson on synthetic data.

    \b
    Examples:
      python -m mapper.bench.run --sizes small,medium
      python -m mapper.bench.run --sizes large --no-peer
      python -m mapper.bench.run --places 500 --days 300 --changes 6 --no-browser
      python -m mapper.bench.run --curve
      python -m mapper.bench.run --polygons        # 730 daily files x 3,000 vertices
      python -m mapper.bench.run --curve --polygons --polygon-days 120   # against vertices
      python -m mapper.bench.run --scorecard       # every target, medians of 3 runs
      python -m mapper.bench.run --scorecard --runs 1 --cases points-2000,phone
    """
    if scorecard:
        _scorecard(cases=[c.strip() for c in cases.split(",") if c.strip()], runs=runs, out=out,
                   seed=seed, steps=steps, jumps=jumps, cache=cache, profile=True)
        return
    if curve and polygons:  # the polygon cost curve: each figure against vertices
        recs = []
        for vertices in POLYGON_CURVE_VERTICES:
            case = PolygonCase(name=f"polygons-{vertices}", days=polygon_days,
                               vertices=vertices)
            recs.append(measure_polygons(case, out=out, seed=seed, peer=not no_peer,
                                         browser=not no_browser, steps=steps, cache=cache,
                                         repeat=repeat or 1, jumps=jumps,
                                         log=lambda m: click.echo(m, err=True)))
            click.echo(format_polygon_table(recs[-1]))
        write_atomic(out / "polygon-curve.json",
                     (json.dumps({"machine": machine(), "runs": recs}, indent=1, default=str)
                      + "\n").encode())
        for path in write_polygon_curve(recs, out):
            click.echo(f"wrote {path}")
        return
    names = [s.strip() for s in (sizes or "").split(",") if s.strip()]
    if "polygons" in names:
        polygons = True
        names.remove("polygons")
    if sizes is None and not polygons:
        names = ["small"]
    chosen: list[Size] = []
    if curve:
        chosen += CURVE
    elif places is not None or days is not None:
        if places is None or days is None:
            raise click.UsageError("--places and --days go together")
        chosen.append(Size(f"custom-{places}x{days}x{changes:g}", places, days, changes))
    else:
        for name in names:
            if name not in SIZES:
                raise click.BadParameter(f"unknown size {name!r}; presets: {', '.join(SIZES)}, "
                                         "polygons", param_hint="--sizes")
            chosen.append(SIZES[name])
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results: dict[str, Any] = {"started": started, "machine": machine(),
                               "method": "see benchmarks/README.md", "runs": []}
    for size in chosen:
        rec = measure_size(size, out=out, seed=seed, peer=not no_peer,
                           browser=not no_browser, steps=steps, cache=cache,
                           profile=profile, repeat=repeat or (3 if curve else 1),
                           log=lambda m: click.echo(m, err=True))
        results["runs"].append(rec)
        click.echo(format_table(rec))
        if profile:
            click.echo(format_profiles(rec))
        click.echo("")
    if polygons:
        try:
            case = PolygonCase(days=polygon_days, vertices=polygon_vertices)
            rec = measure_polygons(case, out=out, seed=seed, peer=not no_peer,
                                   browser=not no_browser, steps=steps, cache=cache,
                                   profile=profile, repeat=repeat or 1, jumps=jumps,
                                   log=lambda m: click.echo(m, err=True))
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
        results["runs"].append(rec)
        click.echo(format_polygon_table(rec))
        click.echo("")
    results["targets"] = check_targets(results["runs"]) + check_polygon_targets(results["runs"])
    for t in results["targets"]:
        marks = ({True: "met ", False: "MISS", None: "n/a "} if t["size"] == "polygons"
                 else {True: "ok  ", False: "MISS", None: "n/a "})
        ref = " (peer: issue reference)" if t.get("peer_source") == "issue reference" else ""
        click.echo(f"{marks[t['ok']]} {t['size']}: {t['target']}: {t.get('value')}{ref} "
                   f"{t['miss']}")
    # a run of the polygon case alone keeps the points figures of results.json
    name = "curve" if curve else "polygons" if polygons and not chosen else "results"
    write_atomic(out / f"{name}.json",
                  (json.dumps(results, indent=1, default=str) + "\n").encode())
    write_atomic(out / f"{name}.md", format_markdown(results).encode())
    click.echo(f"wrote {out / name}.json and {name}.md")
    if curve:
        for path in write_curve(results["runs"], out):
            click.echo(f"wrote {path}")


def _scorecard(*, cases: list[str], runs: int, out: Path, seed: int, steps: int, jumps: int,
               cache: Path, profile: bool) -> None:
    """Run :func:`mapper.bench.scorecard.run_scorecard`; print and write the table."""
    from mapper.bench import scorecard as sc

    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    info = machine()
    try:
        result = sc.run_scorecard(cases=cases, runs=runs, out=out, seed=seed, steps=steps,
                                  jumps=jumps, cache=cache, profile=profile,
                                  log=lambda m: click.echo(m, err=True))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--cases") from exc
    load = ", ".join(f"{x:.1f}" for x in info["load_avg_at_start"])
    head = (f"Scorecard started {started}, {info['cpu']} ({info['cores']} cores, load average "
            f"{load} at the start), {info['chromium']}, folium {info['folium']}; medians of "
            f"{runs} run(s) a case.")
    speed = sc.format_speed(result["records"])
    if speed:
        head += " " + speed
    table = sc.format_rows(result["rows"])
    prof = sc.format_profiles(result["profiles"])
    text = f"{head}\n\n{table}\n" + (f"\n### Profiles of the missed rows\n{prof}\n" if prof
                                      else "")
    click.echo(text)
    results = {"started": started, "machine": info, "runs": runs, **result}
    write_atomic(out / "scorecard.json",
                 (json.dumps(results, indent=1, default=str) + "\n").encode())
    write_atomic(out / "scorecard.md", text.encode())
    click.echo(f"wrote {out / 'scorecard.json'} and scorecard.md")


if __name__ == "__main__":  # pragma: no cover
    main()
