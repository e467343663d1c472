"""``mapper extract``: from a news article to a draft dataset for a person to check.

The pipeline, one module per step::

    text.py    read the article (text or HTML), clean it, cut it into sentences
    places.py  find place names with the gazetteer (mapper.geocode), rank each match
    dates.py   find dates, resolve relative ones against the publication date
    events.py  sentences that say a place changed hands or was hit -> draft events
    draft.py   write places.csv, events.csv, sources.csv, routes.csv, dataset.toml, report.md

Rules and word lists are data: ``mapper/data/extract_lexicon.toml`` (places, routes, event
verbs) and ``mapper/data/extract_actors.toml`` (default factions and aliases per conflict).
Everything is offline and deterministic.

Examples
--------
>>> from datetime import date
>>> draft = extract_article(Path("article.txt"), published=date(2024, 12, 1))  # doctest: +SKIP
>>> write_draft(draft, Path("draft"))  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from mapper.errors import MapperError
from mapper.extract.dates import DateMention, find_all_dates
from mapper.extract.draft import write_draft
from mapper.extract.events import Candidate, EventDraft, compile_aliases, find_events
from mapper.extract.lexicon import Faction, lexicon, profiles
from mapper.extract.places import ACCEPT, Place, PlaceMention, find_places, slug
from mapper.extract.text import Sentence, clean_text, read_article, split_sentences

__all__ = [
    "ACCEPT",
    "Draft",
    "DraftEvent",
    "Source",
    "extract_article",
    "extract_text",
    "write_draft",
]


@dataclass(frozen=True)
class Source:
    """The ``sources.csv`` row of the article."""

    id: str
    title: str
    publisher: str
    url: str
    published: str


@dataclass
class DraftEvent:
    """A row of the draft ``events.csv``, with what the review report shows beside it.

    Parameters
    ----------
    date, place_id, controller, kind, description, source_id
        The ``events.csv`` columns (``""`` when unresolved).
    actor
        Who acted (extra column): for an air strike, the side that struck.
    confidence
        0-1.
    flags
        What to check; a row without flags is complete.
    sentences
        Sentence numbers of the evidence.
    evidence
        The verb, place, actor and date phrases.
    status
        ``new``, or ``known`` when the dataset given with ``--dataset`` already has it.
    """

    date: str
    place_id: str
    controller: str
    kind: str
    description: str
    source_id: str
    actor: str
    confidence: float
    flags: list[str]
    sentences: list[int]
    evidence: dict[str, str]
    place_name: str
    status: str = "new"


@dataclass
class Draft:
    """Everything extracted from one article.

    Attributes
    ----------
    article
        The article file (or ``None`` for text given directly).
    published
        Publication date that relative dates were resolved against.
    source
        The article as a ``sources.csv`` row.
    sentences
        The numbered sentences (the report quotes them).
    places
        Every place found, best first; ``accepted`` ones go to ``places.csv`` /
        ``routes.csv`` marked by confidence, the others are listed in the report only.
    dates
        Every date expression, resolved.
    events
        Draft events in date order.
    skipped
        Sentences with an event verb that gave no event, and why.
    factions
        The factions the actors were mapped to (id -> Faction).
    actors_from
        Where the aliases came from: a dataset folder or ``extract_actors.toml:<profile>``.
    focus
        The countries the text is about.
    known_places
        Place id -> ``known`` / ``new`` against ``--dataset``; empty without one.
    dataset
        The dataset compared against, if any.
    """

    article: Path | None
    published: date | None
    source: Source
    sentences: list[Sentence]
    places: list[Place]
    dates: list[DateMention]
    events: list[DraftEvent]
    skipped: list[Candidate]
    factions: dict[str, Faction]
    actors_from: str
    focus: tuple[str, ...]
    known_places: dict[str, str] = field(default_factory=dict)
    dataset: Path | None = None


def extract_article(path: Path | str, *, published: date | None,
                    dataset: Path | str | None = None, title: str | None = None,
                    publisher: str | None = None, url: str | None = None,
                    source_id: str | None = None) -> Draft:
    """Read an article file and extract a draft dataset from it.

    Parameters
    ----------
    path
        Plain text or HTML, UTF-8.
    published
        Publication date (relative dates are resolved against it).
    dataset
        An existing dataset folder: its countries and faction aliases are used, and the
        draft says what is new against it.
    title, publisher, url, source_id
        The ``sources.csv`` row; missing title/publisher stay empty and are flagged.

    Returns
    -------
    Draft

    Examples
    --------
    >>> d = extract_article("tests/data/articles/kherson-2022.txt",
    ...                     published=date(2022, 11, 13))  # doctest: +SKIP
    >>> sorted({e.controller for e in d.events})  # doctest: +SKIP
    ['', 'ukraine']
    """
    path = Path(path)
    text = read_article(path)
    return extract_text(text, published=published, dataset=dataset, title=title,
                        publisher=publisher, url=url,
                        source_id=source_id or slug(path.stem), article=path)


def extract_text(text: str, *, published: date | None, dataset: Path | str | None = None,
                 title: str | None = None, publisher: str | None = None,
                 url: str | None = None, source_id: str = "article",
                 article: Path | None = None) -> Draft:
    """Extract a draft dataset from article text (see :func:`extract_article`).

    Parameters
    ----------
    text
        The article's text.
    published, dataset, title, publisher, url
        As for :func:`extract_article`.
    source_id
        Id of the article in ``sources.csv``.
    article
        The file it came from, for the report.

    Returns
    -------
    Draft
    """
    from mapper.geocode import Gazetteer

    lex = lexicon()
    sentences = split_sentences(clean_text(text))
    ds = _load(dataset) if dataset is not None else None
    countries = tuple(ds.countries) if ds is not None else None
    places, focus = find_places(sentences, Gazetteer.load(), countries=countries, lex=lex)
    dates = find_all_dates([(s.number, s.text) for s in sentences], published)
    if ds is not None:
        factions = {f.id: Faction(f.id, f.label, f.colour, f.pattern, tuple(f.aliases))
                    for f in ds.factions.values()}
        actors_from = str(dataset)
    else:
        profile = _profile(focus, "\n".join(s.text for s in sentences))
        factions = {f.id: f for f in profile.factions}
        actors_from = f"mapper/data/extract_actors.toml: {profile.id}"
    aliases = compile_aliases({f.id: f.aliases for f in factions.values()})
    mentions = [m for p in places for m in p.mentions]
    drafts, skipped = find_events(sentences, mentions, dates, aliases, lex)
    source = Source(source_id, title or _headline(sentences),
                    publisher or "", url or "", published.isoformat() if published else "")
    ids = {p.key: p.id for p in places}
    known_places: dict[str, str] = {}
    existing_control: dict[str, list[tuple[date, str]]] = {}
    known_events: dict[tuple[str, str, str, str], int] = {}
    if ds is not None:
        known_places = _match_dataset_places(places, ds, ids)
        for _, row in ds.events.iterrows():
            known_events[(str(row["place_id"]), str(row["date_text"]),
                          str(row["controller"] or ""), str(row["kind"]))] = int(row["line"])
            if row["controller"] is not None:
                existing_control.setdefault(str(row["place_id"]), []).append(
                    (row["date"], str(row["controller"])))
    events = _rows(drafts, ids, factions, source, known_events, existing_control)
    return Draft(article, published, source, sentences, places, dates, events, skipped,
                 factions, actors_from, tuple(sorted(focus)), known_places,
                 Path(dataset) if dataset is not None else None)


def _headline(sentences: list[Sentence]) -> str:
    """The first sentence, cut to about ten words, as a stand-in title (flagged)."""
    if not sentences:
        return ""
    words = sentences[0].text.split()
    return " ".join(words[:10]) + (" ..." if len(words) > 10 else "")


def _load(path: Path | str) -> Any:
    from mapper.dataset import load_dataset

    return load_dataset(path, geocode=False)


def _profile(focus: frozenset[str], text: str = "") -> Any:
    """The actor profile whose countries overlap the text's most (first on a tie).

    When no profile shares a country with the text, the one whose own aliases (those no
    other profile has, such as "Taliban") the text names most; failing that, the
    ``generic`` profile (two neutral sides), never another conflict's factions.
    """
    options = profiles()
    best = max(options, key=lambda p: (len(set(p.countries) & focus), -options.index(p)))
    if set(best.countries) & focus:
        return best
    owners: dict[str, set[str]] = {}
    for p in options:
        for f in p.factions:
            for alias in f.aliases:
                owners.setdefault(alias.lower(), set()).add(p.id)
    hits: dict[str, int] = {}
    for alias, ids in owners.items():
        if len(ids) == 1 and re.search(rf"\b{re.escape(alias)}\b", text, re.IGNORECASE):
            (only,) = ids
            hits[only] = hits.get(only, 0) + 1
    named = [p for p in options if hits.get(p.id)]
    if named:
        return max(named, key=lambda p: (hits[p.id], -options.index(p)))
    return next((p for p in options if not p.countries), best)


def _match_dataset_places(places: list[Place], ds: Any, ids: dict[str, str]) -> dict[str, str]:
    """Reuse the dataset's ids for places it already has; return id -> known/new."""
    status: dict[str, str] = {}
    table = ds.places
    names: dict[str, str] = {}
    coords: list[tuple[str, float, float]] = []
    for place_id, row in table.iterrows():
        for value in (place_id, row.get("name"), str(row.get("query") or "").split(",")[0]):
            if value:
                names.setdefault(slug(str(value)), str(place_id))
        geom = row.get("geometry")
        if geom is not None and not geom.is_empty:
            coords.append((str(place_id), float(geom.y), float(geom.x)))
    route_ids = set(ds.routes.index) if ds.routes is not None else set()
    for place in places:
        found = None
        if place.kind == "route":
            found = place.id if place.id in route_ids else None
        else:
            found = names.get(slug(place.name)) or names.get(slug(place.mentions[0].surface))
            if found is None and place.lat is not None and place.lon is not None:
                for pid, lat, lon in coords:
                    if _near(lat, lon, place.lat, place.lon, 3.0):
                        found = pid
                        break
        if found:
            ids[place.key] = found
            place.id = found
            status[found] = "known"
        else:
            status[place.id] = "new"
    return status


