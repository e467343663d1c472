"""Assemble the self-contained page: a folium map, Leaflet inlined, the time slider, fixed ids."""

from __future__ import annotations

import base64
import html
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import folium
from branca.element import Element, Figure

from mapper.render.element import TimeSlider
from mapper.render.payload import build_payload

if TYPE_CHECKING:
    from mapper.dataset import Dataset

__all__ = ["CANVAS_THRESHOLD", "OfflineMap", "leaflet_assets", "render_html"]

#: Above this many places the map draws on a canvas instead of SVG.
CANVAS_THRESHOLD = 300


class OfflineMap(folium.Map):
    """A :class:`folium.Map` that links no CDN script or stylesheet (no jQuery, no Bootstrap).

    Leaflet itself must be added to the page inline (:func:`leaflet_assets`).
    """

    default_js: list[tuple[str, str]] = []  # noqa: RUF012 (folium's own class attribute)
    default_css: list[tuple[str, str]] = []  # noqa: RUF012


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


def _fix_ids(root: Element) -> None:
    """Replace folium's random element ids by their position in the tree.

    Walks the tree depth first in child order, so the same map built the same way gets the
    same ids; children keyed by their old name are re-keyed by the new one.
    """
    counter = 0

    def walk(el: Element) -> None:
        nonlocal counter
        old_names = {}
        for key, child in el._children.items():
            old_names[key] = child.get_name()
        for child in el._children.values():
            child._id = f"{counter:04d}"
            counter += 1
            walk(child)
        el._children = type(el._children)(
            (child.get_name() if key == old_names[key] else key, child)
            for key, child in el._children.items()
        )

    root._id = "root"
    if isinstance(root, Figure):
        for part in (root.header, root.html, root.script):
            walk(part)
    walk(root)


def render_html(ds: Dataset, *, canvas: bool | None = None) -> str:
    """Render a dataset as one self-contained HTML page with a time slider.

    The page needs no network: Leaflet, its images, the browser code and the data are all
    inlined. Online tiles are tried from the browser and only shown if a probe tile loads.
    The same dataset always gives the same bytes.

    Parameters
    ----------
    ds
        A loaded dataset.
    canvas
        Force canvas (``True``) or SVG (``False``) drawing; by default canvas is used above
        :data:`CANVAS_THRESHOLD` places.

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
    payload = build_payload(ds)
    if canvas is None:
        canvas = len(ds.places) > CANVAS_THRESHOLD
    m = OfflineMap(
        location=[ds.view.lat, ds.view.lon],
        zoom_start=ds.view.zoom,
        tiles=None,
        control_scale=True,
        prefer_canvas=canvas,
    )
    figure = m.get_root()
    assert isinstance(figure, Figure)
    figure.title = html.escape(ds.title)
    # The site index is rebuilt from these tags: they come before the long inlined assets.
    from mapper.site import meta_tags

    figure.header.add_child(Element(meta_tags(ds)), name="mapper_meta")
    js, css = leaflet_assets()
    figure.header.add_child(
        Element(f"<style>{css}</style>\n<script>{js}</script>"), name="leaflet"
    )
    TimeSlider(payload, canvas=canvas).add_to(m)
    _fix_ids(figure)
    return figure.render()
