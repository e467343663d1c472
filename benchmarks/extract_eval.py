"""Measure ``mapper extract`` against hand-written answer keys: precision and recall.

Each ``tests/data/articles/NAME.key.toml`` names an article and lists, by hand, the places,
dates and events a careful reader would draft from it. This script runs the extractor on each
article and prints a table of precision and recall for places, dates and events, per article
and in total.

Matching rules:

- places: a proposed place (confidence >= 0.5) is right when its name, id or any of its
  written forms equals (folded) one of the key's ``names``; a place in ``ignore_places`` is
  counted neither way;
- dates: a found date is right when its resolved value equals the key's and the phrases
  overlap (one contains the other);
- events: a draft row is right when its place (name, id or a written form), date, controller
  and kind are each among the key's acceptable values.

Key items marked ``optional`` are counted neither as missed nor, when found, as wrong.

Usage::

    python benchmarks/extract_eval.py [--json] [--errors] [--folder DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from mapper.extract import Draft, extract_article
from mapper.geocode import fold

ARTICLES = Path(__file__).resolve().parents[1] / "tests" / "data" / "articles"


@dataclass
class Score:
    """Counts for one kind of item."""

    found: int = 0
    right: int = 0
    expected: int = 0
    recalled: int = 0

    @property
    def precision(self) -> float:
        """Right / found."""
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        """Recalled / expected."""
        return self.recalled / self.expected if self.expected else 1.0

    def add(self, other: Score) -> None:
        """Add another score's counts to this one."""
        self.found += other.found
        self.right += other.right
        self.expected += other.expected
        self.recalled += other.recalled


def _match(predicted: list[Any], key: list[dict[str, Any]],
           same: Any) -> tuple[Score, list[Any], list[dict[str, Any]]]:
    """One-to-one greedy matching; returns the score, wrong predictions and missed key items."""
    score = Score()
    unused = list(range(len(key)))
    wrong: list[Any] = []
    for item in predicted:
        hit = next((i for i in unused if same(item, key[i])), None)
        if hit is None:
            score.found += 1
            wrong.append(item)
            continue
        unused.remove(hit)
        if key[hit].get("optional"):
            continue
        score.found += 1
        score.right += 1
    required = [k for k in key if not k.get("optional")]
    score.expected = len(required)
    missed = [key[i] for i in unused if not key[i].get("optional")]
    score.recalled = score.expected - len(missed)
    return score, wrong, missed


def score_places(draft: Draft, key: dict[str, Any]) -> tuple[Score, list[Any], list[Any]]:
    """Score the proposed places against the key."""
    ignore = {fold(n) for n in key.get("ignore_places", [])}
    predicted = []
    for place in draft.places:
        if not place.accepted:
            continue
        forms = {fold(place.name), fold(place.id)} | {fold(m.surface) for m in place.mentions}
        if forms & ignore:
            continue
        predicted.append((place.id, forms))

    def same(item: tuple[str, set[str]], k: dict[str, Any]) -> bool:
        return bool(item[1] & {fold(n) for n in k["names"]})

    return _match(predicted, key.get("places", []), same)


def score_dates(draft: Draft, key: dict[str, Any]) -> tuple[Score, list[Any], list[Any]]:
    """Score the found dates against the key."""
    predicted = [(d.phrase, d.value) for d in draft.dates]

    def same(item: tuple[str, str], k: dict[str, Any]) -> bool:
        a, b = item[0].lower(), str(k["phrase"]).lower()
        return item[1] == str(k["value"]) and (a in b or b in a)

    return _match(predicted, key.get("dates", []), same)


def score_events(draft: Draft, key: dict[str, Any]) -> tuple[Score, list[Any], list[Any]]:
    """Score the draft events against the key."""
    forms: dict[str, set[str]] = {}
    for place in draft.places:
        forms[place.id] = {fold(place.name), fold(place.id)} | {
            fold(m.surface) for m in place.mentions}
    predicted = [(frozenset(forms.get(e.place_id, {fold(e.place_name)})), e.date, e.controller,
                  e.kind) for e in draft.events]

    def same(item: tuple[frozenset[str], str, str, str], k: dict[str, Any]) -> bool:
        names = {fold(n) for n in k["place"]}
        return (bool(item[0] & names) and item[1] in k["date"] and item[2] in k["controller"]
                and item[3] in k["kind"])

    return _match(predicted, key.get("events", []), same)


def evaluate(key_path: Path) -> tuple[str, dict[str, tuple[Score, list[Any], list[Any]]]] | None:
    """Run the extractor on the article of one key file and score it.

    Returns ``None`` when the article is absent (the seed article lives outside the repo).
    """
    key = tomllib.loads(key_path.read_text(encoding="utf-8"))
    article = (key_path.parent / key["article"]).resolve()
    if not article.is_file():
        return None
    draft = extract_article(article, published=date.fromisoformat(key["published"]))
    return article.name, {
        "places": score_places(draft, key),
        "dates": score_dates(draft, key),
        "events": score_events(draft, key),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the table (or JSON with ``--json``); return 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--errors", action="store_true", help="list wrong and missed items")
    parser.add_argument("--folder", type=Path, default=ARTICLES,
                        help="folder of NAME.key.toml + article files (default: "
                             "tests/data/articles; the untuned set: tests/data/articles/untuned)")
    args = parser.parse_args(argv)
    totals = {k: Score() for k in ("places", "dates", "events")}
    rows: list[dict[str, Any]] = []
    for key_path in sorted(args.folder.glob("*.key.toml")):
        result = evaluate(key_path)
        if result is None:
            print(f"skipped {key_path.name}: article not found", file=sys.stderr)
            continue
        name, scores = result
        row: dict[str, Any] = {"article": name}
        for kind, (score, wrong, missed) in scores.items():
            totals[kind].add(score)
            row[kind] = {"precision": round(score.precision, 3), "recall": round(score.recall, 3),
                         "found": score.found, "right": score.right,
                         "expected": score.expected, "recalled": score.recalled}
            if args.errors:
                row[kind]["wrong"] = [str(w) for w in wrong]
                row[kind]["missed"] = [str(m) for m in missed]
        rows.append(row)
    total: dict[str, Any] = {"article": "TOTAL"}
    for kind, score in totals.items():
        total[kind] = {"precision": round(score.precision, 3), "recall": round(score.recall, 3),
                       "found": score.found, "right": score.right, "expected": score.expected,
                       "recalled": score.recalled}
    rows.append(total)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    header = f"{'article':42} " + " ".join(f"{k + ' P':>9} {k + ' R':>9}" for k in totals)
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = " ".join(
            f"{row[k]['precision']:>9.2f} {row[k]['recall']:>9.2f}" for k in totals)
        print(f"{row['article']:42} {cells}")
        if args.errors:
            for k in totals:
                for w in row[k].get("wrong", []):
                    print(f"    {k} wrong:  {w}")
                for m in row[k].get("missed", []):
                    print(f"    {k} missed: {m}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
