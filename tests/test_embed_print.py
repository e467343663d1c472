"""Embedding and printing the map page, in headless Chromium.

- Embedded (``&embed``) at 600 x 400 and at the full width of an article's column, the page
  keeps a one-line title, an open legend, the credit line with the sources, a labelled PNG
  button, and its subject (Aleppo, Damascus) in view; taking ``&embed`` off the address ends
  embed mode.
- Printed (Chromium's PDF, A4 portrait and landscape): one page; map, legend, date and the
  sources on it; no buttons or slider; the map drawn over its whole area (no blank band).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
OpenedPage = Any
Opener = Callable[..., OpenedPage]
MM = 96 / 25.4  # CSS pixels per millimetre
A4 = (210.0, 297.0)
MARGIN_MM = 10.0  # timeslider.css @page margin


def _in_view(frame: Any, place: str) -> bool:
    return bool(frame.evaluate(
        "id => { const m = window.mapper, l = m.layers.places.getLayers().find("
        "x => x._path && x._path.dataset.place === id);"
        " return m.map.getBounds().contains(l.getLatLng()); }", place))


def _check_embed(frame: Any) -> None:
    assert frame.evaluate("document.documentElement.classList.contains('ts-embed')")
    title = frame.locator(".ts-title")
    assert title.is_visible()
    box = title.bounding_box()
    assert box is not None and box["height"] < 30  # one line
    assert not frame.locator(".ts-description").is_visible()
    # The legend is open, every side named in it.
    assert frame.evaluate("document.querySelector('.ts-legend details').open")
    legend = frame.inner_text(".ts-legend")
    for side in ("Syrian government", "HTS-led", "Contested"):
        assert side in legend
    credit = frame.locator(".ts-credit")
    assert credit.is_visible() and credit.inner_text().startswith("Sources: ")
    credit_box = credit.bounding_box()
    assert credit_box is not None and credit_box["height"] < 20  # one line
    # The download button says what it does, in words.
    button = frame.locator(".ts-download")
    assert button.is_visible() and button.inner_text().strip() == "PNG"
    assert "Download" in (button.get_attribute("aria-label") or "")
    assert not frame.locator(".ts-speed").is_visible()
    assert frame.locator(".ts-range").is_visible()
    # The map gets most of the frame; the subject stays in view.
    map_box = frame.locator(".ts-map").bounding_box()
    assert map_box is not None and map_box["height"] >= 0.7 * frame.evaluate("innerHeight")
    for place in ("aleppo", "idlib", "damascus"):
        assert _in_view(frame, place), place


def test_embed_at_600_by_400(open_page: Opener, aleppo_html: str) -> None:
    op = open_page(aleppo_html, "#2024-11-30&embed", width=600, height=400)
    _check_embed(op.page)
    assert op.unexpected_console_errors() == []
    assert op.foreign_requests() == []


def test_embed_in_an_article_column(browser: Any, tmp_path: Path, aleppo_html: str) -> None:
    (tmp_path / "map.html").write_text(aleppo_html, "utf-8")
    (tmp_path / "article.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Report</title>'
        "</head><body><main style=\"max-width: 680px; margin: 0 auto\"><h1>Report</h1>"
        "<p>Text of the article.</p>"
        '<iframe src="map.html#2024-11-30&embed" width="100%" height="480" style="border:0" '
        'title="Map"></iframe><p>More text.</p></main></body></html>', "utf-8")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                   else r.abort())
        page.goto((tmp_path / "article.html").as_uri())
        frame = page.frame_locator("iframe")
        frame.locator(".ts-date-big").wait_for()
        inner = next(f for f in page.frames if f.url.split("#")[0].endswith("map.html"))
        inner.wait_for_function("window.mapper !== undefined")
        assert inner.evaluate("innerWidth") == 680
        _check_embed(inner)
    finally:
        ctx.close()


def test_taking_embed_off_the_address_ends_embed_mode(open_page: Opener,
                                                      aleppo_html: str) -> None:
    op = open_page(aleppo_html, "#2024-11-30&embed", width=1280, height=800)
    assert op.page.evaluate("document.documentElement.classList.contains('ts-embed')")
    op.page.evaluate("location.hash = '#2024-11-30'")
    op.page.wait_for_function("!document.documentElement.classList.contains('ts-embed')")
    assert op.page.is_visible(".ts-description") and op.page.is_visible(".ts-speed")
    op.page.evaluate("d => window.mapper.setDate(d)", "2024-12-01")
    op.page.wait_for_function("location.hash === '#2024-12-01'")  # no &embed written back


def _white_rows(img: Image.Image, box: tuple[int, int, int, int]) -> float:
    """The largest share of the box's height taken by consecutive near-white rows."""
    crop = img.convert("L").crop(box)
    w, h = crop.size
    data = crop.load()
    longest = run = 0
    for y in range(h):
        white = sum(1 for x in range(0, w, 2) if data[x, y] >= 250)
        if white > 0.9 * len(range(0, w, 2)):
            run += 1
            longest = max(longest, run)
        else:
            run = 0
    return longest / h


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_print_one_a4_page_with_map_legend_date_and_sources(
        open_page: Opener, aleppo_html: str, tmp_path: Path, landscape: bool) -> None:
    op = open_page(aleppo_html, "#2024-11-30", width=1280, height=800)
    page = op.page
    pdf = page.pdf(format="A4", landscape=landscape, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pages == 1
    # What the printed page holds, in print media at the page's size (the PDF's layout).
    paper = (A4[1], A4[0]) if landscape else A4
    width = round((paper[0] - 2 * MARGIN_MM) * MM)
    height = round((paper[1] - 2 * MARGIN_MM) * MM)
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(media="print")
    page.wait_for_timeout(300)
    for hidden in (".ts-controls", ".ts-range", ".leaflet-control-zoom", ".ts-sources-toggle",
                   ".leaflet-control-layers"):
        assert not page.is_visible(hidden), hidden
    for shown in (".ts-map", ".ts-legend", ".ts-date-big", ".ts-credit", ".ts-title"):
        assert page.is_visible(shown), shown
    assert page.evaluate("document.querySelector('.ts-legend details').open")
    assert page.inner_text(".ts-date-big") == "30 November 2024"
    credit = page.inner_text(".ts-credit")
    assert credit.startswith("Sources: ") and " more" not in credit  # every source named
    assert page.evaluate("document.documentElement.scrollHeight") <= height + 1
    map_box = page.locator(".ts-map").bounding_box()
    assert map_box is not None and map_box["height"] > 0.4 * height
    # The PDF itself: rasterised with poppler if installed, else Chromium's own rendering of
    # the print layout (a screenshot in print media).
    dpi = 48
    if shutil.which("pdftoppm"):
        (tmp_path / "print.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile",
                        str(tmp_path / "print.pdf"), str(tmp_path / "print")], check=True,
                       timeout=120)
        img = Image.open(tmp_path / "print.png")
        scale, offset = dpi / 96, MARGIN_MM * MM
        assert abs(img.size[0] - paper[0] / 25.4 * dpi) <= 2
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(tmp_path / "print.pdf"), "-"],
                                  capture_output=True, text=True, check=True).stdout
            assert "Sources:" in text and "30 November 2024" in text
    else:
        page.screenshot(path=str(tmp_path / "print.png"))
        img = Image.open(tmp_path / "print.png")
        scale, offset = 1.0, 0.0
    box = (round((map_box["x"] + offset) * scale), round((map_box["y"] + offset) * scale),
           round((map_box["x"] + map_box["width"] + offset) * scale),
           round((map_box["y"] + map_box["height"] + offset) * scale))
    assert _white_rows(img, box) < 0.05  # drawn all over: no blank band
    # Land, sea and areas: many colours, not a flat fill.
    colours = img.convert("RGB").crop(box).quantize(64).getcolors()
    assert colours is not None and len(colours) > 20
