"""The time-slider page in headless Chromium: what a reader sees at given dates.

Every test opens the rendered fixture page from a file with all other requests blocked and
counted: a page built without ``--tiles`` must attempt none at all.
"""

from __future__ import annotations

import base64
import copy
import io
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from PIL import Image

from mapper.dataset import Dataset
from mapper.render import render_html
from mapper.timeline import Timeline

pytestmark = pytest.mark.browser

#: ``tests/conftest.py``'s OpenedPage (not importable from a test module).
OpenedPage = Any
Opener = Callable[..., OpenedPage]
GOVERNMENT, HTS = "#c0392b", "#2e7d32"


def _set(op: OpenedPage, day: str) -> None:
    op.page.evaluate("d => window.mapper.setDate(d)", day)


def _fill(op: OpenedPage, place: str) -> str:
    return str(op.page.get_attribute(f'path.ts-place[data-place="{place}"]', "fill"))


def _date(op: OpenedPage) -> str:
    return str(op.page.evaluate("window.mapper.date()"))


def _clean(op: OpenedPage) -> None:
    assert op.unexpected_console_errors() == []
    assert op.foreign_requests() == []


def test_state_matches_timeline_on_every_day_both_ways(
        open_page: Opener, mini_html: str, mini: Dataset) -> None:
    op = open_page(mini_html)
    tl = Timeline.from_dataset(mini)
    days = [d.isoformat() for d in tl.dates]
    assert op.page.evaluate("window.mapper.dates") == days
    # Forward day by day, backward day by day, then jumps in both directions.
    order = days + days[::-1] + [days[-1], days[0], days[5], days[2], days[9], days[3]]
    for day in order:
        _set(op, day)
        assert _date(op) == day
        assert op.page.evaluate("window.mapper.state()") == tl.control_at(
            date.fromisoformat(day)), day
    _clean(op)


def test_marker_colour_follows_the_controller(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html)
    _set(op, "2024-11-27")
    assert _fill(op, "saraqib") == GOVERNMENT
    assert _fill(op, "idlib") == HTS
    _set(op, "2024-11-28")
    assert _fill(op, "saraqib") == "#ffffff"  # contested: white with a dark dashed ring
    assert op.page.get_attribute('path[data-place="saraqib"]', "stroke-dasharray")
    _set(op, "2024-11-29")
    assert _fill(op, "saraqib") == HTS
    _set(op, "2024-12-04")
    assert _fill(op, "saraqib") == GOVERNMENT
    _clean(op)


def _open_popup(op: OpenedPage, place: str) -> str:
    op.page.click(f'path.ts-place[data-place="{place}"]', force=True)
    op.page.wait_for_selector(".leaflet-popup-content .ts-popup")
    return str(op.page.inner_text(".leaflet-popup-content"))