def _near(lat1: float, lon1: float, lat2: float, lon2: float, km: float) -> bool:
    dy = (lat2 - lat1) * 111.2
    dx = (lon2 - lon1) * 111.2 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy) <= km


_VERBS = {
    "captured": "captured", "recaptured": "retook", "entered": "entered",
    "withdrew": "withdrew from", "airstrike": "carried out air strikes on",
    "shelling": "shelled",
}


def _describe(event: EventDraft, factions: dict[str, Faction]) -> str:
    who = factions[event.actor].label if event.actor in factions else "Unidentified forces"
    verb = _VERBS.get(event.kind, event.kind)
    where = event.place_name or "an unnamed place"
    return f"{who} {verb} {where} (draft from sentence {event.sentences[0]})."


def _rows(drafts: list[EventDraft], ids: dict[str, str], factions: dict[str, Faction],
          source: Source, known: dict[tuple[str, str, str, str], int],
          control: dict[str, list[tuple[date, str]]]) -> list[DraftEvent]:
    """Turn drafts into rows: ids, descriptions, repeats made ``held``, date order."""
    from mapper.dataset import parse_date

    def order(d: EventDraft) -> tuple[int, str, int]:
        return (0 if d.date else 1, d.date, d.sentence)

    rows: list[DraftEvent] = []
    holder: dict[str, tuple[date, str]] = {}
    for draft in sorted(drafts, key=order):
        place_id = ids.get(draft.place_key, "")
        flags = list(draft.flags)
        kind, controller = draft.kind, draft.controller
        already = (place_id, draft.date, controller, kind) in known
        if place_id and draft.date and controller and not already:
            when, _ = parse_date(draft.date)
            earlier = [c for c in control.get(place_id, []) if c[0] <= when]
            current = holder.get(place_id) or (max(earlier) if earlier else None)
            if current is not None and current[1] == controller:
                flags.append(f"repeat: {controller} already holds {place_id} since "
                             f"{current[0].isoformat()}; written as 'held'")
                kind, controller = "held", ""
            else:
                holder[place_id] = (when, controller)
        if not place_id:
            flags.append("place_id: unresolved")
        row = DraftEvent(
            date=draft.date, place_id=place_id, controller=controller, kind=kind,
            description=_describe(draft, factions), source_id=source.id, actor=draft.actor,
            confidence=draft.confidence, flags=flags, sentences=list(draft.sentences),
            evidence=dict(draft.evidence), place_name=draft.place_name,
        )
        row.status = _status((place_id, draft.date, controller, kind), already, known)
        rows.append(row)
    return rows


