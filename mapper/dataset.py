"""Load and validate a dataset folder: ``dataset.toml``, ``places.csv``, ``events.csv``,
``sources.csv`` and ``routes.csv`` (format: ``geodata/README.md``).

The public entry points are :func:`load_dataset` (raises :class:`~mapper.errors.DatasetError`)
and :func:`validate` (returns every problem found, never raises for bad data).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from mapper.errors import Problem

#: The built-in status for a place fought over; it is never declared as a faction.
CONTESTED = "contested"


@dataclass(frozen=True)
class Faction:
    """A side that can hold places.

    Parameters
    ----------
    id
        Slug used in ``events.csv`` (``government``, ``hts``).
    label
        Name shown in the legend.
    colour
        CSS hex colour, ``#rrggbb``.
    pattern
        Optional fill pattern for colour-blind readers: ``solid`` (default), ``hatch``,
        ``cross``, ``dots``; areas and route segments of this faction use it.
    dash
        Optional line dash for routes and fronts, as an SVG dash array (``"6 4"``).
    aliases
        Words a news text uses for this side (``rebels``, ``regime``), for ``mapper extract``.
    """

    id: str
    label: str
    colour: str
    pattern: str = "solid"
    dash: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class View:
    """The initial map view: centre (lat, lon) and Leaflet zoom level."""

    lat: float
    lon: float
    zoom: int


@dataclass
class Dataset:
    """A loaded, validated and geocoded dataset.

    Attributes
    ----------
    path
        The dataset folder.
    id
        The folder name (``aleppo-2024``); used for the output folder in ``site/``.
    title, description
        From ``dataset.toml``.
    start, end
        The time range the slider shows (inclusive). Events before ``start`` set the state
        at ``start``.
    view
        Initial map view.
    countries
        ISO 3166-1 alpha-2 codes the map is about (clip areas to these; geocoding prefers them).
    factions
        Factions in declaration order, keyed by id. ``contested`` is not in it.
    places
        GeoDataFrame indexed by place id (``id``), EPSG:4326 points, columns ``name``, ``kind``,
        ``country``, ``query``, ``notes``, ``population`` (Int64, from the gazetteer where known),
        ``geocode_source`` (``places.csv``, ``cache``, ``geonames``, ``nominatim``),
        ``line`` (line in places.csv), then any extra columns as strings.
    events
        DataFrame in chronological order (stable: file order within a day), columns ``date``
        (``datetime.date``, first day of the period), ``date_text`` (as written),
        ``precision`` (``day``, ``month`` or ``year``), ``place_id``, ``controller`` (faction id,
        ``contested`` or ``None``), ``kind``, ``description``, ``source_id``, ``line``, then extras.
    sources
        DataFrame indexed by source id: ``title``, ``publisher``, ``url``, ``published``
        (``date`` or ``None``), ``line``, extras.
    routes
        GeoDataFrame indexed by route id: ``name``, ``kind``, ``waypoints`` (list of place ids or
        ``None`` for a bare coordinate waypoint), ``source_id``, ``notes``, ``line``, extras,
        geometry a LineString (lon, lat) through the waypoints.
    meta
        The whole parsed ``dataset.toml``.
    """

    path: Path
    id: str
    title: str
    description: str
    start: date
    end: date
    view: View
    countries: tuple[str, ...]
    factions: dict[str, Faction]
    places: gpd.GeoDataFrame
    events: pd.DataFrame
    sources: pd.DataFrame
    routes: gpd.GeoDataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def incidents(self) -> pd.DataFrame:
        """Events that change no control (``controller`` is empty), such as air strikes."""
        return self.events[self.events["controller"].isna()]

    @property
    def control_events(self) -> pd.DataFrame:
        """Events that set a controller (a faction or ``contested``)."""
        return self.events[self.events["controller"].notna()]


def validate(path: Path | str, *, geocode: bool = True) -> list[Problem]:
    """Check a dataset folder and return every problem found (errors and warnings).

    Parameters
    ----------
    path
        The dataset folder.
    geocode
        Also check that every place resolves to coordinates (offline).

    Returns
    -------
    list of Problem
        Sorted by file, then line. Empty when the dataset is clean.
    """
    raise NotImplementedError  # owned by the dataset work (issue 2)


def load_dataset(path: Path | str, *, geocode: bool = True) -> Dataset:
    """Load, validate and geocode a dataset folder.

    Parameters
    ----------
    path
        The dataset folder (``geodata/aleppo-2024``).
    geocode
        Resolve places without ``lat``/``lon`` (offline: cache, then gazetteer).

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetError
        With every error found, each naming the file, line and field.

    Examples
    --------
    >>> ds = load_dataset("geodata/aleppo-2024")  # doctest: +SKIP
    >>> ds.places.loc["aleppo", "name"]  # doctest: +SKIP
    'Aleppo'
    """
    raise NotImplementedError  # owned by the dataset work (issue 2)