def test_popup_history_events_and_sources(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-11-30")
    text = _open_popup(op, "aleppo")
    assert "Aleppo" in text
    assert "Government from December 2016 until 29 November 2024" in text
    assert "Contested from 29 November 2024 until 30 November 2024" in text
    assert "HTS-led offensive since 30 November 2024" in text
    assert "Aircraft struck the outskirts." in text  # the incident of the shown day
    assert "Largest city of the north" in text  # an extra column (notes)
    assert "حلب" in text  # another extra column, as text
    href = op.page.get_attribute('.leaflet-popup-content a:text("Fixture gazette story")', "href")
    assert href == "http://example.com/gazette"
    rel = str(op.page.get_attribute('.leaflet-popup-content a[href^="http"]', "rel"))
    assert "noopener" in rel
    _clean(op)


def test_extra_columns_of_events_sources_and_population(open_page: Opener, mini: Dataset) -> None:
    ds = copy.copy(mini)
    places = mini.places.copy()
    places["population"] = places["population"].astype("Int64")
    places.loc["saraqib", "population"] = 34_311
    places.loc["saraqib", "population_source"] = "geonames"
    ds.places = places
    op = open_page(render_html(ds), "#2024-11-29")
    text = _open_popup(op, "saraqib")
    assert "Casualties note" in text and "At least 12 killed, per the wire." in text
    assert "casualties_note" not in text  # column names read as words
    assert "34,311 (GeoNames)" in text
    assert "Test Wire, 30 November 2024" in text
    assert "Wire copy, updated twice." in text  # the source's notes column
    for internal in ("match_id", "match_name", "geocode_source", "line"):
        assert internal not in text
    op.page.keyboard.press("Escape")
    op.page.click(".ts-sources-toggle")
    items = op.page.eval_on_selector_all(".ts-sources-list li", "els => els.map(e => e.innerText)")
    archive = next(t for t in items if "Fixture background note" in t)
    assert "Test Archive, March 2020" in archive and "2020-03" not in archive
    assert "Background only." in archive
    _clean(op)


def _legend_values(op: OpenedPage) -> dict[str, str]:
    return dict(op.page.eval_on_selector_all(
        ".ts-chart-item", "els => els.map(e => [e.dataset.side, "
        "e.querySelector('.ts-chart-value').textContent])"))


def test_territory_chart_marker_legend_and_figures(
        open_page: Opener, mini_html: str, mini: Dataset) -> None:
    from mapper import stats

    table = stats.territory_series(mini)
    op = open_page(mini_html, "#2024-11-26")
    assert op.page.is_visible(".ts-chart-plot canvas")
    legend = op.page.inner_text(".ts-chart-legend")
    assert "Area held" in legend and "Government" in legend and "HTS-led offensive" in legend
    assert "No data" in legend  # counted (most of Syria here), though not stacked

    def marker_x() -> float:
        return float(op.page.evaluate(
            "document.querySelector('.ts-chart-marker').getBoundingClientRect().left"))

    plot = op.page.eval_on_selector(".ts-chart-plot", "e => { const r = e.getBoundingClientRect();"
                                    " return [r.left, r.width]; }")
    x0 = marker_x()
    assert abs(x0 + 1 - plot[0]) < 1.5  # first day: the left edge
    # Where each side's name sits, and whether each figure shows whole (not cut by its box).
    layout = ("() => Array.from(document.querySelectorAll('.ts-chart-item')).map((e) => {"
              " const v = e.querySelector('.ts-chart-value');"
              " const r = e.querySelector('.ts-chart-name').getBoundingClientRect();"
              " return [Math.round(r.left), Math.round(r.top), v.scrollWidth <= v.clientWidth]; })")
    names = [r[:2] for r in op.page.evaluate(layout)]
    for day in range(10):
        _set(op, (date(2024, 11, 26) + timedelta(days=day)).isoformat())
        assert abs(marker_x() + 1 - (plot[0] + plot[1] * day / 9)) < 1.5, day
        values = _legend_values(op)
        for side in ("government", "hts"):
            assert values[side] == f"{round(table[f'{side}_km2'][day]):,} km²", (day, side)
        # the figures change, the names stay where they are; no figure is cut short
        now = op.page.evaluate(layout)
        assert [r[:2] for r in now] == names and all(r[2] for r in now), (day, now)
    # The chart's pixels: the middle of each side's band has its colour (sides stacked in
    # legend order from the bottom, scaled to the largest daily total).
    sides = ["government", "hts", "contested"]  # no data is not stacked
    top = max(sum(table[f"{s}_km2"][d] for s in sides) for d in range(len(table)))
    for day in (0, 9):
        below = 0.0
        for side, colour in (("government", GOVERNMENT), ("hts", HTS)):
            km2 = table[f"{side}_km2"][day]
            mid = 1 - (below + km2 / 2) / top  # fraction of the height from the top
            below += km2
            rgb = op.page.evaluate(
                "([f, m]) => { const c = document.querySelector('.ts-chart-canvas');"
                " const x = Math.min(c.width - 1, Math.round(f * (c.width - 1)));"
                " return Array.from(c.getContext('2d').getImageData(x, Math.round(m * c.height),"
                " 1, 1).data.slice(0, 3)); }", [day / 9, mid])
            assert "#" + "".join(f"{v:02x}" for v in rgb) == colour, (day, side)
    # Hovering shows the figures of the day under the pointer; a click goes to that day.
    op.page.mouse.move(plot[0] + plot[1] * 5 / 9, op.page.eval_on_selector(
        ".ts-chart-plot", "e => e.getBoundingClientRect().top + 20"))
    tip = op.page.inner_text(".ts-chart-tip")
    assert "1 December 2024" in tip
    assert f"Government: {round(table['government_km2'][5]):,} km²" in tip
    op.page.mouse.down()
    op.page.mouse.up()
    assert _date(op) == "2024-12-01"
    _clean(op)


def test_popup_follows_the_slider(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-11-27")
    text = _open_popup(op, "saraqib")
    assert "Government since March 2020" in text
    assert "HTS-led offensive from 29 November 2024" in text
    _set(op, "2024-11-29")
    text = str(op.page.inner_text(".leaflet-popup-content"))
    assert "HTS-led offensive since 29 November 2024" in text
    assert "The town fell to the offensive." in text


def test_data_is_text_never_markup(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-11-30")
    text = _open_popup(op, "aleppo")
    assert "<b>Bold</b> claim <script>window.__pwned = 1</script> of full control." in text
    assert op.page.query_selector(".leaflet-popup-content b") is None
    assert op.page.query_selector(".leaflet-popup-content script") is None
    assert op.page.evaluate("window.__pwned") is None
    _clean(op)


def test_javascript_url_never_becomes_a_link(open_page: Opener, tampered: Dataset) -> None:
    op = open_page(render_html(tampered), "#2024-11-30")
    text = _open_popup(op, "aleppo")
    assert "Fixture gazette story" in text
    hrefs = op.page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert not [h for h in hrefs if "javascript" in h.lower()], hrefs
    assert op.page.query_selector('a:text("Fixture gazette story")') is None
    assert op.page.query_selector('span:text("Fixture gazette story")') is not None
    assert op.page.evaluate("window.mapper.date()") == "2024-11-30"
    _clean(op)


def test_hash_opens_that_date_and_follows_the_slider(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-12-01")
    assert _date(op) == "2024-12-01"
    assert op.page.inner_text(".ts-date-big") == "1 December 2024"
    assert op.page.input_value(".ts-range") == "5"
    assert op.page.is_visible(".ts-head")
    _set(op, "2024-11-29")
    op.page.wait_for_function("location.hash === '#2024-11-29'", timeout=2000)
    op.page.fill(".ts-range", "7")  # as if dragged
    assert _date(op) == "2024-12-03"
    op.page.wait_for_function("location.hash === '#2024-12-03'", timeout=2000)
    _clean(op)


def test_default_date_is_the_start(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html)
    assert _date(op) == "2024-11-26"
    assert op.page.inner_text(".ts-date-big") == "26 November 2024"


#: In-page: the date's two texts as shown, each [text, whole text fits its box].
_DATE_TEXTS = """() => Array.from(document.querySelectorAll('.ts-date-text')).map((e) => [
    e.textContent, e.offsetParent === null ||
        (e.scrollWidth <= e.clientWidth + 1 && e.scrollHeight <= e.clientHeight + 1)])"""


@pytest.mark.parametrize(("width", "height", "suffix"), [
    (1280, 800, ""), (700, 800, ""), (390, 844, ""), (320, 640, ""), (600, 400, "&embed")])
def test_the_date_is_never_cut(open_page: Opener, mini_html: str, width: int, height: int,
                               suffix: str) -> None:
    """The date and its line below sit in boxes of a fixed size (so that a step lays out
    them alone, not the page): on every day, from a desktop window down to a small phone and
    an embed, each shows its whole text."""
    op = open_page(mini_html, "#2024-11-26" + suffix, width=width, height=height)
    days = op.page.evaluate("window.mapper.dates")
    for day in days:
        _set(op, day)
        (big, big_fits), (sub, sub_fits) = op.page.evaluate(_DATE_TEXTS)
        assert big == op.page.inner_text(".ts-date-big") and big.endswith(" 2024"), day
        assert "day " in sub, day
        assert big_fits and sub_fits, (width, day, big, sub)
    _clean(op)


#: In-page: how far the date's box reaches into the controls beside it (<= 0: not at all).
_DATE_INTO_CONTROLS = """() => {
    const d = document.querySelector('.ts-date-big').getBoundingClientRect();
    const c = document.querySelector('.ts-controls').getBoundingClientRect();
    return d.bottom <= c.top || c.bottom <= d.top ? 0 : d.right - c.left;
}"""


def test_the_date_fits_after_the_window_changes(open_page: Opener, mini_html: str) -> None:
    """A phone turned sideways, a window made wider or narrower, an embed opened: the date
    and its line are sized again for the new room, whole and clear of the controls."""
    op = open_page(mini_html, "#2024-11-30", width=390, height=844)
    days = op.page.evaluate("window.mapper.dates")
    for width, height in ((844, 390), (1280, 800), (700, 800), (320, 640), (390, 844)):
        op.page.set_viewport_size({"width": width, "height": height})
        op.page.evaluate("() => new Promise((r) => requestAnimationFrame(() => r(null)))")
        for day in days:
            _set(op, day)
            (big, big_fits), (sub, sub_fits) = op.page.evaluate(_DATE_TEXTS)
            assert big_fits and sub_fits, (width, day, big, sub)
        assert op.page.evaluate(_DATE_INTO_CONTROLS) <= 0, width
    op.page.evaluate("() => { location.hash = '#2024-11-30&embed'; }")
    op.page.wait_for_function("document.documentElement.classList.contains('ts-embed')")
    op.page.evaluate("() => { location.hash = '#2024-11-30'; }")
    op.page.wait_for_function("!document.documentElement.classList.contains('ts-embed')")
    for day in days:
        _set(op, day)
        (big, big_fits), (sub, sub_fits) = op.page.evaluate(_DATE_TEXTS)
        assert big_fits and sub_fits, ("after the embed", day, big, sub)
    _clean(op)


@pytest.mark.parametrize("suffix", ["#2024-11-30&embed", "?embed=1#2024-11-30"])
def test_embed_mode_hides_the_chrome(open_page: Opener, mini_html: str, suffix: str) -> None:
    op = open_page(mini_html, suffix)
    assert _date(op) == "2024-11-30"
    # A one-line title stays (tests/test_embed_print.py); the description and controls go.
    assert op.page.is_visible(".ts-title")
    assert not op.page.is_visible(".ts-description")
    assert not op.page.is_visible(".ts-speed")
    assert op.page.is_visible(".ts-bar")
    assert op.page.is_visible(".ts-map")
    _set(op, "2024-12-02")
    op.page.wait_for_function("location.hash.includes('2024-12-02')", timeout=2000)
    assert not op.page.is_visible(".ts-description")


def test_play_advances_and_pause_stops(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html)
    op.page.select_option(".ts-speed", "2")
    op.page.click(".ts-play")
    assert op.page.get_attribute(".ts-play", "aria-pressed") == "true"
    op.page.wait_for_function("window.mapper.date() > '2024-11-26'")
    op.page.click(".ts-play")
    stopped = _date(op)
    op.page.wait_for_timeout(300)
    assert _date(op) == stopped
    assert op.page.get_attribute(".ts-play", "aria-pressed") == "false"
    _clean(op)


def test_play_stops_at_the_end_unless_loop(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-12-03")
    op.page.select_option(".ts-speed", "30")
    op.page.click(".ts-play")
    op.page.wait_for_function("!window.mapper.playing()")
    assert _date(op) == "2024-12-05"
    op.page.check(".ts-loop")
    op.page.click(".ts-play")  # at the end: play starts over from the first day
    op.page.wait_for_function("window.mapper.date() < '2024-11-29'")
    op.page.click(".ts-play")


def test_previous_and_next_change_buttons(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html)
    change_days = ["2024-11-28", "2024-11-29", "2024-11-30", "2024-12-01", "2024-12-03",
                   "2024-12-05"]
    assert op.page.evaluate("window.mapper.changeDates()") == change_days
    for day in change_days:
        op.page.click(".ts-next-change")
        assert _date(op) == day
    for day in reversed(change_days[:-1]):
        op.page.click(".ts-prev-change")
        assert _date(op) == day
    op.page.click(".ts-prev-change")
    assert _date(op) == "2024-11-26"


def test_keyboard(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html)
    kb = op.page.keyboard
    op.page.click(".ts-date-big")  # focus the page, not a control
    kb.press("ArrowRight")
    assert _date(op) == "2024-11-27"
    kb.press("ArrowLeft")
    assert _date(op) == "2024-11-26"
    kb.press("Shift+ArrowRight")
    assert _date(op) == "2024-11-28"
    kb.press("PageDown")
    assert _date(op) == "2024-11-29"
    kb.press("PageUp")
    assert _date(op) == "2024-11-28"
    kb.press("End")
    assert _date(op) == "2024-12-05"
    kb.press("Shift+ArrowLeft")
    assert _date(op) == "2024-12-03"
    # On the focused slider an arrow moves one day, not two.
    op.page.focus(".ts-range")
    kb.press("ArrowLeft")
    assert _date(op) == "2024-12-02"
    op.page.click(".ts-date-big")
    kb.press("Home")
    kb.press("Space")
    assert op.page.evaluate("window.mapper.playing()") is True
    kb.press("Space")
    assert op.page.evaluate("window.mapper.playing()") is False
    _clean(op)


def _visible_fronts(op: OpenedPage) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in op.page.evaluate("window.mapper.fronts()")}


def test_front_lines_where_neighbours_differ(open_page: Opener, mini_html: str,
                                             mini: Dataset) -> None:
    from mapper import model

    op = open_page(mini_html)
    t = model.build(mini)
    topo = t.topology()
    inner = {(int(a), int(b)) for a, b in zip(topo["left"], topo["right"], strict=True)
             if a >= 0 and b >= 0}

    seen_any = False
    for d in t.dates:
        _set(op, d.isoformat())
        codes = t.codes_on(d)
        want = {(a, b) for a, b in inner if codes[a] >= 0 and codes[b] >= 0
                and codes[a] != codes[b]}
        assert _visible_fronts(op) == want, d
        seen_any = seen_any or bool(want)
    assert seen_any
    idlib, saraqib = (t.atom_at(*mini.places.geometry[p].coords[0]) for p in ("idlib", "saraqib"))
    pair = (min(idlib, saraqib), max(idlib, saraqib))
    _set(op, "2024-11-27")
    assert pair in _visible_fronts(op)  # government / HTS


#: In-page: the colours painted on the areas' canvas in a 5 x 5 pixel square at each
#: [lat, lon] (before the pane's see-through opacity), as lists of [r, g, b, a].
_GROUND_PIXELS = """(points) => {
    const m = window.mapper, r = m.layers.areas, c = r._container, ratio = c.width / c.clientWidth;
    const ctx = r._ctx;
    return points.map(([lat, lon]) => {
        const p = m.map.latLngToLayerPoint([lat, lon]).subtract(r._bounds.min);
        const d = ctx.getImageData(Math.round(p.x * ratio) - 2, Math.round(p.y * ratio) - 2,
                                   5, 5).data, out = [];
        for (let i = 0; i < d.length; i += 4) out.push([d[i], d[i + 1], d[i + 2], d[i + 3]]);
        return out;
    });
}"""


def _off_segment(rgb: Sequence[int], a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """Distance of a colour from the blends of a and b (a pattern's colour and its ink)."""
    ab = [y - x for x, y in zip(a, b, strict=True)]
    ap = [p - x for x, p in zip(a, rgb, strict=True)]
    den = sum(v * v for v in ab)
    u = max(0.0, min(1.0, sum(x * y for x, y in zip(ab, ap, strict=True)) / den)) if den else 0.0
    return sum((p - (x + u * d)) ** 2 for p, x, d in zip(rgb, a, ab, strict=True)) ** 0.5


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


AREA_FIXTURES = Path(__file__).parent / "data" / "areas"


#: In-page: the steps through ``order`` (each drawn in its call), and after each the areas'
#: and the fronts' canvases as the step left them against the same canvas painted whole (the
#: areas with the same base holder, kept for the view): per step [day, then per canvas:
#: pixels more than 16 levels apart, most levels apart (premultiplied), pixels painted; then
#: which canvases repainted boxes only (bit 0 areas, bit 1 fronts)].
_STEP_VS_WHOLE = """async (order) => {
    const m = window.mapper, out = [];
    const layers = [m.layers.areas, m.layers.fronts];
    const grab = (l) => l._ctx.getImageData(0, 0, l._container.width, l._container.height).data;
    let boxed = 0;
    const clipRects = layers.map((l) => l._clipRects);
    layers.forEach((l, k) => {
        l._clipRects = function (boxes) {
            const r = clipRects[k].call(this, boxes);
            if (r !== null) boxed |= 1 << k;
            return r;
        };
    });
    for (const d of order) {
        boxed = 0;
        await m.setDate(d);
        const row = [d];
        for (const l of layers) {
            const step = grab(l);
            l._memo = {base: l._memo.base};
            l.refresh();  // whole
            l._redraw();  // now
            const whole = grab(l);
            // colours as shown: premultiplied by their alpha
            let n = 0, most = 0, ink = 0;
            for (let i = 0; i < whole.length; i += 4) {
                const aw = whole[i + 3], as = step[i + 3];
                let dv = Math.abs(aw - as);
                for (let c = 0; c < 3; c++) {
                    dv = Math.max(dv, Math.abs(whole[i + c] * aw - step[i + c] * as) / 255);
                }
                if (dv > 16) n++;
                most = Math.max(most, dv);
                if (aw) ink++;
            }
            row.push(n, most, ink);
        }
        row.push(boxed);
        out.push(row);
    }
    layers.forEach((l, k) => { l._clipRects = clipRects[k]; });
    return out;
}"""


@pytest.mark.parametrize(("fixture", "raster"), [
    ("kml", False), ("gpkg", False), ("aleppo", False), ("kml", True), ("aleppo", True)])
def test_a_step_repaints_its_boxes_as_a_whole_repaint_would(open_page: Opener,
                                                            fixture: str, raster: bool) -> None:
    """A next-day step repaints the areas and the fronts only within the boxes of the atoms
    that changed (the areas from paths kept for the holders that did not change, the fronts
    that can reach the boxes): on every day, forwards, back and in jumps, the canvases then
    hold what a whole repaint paints (areas drawn in Google My Maps and QGIS, and the Aleppo
    page, most of whose steps repaint boxes). ``raster``: painted from the atom raster (forced
    here), whose steps write and put only the pixels of the atoms that changed: the same
    pixels exactly."""
    from mapper import model
    from mapper.dataset import load_dataset

    root = Path(__file__).parent.parent / "geodata" / "aleppo-2024"
    ds = load_dataset(root) if fixture == "aleppo" else load_dataset(AREA_FIXTURES / fixture,
                                                                      geocode=False)
    t = model.build(ds)
    op = open_page(render_html(ds, territory=t))
    if raster:  # as a zoom would: the way of painting chosen, then a whole repaint
        op.page.evaluate("""() => { window.__mapper.ground.RASTER_ATOMS = 0;
            const l = window.mapper.layers; l.areas._updatePaths(); l.fronts._updatePaths(); }""")
    days = [d.isoformat() for d in t.dates]
    assert len(days) >= 3
    order = days[1:] + days[-2::-1] + [days[-1], days[0], days[len(days) // 2]]
    rows = op.page.evaluate(_STEP_VS_WHOLE, order)
    fronts_ink = 0
    for d, n, most, ink, fn, fmost, fink, _ in rows:
        assert ink > 0, d
        if raster:
            assert n == 0 and fn == 0, (d, n, most, fn, fmost)
        # the same picture: a few edge pixels may differ (Skia's coverage of an edge pixel
        # moves with how a holder's rings or the fronts' chains are pieced together, and
        # with the clip; a seam of the base holder's colour may show in one and not the
        # other: at most 5 pixels over 16 levels, measured); an atom, a front or an edge
        # left as it was would differ in tens of pixels at least
        assert n <= 16 and fn <= 16, (d, n, most, fn, fmost)
        fronts_ink += fink
    assert fronts_ink > 0
    if fixture == "aleppo":  # the fixtures' changes are large parts of their small maps
        assert sum(1 for r in rows if r[-1] == 3) >= len(rows) // 2, rows
    _clean(op)


@pytest.mark.parametrize(("fixture", "raster"), [
    ("mini", False), ("kml", False), ("gpkg", False), ("snapshots", False),
    ("mini", True), ("kml", True)])
def test_ground_painted_as_the_model_holds(open_page: Opener, mini: Dataset,
                                           fixture: str, raster: bool) -> None:
    """Every atom of ground has the model's holder on every day: in the page's state, under a
    point of the atom (hit test), in the pixels of the areas' canvas, with the fronts on the
    borders between sides: points only (mini), areas drawn in Google My Maps (KML) and QGIS
    (GeoPackage), and dated snapshot files; ``raster``: painted as the page paints many
    atoms (from a raster of atom ids, ground.js paintRaster), here forced for a few."""
    from mapper import model
    from mapper.dataset import load_dataset

    ds = mini if fixture == "mini" else load_dataset(AREA_FIXTURES / fixture, geocode=False)
    t = model.build(ds)
    op = open_page(render_html(ds, territory=t))
    if raster:
        op.page.evaluate("window.__mapper.ground.RASTER_ATOMS = 0")
    topo = t.topology()
    inner = {(int(a), int(b)) for a, b in zip(topo["left"], topo["right"], strict=True)
             if a >= 0 and b >= 0}
    # An inner point of each atom large enough to show at the page's zoom.
    atoms = t.atoms.to_crs("EPSG:6933")
    zoom = op.page.evaluate("window.mapper.map.getZoom()")
    margin = 3 * 40_075_000 / 256 / 2 ** zoom  # three pixels, in metres (near enough)
    inside = atoms.geometry.buffer(-margin).representative_point()
    keep = [k for k in range(len(atoms)) if not inside.iloc[k].is_empty]
    pts = gpd.GeoSeries(inside.iloc[keep], crs="EPSG:6933").to_crs("EPSG:4326")
    latlon = [[p.y, p.x] for p in pts]
    assert len(keep) >= 3
    colours = {side: _rgb(f.colour) for side, f in ds.factions.items()}
    seen, fronts_seen = set(), 0
    for d in t.dates:
        _set(op, d.isoformat())
        codes = t.codes_on(d)
        want = [t.sides[c] if c >= 0 else "no-data" for c in codes]
        assert op.page.evaluate("window.mapper.ground()") == want, d
        fronts = {(a, b) for a, b in inner if codes[a] >= 0 and codes[b] >= 0
                  and codes[a] != codes[b]}
        assert _visible_fronts(op) == fronts, d
        fronts_seen += len(fronts)
        holders = op.page.evaluate(
            "(pts) => pts.map(([a, b]) => window.mapper.holderAt(a, b))", latlon)
        assert holders == [want[k] for k in keep], d
        for k, square in zip(keep, op.page.evaluate(_GROUND_PIXELS, latlon), strict=True):
            side = want[k]
            if side not in colours:
                continue
            seen.add(side)
            colour = colours[side]
            patterned = ds.factions[side].pattern in ("hatch", "cross", "dots")
            ink = (255, 255, 255) if patterned else colour
            # opaque, the side's colour somewhere, and nothing but its colour and pattern ink
            assert all(px[3] > 200 for px in square), (d, side, square)
            assert min(_off_segment(px[:3], colour, colour) for px in square) < 30, (d, side)
            assert max(_off_segment(px[:3], colour, ink) for px in square) < 30, (d, side)
    assert len(seen) >= 2 and fronts_seen > 0
    _clean(op)


#: In-page: how many pixels of the fronts' canvas are painted (the comparison's hatch is
#: drawn there).
_FRONT_PIXELS = """() => {
    const r = window.mapper.layers.fronts, c = r._container;
    const d = r._ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
}"""


@pytest.mark.parametrize("raster", [False, True])
def test_compare_two_dates_on_the_page(open_page: Opener, mini_html: str,
                                       mini: Dataset, raster: bool) -> None:
    """Pick an earlier date: the table gives the km² of `mapper diff`, the places that changed
    hands are listed, the moved ground is hatched; clearing removes it all (``raster``: the
    fronts from the atom raster, put on their canvas alone, drawn over the hatch with it)."""
    from mapper import model
    from mapper.diff import compare

    op = open_page(mini_html, "#2024-12-05")
    page = op.page
    if raster:
        page.evaluate("""() => { window.__mapper.ground.RASTER_ATOMS = 0;
            const l = window.mapper.layers; l.areas._updatePaths(); l.fronts._updatePaths(); }""")
    plain = page.evaluate(_FRONT_PIXELS)
    assert plain > 0  # the fronts
    page.click(".ts-compare summary")
    page.fill(".ts-compare input[type=date]", "2024-11-26")
    page.wait_for_selector(".ts-compare-table")
    _set(op, "2024-12-05")
    t = model.build(mini)
    cmp = compare(mini, date(2024, 11, 26), date(2024, 12, 5), territory=t)
    names = [*t.sides]
    rows = page.evaluate("window.mapper.compare.rows()")
    moved = page.evaluate("window.mapper.compare.moved()")
    assert len(moved) == int((t.codes_on(date(2024, 11, 26)) !=
                              t.codes_on(date(2024, 12, 5))).sum())
    slack = 0.05 * len(moved) + 0.01  # the page's atom areas are in tenths of km²
    assert rows
    for code, gained, lost, net in rows:
        side = names[code] if code >= 0 else model.NO_DATA
        want = cmp.sides.loc[side]
        assert gained == pytest.approx(want["gained_km2"], abs=slack), side
        assert lost == pytest.approx(want["lost_km2"], abs=slack), side
        assert net == pytest.approx(want["net_km2"], abs=2 * slack), side
    shown = {r[0] for r in rows}
    for side, row in cmp.sides.iterrows():
        if row["gained_km2"] > 1 or row["lost_km2"] > 1:
            assert (names.index(side) if side in names else -1) in shown, side
    # What a reader sees: the sides by name, the places that changed hands, the hatch.
    text = page.inner_text(".ts-compare-out")
    assert "26 November 2024 → 5 December 2024" in text
    for _, p in cmp.places.iterrows():
        assert p["name"] in text
    assert page.evaluate(_FRONT_PIXELS) > plain + 1000
    page.click(".ts-compare-clear")
    assert page.evaluate("window.mapper.compare.rows()") == []
    assert page.query_selector(".ts-compare-table") is None
    page.wait_for_timeout(100)
    assert page.evaluate(_FRONT_PIXELS) == plain
    _clean(op)


def test_route_segment_cut_between_sides(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-11-27")
    seg = 'path.ts-route[data-a="aleppo"][data-b="saraqib"]'
    cut = 'path.ts-cut[data-a="aleppo"][data-b="saraqib"]'
    strokes = op.page.eval_on_selector_all(seg, "els => els.map(e => e.getAttribute('stroke'))")
    assert strokes == [GOVERNMENT, GOVERNMENT]
    assert op.page.get_attribute(cut, "stroke") == "none"
    _set(op, "2024-11-29")  # aleppo contested, saraqib HTS: cut, each half its own colour
    strokes = op.page.eval_on_selector_all(seg, "els => els.map(e => e.getAttribute('stroke'))")
    assert strokes[1] == HTS and strokes[0] != HTS
    assert op.page.get_attribute(cut, "stroke") != "none"
    # The HTS half uses the faction's dash.
    dashes = op.page.eval_on_selector_all(
        seg, "els => els.map(e => e.getAttribute('stroke-dasharray'))")
    assert dashes[1] == "6 4"


def test_incident_shows_then_fades_away(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-11-29")
    assert op.page.query_selector(".ts-incident") is None
    _set(op, "2024-11-30")
    assert op.page.query_selector(".ts-incident") is not None
    # a diamond up and right of its place, titled with what happened where
    assert op.page.eval_on_selector(".ts-incident", "e => e.tagName") == "path"
    assert "airstrike" in op.page.eval_on_selector(".ts-incident", "e => e.textContent")
    first = float(op.page.eval_on_selector(".ts-incident", "e => e.getAttribute('fill-opacity')"))
    _set(op, "2024-12-01")
    later = float(op.page.eval_on_selector(".ts-incident", "e => e.getAttribute('fill-opacity')"))
    assert later < first
    _set(op, "2024-12-03")
    assert op.page.query_selector(".ts-incident") is None
    _set(op, "2024-11-30")
    op.page.click(".ts-incident", force=True)
    op.page.wait_for_selector(".ts-incident-popup")
    text = op.page.inner_text(".ts-incident-popup")
    assert "30 November 2024" in text and "airstrike" in text
    assert "Aircraft struck the outskirts." in text


def test_thousands_of_incidents_binned_per_screen_cell(open_page: Opener, mini: Dataset) -> None:
    """An ACLED-sized day: 1,500 incidents at the fixture's places show as one mark per
    screen cell, each counting its incidents (together all of them); one incident alone
    keeps its own mark; the marks fade out with the days like single incidents."""
    import pandas as pd

    ds = copy.copy(mini)
    places = [p for p in mini.places.index if p in ("aleppo", "idlib", "saraqib", "hama")]
    rows = [{"date": date(2024, 12, 2), "date_text": "2024-12-02", "precision": "day",
             "place_id": places[k % len(places)], "controller": None, "kind": "airstrike",
             "description": f"Strike {k}.", "source_id": "fx-archive", "line": 1000 + k,
             "casualties_note": ""} for k in range(1500)]
    ds.events = pd.concat([mini.events, pd.DataFrame(rows)], ignore_index=True)
    op = open_page(render_html(ds), "#2024-12-02")
    page = op.page
    marks = page.evaluate("window.mapper.incidentMarks()")
    listed = page.evaluate("window.mapper.incidentMarkList()")
    assert marks == len(listed) and 1 <= marks <= len(places) + 1
    assert page.query_selector(".ts-incident") is None  # painted, not one element a mark
    counts = [m["count"] for m in listed]
    assert sum(counts) == 1500 + 1  # the fixture's own airstrike the day before
    assert all(m["title"] == f"{m['count']} incidents" for m in listed if m["count"] > 1)
    # What a reader sees at a mark of several: the disc's orange, with its count written.
    big = max(listed, key=lambda m: m["count"])
    box = page.evaluate("() => { const r = window.mapper.map.getContainer()"
                        ".getBoundingClientRect(); return [r.left, r.top]; }")
    x, y = box[0] + big["x"], box[1] + big["y"]
    shot = Image.open(io.BytesIO(page.screenshot(clip={"x": x - 12, "y": y - 12,
                                                       "width": 24, "height": 24})))
    rgb = shot.convert("RGB")
    pixels = [rgb.getpixel((i, j)) for j in range(rgb.height) for i in range(rgb.width)]
    orange = sum(1 for r, g, b in pixels if r > 180 and 110 < g < 190 and b < 90)
    dark = sum(1 for r, g, b in pixels if r + g + b < 200)  # the digits and the rim
    assert orange > 150 and dark > 15, (orange, dark)
    # The pointer over it is told what it is; a click zooms in on it.
    page.mouse.move(x, y)
    assert page.evaluate("window.mapper.map.getContainer().title") == big["title"]
    zoom = page.evaluate("window.mapper.map.getZoom()")
    page.mouse.click(x, y)
    page.wait_for_function(f"window.mapper.map.getZoom() > {zoom}")
    _set(op, "2024-12-05")  # past the three days of fading: none left
    assert page.evaluate("window.mapper.incidentMarks()") == 0
    assert page.evaluate("window.mapper.incidentMarkList()") == []
    _clean(op)


def test_a_mark_of_one_incident_among_many_opens_it(open_page: Opener, mini: Dataset) -> None:
    """Binned incidents: a mark standing for one incident opens that incident's popup."""
    import pandas as pd

    ds = copy.copy(mini)
    rows = [{"date": date(2024, 12, 2), "date_text": "2024-12-02", "precision": "day",
             "place_id": "aleppo", "controller": None, "kind": "airstrike",
             "description": f"Strike {k}.", "source_id": "fx-archive", "line": 1000 + k,
             "casualties_note": ""} for k in range(100)]
    rows.append({**rows[0], "place_id": "hama", "kind": "shelling",
                 "description": "Shells fell on the station.", "line": 2000})
    ds.events = pd.concat([mini.events, pd.DataFrame(rows)], ignore_index=True)
    op = open_page(render_html(ds), "#2024-12-02")
    page = op.page
    listed = page.evaluate("window.mapper.incidentMarkList()")
    one = [m for m in listed if m["count"] == 1 and m["title"].endswith(": Hama")]
    assert one, listed
    box = page.evaluate("() => { const r = window.mapper.map.getContainer()"
                        ".getBoundingClientRect(); return [r.left, r.top]; }")
    page.mouse.click(box[0] + one[0]["x"], box[1] + one[0]["y"])
    page.wait_for_selector(".ts-incident-popup")
    assert "Shells fell on the station." in page.inner_text(".ts-incident-popup")
    _set(op, "2024-12-05")  # the incident faded away: its popup goes with it
    page.wait_for_selector(".ts-incident-popup", state="detached", timeout=2000)
    _clean(op)


def test_sources_panel_legend_and_layers(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html)
    assert not op.page.is_visible(".ts-sources")
    op.page.click(".ts-sources-toggle")
    assert op.page.is_visible(".ts-sources")
    items = op.page.eval_on_selector_all(".ts-sources-list li", "els => els.map(e => e.innerText)")
    assert len(items) == 3
    assert op.page.get_attribute('.ts-sources-list a:text("Fixture wire report")', "href") == \
        "https://example.org/wire?a=1&b=2"
    assert op.page.query_selector('.ts-sources-list a:text("Fixture background note")') is None
    legend = op.page.inner_text(".ts-legend")
    for label in ("Government", "HTS-led offensive", "Contested", "No data", "Front line"):
        assert label in legend
    layers = op.page.eval_on_selector_all(
        ".leaflet-control-layers-overlays label", "els => els.map(e => e.innerText.trim())")
    for name in ("Places", "Areas of control", "Front lines", "Routes", "Incidents",
                 "Base map (offline)"):
        assert name in layers
    assert op.page.query_selector(".leaflet-control-scale") is not None
    assert op.page.title() == "Fixture: M5 corridor"


def test_canvas_mode_draws_the_same_states(open_page: Opener, mini: Dataset) -> None:
    op = open_page(render_html(mini, canvas=True), "#2024-11-29")
    tl = Timeline.from_dataset(mini)
    assert op.page.query_selector(".leaflet-ts-places-pane canvas") is not None
    assert op.page.query_selector("path.ts-place") is None
    for d in (tl.dates[-1], tl.dates[0], tl.dates[4]):
        _set(op, d.isoformat())
        assert op.page.evaluate("window.mapper.state()") == tl.control_at(d)
    # A click on a marker drawn on the canvas opens its popup.
    box = op.page.evaluate("""() => {
        const m = window.mapper.map, p = m.latLngToContainerPoint([35.1318, 36.7578]);
        const r = m.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }""")
    op.page.mouse.click(box[0], box[1])
    op.page.wait_for_selector(".leaflet-popup-content .ts-popup")
    assert "Government since 2012" in op.page.inner_text(".leaflet-popup-content")  # Hama
    _clean(op)


def test_minor_labels_only_when_zoomed_in(open_page: Opener, mini: Dataset,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from mapper.render import payload as payload_module

    # a map with many towns: towns are not main places, so labelled only when zoomed in
    monkeypatch.setattr(payload_module, "MAX_LABELLED_TOWNS", 0)
    op = open_page(render_html(mini))
    label = '.ts-label-minor:has-text("Maarat al-Numan")'
    assert not op.page.is_visible(label)
    assert op.page.is_visible('.ts-label:has-text("Hama")')
    op.page.evaluate("""() => new Promise(r => {
        const m = window.mapper.map;
        m.once('zoomend', () => setTimeout(r, 50));
        m.setView([35.6436, 36.6747], m.getZoom() + 3, {animate: false});
    })""")
    assert op.page.is_visible(label)


def test_set_date_rejects_days_off_the_slider(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html)
    before = (date(2024, 11, 26) - timedelta(days=1)).isoformat()
    msg: Any = op.page.evaluate(
        "d => window.mapper.setDate(d).then(() => 'ok', e => e.message)", before)
    assert "outside" in msg
    assert _date(op) == "2024-11-26"
    # a day that does not exist is refused, not rolled over to 1 December
    msg = op.page.evaluate(
        "d => window.mapper.setDate(d).then(() => 'ok', e => e.message)", "2024-11-31")
    assert msg != "ok"
    assert _date(op) == "2024-11-26"


def test_mangled_hash_still_opens_the_map(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#%E0%A4%A&2024-11-30")
    assert _date(op) == "2024-11-30"
    assert op.unexpected_console_errors() == []


#: A 1 x 1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _overlay_names(op: OpenedPage) -> list[str]:
    return list(op.page.eval_on_selector_all(
        ".leaflet-control-layers-overlays label", "els => els.map(e => e.innerText.trim())"))


def test_offline_page_requests_nothing(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html)
    # Everything a reader does: every day, popups, zoom, pan, layers, sources, the PNG.
    for day in op.page.evaluate("window.mapper.dates"):
        _set(op, day)
    _open_popup(op, "aleppo")
    op.page.evaluate("window.mapper.map.setZoom(12)")
    op.page.evaluate("window.mapper.map.panBy([300, 200], {animate: false})")
    op.page.evaluate("window.mapper.map.setZoom(3)")
    op.page.click(".ts-sources-toggle")
    op.page.evaluate("window.mapper.snapshot().toDataURL()")
    op.page.wait_for_timeout(300)
    assert "Online map tiles" not in " ".join(_overlay_names(op))
    assert op.page.query_selector(".leaflet-tile") is None
    assert op.requests == []
    assert op.unexpected_console_errors() == []


def test_online_tiles_when_the_author_asks(open_page: Opener, mini: Dataset) -> None:
    online = open_page(render_html(mini, tiles="OpenStreetMap.Mapnik"), tile=PNG)
    online.page.wait_for_function(
        "document.querySelectorAll('.leaflet-tile-loaded').length > 0", timeout=5000)
    assert "Online map tiles (OpenStreetMap.Mapnik)" in _overlay_names(online)
    assert all("tile.openstreetmap.org" in u for u in online.requests)
    credit = online.page.inner_text(".leaflet-control-attribution")
    assert "OpenStreetMap" in credit and "loads its tiles from that server" in credit
    assert online.foreign_requests() == []
    assert online.unexpected_console_errors() == []


#: In-page: repaint every canvas from scratch and count the pixels that change visibly.
_REPAINT_DIFF = """async () => {
    const m = window.mapper, out = {};
    for (const k of ['areas', 'fronts', 'places']) {
        // areas and fronts are canvases of their own; places: the renderer of a marker
        const r = m.layers[k].getLayers ? (m.layers[k].getLayers()[0] || {})._renderer
            : m.layers[k];
        if (!r) continue;
        const c = r._container;
        const before = r._ctx.getImageData(0, 0, c.width, c.height).data;
        r._updatePaths();
        const after = r._ctx.getImageData(0, 0, c.width, c.height).data;
        let n = 0, painted = 0;
        for (let i = 0; i < before.length; i += 4) {
            let d = 0;
            for (let j = 0; j < 4; j++) d += Math.abs(before[i + j] - after[i + j]);
            if (d > 60) n++;
            if (after[i + 3] > 0) painted++;
        }
        out[k] = [n, painted];
    }
    return out;
}"""


def test_canvas_steps_paint_what_a_full_redraw_paints(open_page: Opener, mini: Dataset) -> None:
    """The canvas renderer repaints only what changed; the result must match a full repaint."""
    op = open_page(render_html(mini, canvas=True))
    page = op.page
    days = page.evaluate("window.mapper.dates")
    # Forward a day at a time, back a day at a time, then jumps.
    for walk in (days[1:], days[::-1][1:7], [days[9]], [days[2]]):
        for day in walk:
            _set(op, day)
        changed = page.evaluate(_REPAINT_DIFF)
        assert set(changed) == {"areas", "fronts", "places"}
        # Only antialiased edges may differ (a stale cell or marker would be thousands).
        assert all(n <= 0.05 * painted for n, painted in changed.values()), (walk[-1], changed)
        assert changed["areas"][1] > 10_000  # something was drawn
    # After a zoom and a pan (which rebuild the canvas and its index), steps still repaint right.
    page.evaluate("""() => new Promise(r => {
        const m = window.mapper.map;
        m.once('moveend', () => setTimeout(r, 50));
        m.setView([35.8, 36.8], m.getZoom() + 1, {animate: false});
    })""")
    for day in (days[4], days[5], days[1], days[8]):
        _set(op, day)
    changed = page.evaluate(_REPAINT_DIFF)
    assert all(n <= 0.05 * painted for n, painted in changed.values()), changed
    _clean(op)


def test_js_helpers_agree_with_python(open_page: Opener, mini_html: str) -> None:
    from mapper.render.payload import encode_line

    op = open_page(mini_html)
    helpers = "window.mapperTimeSlider.helpers"
    dates = op.page.evaluate(f"""() => {{
        const h = {helpers}, d = h.parseDay;
        return [h.longDate(d('2016-12-01'), 1), h.longDate(d('2012-01-01'), 2),
                h.longDate(d('2024-12-05'), 0), h.isoDay(d('2024-02-29')),
                Number.isNaN(d('2024-13-01x'))];
    }}""")
    assert dates == ["December 2016", "2012", "5 December 2024", "2024-02-29", True]
    line = [(36.63391, 35.93062), (36.8059, 35.8646), (37.1343, 36.2021), (-0.0004, -89.9996)]
    for precision in (3, 5):
        got = op.page.evaluate(f"([ints, scale]) => {helpers}.decodeLine(ints, scale)",
                               [encode_line(line, precision), 10**precision])
        want = [v for lon, lat in line for v in (round(lat, precision), round(lon, precision))]
        assert [v for pair in got for v in pair] == pytest.approx(want, abs=10**-(precision + 3))
    merged = op.page.evaluate(f"""() => {{
        const b = (x1, y1, x2, y2) => L.bounds([x1, y1], [x2, y2]);
        const list = [b(0, 0, 10, 10), b(2, 0, 12, 10), b(100, 100, 110, 110), b(0, 0, 10, 10),
                      b(9, 9, 30, 30)];
        return {helpers}.mergePatches(list).map(p => [p.min.x, p.min.y, p.max.x, p.max.y]);
    }}""")
    # Overlapping boxes join when their union is no bigger than the two; others stay apart.
    assert sorted(merged) == [[0, 0, 12, 10], [9, 9, 30, 30], [100, 100, 110, 110]]


def test_one_place_one_day_no_routes(open_page: Opener, mini: Dataset) -> None:
    one = copy.copy(mini)
    one.places = mini.places.loc[["hama"]]
    one.events = mini.events[mini.events["place_id"] == "hama"]
    one.routes = mini.routes.iloc[0:0]
    one.end = one.start
    op = open_page(render_html(one))
    assert op.page.evaluate("window.mapper.dates") == ["2024-11-26"]
    assert op.page.evaluate("window.mapper.state()") == {"hama": "government"}
    op.page.click(".ts-next-change")
    op.page.keyboard.press("ArrowRight")
    assert _date(op) == "2024-11-26"
    assert _visible_fronts(op) == set()  # one side, no front
    _clean(op)


def _marker_centre(op: OpenedPage, place: str) -> tuple[float, float]:
    box = op.page.eval_on_selector(f'path.ts-place[data-place="{place}"]',
                                   "e => { const r = e.getBoundingClientRect();"
                                   " return [r.left + r.width / 2, r.top + r.height / 2]; }")
    return float(box[0]), float(box[1])


def _near(rgb: tuple[int, ...], colour: str, tolerance: int = 24) -> bool:
    want = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return all(abs(a - b) <= tolerance for a, b in zip(rgb[:3], want, strict=True))


def test_download_png_of_the_shown_date(open_page: Opener, mini_html: str, tmp_path: Any) -> None:

    op = open_page(mini_html, "#2024-11-27", width=1000, height=700)
    for day, colours in (("2024-11-27", {"saraqib": GOVERNMENT, "idlib": HTS}),
                         ("2024-11-29", {"saraqib": HTS, "hama": GOVERNMENT})):
        _set(op, day)
        with op.page.expect_download() as info:
            op.page.click(".ts-download")
        download = info.value
        assert download.suggested_filename == f"mini-{day}.png"
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(path) as im:
            assert im.size == (1000, 700)  # the window, at device pixel ratio 1
            rgb = im.convert("RGB")
            for place, colour in colours.items():
                x, y = _marker_centre(op, place)
                pixel = rgb.getpixel((round(x), round(y)))
                assert _near(pixel, colour), (day, place, pixel, colour)
            # The bottom strip names the sources and says what the image is.
            strip = rgb.crop((0, 700 - 22, 1000, 700))
            assert len(strip.getcolors(1 << 16) or []) > 2  # text drawn on it
    size = op.page.evaluate(
        "() => { const c = window.mapper.snapshot(); return [c.width, c.height]; }")
    assert size == [1000, 700]
    _clean(op)


def test_download_png_on_a_canvas_map(open_page: Opener, mini: Dataset, tmp_path: Any) -> None:

    op = open_page(render_html(mini, canvas=True), "#2024-12-04", width=900, height=650)
    with op.page.expect_download() as info:
        op.page.click(".ts-download")
    path = tmp_path / "canvas.png"
    info.value.save_as(path)
    with Image.open(path) as im:
        assert im.size == (900, 650)
        rgb = im.convert("RGB")
        for place, colour in (("saraqib", GOVERNMENT), ("idlib", HTS), ("aleppo", HTS)):
            x, y = op.page.evaluate(
                "id => { const m = window.mapper, p = m.map.latLngToContainerPoint("
                "m.layers.places.getLayers().find(l => l._tsPlace === "
                "Object.keys(m.state()).indexOf(id)).getLatLng());"
                " const r = m.map.getContainer().getBoundingClientRect();"
                " return [p.x + r.left, p.y + r.top]; }", place)
            assert _near(rgb.getpixel((round(x), round(y))), colour), place
    _clean(op)


def test_download_button_stays_in_embeds(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-11-30&embed", width=600, height=400)
    assert op.page.is_visible(".ts-download")
    assert not op.page.is_visible(".ts-description")
    with op.page.expect_download() as info:
        op.page.click(".ts-download")
    assert info.value.suggested_filename == "mini-2024-11-30.png"
    _clean(op)


def test_site_index_requests_nothing(open_page: Opener, mini: Dataset) -> None:
    from mapper.site import SiteEntry, render_index

    entry = SiteEntry(mini.id, mini.title, mini.description, "2024-11-26", "2024-12-05")
    op = open_page(render_index([entry]), ready="document.readyState === 'complete'")
    op.page.wait_for_timeout(300)
    assert op.page.inner_text("h2") == mini.title
    assert op.requests == []
    assert op.unexpected_console_errors() == []


def test_aleppo_map_shows_the_sourced_holders(open_page: Opener) -> None:
    """The Aleppo page built from the committed data (not the committed site/, which is
    rebuilt only on merge), in the browser: the holders the sources give, on dates clear of
    each change (the list of tests/test_aleppo_data.py, 20+ places beyond the first 28 pairs),
    and no government ground after the fall."""
    from pathlib import Path

    from test_aleppo_data import CHECKS, NEW_PLACES

    import mapper

    root = Path(__file__).parent.parent
    op = open_page(render_html(mapper.load_dataset(root / "geodata" / "aleppo-2024")))
    assert len(CHECKS) >= 48 and len(NEW_PLACES) >= 20
    for place, day, holder in CHECKS:
        _set(op, day)
        assert op.page.evaluate("window.mapper.state()")[place] == holder, (place, day)
    _set(op, "2024-12-10")
    held = op.page.evaluate("window.mapper.ground()")
    assert held and "government" not in held  # after 8 December the government holds nothing
    _clean(op)


#: In-page: the places' canvas as stamped (a whole repaint of many markers), then as Leaflet
#: draws the same markers one by one; how many pixels differ visibly, and how many are painted.
_STAMP_DIFF = """async () => {
    const m = window.mapper, r = m.layers.places.getLayers()[0]._renderer, c = r._container;
    const pixels = () => r._ctx.getImageData(0, 0, c.width, c.height).data;
    r._updatePaths();
    const stamped = pixels(), used = !!r._stampBuf;
    r._stampAll = () => false;
    r._updatePaths();
    const drawn = pixels();
    let differ = 0, painted = 0;
    for (let i = 0; i < drawn.length; i += 4) {
        if (drawn[i + 3] > 0) painted++;
        const a1 = stamped[i + 3] / 255, a2 = drawn[i + 3] / 255;
        let d = Math.abs(stamped[i + 3] - drawn[i + 3]);
        for (let j = 0; j < 3; j++) {
            d = Math.max(d, Math.abs(stamped[i + j] * a1 - drawn[i + j] * a2));
        }
        if (d > 8) differ++;
    }
    return {used, differ, painted};
}"""


def test_many_markers_stamped_as_leaflet_draws_them(open_page: Opener, tmp_path: Path) -> None:
    """Past a thousand places a whole repaint writes the markers' pixels itself: the picture
    must be the one Leaflet's drawing gives, after steps and jumps."""
    from mapper.bench.synth import SynthSpec, generate
    from mapper.dataset import load_dataset

    generate(SynthSpec(places=1200, days=40, changes=3.0, seed=3), tmp_path / "many")
    ds = load_dataset(tmp_path / "many")
    op = open_page(render_html(ds))
    days = op.page.evaluate("window.mapper.dates")
    for day in (days[-1], days[0], days[20], days[21]):
        _set(op, day)
        got = op.page.evaluate(_STAMP_DIFF)
        assert got["used"], "the markers were not stamped"
        assert got["painted"] > 50_000, got  # 1,200 markers drawn
        # The blend of see-through edges where markers overlap may differ by a few levels;
        # a marker one pixel off would differ in a third of the painted pixels.
        assert got["differ"] <= 0.01 * got["painted"], (day, got)
        op.page.evaluate("() => { delete window.mapper.layers.places.getLayers()[0]._renderer"
                         "._stampAll; }")
    # Next-day steps repaint the boxes of the markers that changed, stamped into the kept
    # picture: the canvas must be what a whole repaint then paints.
    op.page.evaluate(_COUNT_STAMPED_PATCHES)
    for day in days[10:16]:
        _set(op, day)
        changed = op.page.evaluate(_REPAINT_DIFF)
        assert changed["places"][0] <= 0.005 * changed["places"][1], (day, changed)
    assert op.page.evaluate("window.__stampedPatches") > 20  # the steps took that path
    # A jump (a whole repaint of restyled markers, the map not moved) keeps the grid of boxes
    # the next step finds its markers with; that step still paints what a whole repaint does.
    _set(op, days[30])
    _set(op, days[31])
    op.page.evaluate("() => { window.__gridBuilds = 0; window.__stampedPatches = 0; }")
    _set(op, days[5])
    _set(op, days[6])
    assert op.page.evaluate("[window.__gridBuilds, window.__stampedPatches]")[0] == 0
    assert op.page.evaluate("window.__stampedPatches") > 0
    changed = op.page.evaluate(_REPAINT_DIFF)
    assert changed["places"][0] <= 0.005 * changed["places"][1], changed
    _clean(op)


_COUNT_STAMPED_PATCHES = """() => {
    const r = window.mapper.layers.places.getLayers()[0]._renderer, own = r._stampPatch;
    const build = r._buildGrid;
    window.__stampedPatches = 0;
    window.__gridBuilds = 0;
    r._buildGrid = function () { window.__gridBuilds++; return build.call(this); };
    r._stampPatch = function (b) {
        const done = own.call(this, b);
        if (done) window.__stampedPatches++;
        return done;
    };
}"""
