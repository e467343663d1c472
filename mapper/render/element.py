"""The folium element that carries a dataset's payload and the time-slider browser code.

:class:`TimeSlider` follows folium's own plugins (``folium/plugins/timeline.py``): a
``_template`` with ``header`` (CSS), ``html`` (title, slider bar, sources panel, the JSON
payload) and ``script`` (the inlined ``static/timeslider.js`` and its start call) macros.
Unlike folium's plugins it links nothing: every asset is inlined, so the page works offline.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from branca.element import MacroElement
from folium.template import Template

from mapper.render.payload import payload_json

__all__ = ["TimeSlider", "read_static"]

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


@cache
def read_static(name: str) -> str:
    """Return the text of a file under ``mapper/render/static``.

    Parameters
    ----------
    name
        File name (``timeslider.js``).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the text could close the ``<script>``/``<style>`` element it is inlined into.

    Examples
    --------
    >>> "mapperTimeSlider" in read_static("timeslider.js")
    True
    """
    text = resources.files("mapper.render").joinpath("static", name).read_text("utf-8")
    lowered = text.lower()
    if "</script" in lowered or "</style" in lowered:
        raise ValueError(f"mapper/render/static/{name}: contains a closing script/style tag")
    return text


class TimeSlider(MacroElement):
    """Time slider, legend, layers and popups for one dataset, as a folium element.

    Add it to a :class:`folium.Map`; the map must load Leaflet itself (see
    :func:`mapper.render.render_html`, which inlines it).

    Parameters
    ----------
    payload
        The data built by :func:`mapper.render.payload.build_payload`.
    canvas
        Draw markers, areas and lines on a canvas (fast for many places) instead of SVG.
    incident_days
        How many days an incident stays on the map (full strength on its day, fading after).
    speed
        Initial play speed, in days per second (one of :data:`SPEEDS`).

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(tiles=None)
    >>> TimeSlider({"title": "T", "description": ""}).add_to(m)  # doctest: +ELLIPSIS
    <mapper.render.element.TimeSlider object at ...>
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        {% endmacro %}

        {% macro html(this, kwargs) %}
        <header class="ts-chrome ts-head" id="{{ this.get_name() }}-head">
          <div class="ts-titles">
            <h1 class="ts-title">{{ this.title|e }}</h1>
            {%- if this.description %}
            <p class="ts-description" title="{{ this.description|e }}">{{ this.description|e }}</p>
            {%- endif %}
          </div>
          <button type="button" class="ts-sources-toggle" aria-expanded="false"
                  aria-controls="{{ this.get_name() }}-sources">Sources</button>
        </header>
        <aside class="ts-chrome ts-sources" id="{{ this.get_name() }}-sources" hidden>
          <div class="ts-sources-head"><h2>Sources</h2>
            <button type="button" class="ts-sources-close"
                    aria-label="Close sources">&times;</button>
          </div>
          <ol class="ts-sources-list"></ol>
        </aside>
        <div class="ts-bar" id="{{ this.get_name() }}-bar" role="group" aria-label="Time slider">
          <div class="ts-date" aria-live="polite">
            <span class="ts-date-big"></span>
            <span class="ts-date-sub"></span>
          </div>
          <div class="ts-controls">
            {%- for cls, label, keys, icon in this.buttons %}
            <button type="button" class="{{ cls }}" title="{{ label }} ({{ keys }})"
                    aria-label="{{ label }}"
                    {%- if cls == "ts-play" %} aria-pressed="false"{% endif %}>
              <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">{{ icon }}</svg>
            </button>
            {%- endfor %}
            <label class="ts-speed-label">speed
              <select class="ts-speed" aria-label="Days per second">
              {%- for s in this.speeds %}
                <option value="{{ s }}"{% if s == this.speed %} selected{% endif %}>
                  {{- s }} day{% if s != 1 %}s{% endif %}/s</option>
              {%- endfor %}
              </select>
            </label>
            <label class="ts-loop-label"><input type="checkbox" class="ts-loop"> loop</label>
            <button type="button" class="ts-download"
                    title="Download a PNG image of the map on the shown date"
                    aria-label="Download PNG of this date">
              <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
                <path d="M7 1h2v7h3l-4 4-4-4h3zM2 13h12v2H2z"/></svg><span>PNG</span>
            </button>
          </div>
          <div class="ts-chart-legend" hidden></div>
          <div class="ts-track">
            <div class="ts-chart" hidden>
              <div class="ts-chart-plot">
                <canvas class="ts-chart-canvas" aria-hidden="true"></canvas>
                <div class="ts-chart-marker" aria-hidden="true"></div>
                <div class="ts-chart-tip" role="tooltip" hidden></div>
              </div>
            </div>
            <div class="ts-slider">
              <input type="range" class="ts-range" min="0" max="{{ this.n - 1 }}" step="1"
                     value="0" aria-label="Date">
              <div class="ts-ticks" aria-hidden="true"></div>
              <div class="ts-ends"><span class="ts-start"></span><span class="ts-end"></span></div>
            </div>
          </div>
        </div>
        <script type="application/json" id="{{ this.get_name() }}-data">
          {{- this.payload_json -}}
        </script>
        {% endmacro %}

        {% macro script(this, kwargs) %}
        {{ this.js }}
        window.mapper = window.mapperTimeSlider(
            {{ this._parent.get_name() }}, {{ this.get_name()|tojson }},
            {{ this.options|tojavascript }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict[str, Any], *, canvas: bool = False,
                 incident_days: int = 3, speed: int = 4) -> None:
        super().__init__()
        self._name = "TimeSlider"
        if speed not in SPEEDS:
            raise ValueError(f"speed must be one of {SPEEDS}, not {speed}")
        if incident_days < 1:
            raise ValueError(f"incident_days must be at least 1, not {incident_days}")
        self.title = str(payload.get("title", ""))
        self.description = str(payload.get("description", ""))
        self.n = int(payload.get("n", 1))
        self.speeds = SPEEDS
        self.buttons = BUTTONS
        self.speed = speed
        self.payload_json = payload_json(payload)
        self.css = read_static("timeslider.css")
        self.js = read_static("timeslider.js")
        self.options = {"canvas": canvas, "incident_days": incident_days, "speed": speed}
