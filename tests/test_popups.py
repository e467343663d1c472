"""Place popups and markers in Chromium: sources per step, every event, words for columns,
a compact popup on a phone, a marker shape per side (in the legend too), nothing fetched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.browser

OpenedPage = Any
Opener = Callable[..., OpenedPage]


def _open_popup(op: OpenedPage, place: str) -> Any:
    op.page.click(f'path.ts-place[data-place="{place}"]', force=True)
    op.page.wait_for_selector(".leaflet-popup-content .ts-popup")
    return op.page.locator(".leaflet-popup-content .ts-popup")


def _clean(op: OpenedPage) -> None:
    assert op.unexpected_console_errors() == []
    assert op.foreign_requests() == []


def test_each_history_step_names_its_source(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-11-30")
    popup = _open_popup(op, "aleppo")
    steps = popup.locator(".ts-history li")
    texts = steps.all_inner_texts()
    assert len(texts) == 3, texts
    # December 2016 (known to the month) from the archive; the two 2024 steps from the wire
    # and the gazette, each linked by its title.
    assert texts[0].startswith("Government from December 2016 until 29 November 2024")
    assert "Fixture background note" in texts[0]
    assert "Fixture wire report" in texts[1] and texts[1].startswith("Contested from")
    assert "Fixture gazette story" in texts[2] and "since 30 November 2024" in texts[2]
    links = steps.nth(2).locator("a")
    assert links.count() == 1
    assert links.first.get_attribute("href") == "http://example.com/gazette"
    assert steps.nth(1).locator("a").first.get_attribute("href") == (
        "https://example.org/wire?a=1&b=2")
    # The archive has no URL: its title is text, not a link.
    assert steps.nth(0).locator("a").count() == 0
    _clean(op)


def test_every_event_is_listed_the_shown_days_first(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-11-30")
    popup = _open_popup(op, "aleppo")
    today = popup.locator(".ts-events-today .ts-event").all_inner_texts()
    other = popup.locator(".ts-events-other .ts-event").all_inner_texts()
    assert len(today) == 2 and len(other) == 2  # aleppo has four events in events.csv
    assert any("Aircraft struck the outskirts." in t for t in today)
    assert other[0].startswith("December 2016: recaptured")  # coarse date as known
    assert other[1].startswith("29 November 2024: entered")
    heads = popup.locator("h4").all_inner_texts()
    assert heads.index("ON 30 NOVEMBER 2024") < heads.index("OTHER EVENTS (2)") or (
        heads.index("On 30 November 2024") < heads.index("Other events (2)"))
    # The event text from the data is shown as text, not markup.
    assert popup.locator("b").count() == 0 and popup.locator("script").count() == 0
    _clean(op)


def test_column_names_read_as_words(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-11-30")
    popup = _open_popup(op, "aleppo")
    terms = popup.locator("dt").all_inner_texts()
    assert "Notes" in terms and "Local name" in terms
    assert not [t for t in terms if "_" in t or t != t[:1].upper() + t[1:]]
    _clean(op)


def test_popup_on_a_phone_is_compact_and_clear_of_the_layers_button(
        open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-11-30", width=390, height=844)
    _open_popup(op, "aleppo")
    op.page.wait_for_timeout(400)  # the auto-pan
    box = op.page.locator(".leaflet-popup").bounding_box()
    map_box = op.page.locator(".leaflet-container").bounding_box()
    assert box["height"] < 0.62 * map_box["height"], (box, map_box)
    assert box["width"] < map_box["width"] - 40
    close = op.page.locator(".leaflet-popup-close-button").bounding_box()
    layers = op.page.locator(".leaflet-control-layers").bounding_box()
    overlap_x = close["x"] < layers["x"] + layers["width"] and layers["x"] < close["x"] + close[
        "width"]
    overlap_y = close["y"] < layers["y"] + layers["height"] and layers["y"] < close["y"] + close[
        "height"]
    assert not (overlap_x and overlap_y), (close, layers)
    op.page.click(".leaflet-popup-close-button")
    op.page.wait_for_selector(".leaflet-popup", state="detached", timeout=5000)
    _clean(op)


def test_markers_carry_a_shape_per_side(open_page: Opener, mini_html: str) -> None:
    op = open_page(mini_html, "#2024-11-30")
    shapes = op.page.evaluate("""() => {
      const out = {};
      for (const p of document.querySelectorAll('path.ts-place')) {
        const c = p.getAttribute('data-controller');
        (out[c] = out[c] || new Set()).add(p.getAttribute('data-shape'));
      }
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]]));
    }""")
    assert shapes["government"] == ["circle"] and shapes["hts"] == ["square"], shapes
    # A square is drawn as a polygon path, not a circle's arcs.
    d = op.page.get_attribute('path.ts-place[data-controller="hts"]', "d")
    assert d and "a" not in d.lower().replace("m", "") and d.count("L") == 3
    # The legend shows the same shapes.
    assert op.page.locator('.ts-legend svg.ts-swatch-shape[data-shape="square"]').count() == 1
    # A side change changes the shape: Saraqib goes back to the government on 3 December.
    op.page.evaluate("window.mapper.setDate('2024-12-04')")
    assert op.page.get_attribute('path.ts-place[data-place="saraqib"]', "data-shape") == "circle"
    _clean(op)
