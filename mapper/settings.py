"""Settings shared by many functions; functions take ``None`` and read these when they run.

Change them at run time, e.g. ``mapper.settings.online_geocoding = True``.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Folder that holds the datasets (one sub-folder each) and the shared geocode cache.
geodata_dir: Path = Path(os.environ.get("MAPPER_GEODATA", "geodata"))

#: The committed, sorted geocode cache shared by every dataset.
geocode_cache: Path | None = None  # None means ``geodata_dir / "geocode.csv"``

#: Opt-in: ask an online geocoder (Nominatim through geopy) for names the gazetteer lacks.
online_geocoding: bool = False

#: Nominatim endpoint (scheme + host[:port]); tests point it at a local fake server.
nominatim_domain: str = os.environ.get("MAPPER_NOMINATIM_DOMAIN", "nominatim.openstreetmap.org")
nominatim_scheme: str = os.environ.get("MAPPER_NOMINATIM_SCHEME", "https")

#: The user agent sent to Nominatim. Its usage policy asks for one that identifies the
#: application and a way to reach its user: set ``MAPPER_USER_AGENT`` (e.g.
#: ``"mapper (newsroom maps; desk@example.org)"``) before ``mapper geocode --online``.
user_agent: str = os.environ.get("MAPPER_USER_AGENT", "mapper/0.1 (territorial-change maps)")

#: Seconds between two online geocoding requests (Nominatim allows at most one a second).
online_min_delay: float = 1.0

#: Where ``mapper build`` writes the static maps.
site_dir: Path = Path("site")

#: Show progress bars (tqdm) on long work; off when not a terminal.
progress: bool = True

#: ``mapper build`` draws a map's static images in a second process while the first renders
#: its page (Linux, with two or more CPUs free to the process; the files are the same either
#: way). Set to ``False`` to do everything in one process.
parallel_images: bool = True


def cache_path(dataset: Path | None = None) -> Path:
    """Return the geocode cache file in force.

    Parameters
    ----------
    dataset
        A dataset folder: its cache is ``geocode.csv`` beside it (in ``geodata/`` for the
        datasets there), so a folder of datasets carries its own cache wherever it is.

    Returns
    -------
    Path
        ``geocode_cache`` if set, else the dataset's folder of datasets' ``geocode.csv``,
        else ``geodata_dir / "geocode.csv"``.
    """
    if geocode_cache is not None:
        return geocode_cache
    if dataset is not None:
        return Path(dataset).parent / "geocode.csv"
    return geodata_dir / "geocode.csv"