def _status(row: tuple[str, str, str, str], already: bool,
            known: dict[tuple[str, str, str, str], int]) -> str:
    """``known``, ``new``, or how the dataset's row for the same place and day differs."""
    if already or row in known:
        return "known"
    place_id, when, controller, kind = row
    for (other_place, other_date, other_controller, other_kind), line in known.items():
        if place_id and other_place == place_id and when and other_date == when:
            return (f"differs from events.csv:{line} ({other_kind}, "
                    f"{other_controller or 'no controller'})")
    for (other_place, other_date, other_controller, other_kind), line in known.items():
        if place_id and other_place == place_id and (other_kind, other_controller) == (
            kind, controller
        ):
            return f"dated {other_date} in events.csv:{line}"
    return "new"


def resolve_published(text: str | None) -> date | None:
    """Parse a ``--published`` value (``YYYY-MM-DD``).

    Parameters
    ----------
    text
        The value, or ``None``.

    Returns
    -------
    date or None

    Examples
    --------
    >>> resolve_published("2024-12-01")
    datetime.date(2024, 12, 1)
    """
    if text is None:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise MapperError(f"--published: {text!r} is not a date; write YYYY-MM-DD")
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise MapperError(f"--published: {text!r}: {exc}") from exc


__all__ += ["PlaceMention", "resolve_published"]
