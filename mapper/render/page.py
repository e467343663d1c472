"""Assemble the self-contained page: fixed markup, Leaflet inlined, the payload as JSON.

The page is put together by joining strings: the fixed markup of :mod:`mapper.render.element`,
Leaflet's files from the ``xstatic-leaflet`` package, the browser code, and the dataset as one
JSON document in a ``<script type="application/json">`` element. No template engine sees any
part of it. Text from the dataset appears in the HTML only in the JSON (where it cannot close
its element, see :func:`mapper.render.payload.payload_json`) and, HTML-escaped, in the
``<title>`` and the ``mapper:`` meta tags that the site index reads back.
"""

from __future__ import annotations

import base64
import html
import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapper.render.element import SPEEDS, browser_script, chrome_html, read_static
from mapper.render.payload import build_payload, payload_json

if TYPE_CHECKING:
    from mapper.dataset import Dataset
    from mapper.model import Territory

__all__ = ["CANVAS_THRESHOLD", "PAGE_ID", "assemble", "leaflet_assets", "render_html"]

#: Above this many places the map draws on a canvas instead of SVG.
CANVAS_THRESHOLD = 300

#: Prefix of the page's element ids (``ts-map``, ``ts-data``, ``ts-bar``, ...).
PAGE_ID = "ts"


def _leaflet_dir() -> Path:
    """The folder of Leaflet's files in the ``xstatic-leaflet`` package."""
    from xstatic.pkg import leaflet

    return Path(leaflet.BASE_DIR)


@cache
def leaflet_assets() -> tuple[str, str]:
    """Return Leaflet's JavaScript and CSS, ready to inline (images as ``data:`` URIs).

    Returns
    -------
    tuple of str
        ``(js, css)``; the source-map comment is removed from the JavaScript.

    Raises
    ------
    ValueError
        If the CSS names an image that is not shipped, or the code could close its element.

    Examples
    --------
    >>> js, css = leaflet_assets()
    >>> "images/" in css
    False
    """
    base = _leaflet_dir()
    js = (base / "leaflet.js").read_text("utf-8")
    js = re.sub(r"^//# sourceMappingURL=.*$", "", js, flags=re.MULTILINE).rstrip() + "\n"
    css = (base / "leaflet.css").read_text("utf-8")

    def inline(match: re.Match[str]) -> str:
        name = match.group(1)
        path = base / "images" / name
        if not path.is_file():
            raise ValueError(f"{base / 'leaflet.css'}: image {name!r} not found")
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\(\s*['\"]?images/([\w.-]+\.png)['\"]?\s*\)", inline, css)
    css = re.sub(r"/\*# sourceMappingURL=.*?\*/", "", css)
    for text, what in ((js, "script"), (css, "style")):
        if f"</{what}" in text.lower():
            raise ValueError(f"Leaflet's {what} contains a closing </{what}> tag")
    return js, css


def assemble(payload: dict[str, Any], meta: dict[str, str], *, canvas: bool = False,
             incident_days: int = 3, speed: int = 4) -> str:
    """Join the page from its parts; the payload goes in as JSON and nowhere else.

    Parameters
    ----------
    payload
        The data built by :func:`mapper.render.payload.build_payload` (needs ``title``,
        ``view`` and what the browser code reads).
    meta
        ``mapper:`` meta tags (name -> text) the site index reads back.
    canvas
        Draw markers, areas and lines on a canvas (fast for many places) instead of SVG.
    incident_days
        How many days an incident stays on the map (full strength on its day, fading after).
    speed
        Initial play speed, in days per second (one of :data:`SPEEDS`).

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    ValueError
        If ``speed`` or ``incident_days`` is out of range, or a meta name is not a word.

    Examples
    --------
    >>> page = assemble({"title": "{{ 7*7 }} <b>", "view": {}}, {"title": "{{ 7*7 }} <b>"})
    >>> "<title>{{ 7*7 }} &lt;b&gt;</title>" in page
    True
    """
    if speed not in SPEEDS:
        raise ValueError(f"speed must be one of {SPEEDS}, not {speed}")
    if incident_days < 1:
        raise ValueError(f"incident_days must be at least 1, not {incident_days}")
    esc = html.escape
    tags = []
    for key, value in meta.items():
        if not re.fullmatch(r"\w+", key):
            raise ValueError(f"meta tag name must be a word, not {key!r}")
        tags.append(f'<meta name="mapper:{key}" content="{esc(value, quote=True)}">')
    leaflet_js, leaflet_css = leaflet_assets()
    head_html, bar_html = chrome_html(PAGE_ID, speed)
    options = json.dumps({"canvas": canvas, "incidentDays": incident_days, "speed": speed},
                         sort_keys=True)
    # Each part is inserted exactly once, in order; no part is ever read again as markup.
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{esc(str(payload.get('title', '')), quote=False)}</title>\n",
        # The site index is rebuilt from these tags: they come before the long inlined assets.
        "".join(tags), "\n",
        "<style>", leaflet_css, "</style>\n",
        "<style>", read_static("timeslider.css"), "</style>\n",
        "</head>\n<body>\n",
        head_html,
        f'<main class="ts-main" id="{PAGE_ID}-main">'
        f'<div class="ts-map" id="{PAGE_ID}-map"></div></main>\n',
        bar_html,
        f'<script type="application/json" id="{PAGE_ID}-data">', payload_json(payload),
        "</script>\n",
        "<script>", leaflet_js, "</script>\n",
        "<script>", browser_script(),
        f"\nwindow.mapper = window.mapperTimeSlider({json.dumps(PAGE_ID)}, {options});\n",
        "</script>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def render_html(ds: Dataset, *, canvas: bool | None = None, tiles: str | None = None,
                territory: Territory | None = None) -> str:
    """Render a dataset as one self-contained HTML page with a time slider.

    The page needs no network and requests nothing: Leaflet, its images, the browser code,
    the base map and the data are all inlined. Online tiles are added only when ``tiles``
    names a provider, and the page then says where they come from. The same dataset always
    gives the same bytes.

    Parameters
    ----------
    ds
        A loaded dataset.
    canvas
        Force canvas (``True``) or SVG (``False``) drawing; by default canvas is used above
        :data:`CANVAS_THRESHOLD` places.
    tiles
        An xyzservices provider name (``OpenStreetMap.Mapnik``) for online tiles under the
        map; ``None`` (the default) for none.
    territory
        The dataset's model (:func:`mapper.model.build`), if already built.

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> page = render_html(load_dataset("geodata/aleppo-2024"))  # doctest: +SKIP
    >>> page.startswith("<!DOCTYPE html>")  # doctest: +SKIP
    True
    """
    from mapper.site import meta_fields

    payload = build_payload(ds, tiles=tiles, territory=territory)
    if canvas is None:
        canvas = len(ds.places) > CANVAS_THRESHOLD
    return assemble(payload, meta_fields(ds), canvas=canvas)
