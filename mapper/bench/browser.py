"""Measure a map page in headless Debian Chromium (Playwright), with the network cut off.

Figures, for both pages alike (see ``benchmarks/README.md``):

- ``first_draw_ms``: from navigation start to the end of the first frame in which the map shows
  its data (ours: ``window.mapper`` exists and a pane holds a drawn path or canvas; the peer: a
  circle marker path in the overlay pane), taken as a task run after that frame's rendering.
- ``step_ms`` (median, p95): the main-thread cost of one slider step to the next day: the
  synchronous call (``window.mapper.setDate(d)``; ``map.timeDimension.setCurrentTime(t)``)
  with the work the browser does at the end of its task (the raster of a canvas drawn in the
  call), plus the rendering work of the frame that follows (its animation-frame callbacks,
  style, layout, paint), without the idle wait for that frame. ``step_latency_ms`` is the wall time
  until the step is reported drawn (ours: the Promise of ``setDate``; the peer: its
  ``timeload`` event, then the next frame), which includes the wait for vertical sync.
- ``play_fps``: the date is changed once per animation frame for about two seconds; date
  changes drawn per second (``display_fps`` is the same loop with no change: the ceiling).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapper.bench import assets

CHROMIUM = "/usr/bin/chromium"
#: The workplace's Chromium flags, plus a dead proxy so that nothing unrouted reaches a network.
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
]


@dataclass(frozen=True)
class Conditions:
    """How a reader's browser is set up for a measurement.

    Attributes
    ----------
    network
        ``"online"`` (default): a reader with a working network. The peer's CDN files are
        served from the npm releases, read into memory before the page opens, and every other
        request is answered at once with an empty 200 (listed in ``answered_empty``).
        ``"offline"``: the earlier method: every other request is aborted as
        ``internetdisconnected`` (listed in ``blocked``), and a page waiting on one (a
        web font, for instance) waits for the failure.
    viewport
        Width and height in CSS pixels.
    cpu_throttle
        Chromium's CPU slow-down factor (DevTools ``Emulation.setCPUThrottlingRate``): 4 is
        a mid-range phone; 1 is none.
    """

    network: str = "online"
    viewport: tuple[int, int] = (1280, 800)
    cpu_throttle: float = 1.0

    def describe(self) -> str:
        """A short label, e.g. ``"online, 390x844, CPU /4"``."""
        w, h = self.viewport
        cpu = f", CPU /{self.cpu_throttle:g}" if self.cpu_throttle != 1 else ""
        return f"{self.network}, {w}x{h}{cpu}"


#: A desktop reader with a working network: the default conditions.
DESKTOP = Conditions()

#: Reader conditions of the phone case: a 390x844 screen, a CPU four times slower.
PHONE = Conditions(viewport=(390, 844), cpu_throttle=4.0)


@dataclass
class Requests:
    """What happened to the page's requests: served files, empty answers, aborted ones."""

    served: dict[str, str] = field(default_factory=dict)
    answered_empty: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def open_page(pw: Any, page_file: Path, side: str, *, conditions: Conditions,
              cache: Path = assets.DEFAULT_CACHE, requests: Requests | None = None,
              timeout_s: float = 600.0) -> tuple[Any, Any, Any]:
    """Launch Chromium, open ``page_file`` under ``conditions`` and wait for its first drawn
    map.

    Every release the page names is fetched into ``cache`` and read before the browser
    starts, so no download or disk read falls inside the timed load.

    Parameters
    ----------
    pw
        A started Playwright (``sync_playwright()``).
    page_file
        The HTML page.
    side
        ``"ours"`` or ``"peer"``: how to recognise a drawn map.
    conditions
        Network, viewport and CPU of the reader.
    cache
        The benchmark cache with the npm releases the peer page loads.
    requests
        Filled with what the page requested.
    timeout_s
        Give up after this long.

    Returns
    -------
    tuple
        ``(browser, page, cdp)``: close the browser when done.
    """
    from playwright.sync_api import Route

    log = requests if requests is not None else Requests()
    html = page_file.read_text(encoding="utf-8", errors="replace")
    bodies: dict[str, tuple[bytes, str]] = {}
    for url in assets.page_addresses(html):
        asset = assets.resolve(url)
        if asset is not None and asset.package is not None:
            f = assets.asset_file(cache, asset)
            bodies[url] = (f.read_bytes(), assets.content_type(f.name))
    online = conditions.network == "online"
    args = LAUNCH_ARGS if not online else [a for a in LAUNCH_ARGS if "proxy" not in a]
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
    try:
        w, h = conditions.viewport
        context = browser.new_context(viewport={"width": w, "height": h})

        def route(r: Route) -> None:
            url = r.request.url
            if url.startswith(("file:", "data:", "blob:", "about:")):
                r.continue_()
                return
            asset = assets.resolve(url)
            if url in bodies or (asset is not None and asset.package is not None):
                if url not in bodies:  # a file a stylesheet names (fonts): read now
                    assert asset is not None
                    f = assets.asset_file(cache, asset)
                    bodies[url] = (f.read_bytes(), assets.content_type(f.name))
                body, ctype = bodies[url]
                log.served[url] = f"npm:{asset.package}@{asset.version}" if asset else "npm"
                r.fulfill(status=200, body=body, content_type=ctype)
            elif asset is not None:
                log.served[url] = f"stub: {asset.note}"
                r.fulfill(status=200, body="", content_type=assets.content_type(url))
            elif online:
                log.answered_empty.append(url)
                r.fulfill(status=200, body="", content_type=assets.content_type(url))
            else:
                log.blocked.append(url)
                r.abort("internetdisconnected")

        context.route("**/*", route)
        context.add_init_script(_PROBE.replace("__DRAWN__", _SIDES[side]["drawn"]))
        page = context.new_page()
        page.set_default_timeout(timeout_s * 1000)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        if conditions.cpu_throttle != 1:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": conditions.cpu_throttle})
        page.goto(page_file.resolve().as_uri(), wait_until="commit")
        page.wait_for_function("window.__bench && window.__bench.firstDraw !== null",
                               polling=100, timeout=timeout_s * 1000)
        page.wait_for_load_state("load")
    except BaseException:
        browser.close()
        raise
    return browser, page, cdp

