"""The static markup of the time-slider page: title bar, sources panel, slider bar.

Nothing here sees the dataset. The markup is built from the constants of this module only;
every text from the data (title, description, names, sources) is put into the page by the
browser code from the JSON payload, with ``textContent``. No template engine is involved at
any point, so no text in a dataset can run code or change on its way to the page.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

__all__ = ["BUTTONS", "SCRIPTS", "SPEEDS", "browser_script", "chrome_html", "read_static"]

#: Days per second the play button can run at.
SPEEDS = (1, 2, 4, 8, 15, 30)

_LEFT = '<path d="M11 3v10L4 8z"/>'
_RIGHT = '<path d="M5 3v10l7-5z"/>'
#: The slider's buttons: CSS class, label, keys, SVG icon (16 x 16).
BUTTONS = (
    ("ts-prev-change", "Previous change", "Shift+Left or Page Up",
     '<path d="M3 3h2v10H3zM13 3v10L6 8z"/>'),
    ("ts-prev-day", "Previous day", "Left", _LEFT),
    ("ts-play", "Play", "Space",
     '<path class="ts-icon-play" d="M4 2v12l10-6z"/>'
     '<path class="ts-icon-pause" d="M3 2h4v12H3zM9 2h4v12H9z"/>'),
    ("ts-next-day", "Next day", "Right", _RIGHT),
    ("ts-next-change", "Next change", "Shift+Right or Page Down",
     '<path d="M11 3h2v10h-2zM3 3v10l7-5z"/>'),
)


#: The browser code: the modules under ``mapper/render/static/js``, in the order they are
#: joined into the page's one ``<script>`` (each registers itself on ``window.__mapper`` and
#: may use the ones before it; ``main.js`` defines ``window.mapperTimeSlider``).
SCRIPTS = ("util.js", "state.js", "styles.js", "canvas.js", "ground.js", "labels.js",
           "incidents.js", "layers.js", "popups.js", "chart.js", "controls.js", "compare.js",
           "snapshot.js", "a11y.js", "main.js")


def _check_inlinable(text: str, what: str) -> str:
    lowered = text.lower()
    if "</script" in lowered or "</style" in lowered or "<!--" in lowered:
        raise ValueError(f"{what}: contains a closing script/style tag")
    return text


@cache
def read_static(name: str) -> str:
    """Return the text of a file under ``mapper/render/static``.

    Parameters
    ----------
    name
        File name, ``/``-separated below that folder (``timeslider.css``, ``js/util.js``).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the text could close the ``<script>``/``<style>`` element it is inlined into.

    Examples
    --------
    >>> "mapperTimeSlider" in read_static("js/main.js")
    True
    """
    path = resources.files("mapper.render").joinpath("static", *name.split("/"))
    return _check_inlinable(path.read_text("utf-8"), f"mapper/render/static/{name}")


def _strip_comments(text: str, name: str) -> str:
    """Drop a module's leading ``/* ... */`` block and its lines holding only a ``//`` comment.

    Both are for readers of the source; the page carries the code, a line naming the module
    first. Comments after code stay. The modules are ES5: no template literal, and no string
    continued across lines (which could hold a line starting with ``//``; an error).
    """
    if re.search(r"\\\n", text):
        raise ValueError(f"mapper/render/static/js/{name}: a string continued across lines")
    if text.startswith("/*"):
        text = text[text.index("*/") + 2:].lstrip("\n")
    lines = [line for line in text.split("\n")
             if not (line.lstrip().startswith("//") and "*/" not in line)]
    return f"// mapper/render/static/js/{name}\n" + "\n".join(lines)


@cache
def browser_script() -> str:
    """Return the page's browser code: the modules of :data:`SCRIPTS`, joined in that order.

    Each module's header comment and comment-only lines are left out (see the files for
    them); nothing else is changed: no bundler, no minifier.

    Returns
    -------
    str
        The same text on every call and every machine.

    Raises
    ------
    ValueError
        If a module, or the joined text, could close the ``<script>`` element.

    Examples
    --------
    >>> code = browser_script()
    >>> code.index("M.util = {") < code.index("window.mapperTimeSlider = ")
    True
    """
    text = "".join(_strip_comments(read_static(f"js/{name}"), name) for name in SCRIPTS)
    return _check_inlinable(text, "mapper/render/static/js")


def _button(cls: str, label: str, keys: str, icon: str) -> str:
    pressed = ' aria-pressed="false"' if cls == "ts-play" else ""
    return (f'<button type="button" class="{cls}" title="{label} ({keys})" '
            f'aria-label="{label}"{pressed}>'
            f'<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">{icon}</svg>'
            "</button>")


def chrome_html(name: str, speed: int) -> tuple[str, str]:
    """The page's fixed markup around the map, before and after it.

    Parameters
    ----------
    name
        Prefix of the element ids (``ts``): ``ts-head``, ``ts-map``, ``ts-bar``, ...
    speed
        The play speed selected at the start (one of :data:`SPEEDS`).

    Returns
    -------
    tuple of str
        ``(before_map, after_map)``: the title bar, and the sources panel, the slider bar (a
        region landmark) and the credit line (the page's footer).

    Raises
    ------
    ValueError
        If ``speed`` is not one of :data:`SPEEDS` or ``name`` is not a plain identifier.

    Examples
    --------
    >>> head, bar = chrome_html("ts", 4)
    >>> 'id="ts-bar"' in bar and 'class="ts-title"' in head
    True
    """
    if speed not in SPEEDS:
        raise ValueError(f"speed must be one of {SPEEDS}, not {speed}")
    if not name.isidentifier():
        raise ValueError(f"element id prefix must be an identifier, not {name!r}")
    head = (
        f'<header class="ts-head" id="{name}-head">'
        '<div class="ts-titles"><h1 class="ts-title"></h1>'
        '<p class="ts-description"></p></div>'
        f'<button type="button" class="ts-sources-toggle" aria-expanded="false" '
        f'aria-controls="{name}-sources">Sources</button>'
        "</header>\n"
    )
    buttons = "".join(_button(*b) for b in BUTTONS)
    options = "".join(
        f'<option value="{s}"{" selected" if s == speed else ""}>'
        f'{s} day{"s" if s != 1 else ""}/s</option>' for s in SPEEDS)
    bar = (
        f'<aside class="ts-chrome ts-sources" id="{name}-sources" hidden>'
        '<div class="ts-sources-head"><h2>Sources</h2>'
        '<button type="button" class="ts-sources-close" aria-label="Close sources">'
        "&times;</button></div>"
        '<ol class="ts-sources-list"></ol></aside>\n'
        f'<div class="ts-bar" id="{name}-bar" role="region" aria-label="Time slider">'
        '<div class="ts-date" aria-live="polite">'
        '<span class="ts-date-big"><span class="ts-date-text"></span></span>'
        '<span class="ts-date-sub"><span class="ts-date-text"></span></span></div>'
        f'<div class="ts-controls">{buttons}'
        '<label class="ts-speed-label">speed '
        f'<select class="ts-speed" aria-label="Days per second">{options}</select></label>'
        '<label class="ts-loop-label"><input type="checkbox" class="ts-loop"> loop</label>'
        '<button type="button" class="ts-download" '
        'title="Download a PNG image of the map on the shown date" '
        'aria-label="Download PNG of this date">'
        '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">'
        '<path d="M7 1h2v7h3l-4 4-4-4h3zM2 13h12v2H2z"/></svg><span>PNG</span></button>'
        "</div>"
        '<div class="ts-chart-legend" hidden></div>'
        '<div class="ts-track"><div class="ts-chart" hidden><div class="ts-chart-plot" role="img">'
        '<canvas class="ts-chart-canvas" aria-hidden="true"></canvas>'
        '<div class="ts-chart-marker" aria-hidden="true"></div>'
        '<div class="ts-chart-tip" role="tooltip" hidden></div></div></div>'
        '<div class="ts-slider">'
        '<input type="range" class="ts-range" min="0" max="0" step="1" value="0" '
        'aria-label="Date">'
        '<div class="ts-ticks" aria-hidden="true"></div>'
        '<div class="ts-ends"><span class="ts-start"></span><span class="ts-end"></span></div>'
        "</div></div></div>\n"
        f'<footer class="ts-foot" id="{name}-foot"><p class="ts-credit"></p></footer>\n'
    )
    return head, bar
