"""How many place names the offline gazetteer finds, and what it suggests for the others.

Three sets: the Battle of Mosul places a newcomer tried (issue 13), the places of
geodata/aleppo-2024 and geodata/kharkiv-2022 (their `query` or `name`, regions and countries
left out), each looked up in the gazetteer alone (no cache), in its country, as `mapper
geocode` does. For each miss, the first three suggestions are printed.

    python benchmarks/geocode_hits.py
"""

from __future__ import annotations

import csv
from pathlib import Path

from mapper.geocode import Gazetteer, _split_query

ROOT = Path(__file__).parent.parent

MOSUL = ["Mosul", "Bashiqa", "Hammam al-Alil", "Gogjali", "Badush", "Nimrud", "Mosul airport",
         "Qayyarah", "Tal Afar", "Bartella", "Hamdaniya", "Shirqat", "Makhmour"]


def main() -> None:
    gaz = Gazetteer.load()
    sets = {"Iraq (Battle of Mosul)": [(name, "IQ") for name in MOSUL]}
    for name in ("aleppo-2024", "kharkiv-2022"):
        with (ROOT / "geodata" / name / "places.csv").open(encoding="utf-8") as handle:
            rows = [r for r in csv.DictReader(handle) if r["kind"] not in ("region", "country")]
        sets[name] = [(r.get("query") or r["name"], r["country"]) for r in rows]
    for label, items in sets.items():
        misses = []
        for text, country in items:
            target, code = _split_query(gaz, text, country)
            ranked = [e for _, e in gaz.candidates(target, country=code or None)
                      if e.country == (code or country)]
            if not ranked:
                misses.append((text, country))
        print(f"{label}: {len(items) - len(misses)}/{len(items)} found")
        for text, country in misses:
            offers = gaz.suggest(text, country=country, limit=3)
            print(f"  {text}: " + ("; ".join(str(o) for o in offers) or "no suggestion"))


if __name__ == "__main__":
    main()
