"""Find dates in a sentence and resolve relative ones against the publication date.

Rules, tried in this order (a later rule never takes text an earlier one matched):

- full dates: ``24 February 2022``, ``February 24, 2022``; month and year: ``April 2023``;
- year ranges ``2016-17`` and single years after a preposition (``in 2016``, ``since 2011``);
- a day and month without a year (``on 15 April``): the latest such day not after publication
  (plus a week of grace for a forward-looking date);
- ``N-year war`` (a span ending at publication) for nouns that last (war, siege, rule...);
- ``in N days``, ``over the past N weeks``: a span ending the day before publication, or a
  single day N days after publication when the clause speaks of the future (``will``);
- ``N days ago``;
- weekdays (``on Saturday``, ``Friday night``): the last such day before publication
  (``next Monday``: the first after; the publication weekday itself: the publication day);
- ``yesterday``, ``today``, ``last night``, ``this year``, ``last year``, ``this month``,
  ``last month``, ``last week``;
- across sentences (:func:`find_all_dates`): ``two days later``, ``the next day``: counted
  from the latest single day named before it in the text.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["DateMention", "find_all_dates", "find_dates", "format_value", "parse_number"]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_RE = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_WEEKDAY_RE = "(?:" + "|".join(_WEEKDAYS) + ")"
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100,
}
_NUMBER_RE = r"(?:\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + \
    r")(?:-(?:one|two|three|four|five|six|seven|eight|nine))?"
_UNIT_RE = r"(?:day|week|month|year)s?"
_LASTING = (
    "war|conflict|siege|occupation|rule|insurgency|campaign|battle|blockade|offensive|crisis|"
    "fighting|struggle|standoff|stand-off|reign|presence|dictatorship|uprising|revolution|"
    "civil war|stalemate|deadlock"
)
_YEAR_PREPOSITIONS = (
    "in|since|by|until|till|of|from|before|after|during|throughout|early|late|mid|the|to|"
    "and|through|between|year|summer|winter|spring|autumn|around|circa|until|up to"
)
_FUTURE = re.compile(r"\b(?:will|would|'ll|shall|is due|are due|expected to|set to|plans? to)\b",
                     re.IGNORECASE)
_PARTS_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night))?"


@dataclass(frozen=True)
class DateMention:
    """A date expression found in a sentence, resolved.

    Parameters
    ----------
    sentence
        1-based sentence number.
    phrase
        The words it came from, as written.
    start, end
        Character offsets of the phrase in the sentence.
    first, last
        The first and last day the expression covers (equal for a single day).
    precision
        ``day``, ``month`` or ``year``.
    span
        True for a stretch of time (``13-year civil war``, ``in four days``).
    rule
        Which rule resolved it, in words, for the review report.
    confidence
        0-1: how sure the resolution is.
    """

    sentence: int
    phrase: str
    start: int
    end: int
    first: date
    last: date
    precision: str
    span: bool
    rule: str
    confidence: float

    @property
    def value(self) -> str:
        """The date as written in ``events.csv`` (a span as ``first/last``)."""
        if not self.span:
            return format_value(self.first, self.precision)
        first = format_value(self.first, self.precision)
        return f"{first}/{format_value(self.last, self.precision)}"


def format_value(day: date, precision: str) -> str:
    """Write a date at a precision: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.

    Parameters
    ----------
    day
        Any day of the period.
    precision
        ``day``, ``month`` or ``year``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(date(2016, 12, 22), "month")
    '2016-12'
    """
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def parse_number(word: str) -> int | None:
    """Read a small number written in digits or words (``13``, ``four``, ``twenty-two``).

    Parameters
    ----------
    word
        The number.

    Returns
    -------
    int or None
        ``None`` when the word is not a number.

    Examples
    --------
    >>> parse_number("twenty-two"), parse_number("4"), parse_number("many")
    (22, 4, None)
    """
    word = word.lower()
    if word.isdigit():
        return int(word)
    total = 0
    for part in word.split("-"):
        if part not in _NUMBERS:
            return None
        total += _NUMBERS[part]
    return total


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


class _Finder:
    """Apply the rules to one sentence; later rules skip text already matched."""

    def __init__(self, sentence: str, number: int, published: date) -> None:
        self.text = sentence
        self.number = number
        self.published = published
        self.taken: list[tuple[int, int]] = []
        self.found: list[DateMention] = []

    def _free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.taken)

    def add(self, match: re.Match[str], first: date, last: date, precision: str, *,
            span: bool, rule: str, confidence: float, group: int | str = 0) -> None:
        start, end = match.span(group)
        self.taken.append((start, end))
        self.found.append(DateMention(self.number, self.text[start:end], start, end, first, last,
                                      precision, span, rule, confidence))

    def iter(self, pattern: str) -> list[re.Match[str]]:
        return [m for m in re.finditer(pattern, self.text, re.IGNORECASE) if self._free(*m.span())]

    def future(self, position: int) -> bool:
        """Whether the clause before ``position`` speaks of the future."""
        clause = re.split(r"[.;:,]", self.text[:position])[-1]
        return bool(_FUTURE.search(clause))


def find_dates(sentence: str, number: int, published: date | None) -> list[DateMention]:
    """Find and resolve the date expressions of one sentence.

    Parameters
    ----------
    sentence
        The sentence text.
    number
        Its 1-based number (copied into each mention).
    published
        The publication date relative expressions are resolved against; without it only
        absolute dates are found.

    Returns
    -------
    list of DateMention
        In order of appearance.

    Examples
    --------
    >>> [d.value for d in find_dates("They stormed in on Friday night.", 1, date(2024, 12, 1))]
    ['2024-11-29']
    >>> [d.value for d in find_dates("Syria's 13-year civil war", 1, date(2024, 12, 1))]
    ['2011/2024']
    """
    f = _Finder(sentence, number, published or date(1, 1, 1))
    _absolute(f)
    if published is not None:
        _relative(f, published)
    return sorted(f.found, key=lambda d: d.start)


def _absolute(f: _Finder) -> None:
    for m in f.iter(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE}),?\s+(\d{{4}})\b"):
        day = _safe_date(int(m[3]), _MONTHS[m[2].lower().rstrip(".")], int(m[1]))
        if day:
            f.add(m, day, day, "day", span=False, rule="full date", confidence=0.99)
    for m in f.iter(rf"\b({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b"):
        day = _safe_date(int(m[3]), _MONTHS[m[1].lower().rstrip(".")], int(m[2]))
        if day:
            f.add(m, day, day, "day", span=False, rule="full date", confidence=0.99)
    for m in f.iter(rf"\b({_MONTH_RE})\s+(\d{{4}})\b"):
        first = date(int(m[2]), _MONTHS[m[1].lower().rstrip(".")], 1)
        f.add(m, first, _month_end(first.year, first.month), "month", span=False,
              rule="month and year", confidence=0.97)
    for m in f.iter(r"\b((?:19|20)\d{2})\s*[-/]\s*((?:19|20)?\d{2})\b(?![-/]\d)"):
        start_year = int(m[1])
        end_year = int(m[2]) if len(m[2]) == 4 else start_year // 100 * 100 + int(m[2])
        if end_year > start_year:
            f.add(m, date(start_year, 1, 1), date(end_year, 12, 31), "year", span=True,
                  rule="range of years", confidence=0.95)
    for m in f.iter(rf"\b(?:{_YEAR_PREPOSITIONS})\s+((?:19|20)\d{{2}})\b(?![,.]?\d)"):
        year = int(m[1])
        f.add(m, date(year, 1, 1), date(year, 12, 31), "year", span=False, rule="year",
              confidence=0.95, group=1)


def _relative(f: _Finder, published: date) -> None:
    # A day and a month, year left out.
    day_month = [(m, int(m[1]), m[2]) for m in f.iter(
        rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})(?![\w-])")]
    day_month += [(m, int(m[2]), m[1]) for m in f.iter(
        rf"\b({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?![,:]?\s*\d)")]
    for m, day_number, month_name in day_month:
        if not f._free(*m.span()):
            continue
        month = _MONTHS[month_name.lower().rstrip(".")]
        day = _safe_date(published.year, month, day_number)
        if day is None:
            continue
        if day > published + timedelta(days=7):
            day = _safe_date(published.year - 1, month, day_number) or day
        f.add(m, day, day, "day", span=False, rule="day and month, year of publication",
              confidence=0.9)
    # A month alone after a preposition: the latest such month not after publication.
    for m in f.iter(rf"\b(?:in|since|by|until|early|late|mid|mid-|from|during|of)\s+"
                    rf"({_MONTH_RE})(?![\w-])"):
        month = _MONTHS[m[1].lower().rstrip(".")]
        if not m[1][0].isupper():
            continue  # "in may", "by march": a verb, not a month
        year = published.year if month <= published.month else published.year - 1
        f.add(m, date(year, month, 1), _month_end(year, month), "month", span=False,
              rule="month, latest before publication", confidence=0.85, group=1)
    # "last May": the latest such month before the month of publication.
    for m in f.iter(rf"\blast\s+({_MONTH_RE})(?![\w-])"):
        if not m[1][0].isupper():
            continue
        month = _MONTHS[m[1].lower()]
        year = published.year if month < published.month else published.year - 1
        f.add(m, date(year, month, 1), _month_end(year, month), "month", span=False,
              rule="month, latest before publication", confidence=0.85)
    # "13-year civil war": a span that ends at publication.
    for m in f.iter(rf"\b({_NUMBER_RE})-(day|week|month|year)(?:-old|-long)?\s+"
                    rf"(?:[a-z]+\s+)?(?:{_LASTING})\b"):
        n = parse_number(m[1])
        if n:
            f.add(m, *_span_back(published, n, m[2].lower()), span=True,
                  rule=f"{n}-{m[2].lower()} span ending at publication", confidence=0.8)
    # "in four days", "over the past two weeks".
    pattern = (rf"\b(in|within|over|for|during)\s+(?:the\s+)?(?:(?:past|last|first)\s+)?"
               rf"({_NUMBER_RE})\s+({_UNIT_RE})(?:'?\s*time)?\b")
    for m in f.iter(pattern):
        n = parse_number(m[2])
        unit = m[3].lower().rstrip("s")
        if not n:
            continue
        if m[1].lower() == "in" and (f.future(m.start()) or m[0].lower().endswith("time")):
            first, last, precision = _forward(published, n, unit)
            f.add(m, first, last, precision, span=False,
                  rule=f"{n} {unit}(s) after publication", confidence=0.7)
        else:
            first, last, precision = _span_back(published, n, unit)
            f.add(m, first, last, precision, span=True,
                  rule=f"{n} {unit}(s) up to publication", confidence=0.7)
    for m in f.iter(rf"\b({_NUMBER_RE})\s+({_UNIT_RE})\s+ago\b"):
        n = parse_number(m[1])
        if n:
            unit = m[2].lower().rstrip("s")
            back = _back(published, n, unit)
            precision = {"day": "day", "week": "day", "month": "month", "year": "year"}[unit]
            f.add(m, back, back, precision, span=False, rule=f"{n} {unit}(s) before publication",
                  confidence=0.8)
    _weekdays(f, published)
    _deictic(f, published)


def _back(published: date, n: int, unit: str) -> date:
    if unit == "day":
        return published - timedelta(days=n)
    if unit == "week":
        return published - timedelta(weeks=n)
    if unit == "month":
        return _shift_months(published, -n)
    return date(published.year - n, 1, 1)


def _span_back(published: date, n: int, unit: str) -> tuple[date, date, str]:
    """The N units that end at publication: days end the day before, years in that year."""
    if unit == "year":
        return date(published.year - n, 1, 1), date(published.year, 12, 31), "year"
    if unit == "month":
        first = _shift_months(published, -n)
        return first, _month_end(published.year, published.month), "month"
    days = n * 7 if unit == "week" else n
    return published - timedelta(days=days), published - timedelta(days=1), "day"


def _forward(published: date, n: int, unit: str) -> tuple[date, date, str]:
    if unit == "year":
        return date(published.year + n, 1, 1), date(published.year + n, 12, 31), "year"
    if unit == "month":
        first = _shift_months(published, n)
        return first, _month_end(first.year, first.month), "month"
    day = published + timedelta(days=n * 7 if unit == "week" else n)
    return day, day, "day"


def _weekdays(f: _Finder, published: date) -> None:
    pattern = (rf"\b(?:(last|this|next|on|by|until|since|from|this coming)\s+)?"
               rf"({_WEEKDAY_RE}){_PARTS_OF_DAY}\b")
    for m in f.iter(pattern):
        if re.match(rf"\s*,?\s*(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH_RE}|{_MONTH_RE}\s+\d)",
                    f.text[m.end():], re.IGNORECASE):
            continue  # "on Friday 21 March": the date itself says which Friday
        if not m[1] and (re.match(r"\s+[A-Z]", f.text[m.end():])
                         or re.search(r"\bthe\s+$", f.text[:m.start()], re.IGNORECASE)):
            continue  # a name: "The Sunday Times", "Good Friday Agreement"
        modifier = (m[1] or "").lower()
        target = _WEEKDAYS[m[2].lower()]
        delta = (published.weekday() - target) % 7
        if modifier == "next" or modifier == "this coming" or (
            modifier != "last" and f.future(m.start())
        ):
            ahead = (target - published.weekday()) % 7 or 7
            day = published + timedelta(days=ahead)
            rule = f"next {m[2].capitalize()} after publication"
        elif modifier == "last":
            day = published - timedelta(days=delta or 7)
            rule = f"last {m[2].capitalize()} before publication"
        elif delta == 0:
            day = published
            rule = "the publication day (same weekday)"
        else:
            day = published - timedelta(days=delta)
            rule = f"last {m[2].capitalize()} before publication"
        confidence = 0.9 if delta else 0.6
        f.add(m, day, day, "day", span=False, rule=rule, confidence=confidence)


def _deictic(f: _Finder, published: date) -> None:
    one_day = timedelta(days=1)
    simple: list[tuple[str, date, date, str, str]] = [
        (r"\byesterday\b", published - one_day, published - one_day, "day",
         "the day before publication"),
        (r"\blast night\b", published - one_day, published - one_day, "day",
         "the night before publication"),
        (r"\b(?:today|tonight|this morning)\b", published, published, "day", "the publication day"),
        (r"\btomorrow\b", published + one_day, published + one_day, "day",
         "the day after publication"),
        (r"\b(?:(?:earlier|later|up until|until)\s+)?this year\b", date(published.year, 1, 1),
         date(published.year, 12, 31), "year", "the year of publication"),
        (r"\blast year\b", date(published.year - 1, 1, 1), date(published.year - 1, 12, 31),
         "year", "the year before publication"),
        (r"\b(?:(?:earlier|later)\s+)?this month\b", date(published.year, published.month, 1),
         _month_end(published.year, published.month), "month", "the month of publication"),
    ]
    for pattern, first, last, precision, rule in simple:
        for m in f.iter(pattern):
            f.add(m, first, last, precision, span=False, rule=rule, confidence=0.9)
    for m in f.iter(r"\blast month\b"):
        first = _shift_months(published, -1)
        f.add(m, first, _month_end(first.year, first.month), "month", span=False,
              rule="the month before publication", confidence=0.9)
    for m in f.iter(r"\blast week\b"):
        f.add(m, published - timedelta(days=7), published - one_day, "day", span=True,
              rule="the seven days before publication", confidence=0.7)


_SEQUEL = re.compile(rf"\b(?:({_NUMBER_RE})\s+(days?|weeks?)\s+later|"
                     rf"(?:the\s+)?(?:next|following)\s+(day|morning))\b", re.IGNORECASE)


def find_all_dates(sentences: list[tuple[int, str]], published: date | None) -> list[DateMention]:
    """Find the dates of every sentence, then resolve ``N days later`` against earlier dates.

    Parameters
    ----------
    sentences
        ``(number, text)`` pairs in text order.
    published
        The publication date.

    Returns
    -------
    list of DateMention
        In text order.

    Examples
    --------
    >>> found = find_all_dates([(1, "Troops took it on 8 September and left two days later.")],
    ...                        date(2022, 11, 13))
    >>> [(d.phrase, d.value) for d in found]
    [('8 September', '2022-09-08'), ('two days later', '2022-09-10')]
    """
    found: list[DateMention] = []
    for number, text in sentences:
        here = find_dates(text, number, published)
        for m in _SEQUEL.finditer(text):
            if any(not (m.end() <= d.start or m.start() >= d.end) for d in here):
                continue
            anchors = [d for d in [*found, *here] if d.precision == "day" and not d.span
                       and (d.sentence < number or d.end <= m.start())]
            if not anchors:
                continue
            anchor = anchors[-1]
            n = parse_number(m[1]) if m[1] else 1
            if not n:
                continue
            days = n * 7 if (m[2] or "").lower().startswith("week") else n
            day = anchor.first + timedelta(days=days)
            here.append(DateMention(
                number, m.group(), m.start(), m.end(), day, day, "day", False,
                f"{days} day(s) after '{anchor.phrase}' (sentence {anchor.sentence})", 0.7))
        found.extend(sorted(here, key=lambda d: d.start))
    return found
