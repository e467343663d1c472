"""The word lists and rules of ``mapper extract``, read from ``mapper/data/extract_*.toml``.

``extract_lexicon.toml`` holds the place rules (words that are never places, organisation and
title words, regions, routes) and the event rules (verbs, blockers, hedges);
``extract_actors.toml`` holds the default factions and their aliases, one profile per conflict.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["ActorProfile", "Faction", "Lexicon", "Region", "Route", "Trigger", "lexicon",
           "profiles"]


@dataclass(frozen=True)
class Region:
    """A region the cities gazetteer lacks (``Darfur``, ``Donbas``)."""

    name: str
    aliases: tuple[str, ...]
    country: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Route:
    """A named road: its aliases and the places along it, in order."""

    id: str
    name: str
    kind: str
    country: str
    aliases: tuple[str, ...]
    ends: tuple[str, ...]
    via: tuple[str, ...]


@dataclass(frozen=True)
class Trigger:
    """Verbs that make a sentence an event of one kind.

    Parameters
    ----------
    kind
        The ``kind`` written to ``events.csv``.
    control
        The actor holds the place afterwards.
    pattern
        The active forms, one compiled pattern.
    passive
        Participles for ``was captured (by X)``.
    gap
        Most words allowed between the verb and the place.
    anaphora
        A verb with no place after it may refer back ("took the city"); off for verbs too
        common to read without a named place ("taking the country's second city").
    """

    kind: str
    control: bool
    pattern: re.Pattern[str]
    passive: tuple[str, ...]
    gap: int
    anaphora: bool = True


@dataclass(frozen=True)
class Faction:
    """A default faction of an actor profile (same fields as a dataset.toml faction)."""

    id: str
    label: str
    colour: str
    pattern: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class ActorProfile:
    """The factions of one conflict, chosen by the countries a text mentions."""

    id: str
    countries: tuple[str, ...]
    factions: tuple[Faction, ...]


@dataclass(frozen=True)
class Lexicon:
    """Everything in ``extract_lexicon.toml``, validated."""

    abbreviations: dict[str, str]
    not_places: frozenset[str]
    organisation_words: frozenset[str]
    geo_heads: dict[str, str]
    other_heads: frozenset[str]
    actor_heads: frozenset[str]
    titles: frozenset[str]
    speech_verbs: frozenset[str]
    direction_words: frozenset[str]
    adjective_suffixes: frozenset[str]
    locative_words: frozenset[str]
    name_particles: frozenset[str]
    regions: tuple[Region, ...]
    routes: tuple[Route, ...]
    route_words: frozenset[str]
    triggers: tuple[Trigger, ...]
    blockers: dict[str, frozenset[str]]
    hedges: tuple[str, ...]
    anaphora: tuple[str, ...]
    air_words: frozenset[str]


def _read(name: str) -> dict[str, Any]:
    text = resources.files("mapper").joinpath(f"data/{name}").read_text("utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"mapper/data/{name}: {exc}") from exc


def _words(values: list[str]) -> frozenset[str]:
    return frozenset(v.lower() for v in values)


@cache
def lexicon() -> Lexicon:
    """Return the lexicon (read once per process).

    Returns
    -------
    Lexicon

    Examples
    --------
    >>> "m5" in [r.id for r in lexicon().routes]
    True
    """
    data = _read("extract_lexicon.toml")
    kinds = {"*"}
    triggers = []
    adverb = r"(?:\s+(?:" + "|".join(data["words"]["verb_adverbs"]) + "))?"
    for row in data["triggers"]:
        # "pushed into" also matches "pushed north into".
        forms = "|".join(
            "(?:" + re.sub(r" (into|from|out of)$",
                           lambda m: adverb + r"\s+" + m.group(1), f) + ")"
            for f in row["forms"])
        triggers.append(Trigger(
            kind=row["kind"], control=bool(row["control"]),
            pattern=re.compile(rf"\b(?:{forms})\b", re.IGNORECASE),
            passive=tuple(row.get("passive", ())), gap=int(row["gap"]),
            anaphora=bool(row.get("anaphora", True)),
        ))
        kinds.add(row["kind"])
    blockers = {}
    for phrase, applies in data["blockers"].items():
        names = frozenset(applies.split())
        unknown = names - kinds
        if unknown:
            raise ValueError(f"mapper/data/extract_lexicon.toml: blockers: {phrase!r}: "
                             f"unknown event kind(s) {sorted(unknown)}")
        blockers[phrase.lower()] = names
    people = data["words"]
    return Lexicon(
        abbreviations=dict(data["abbreviations"]),
        not_places=_words(data["not_places"]),
        organisation_words=_words(data["organisation_words"]),
        geo_heads={k.lower(): v for k, v in data["geo_heads"].items()},
        other_heads=_words(people["other_heads"]),
        actor_heads=_words(people.get("actor_heads", [])),
        titles=_words(people["titles"]),
        speech_verbs=_words(people["speech_verbs"]),
        direction_words=_words(people["direction_words"]),
        adjective_suffixes=_words(people["adjective_suffixes"]),
        locative_words=_words(people["locative_words"]),
        name_particles=_words(people["name_particles"]),
        regions=tuple(Region(r["name"], tuple(r.get("aliases", ())), r["country"],
                             float(r["lat"]), float(r["lon"])) for r in data["regions"]),
        routes=tuple(Route(r["id"], r["name"], r.get("kind", "highway"), r["country"],
                           tuple(r["aliases"]), tuple(r["ends"]), tuple(r["via"]))
                     for r in data["routes"]),
        route_words=_words(people["route_words"]),
        triggers=tuple(triggers),
        blockers=blockers,
        hedges=tuple(h.lower() for h in people["hedges"]),
        anaphora=tuple(a.lower() for a in people["anaphora"]),
        air_words=_words(people["air_words"]),
    )


@cache
def profiles() -> tuple[ActorProfile, ...]:
    """Return the default actor profiles of ``extract_actors.toml``.

    Returns
    -------
    tuple of ActorProfile

    Examples
    --------
    >>> [p.id for p in profiles()][:2]
    ['syria', 'ukraine']
    """
    data = _read("extract_actors.toml")
    result = []
    for row in data["profiles"]:
        factions = tuple(
            Faction(f["id"], f["label"], f["colour"], f.get("pattern", "solid"),
                    tuple(f.get("aliases", ())))
            for f in row["factions"]
        )
        result.append(ActorProfile(row["id"], tuple(row["countries"]), factions))
    return tuple(result)
