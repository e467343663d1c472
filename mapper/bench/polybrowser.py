"""Time jumps across a page's whole range in headless Chromium: the first day to the last and
back, as a reader dragging the slider end to end does.

The page is opened as :func:`mapper.bench.browser.measure_page` opens it
(:func:`mapper.bench.browser.open_page`: same Chromium, flags, probe, reader conditions and
routing of the peer's CDN addresses), and driven through its public API only
(``window.mapper.setDate``; the peer's ``map.timeDimension.setCurrentTime``), so the figures
do not depend on how the page draws. Per jump:

- ``jump_ms``: latency, from the call until the end of the first frame rendered after the
  page has done the date's work (ours: ``setDate`` returned, it draws in that frame; the
  peer: its ``timeload`` event), taken as a task posted from that frame's animation-frame
  callback;
- ``jump_resolved_ms``: until the page reports the date drawn (ours: the Promise of
  ``setDate``; the peer: ``timeload``; then, for both, a task after the next frame), as the
  points benchmark's step latency;
- ``jump_cost_ms``: the main-thread work, as the step cost: the call (with the end of its
  task) plus the rendering of the frame after it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapper.bench import assets
from mapper.bench.browser import DESKTOP, Conditions, _p95, _profile_steps, _trace_steps, open_page

#: Per side: ``start(i)`` makes jump ``i`` and returns ``{ready, done}``: ``ready`` resolves
#: with the time the page had done the date's work, ``done`` once the page says it is drawn.
_START: dict[str, str] = {
    "ours": """
        const M = window.mapper;
        const start = (i) => {
          const done = M.setDate(args.dates[i]);
          return {ready: Promise.resolve(performance.now()), done};
        };
        const check = (i) => M.date() === args.dates[i];
    """,
    "peer": """
        const key = Object.keys(window).find((k) => k.startsWith('map_')
            && window[k] && window[k].timeDimension);
        const TD = window[key].timeDimension;
        const start = (i) => {
          const ready = new Promise((r) => TD.once('timeload', () => r(performance.now())));
          TD.setCurrentTime(args.times[i]);
          return {ready, done: ready.then(() => window.__afterFrame())};
        };
        const check = (i) => TD.getCurrentTime() === args.times[i];
    """,
}

_JUMPS = """
async (args) => {
  __START__
  const latency = [], resolved = [], cost = [];
  let wrong = 0;
  for (let i = 0; i < args.n; i++) {
    let tRaf = 0;
    const frame = new Promise((resolve) => requestAnimationFrame(() => {
      tRaf = performance.now();
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve(performance.now());
      ch.port2.postMessage(0);
    }));
    // as the step cost (browser.py): the end of the call's task, its raster included
    let tTask = 0;
    const ended = new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { tTask = performance.now(); resolve(null); };
      ch.port2.postMessage(0);
    });
    const t0 = performance.now();
    const step = start(i);
    const readyAt = await step.ready;
    const tEnd = await frame;
    await ended;
    // the work finished after that frame began: the first frame after it draws the date
    const drawnAt = readyAt > tRaf ? await window.__afterFrame() : tEnd;
    await step.done;
    const t2 = performance.now();
    if (!check(i)) wrong += 1;
    if (i >= args.warm) {
      latency.push(drawnAt - t0); resolved.push(t2 - t0);
      cost.push((tEnd - t0) - Math.max(0, tRaf - tTask));
    }
    await new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve(null);
      ch.port2.postMessage(0);
    });
  }
  return {latency, resolved, cost, wrong};
}
"""


@dataclass
class JumpFigures:
    """What :func:`measure_jumps` found for one page."""

    jumps: int = 0
    jump_ms_median: float | None = None
    jump_ms_p95: float | None = None
    jump_resolved_ms_median: float | None = None
    jump_resolved_ms_p95: float | None = None
    jump_cost_ms_median: float | None = None
    jump_cost_ms_p95: float | None = None
    jump_ms: list[float] = field(default_factory=list)
    jump_wrong_dates: int = 0
    area_layers: int | None = None  # ours: atoms of ground the page paints (mapper.ground())
    jump_profile: list[list[Any]] = field(default_factory=list)  # with ``profile``
    jump_trace: list[list[Any]] = field(default_factory=list)
    jump_error: str | None = None


def measure_jumps(page_file: Path, side: str, *, first: tuple[str, int], last: tuple[str, int],
                  rounds: int = 10, warm: int = 2, cache: Path = assets.DEFAULT_CACHE,
                  timeout_s: float = 600.0, conditions: Conditions = DESKTOP,
                  profile: bool = False) -> JumpFigures:
    """Open ``page_file`` and time ``2 * rounds`` jumps, first day to last and back.

    Parameters
    ----------
    page_file
        The HTML page.
    side
        ``"ours"`` or ``"peer"``.
    first, last
        The first and last day, as ``(YYYY-MM-DD, ms since epoch)``.
    rounds
        Round trips timed.
    warm
        Jumps made before the timed ones (untimed).
    cache
        The benchmark cache (npm releases the peer page loads).
    timeout_s
        Give up on the page after this long.
    conditions
        The reader's network, screen and CPU (default: online, desktop).
    profile
        After the timed jumps, make them again under the DevTools CPU profiler
        (``jump_profile``) and a Chromium trace (``jump_trace``), as the steps' profiles of
        :func:`mapper.bench.browser.measure_page`.

    Returns
    -------
    JumpFigures
    """
    from playwright.sync_api import sync_playwright

    fig = JumpFigures()
    n = warm + 2 * rounds
    # the page opens on the first day: jump to the last, then back, and so on
    order = [last if i % 2 == 0 else first for i in range(n)]
    with sync_playwright() as pw:
        browser = None
        try:
            browser, page, cdp = open_page(pw, page_file, side, conditions=conditions,
                                           cache=cache, timeout_s=timeout_s)
            if side == "ours":  # a check that the page draws areas at all
                fig.area_layers = page.evaluate("""() => window.mapper.ground
                    ? window.mapper.ground().length : null""")
            args: dict[str, Any] = {"dates": [d for d, _ in order],
                                    "times": [t for _, t in order], "n": n, "warm": warm}
            script = _JUMPS.replace("__START__", _START[side])
            res = page.evaluate(script, args)
            if profile:  # once more, under the profilers (the figures above are without)
                fig.jump_profile = _profile_steps(cdp, page, script, {**args, "warm": 0})
                fig.jump_trace = _trace_steps(browser, page, script, {**args, "warm": 0})
            latency = [float(x) for x in res["latency"]]
            resolved = [float(x) for x in res["resolved"]]
            cost = [float(x) for x in res["cost"]]
            fig.jumps, fig.jump_wrong_dates = len(latency), int(res["wrong"])
            fig.jump_ms = [round(x, 2) for x in latency]
            if latency:
                fig.jump_ms_median = round(statistics.median(latency), 2)
                fig.jump_ms_p95 = round(_p95(latency), 2)
                fig.jump_resolved_ms_median = round(statistics.median(resolved), 2)
                fig.jump_resolved_ms_p95 = round(_p95(resolved), 2)
                fig.jump_cost_ms_median = round(statistics.median(cost), 2)
                fig.jump_cost_ms_p95 = round(_p95(cost), 2)
        except Exception as exc:  # a page that fails is a result, not a crash of the run
            fig.jump_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        finally:
            if browser is not None:
                browser.close()
    return fig
