"""Render a dataset as one self-contained HTML page: a Leaflet map with a time slider.

>>> from mapper.render import render_html
>>> html = render_html(load_dataset("geodata/aleppo-2024"))  # doctest: +SKIP
"""

from __future__ import annotations

from mapper.render.page import render_html
from mapper.render.payload import build_payload, payload_json

__all__ = ["build_payload", "payload_json", "render_html"]