#: JS run in every document before its own scripts: records the first drawn frame.
_PROBE = """
(() => {
  const B = window.__bench = {firstDraw: null, condAt: null, errors: []};
  window.addEventListener('error', (e) => B.errors.push(String(e.message)));
  const ch = new MessageChannel();
  let after = null;
  ch.port1.onmessage = () => { const f = after; after = null; if (f) f(performance.now()); };
  // Resolve with the time at which a task runs after the next frame has been rendered.
  window.__afterFrame = () => new Promise((resolve) => {
    requestAnimationFrame(() => { after = resolve; ch.port2.postMessage(0); });
  });
  const ready = () => { try { return !!(__DRAWN__); } catch (e) { return false; } };
  const tick = () => {
    if (ready()) {
      B.condAt = performance.now();
      window.__afterFrame().then((t) => { B.firstDraw = t; });
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

_SIDES: dict[str, dict[str, str]] = {
    "ours": {
        "drawn": "window.mapper && typeof window.mapper.setDate === 'function' && "
                 "document.querySelector('.leaflet-pane path, .leaflet-pane canvas')",
        # sync(i) performs step i synchronously and returns something to await for "drawn"
        "setup": """
            const M = window.mapper;
            const sync = (i) => M.setDate(args.dates[i]);
            const drawn = (x) => x;
            const check = (i) => M.date() === args.dates[i];
        """,
    },
    "peer": {
        "drawn": "document.querySelector('.leaflet-overlay-pane path')",
        "setup": """
            const key = Object.keys(window).find((k) => k.startsWith('map_')
                && window[k] && window[k].timeDimension);
            const TD = window[key].timeDimension;
            const sync = (i) => {
              const loaded = new Promise((r) => TD.once('timeload', r));
              TD.setCurrentTime(args.times[i]);
              return loaded;
            };
            const drawn = (x) => x.then(() => window.__afterFrame());
            const check = (i) => TD.getCurrentTime() === args.times[i];
        """,
    },
}

_STEPS = """
async (args) => {
  __SETUP__
  const cost = [], latency = [];
  let wrong = 0;
  for (let i = 0; i < args.n; i++) {
    let tRaf = 0;
    // registered before the step, so it runs first in the frame that draws the step
    const frame = new Promise((resolve) => requestAnimationFrame(() => {
      tRaf = performance.now();
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve(performance.now());
      ch.port2.postMessage(0);
    }));
    // A task queued now runs when the step's task is over, including the work the browser
    // does at the end of a task (a canvas drawn in the call is rastered then): the idle wait
    // for the frame is from there to the frame, none if the frame came first.
    let tTask = 0;
    const ended = new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { tTask = performance.now(); resolve(null); };
      ch.port2.postMessage(0);
    });
    const t0 = performance.now();
    const pending = sync(i);
    const tEnd = await frame;
    await ended;
    await drawn(pending);
    const t2 = performance.now();
    if (!check(i)) wrong += 1;
    if (i >= args.warm) {
      cost.push((tEnd - t0) - Math.max(0, tRaf - tTask)); latency.push(t2 - t0);
    }
    // Start the next step in a task of its own: a Promise resolved inside an animation-frame
    // callback would otherwise run it within that frame, before the frame's rendering.
    await new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve(null);
      ch.port2.postMessage(0);
    });
  }
  return {cost, latency, wrong};
}
"""

_PLAY = """
async (args) => {
  __SETUP__
  return await new Promise((resolve) => {
    let i = 0, frames = 0, t0 = null;
    const frame = () => {
      const now = performance.now();
      if (t0 === null) t0 = now;
      else if (now - t0 >= args.ms) { resolve({frames, ms: now - t0}); return; }
      if (args.change) { sync(i % args.n); i += 1; }
      frames += 1;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}
"""


@dataclass
class PageFigures:
    """What :func:`measure_page` found for one page."""

    first_draw_ms: float | None = None
    dom_content_loaded_ms: float | None = None
    load_event_ms: float | None = None
    step_ms_median: float | None = None
    step_ms_p95: float | None = None
    step_latency_ms_median: float | None = None
    step_latency_ms_p95: float | None = None
    steps: int = 0
    step_costs_ms: list[float] = field(default_factory=list)  # each timed step, in order
    wrong_dates: int = 0
    play_fps: float | None = None
    display_fps: float | None = None
    js_heap_mb: float | None = None
    dom_nodes: int | None = None
    served: dict[str, str] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)
    answered_empty: list[str] = field(default_factory=list)
    conditions: str = ""
    page_errors: list[str] = field(default_factory=list)
    step_profile: list[list[Any]] = field(default_factory=list)
    step_trace: list[list[Any]] = field(default_factory=list)
    final_state: dict[str, str | None] | None = None  # ours: mapper.state() after the steps
    error: str | None = None


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * (len(ordered) - 1))))]


def measure_page(
    page_file: Path,
    side: str,
    *,
    dates: list[str],
    times: list[int],
    cache: Path = assets.DEFAULT_CACHE,
    steps: int = 40,
    warm: int = 3,
    play_seconds: float = 2.0,
    timeout_s: float = 600.0,
    profile: bool = False,
    conditions: Conditions = DESKTOP,
) -> PageFigures:
    """Open ``page_file`` in headless Chromium and measure it.

    Parameters
    ----------
    page_file
        The HTML page.
    side
        ``"ours"`` or ``"peer"``: how to drive the slider and how to recognise a drawn map.
    dates, times
        The days to step through, as ``YYYY-MM-DD`` (ours) and ms since epoch (the peer);
        both lists describe the same consecutive days.
    cache
        The benchmark cache with the npm releases the peer page loads.
    steps, warm
        Steps timed, after ``warm`` untimed ones.
    play_seconds
        Length of the playback measurement.
    timeout_s
        Give up on the page after this long.
    profile
        After the timed steps, run them once more under the DevTools CPU profiler and keep the
        functions with the most self time in ``step_profile`` (the timed figures are taken
        without the profiler).
    conditions
        The reader's network, screen and CPU (:class:`Conditions`; default: online, desktop).

    Returns
    -------
    PageFigures
    """
    from playwright.sync_api import sync_playwright

    fig = PageFigures()
    n = min(len(dates), steps + warm)
    spec = _SIDES[side]
    requests = Requests()
    with sync_playwright() as pw:
        browser = None
        try:
            browser, page, cdp = open_page(pw, page_file, side, conditions=conditions,
                                           cache=cache, requests=requests, timeout_s=timeout_s)
            page.on("pageerror", lambda e: fig.page_errors.append(str(e)[:300]))
            nav = page.evaluate("""() => {
                const e = performance.getEntriesByType('navigation')[0];
                return {first: window.__bench.firstDraw, dcl: e ? e.domContentLoadedEventEnd : null,
                        load: e ? e.loadEventEnd : null};
            }""")
            fig.first_draw_ms = round(float(nav["first"]), 1)
            fig.dom_content_loaded_ms = round(float(nav["dcl"]), 1) if nav["dcl"] else None
            fig.load_event_ms = round(float(nav["load"]), 1) if nav["load"] else None
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            fig.js_heap_mb = round(metrics.get("JSHeapUsedSize", 0) / 2**20, 1)
            fig.dom_nodes = int(metrics.get("Nodes", 0))

            args: dict[str, Any] = {"dates": dates[:n], "times": times[:n], "n": n,
                                    "warm": min(warm, n - 1)}
            res = page.evaluate(_STEPS.replace("__SETUP__", spec["setup"]), args)
            cost, latency = [float(x) for x in res["cost"]], [float(x) for x in res["latency"]]
            fig.steps, fig.wrong_dates = len(cost), int(res["wrong"])
            fig.step_costs_ms = [round(x, 2) for x in cost]
            if cost:
                fig.step_ms_median = round(statistics.median(cost), 2)
                fig.step_ms_p95 = round(_p95(cost), 2)
                fig.step_latency_ms_median = round(statistics.median(latency), 2)
                fig.step_latency_ms_p95 = round(_p95(latency), 2)
            if side == "ours":
                fig.final_state = page.evaluate("window.mapper.state()")
            if profile:
                steps_js = _STEPS.replace("__SETUP__", spec["setup"])
                fig.step_profile = _profile_steps(cdp, page, steps_js, {**args, "warm": 0})
                fig.step_trace = _trace_steps(browser, page, steps_js, {**args, "warm": 0})
            ms = play_seconds * 1000
            play_js = _PLAY.replace("__SETUP__", spec["setup"])
            base = page.evaluate(play_js, {**args, "ms": ms, "change": False})
            play = page.evaluate(play_js, {**args, "ms": ms, "change": True})
            fig.display_fps = round(base["frames"] * 1000 / base["ms"], 1)
            fig.play_fps = round(play["frames"] * 1000 / play["ms"], 1)
            fig.page_errors += [str(e) for e in page.evaluate("window.__bench.errors")]
        except Exception as exc:  # a page that fails is a result, not a crash of the run
            fig.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        finally:
            if browser is not None:
                browser.close()
    fig.served, fig.blocked = requests.served, requests.blocked
    fig.answered_empty = requests.answered_empty
    fig.conditions = conditions.describe()
    return fig


def _profile_steps(cdp: Any, page: Any, js: str, args: dict[str, Any],
                   top: int = 20) -> list[list[Any]]:
    """Run the steps under the CPU profiler; return ``[function, where, self ms, share]`` rows.

    ``(program)`` is the browser's own work outside JavaScript (style, layout, paint among it);
    ``(garbage collector)`` is GC; ``(idle)`` is waiting (for frames, mostly).
    """
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 250})
    cdp.send("Profiler.start")
    page.evaluate(js, args)
    prof = cdp.send("Profiler.stop")["profile"]
    cdp.send("Profiler.disable")
    frames = {n["id"]: n["callFrame"] for n in prof["nodes"]}
    own: dict[tuple[str, str], float] = {}
    for node, delta in zip(prof.get("samples", []), prof.get("timeDeltas", []), strict=False):
        cf = frames[node]
        url = str(cf.get("url", "")).rsplit("/", 1)[-1]
        where = f"{url}:{int(cf.get('lineNumber', -1)) + 1}" if url else ""
        key = (cf.get("functionName") or "(anonymous)", where)
        own[key] = own.get(key, 0.0) + delta / 1000.0
    total = sum(own.values()) or 1.0
    rows = sorted(own.items(), key=lambda kv: -kv[1])[:top]
    return [[name, where, round(ms, 1), round(ms / total, 3)] for (name, where), ms in rows]


#: Trace events that only wrap others; left out of the step trace summary.
_WRAPPERS = frozenset({
    "RunTask", "ThreadControllerImpl::RunTask", "ProxyMain::BeginMainFrame",
    "WebFrameWidgetImpl::BeginMainFrame", "AsyncTask Run", "Blink.Animate.UpdateTime",
    "PageAnimator::serviceScriptedAnimations",
    "FrameRequestCallbackCollection::ExecuteFrameCallbacks",
    "WidgetBase::UpdateVisualState", "TimerBase::run", "v8.run", "V8.Execute",
})


def _trace_steps(browser: Any, page: Any, js: str, args: dict[str, Any],
                 top: int = 20) -> list[list[Any]]:
    """Run the steps under a Chromium trace; return the renderer main thread's heaviest trace
    events as ``[event name, ms per step, calls]`` (inclusive durations: nested events are
    each counted, so the rows do not add up)."""
    import collections
    import json
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        browser.start_tracing(page=page, path=tmp, categories=[
            "devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "cc"])
        page.evaluate(js, args)
        browser.stop_tracing()
        events = json.loads(Path(tmp).read_text(encoding="utf-8"))["traceEvents"]
    finally:
        Path(tmp).unlink(missing_ok=True)
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
               if e.get("ph") == "M" and e.get("name") == "thread_name"}
    total: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[str] = collections.Counter()
    for e in events:
        if (e.get("ph") == "X" and "dur" in e and e["name"] not in _WRAPPERS
                and threads.get((e["pid"], e["tid"])) == "CrRendererMain"):
            total[e["name"]] += e["dur"] / 1000.0
            calls[e["name"]] += 1
    n = max(1, int(args["n"]))
    return [[name, round(ms / n, 2), calls[name]] for name, ms in total.most_common(top)]


def chromium_version() -> str:
    """The Chromium version string, e.g. ``"Chromium 131.0.6778.85 built on Debian"``."""
    import subprocess

    out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=60,
                         check=False)
    return out.stdout.strip() or out.stderr.strip()
