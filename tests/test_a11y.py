"""Accessibility of the map page and the site index, in headless Chromium.

- axe-core (the npm package, installed by ``make test`` under ``.ci/node``; never committed)
  finds no violation on the Aleppo page (normal and embedded) nor on the site index.
- Labels stay beside their own dot at zooms 6 to 10 around Aleppo; no two overlap; dots piled
  on one city stand behind the main one ("Aleppo +5"), whose click opens Aleppo.
- The keyboard reaches every place (Tab), opens its popup (Enter), closes popups and the
  sources panel (Escape); arrows pan the focused map and step the date elsewhere.
- The live summary says what ``mapper snapshot --alt`` writes, word for word.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mapper.dataset import Dataset, load_dataset

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"
OpenedPage = Any
Opener = Callable[..., OpenedPage]


def _axe(op: OpenedPage) -> list[str]:
    if not AXE.is_file():
        pytest.skip(f"{AXE} is missing: run `npm ci --prefix .ci/node` (make test does)")
    op.page.add_script_tag(path=str(AXE))
    found = op.page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
        "v => v.id + ' x' + v.nodes.length + ': ' + v.nodes.slice(0, 3).map("
        "n => n.target.join(' ')).join(', ')))")
    return list(found)


@pytest.mark.parametrize("suffix", ["#2024-11-30", "#2024-12-08&embed"])
def test_no_axe_violation_on_the_map_page(open_page: Opener, aleppo_html: str,
                                          suffix: str) -> None:
    op = open_page(aleppo_html, suffix)
    assert _axe(op) == []
    # Pinch-zoom allowed (axe's meta-viewport rule checks it too).
    viewport = op.page.get_attribute('meta[name="viewport"]', "content")
    assert "user-scalable" not in viewport and "maximum-scale" not in viewport
    assert op.unexpected_console_errors() == []


def test_no_axe_violation_with_a_popup_and_the_sources_open(open_page: Opener,
                                                            aleppo_html: str) -> None:
    op = open_page(aleppo_html, "#2024-11-30")
    op.page.click(".ts-sources-toggle")
    op.page.evaluate("(() => { const m = window.mapper.layers.places.getLayers()"
                     ".find(l => l.getTooltip().getElement().textContent.startsWith('Aleppo'));"
                     " m.openPopup(); })()")
    # Leaflet fades a popup in (0.2 s of opacity); axe measures contrast through that opacity,
    # so it must look at the popup as a reader does, once it is fully shown.
    op.page.wait_for_function("(() => { const p = document.querySelector('.leaflet-popup');"
                              " return p && getComputedStyle(p).opacity === '1'; })()")
    assert _axe(op) == []


def test_no_axe_violation_on_the_site_index(open_page: Opener, aleppo: Dataset) -> None:
    from mapper.site import SiteEntry, render_index

    entries = [SiteEntry(aleppo.id, aleppo.title, aleppo.description, "2024-11-24",
                         "2024-12-12"),
               SiteEntry("mini", "<b>Second</b> map", "", "2024-11-26", "2024-12-05")]
    op = open_page(render_index(entries), ready="document.readyState === 'complete'")
    assert _axe(op) == []


# ---- labels ----------------------------------------------------------------------------------

_LABEL_BOXES = """() => {
  const m = window.mapper, out = [];
  const box = m.map.getContainer().getBoundingClientRect();
  for (const layer of m.layers.places.getLayers()) {
    const path = layer._path, tip = layer.getTooltip(), node = tip && tip.getElement();
    if (!path || getComputedStyle(path).display === 'none') continue;
    const p = path.getBoundingClientRect();
    if (!p.width) continue;  // off the drawn part of the map
    const dot = {x: (p.left + p.right) / 2, y: (p.top + p.bottom) / 2, r: layer.getRadius(),
      rect: [p.left, p.top, p.right, p.bottom]};
    let label = null;
    if (node && getComputedStyle(node).display !== 'none' &&
        getComputedStyle(node).visibility !== 'hidden') {
      const r = node.getBoundingClientRect();
      label = {text: node.textContent, rect: [r.left, r.top, r.right, r.bottom]};
    }
    if (dot.x < box.left || dot.x > box.right || dot.y < box.top || dot.y > box.bottom) continue;
    out.push({id: path.dataset.place, dot, label});
  }
  return out;
}"""


def _gap(a: list[float], b: list[float]) -> float:
    """Distance between two boxes (0 where they touch or overlap)."""
    dx = max(a[0] - b[2], b[0] - a[2], 0.0)
    dy = max(a[1] - b[3], b[1] - a[3], 0.0)
    return float((dx * dx + dy * dy) ** 0.5)


def _to_dot(rect: list[float], dot: dict[str, Any], inset: float) -> float:
    """Distance from a label box (its line spacing, ``inset`` px, left out) to a dot's edge."""
    dx = max(rect[0] - dot["x"], 0.0, dot["x"] - rect[2])
    dy = max(rect[1] + inset - dot["y"], 0.0, dot["y"] - (rect[3] - inset))
    return float((dx * dx + dy * dy) ** 0.5) - dot["r"]


