"""Importers that turn other projects' files into a dataset folder.

:mod:`mapper.imports.events` reads ACLED and UCDP GED event exports; :mod:`mapper.imports.places`
reads placemarks (KML/KMZ, GeoJSON, any GIS file). Dated polygon snapshots are
:func:`mapper.importers.import_snapshots`. Every importer writes through
:func:`mapper.importers.write_dataset` (whole or not at all).
"""

from __future__ import annotations

from mapper.imports.events import EventImport, import_acled, import_ucdp
from mapper.imports.places import PlacesImport, import_places

__all__ = ["EventImport", "PlacesImport", "import_acled", "import_places", "import_ucdp"]
