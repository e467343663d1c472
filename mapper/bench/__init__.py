"""Benchmarks: a synthetic dataset generator and a harness that measures our map page against
folium's ``TimestampedGeoJson`` plugin on the same data.

Modules (each runs with ``python -m``): :mod:`mapper.bench.synth` writes a synthetic dataset;
:mod:`mapper.bench.run` builds it two ways and measures both pages in headless Chromium. The
method and the latest figures are in ``benchmarks/README.md``. Nothing is imported here, so
``python -m mapper.bench.synth`` runs its module only once.
"""

from __future__ import annotations

__all__: list[str] = []