@pytest.mark.parametrize("zoom", [6, 7, 8, 9, 10])
def test_labels_beside_their_own_dot_never_overlapping(open_page: Opener, aleppo_html: str,
                                                       zoom: int) -> None:
    op = open_page(aleppo_html, "#2024-11-30")
    op.page.evaluate("z => window.mapper.map.setView([36.1, 37.2], z, {animate: false})", zoom)
    op.page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    places = op.page.evaluate(_LABEL_BOXES)
    shown = [p for p in places if p["label"]]
    assert len(shown) >= 8, (zoom, len(shown))
    for p in shown:
        rect = p["label"]["rect"]
        # Beside its own dot: the boxes touch or nearly (a pixel of gap, two of padding).
        assert _gap(rect, p["dot"]["rect"]) <= 3.5, (zoom, p["id"])
        own = _to_dot(rect, p["dot"], 0)
        for q in places:
            if q is p:
                continue
            # Clear of every other dot, and farther from it than from its own (the text: the
            # box without its line spacing, 2 px top and bottom).
            other = _to_dot(rect, q["dot"], 3)
            assert other > 0.5, (zoom, p["id"], "covers", q["id"])
            assert _to_dot(rect, q["dot"], 2) > own, (zoom, p["id"], "nearer", q["id"])
    for j, a in enumerate(shown):
        ra = a["label"]["rect"]
        for b in shown[j + 1:]:
            rb = b["label"]["rect"]
            # As labels.js's overlaps (a pixel sideways, 4 of line height), plus half a
            # pixel for Leaflet's rounding of positions.
            overlap = (ra[0] + 1.5 < rb[2] and ra[2] - 1.5 > rb[0] and ra[1] + 4.5 < rb[3]
                       and ra[3] - 4.5 > rb[1])
            assert not overlap, (zoom, a["id"], b["id"])


def test_aleppo_stands_for_the_places_piled_on_it(open_page: Opener, aleppo_html: str) -> None:
    op = open_page(aleppo_html, "#2024-11-24")  # no incident marker over the city yet
    op.page.evaluate("window.mapper.map.setView([36.2, 37.16], 7, {animate: false})")
    places = {p["id"]: p for p in op.page.evaluate(_LABEL_BOXES)}
    assert "aleppo-citadel" not in places  # folded into Aleppo's dot
    label = places["aleppo"]["label"]
    assert label is not None and label["text"].startswith("Aleppo +")
    # A click in the middle of the pile opens Aleppo (the citadel's dot is not there).
    x, y = places["aleppo"]["dot"]["x"], places["aleppo"]["dot"]["y"]
    top = op.page.evaluate("([x, y]) => document.elementFromPoint(x, y).dataset.place", [x, y])
    assert top == "aleppo"
    op.page.mouse.click(x, y)
    assert op.page.inner_text(".leaflet-popup-content h3") == "Aleppo"
    # Zoomed in, the citadel has its own dot and label again.
    op.page.evaluate("window.mapper.map.setView([36.2, 37.16], 14, {animate: false})")
    places = {p["id"]: p for p in op.page.evaluate(_LABEL_BOXES)}
    assert "aleppo-citadel" in places
    assert not places["aleppo"]["label"]["text"].startswith("Aleppo +")


def test_hidden_names_show_on_hover_and_focus(open_page: Opener, aleppo_html: str) -> None:
    op = open_page(aleppo_html, "#2024-11-30")
    # An airbase or site whose dot shows but whose name does not at the country's zoom.
    pid, name = op.page.evaluate("""() => {
        for (const l of window.mapper.layers.places.getLayers()) {
            const path = l._path, tip = l.getTooltip(), node = tip && tip.getElement();
            if (!path || !node || getComputedStyle(path).display === 'none') continue;
            if (!/airbase|site|base/.test(path.dataset.place)) continue;
            if (getComputedStyle(node).visibility === 'hidden'
                || getComputedStyle(node).display === 'none') {
                return [path.dataset.place, node.textContent];
            }
        }
        return [null, null];
    }""")
    assert pid, "no base or site with a hidden name at the country's zoom"
    tip = f".ts-label:has-text('{name}')"
    dot = f'path.ts-place[data-place="{pid}"]'
    assert not op.page.is_visible(tip)
    op.page.hover(dot, force=True)
    assert op.page.is_visible(tip)
    op.page.mouse.move(5, 300)
    assert not op.page.is_visible(tip)
    op.page.focus(dot)
    assert op.page.is_visible(tip)


# ---- keyboard --------------------------------------------------------------------------------

