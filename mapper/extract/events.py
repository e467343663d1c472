"""Turn sentences that say a place changed hands or was hit into draft events.

For each verb of the lexicon's ``[[triggers]]`` in a sentence:

- the **place** is the first place named after the verb (``stormed into western Aleppo``),
  within the trigger's ``gap`` of words, with no comma and no *blocker* between (``villages
  east of Aleppo`` is not Aleppo); for a passive (``Saraqib ... was captured``) it is the first
  place of the clause before the verb; ``the city`` stands for the latest town named before
  it (flagged). Countries, regions and routes are never event places.
- the **actor** is the faction whose alias stands nearest before the verb, or after ``by`` in
  a passive (``recaptured by Assad's forces``); a passive without ``by`` takes the text's main
  actor (flagged); an agent that matches no alias stays empty (flagged).
- the **date** is the date of the sentence nearest the verb (a single day, month or year;
  spans are not event dates); none stays empty (flagged).
- a verb under a hedge (``would``, ``not``, ``plans to``) proposes nothing; the report lists it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from mapper.extract.dates import DateMention
from mapper.extract.lexicon import Lexicon, Trigger
from mapper.extract.places import ACCEPT, PlaceMention
from mapper.extract.text import Sentence

__all__ = ["ActorAlias", "Candidate", "EventDraft", "compile_aliases", "find_events"]

_NOT_EVENT_PLACES = frozenset({"country", "region", "route"})
_FILLER = frozenset({"the", "central", "western", "eastern", "northern", "southern", "north",
                     "south", "east", "west", "downtown", "old", "parts", "part", "much", "most",
                     "all", "whole", "entire", "of", "a", "an", '"', "'", "majority", "city",
                     "town", "village", "strategic", "key", "nearby"})
_CLAUSE_START = re.compile(r"(?:^|;|\bwhen\b|\bafter\b|\bwhile\b|\bbefore\b|\bas\b|\bbut\b|"
                           r"\bsince\b|\bwhere\b)", re.IGNORECASE)
_AUXILIARY = re.compile(r"\b(?:was|were|been|is|are|being|be|got)\s+(?:\w+ly\s+|also\s+|then\s+|"
                        r"later\s+|soon\s+|finally\s+|eventually\s+)?$", re.IGNORECASE)


_DATE_CLAUSE = re.compile(r";|,\s+(?:and|but|while|whereas)\b")
#: A dateline before the first sentence of a report ("KABUL, 14 August 2021 - ",
#: "BAGHDAD, June 27 (Reuters) -"): its date is when the report was filed, not an event's.
_DATELINE = re.compile(r"^\s*[A-Z][A-Z.'/ -]{1,40}(?:,\s*[A-Z][A-Za-z.' -]{1,40})?,\s+"
                       r"[^.;:]{3,60}?\s(?:-{1,2}|–|—)\s+")
_ATTRIBUTIVE = re.compile(r"\s+[a-z]+")


def _attributive(text: str, d: DateMention) -> bool:
    """A bare year used as an adjective: "the 2011 uprising"."""
    return (d.phrase.isdigit() and bool(re.search(r"\bthe\s+$", text[:d.start], re.IGNORECASE))
            and bool(_ATTRIBUTIVE.match(text, d.end)))


@dataclass(frozen=True)
class ActorAlias:
    """A compiled alias: the faction it stands for and its pattern."""

    faction: str
    alias: str
    pattern: re.Pattern[str]


@dataclass
class EventDraft:
    """A draft event, before ids are given and repeats are checked.

    Parameters
    ----------
    sentence
        The sentence it comes from (the first, when several say the same).
    place_key, place_name
        The place (a :class:`~mapper.extract.places.Place` key) or ``""`` when unresolved.
    date
        ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or ``""``.
    kind
        From the trigger (``captured``, ``entered``, ``airstrike``...).
    actor
        The faction that acted, ``""`` when unresolved.
    controller
        Who holds the place afterwards: the actor for a change of control, ``""`` otherwise.
    confidence
        0-1.
    flags
        What a person must check, in words; empty for a clean row.
    evidence
        The words that made it: the verb, the place, the actor, the date phrase.
    sentences
        Every sentence that says the same thing.
    """

    sentence: int
    place_key: str
    place_name: str
    date: str
    kind: str
    actor: str
    controller: str
    confidence: float
    flags: list[str] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)
    sentences: list[int] = field(default_factory=list)

    @property
    def identity(self) -> tuple[str, str, str, str, str]:
        """What makes two drafts the same event."""
        return (self.place_key, self.date, self.kind, self.actor, self.controller)


@dataclass(frozen=True)
class Candidate:
    """A sentence with an event verb that gave no event, and why (for the report)."""

    sentence: int
    verb: str
    reason: str


def compile_aliases(factions: dict[str, tuple[str, ...]]) -> list[ActorAlias]:
    """Compile faction aliases into patterns, longest alias first.

    Aliases match whole words, ignoring case, except aliases written in capitals (``HTS``,
    ``IS``), which match only in capitals. Possessives are ignored, and one extra word may
    stand between two words of an alias (``Assad's Russian-backed forces``).

    Parameters
    ----------
    factions
        Faction id -> aliases (the faction id is an alias too).

    Returns
    -------
    list of ActorAlias

    Examples
    --------
    >>> a = compile_aliases({"government": ("Assad's forces",)})
    >>> bool(a[0].pattern.search("recaptured by Assad's Russian-backed forces"))
    True
    """
    result: list[ActorAlias] = []
    for faction, aliases in factions.items():
        for alias in {*aliases, faction}:
            words = re.sub(r"'s\b|'", "", alias.replace("\u2019", "'")).split()
            if not words:
                continue
            parts = [re.escape(w).replace(r"\-", r"[-\s]") + r"(?:'s|')?" for w in words]
            body = r"(?:\s+[\w-]+)?\s+".join(parts) if len(words) > 1 else parts[0]
            flags = 0 if alias.isupper() else re.IGNORECASE
            result.append(ActorAlias(faction, alias, re.compile(rf"\b{body}(?![\w-])", flags)))
    result.sort(key=lambda a: (-len(a.alias), a.alias, a.faction))
    return result


def _actor_spans(text: str, aliases: list[ActorAlias]) -> list[tuple[int, int, str, str]]:
    taken: list[tuple[int, int, str, str]] = []
    for alias in aliases:
        for m in alias.pattern.finditer(text):
            if all(m.end() <= a or m.start() >= b for a, b, _, _ in taken):
                taken.append((m.start(), m.end(), alias.faction, m.group()))
    return sorted(taken)


def _hedged(text: str, start: int, lex: Lexicon) -> str:
    # Case kept: hedges are lower-case words, so the month "May" is no hedge.
    window = re.split(r"[.;:,]", text[:start])[-1].split()[-5:]
    joined = " ".join(window)
    for hedge in lex.hedges:
        if re.search(rf"(?:^|\s){re.escape(hedge)}(?:\s|$)", joined) or (
            hedge == "n't" and "n't" in joined
        ):
            return hedge
    return ""


def _blocked(between: str, kind: str, lex: Lexicon) -> str:
    words = re.findall(r"[\w'\"]+", between.lower())
    while True:
        tail = " ".join(words)
        for phrase, kinds in lex.blockers.items():
            if ("*" in kinds or kind in kinds) and (tail == phrase or tail.endswith(" " + phrase)):
                return phrase
        if not words or words[-1] not in _FILLER:
            return ""
        words.pop()


def find_events(sentences: list[Sentence], mentions: list[PlaceMention],
                dates: list[DateMention], aliases: list[ActorAlias],
                lex: Lexicon) -> tuple[list[EventDraft], list[Candidate]]:
    """Find draft events in the sentences.

    Parameters
    ----------
    sentences
        The article's sentences.
    mentions
        Every place mention (from :func:`~mapper.extract.places.find_places`).
    dates
        Every date mention (from :func:`~mapper.extract.dates.find_dates`).
    aliases
        From :func:`compile_aliases`.
    lex
        The lexicon.

    Returns
    -------
    events : list of EventDraft
        In text order, the same event said twice merged into one.
    candidates : list of Candidate
        Sentences with an event verb that gave no event, and why.
    """
    by_sentence: dict[int, list[PlaceMention]] = {}
    for m in mentions:
        if m.kind not in _NOT_EVENT_PLACES and m.confidence >= ACCEPT:
            by_sentence.setdefault(m.sentence, []).append(m)
    dates_by_sentence: dict[int, list[DateMention]] = {}
    for d in dates:
        if not d.span:
            dates_by_sentence.setdefault(d.sentence, []).append(d)
    drafts: list[EventDraft] = []
    skipped: list[Candidate] = []
    agentless: list[EventDraft] = []
    previous_actor = ""
    texts = {s.number: s.text for s in sentences}
    for s in sentences:
        places = sorted(by_sentence.get(s.number, []), key=lambda m: m.start)
        actors = _actor_spans(s.text, aliases)
        found = _sentence_events(s, places, dates_by_sentence.get(s.number, []), actors,
                                 by_sentence, previous_actor, lex, skipped, agentless,
                                 texts)
        drafts.extend(found)
        if actors:
            previous_actor = actors[-1][2]
    _infer_agents(drafts, agentless)
    return _merge(drafts), skipped


def _sentence_events(s: Sentence, places: list[PlaceMention], dates: list[DateMention],
                     actors: list[tuple[int, int, str, str]],
                     by_sentence: dict[int, list[PlaceMention]], previous_actor: str,
                     lex: Lexicon, skipped: list[Candidate],
                     agentless: list[EventDraft], texts: dict[int, str]) -> list[EventDraft]:
    text = s.text
    hits: list[tuple[int, int, Trigger]] = []
    for trigger in lex.triggers:
        for m in trigger.pattern.finditer(text):
            if all(m.end() <= a or m.start() >= b for a, b, _ in hits):
                hits.append((m.start(), m.end(), trigger))
    hits.sort(key=lambda h: h[0])
    claimed: dict[int, tuple[int, EventDraft]] = {}
    results: list[EventDraft] = []
    event_verbs: set[int] = set()  # starts of verbs that gave an event
    for index, (start, end, trigger) in enumerate(hits):
        verb = text[start:end]
        hedge = _hedged(text, start, lex)
        if hedge:
            skipped.append(Candidate(s.number, verb, f"hedged by '{hedge}'"))
            continue
        next_start = hits[index + 1][0] if index + 1 < len(hits) else len(text)
        passive = bool(_AUXILIARY.search(text[:start])) and verb.lower() in trigger.passive
        fell_to = verb.lower() == "fell to"
        flags: list[str] = []
        place: PlaceMention | None = None
        gap = 0
        if passive or fell_to:
            place = _subject_place(text, start, places, trigger, lex)
        else:
            place, gap, why = _object_place(text, end, next_start, places, trigger, lex)
            if place is None and why:
                skipped.append(Candidate(s.number, verb, why))
                continue
            if place is None and trigger.anaphora:
                place = _anaphora(text, end, s.number, by_sentence, lex, flags,
                                  lambda n: texts.get(n, ""))
                gap = 99
        if place is None:
            skipped.append(Candidate(s.number, verb, "no place named with the verb"))
            continue
        actor, actor_text, actor_flag = _actor(text, start, end, actors, passive or fell_to,
                                               previous_actor)
        if actor_flag:
            flags.append(actor_flag)
        date_value, date_phrase = _date(dates, start, end, text, sorted(event_verbs), next_start)
        if not date_value:
            flags.append("date: the sentence gives none")
        controller = actor if trigger.control else ""
        if trigger.control and not actor:
            flags.append("controller: unresolved (no actor)")
        if trigger.kind == "withdrew":
            flags.append("controller: who holds the place afterwards is not stated")
        confidence = 0.9
        confidence -= 0.2 if any(f.startswith("place:") for f in flags) else 0
        confidence -= 0.3 if not actor and trigger.kind != "withdrew" and trigger.control else 0
        confidence -= 0.15 if not date_value else 0
        confidence -= 0.1 if actor_flag and actor else 0
        confidence = round(max(0.05, min(confidence, place.confidence)), 2)
        draft = EventDraft(
            sentence=s.number, place_key=place.key, place_name=place.name, date=date_value,
            kind=trigger.kind, actor=actor, controller=controller, confidence=confidence,
            flags=flags, evidence={"verb": verb, "place": place.surface, "actor": actor_text,
                                   "date": date_phrase},
            sentences=[s.number],
        )
        event_verbs.add(start)
        if (passive or fell_to) and not actor and not actor_text:
            agentless.append(draft)
        if gap == 99:  # "the city": not a rival for the verb that names the place
            results.append(draft)
            continue
        earlier = claimed.get(id(place))
        if earlier is not None and earlier[0] <= gap:
            continue
        if earlier is not None:
            results.remove(earlier[1])
        claimed[id(place)] = (gap, draft)
        results.append(draft)
    return results


def _object_place(text: str, end: int, limit: int, places: list[PlaceMention],
                  trigger: Trigger, lex: Lexicon) -> tuple[PlaceMention | None, int, str]:
    for place in places:
        if place.start < end:
            continue
        if place.start > limit:
            return None, 0, ""
        between = text[end:place.start]
        if re.search(r"[,;:()]", between):
            return None, 0, ""
        gap = len(re.findall(r"[\w'-]+", between))
        blocker = _blocked(between, trigger.kind, lex)
        if blocker:
            return None, 0, f"'{place.surface}' follows '{blocker}': a landmark, not the target"
        if gap > trigger.gap:
            return None, 0, ""
        return place, gap, ""
    return None, 0, ""


#: Words before a place that set the scene rather than name the subject ("in the", "near").
_SCENE = re.compile(r"\b(?:in|near|around|outside|across|across from)\s+(?:the\s+)?$",
                    re.IGNORECASE)


def _subject_place(text: str, start: int, places: list[PlaceMention], trigger: Trigger,
                   lex: Lexicon) -> PlaceMention | None:
    clause_start = 0
    for m in _CLAUSE_START.finditer(text[:start]):
        clause_start = m.end()
    # The clause's subject: its first place, unless that place only sets the scene ("in the
    # Kharkiv region, the town of Chuhuiv was shelled" is about Chuhuiv); places in an
    # apposition after the subject ("Saraqib, a town connecting Aleppo with Damascus, was
    # captured") are not what was captured.
    found = [p for p in sorted(places, key=lambda p: p.start)
             if clause_start <= p.start < start
             and not _blocked(text[clause_start:p.start], trigger.kind, lex)]
    for k, place in enumerate(found):
        if k + 1 < len(found) and _SCENE.search(text[clause_start:place.start]):
            continue
        return place
    return None


def _landmark(text: str, place: PlaceMention, lex: Lexicon) -> bool:
    """A place named only as a landmark ("a town north of Donetsk")."""
    return bool(_blocked(text[max(0, place.start - 30):place.start], "*", lex))


def _anaphora(text: str, end: int, number: int, by_sentence: dict[int, list[PlaceMention]],
              lex: Lexicon, flags: list[str],
              sentence_text: Callable[[int], str]) -> PlaceMention | None:
    after = text[end:end + 40].lower()
    for phrase in lex.anaphora:
        if re.match(rf"\s*(?:into\s+|on\s+|in\s+|from\s+)?{re.escape(phrase)}\b", after):
            for n in (number, number - 1, number - 2):
                earlier = [m for m in by_sentence.get(n, [])
                           if m.kind not in {"village"} and (n < number or m.start < end)
                           and not _landmark(sentence_text(n), m, lex)]
                if earlier:
                    place = max(earlier, key=lambda m: m.start)
                    flags.append(f"place: '{phrase}' taken as {place.name} "
                                 f"(named in sentence {place.sentence})")
                    return place
            flags.append(f"place: '{phrase}' - which place?")
            return None
    return None


def _actor(text: str, start: int, end: int, actors: list[tuple[int, int, str, str]],
           passive: bool, previous_actor: str) -> tuple[str, str, str]:
    if passive:
        m = re.match(r"\s+(?:by|to)\s+((?:[\w'-]+\s*){1,6})", text[end:])
        if not m:
            return "", "", ""
        agent_start = end + m.start(1)
        for a_start, _a_end, faction, words in actors:
            if agent_start <= a_start <= agent_start + 30:
                return faction, words, ""
        phrase = " ".join(m.group(1).split()[:4])
        return "", phrase, f"actor: '{phrase}' matches no alias"
    before = [a for a in actors if a[1] <= start]
    close = [a for a in before if not re.search(r"[,;:]", text[a[1]:start])]
    if close:
        _a_start, _a_end, faction, words = close[-1]
        return faction, words, ""
    clause_start = 0
    for m in _CLAUSE_START.finditer(text[:start]):
        clause_start = m.end()
    in_clause = [a for a in before if a[0] >= clause_start] or before
    if in_clause:
        _a_start, _a_end, faction, words = in_clause[0]
        return faction, words, ""
    if re.search(r"\b(?:they|it|its|their|he|she)\b", text[:start], re.IGNORECASE) and \
            previous_actor:
        return previous_actor, "", "actor: a pronoun, taken from the sentence before"
    after = [a for a in actors if a[0] >= end]
    if after:
        return "", after[0][3], f"actor: only '{after[0][3]}' after the verb - check"
    return "", "", "actor: not named"


def _date(dates: list[DateMention], position: int, verb_end: int, text: str,
          event_verbs: list[int], next_verb: int) -> tuple[str, str]:
    """The date nearest the verb, within its clause (clauses split at ';'), past a dateline.

    Clauses end at ``;`` and at ``, and`` / ``, but`` / ``, while``. A date between an earlier
    verb that gave an event and this one belongs to the earlier verb ("recaptured Balakliia on
    8 September and retook Izium two days later"); a date before every such verb belongs to
    all of them; a date after the next verb belongs to it. A year used as an adjective ("the
    2011 uprising") dates the noun, not the verb.
    """
    lead = _DATELINE.match(text)
    start = max((m.end() for m in _DATE_CLAUSE.finditer(text, 0, position)),
                default=lead.end() if lead else 0)
    following = _DATE_CLAUSE.search(text, verb_end)
    end = min(following.start() if following else len(text), next_verb)
    first_verb = min((v for v in event_verbs if start <= v < position), default=position)
    dates = [d for d in dates if start <= d.start and d.end <= end
             and (d.start >= verb_end or d.end <= first_verb)
             and not _attributive(text, d)]
    if not dates:
        return "", ""
    best = min(dates, key=lambda d: (min(abs(d.start - position), abs(d.end - verb_end)),
                                     d.start))
    return best.value, best.phrase


def _infer_agents(drafts: list[EventDraft], agentless: list[EventDraft]) -> None:
    """Give a passive without ``by`` the text's main actor, when one side clearly leads."""
    counts = Counter(d.actor for d in drafts if d.actor and d.controller)
    ranked = counts.most_common(2)
    for draft in agentless:
        draft.flags = [f for f in draft.flags if not f.startswith("controller: unresolved")]
        if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
            lead, n = ranked[0]
            draft.actor = lead
            if draft.kind in {"captured", "entered", "recaptured"}:
                draft.controller = lead
            draft.flags.append(f"actor: not stated (passive); taken as the text's main actor "
                               f"{lead} ({n} other event(s))")
            draft.confidence = round(max(0.05, min(0.99, draft.confidence + 0.2)), 2)
        else:
            draft.flags.append("actor: not stated (passive)")


def _merge(drafts: list[EventDraft]) -> list[EventDraft]:
    merged: dict[tuple[str, str, str, str, str], EventDraft] = {}
    for draft in drafts:
        same = merged.get(draft.identity)
        if same is None:
            merged[draft.identity] = draft
            continue
        same.sentences.extend(n for n in draft.sentences if n not in same.sentences)
        if draft.confidence > same.confidence:
            same.confidence = draft.confidence
            same.flags = draft.flags
    # An undated mention (a headline: "Taliban take Kandahar") of a change that another
    # sentence dates is the same event: its sentence joins the dated one.
    dated: dict[tuple[str, str, str, str], EventDraft] = {}
    for d in sorted(merged.values(), key=lambda d: d.sentence):
        if d.date:
            dated.setdefault((d.place_key, d.kind, d.actor, d.controller), d)
    for key, d in list(merged.items()):
        twin = dated.get((d.place_key, d.kind, d.actor, d.controller))
        if not d.date and twin is not None:
            twin.sentences.extend(n for n in d.sentences if n not in twin.sentences)
            del merged[key]
    return sorted(merged.values(), key=lambda d: d.sentence)