def test_tab_reaches_places_enter_opens_escape_closes(open_page: Opener,
                                                      aleppo_html: str) -> None:
    op = open_page(aleppo_html, "#2024-11-30")
    kb = op.page.keyboard
    focused = ""
    for _ in range(40):
        kb.press("Tab")
        focused = op.page.evaluate("document.activeElement.getAttribute('data-place') || ''")
        if focused:
            break
    assert focused, "no place reached by Tab"
    name = op.page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert op.page.evaluate("document.activeElement.getAttribute('role')") == "button"
    kb.press("Enter")
    assert op.page.is_visible(".leaflet-popup")
    assert name.startswith(op.page.inner_text(".leaflet-popup-content h3"))
    kb.press("Escape")
    op.page.wait_for_selector(".leaflet-popup", state="detached", timeout=2000)  # fades out
    assert op.page.evaluate("document.activeElement.getAttribute('data-place')") == focused
    kb.press("Tab")  # on to the next place
    nxt = op.page.evaluate("document.activeElement.getAttribute('data-place')")
    assert nxt and nxt != focused
    # Every shown place is in the tab order; the ones folded into a city's dot are not.
    counts = op.page.evaluate(
        "[...document.querySelectorAll('path.ts-place')].reduce((c, p) => {"
        " const shown = getComputedStyle(p).display !== 'none';"
        " c[shown === (p.getAttribute('tabindex') === '0') ? 'ok' : 'bad'] += 1; return c; },"
        " {ok: 0, bad: 0})")
    assert counts["bad"] == 0 and counts["ok"] > 40


def test_escape_closes_the_sources_panel(open_page: Opener, aleppo_html: str) -> None:
    op = open_page(aleppo_html, "#2024-11-30")
    op.page.click(".ts-sources-toggle")
    assert op.page.is_visible(".ts-sources")
    op.page.keyboard.press("Escape")
    assert not op.page.is_visible(".ts-sources")
    assert op.page.evaluate("document.activeElement.classList.contains('ts-sources-toggle')")
    assert op.page.get_attribute(".ts-sources-toggle", "aria-expanded") == "false"


def test_arrows_pan_the_focused_map_and_step_the_date_elsewhere(open_page: Opener,
                                                                aleppo_html: str) -> None:
    op = open_page(aleppo_html, "#2024-11-30")
    centre = "(() => { const c = window.mapper.map.getCenter(); return [c.lat, c.lng]; })()"
    before = op.page.evaluate(centre)
    op.page.focus(".ts-map")
    op.page.keyboard.press("ArrowRight")
    op.page.wait_for_function(f"{centre}[1] !== {before[1]}")
    assert op.page.evaluate("window.mapper.date()") == "2024-11-30"  # the date stays
    op.page.wait_for_timeout(500)  # the pan's animation ends
    moved = op.page.evaluate(centre)
    op.page.focus(".ts-range")
    op.page.keyboard.press("ArrowRight")
    assert op.page.evaluate("window.mapper.date()") == "2024-12-01"
    op.page.wait_for_timeout(300)
    assert op.page.evaluate(centre) == moved  # the map stays


# ---- text alternative ------------------------------------------------------------------------

def test_live_summary_says_what_snapshot_alt_writes(open_page: Opener, aleppo: Dataset,
                                                    aleppo_html: str) -> None:
    from mapper import model
    from mapper.summary import describe

    t = model.build(aleppo)
    op = open_page(aleppo_html)
    live = op.page.locator(".ts-summary")
    assert live.get_attribute("aria-live") == "polite"
    assert not live.is_visible() or live.bounding_box()["width"] <= 1  # visually hidden
    for day in ("2024-11-24", "2024-11-30", "2024-12-08", "2024-12-12"):
        op.page.evaluate("d => window.mapper.setDate(d)", day)
        expected = describe(aleppo, date.fromisoformat(day), territory=t)
        op.page.wait_for_function("t => document.querySelector('.ts-summary').textContent === t",
                                  arg=expected, timeout=3000)
    text = describe(aleppo, date(2024, 11, 30), territory=t)
    assert text.startswith("30 November 2024. Syrian government and allies: ")
    assert "Contested: " in text and "including Aleppo" in text


def test_snapshot_alt_writes_the_summary_beside_the_image(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mapper.cli import main
    from mapper.summary import describe

    data = ROOT / "tests" / "data" / "mini"
    out = tmp_path / "mini.png"
    res = CliRunner().invoke(main, ["-q", "snapshot", str(data), "--date", "2024-11-30",
                                    "--dpi", "40", "--out", str(out), "--alt"])
    assert res.exit_code == 0, res.output
    text = describe(load_dataset(data, geocode=False), date(2024, 11, 30))
    assert (tmp_path / "mini.txt").read_text("utf-8") == text + "\n"
    assert text in res.output and out.is_file()
    assert text.startswith("30 November 2024. ") and " km² (" in text
