"""A text alternative for the map of one day: who holds what, in words.

One paragraph for readers who cannot see the map (screen readers, alt text of a published
image): for each side, the ground it holds (km² and share, from
:func:`mapper.stats.territory_series`, i.e. the territory model) and its main places (from the
model's controller of each place). The page's live region says the same words on the same day
(``mapper/render/static/js/a11y.js``, ``summary``); both round the figures the same way, so the
texts match character for character.

>>> ds = load_dataset("geodata/aleppo-2024")  # doctest: +SKIP
>>> describe(ds, date(2024, 11, 30))[:40]  # doctest: +SKIP
'30 November 2024. Syrian government and '
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from mapper.dataset import CONTESTED

if TYPE_CHECKING:
    from mapper.dataset import Dataset
    from mapper.model import Territory

__all__ = ["KEY_PLACES", "describe"]

#: How many places each side's sentence names before "and N more".
KEY_PLACES = 4

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
#: Which places come first in a side's list (then the larger population, then the name).
_KIND_ORDER = {"capital": 0, "city": 1, "town": 2}


def _round_half_up(v: float) -> int:
    """JavaScript's ``Math.round`` (halves up), for figures the page writes the same way."""
    return math.floor(v + 0.5)


def _area(v: float) -> str:
    """``0.4 km²``, ``12,345 km²``: the page's ``formatArea``."""
    text = f"{v:.1f}" if 0 < v < 10 else f"{_round_half_up(v):,}"
    return text + " km²"


def _names(names: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``; past :data:`KEY_PLACES`: ``A, B, C, D and 3 more``."""
    shown, rest = names[:KEY_PLACES], len(names) - KEY_PLACES
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def describe(ds: Dataset, day: date, *, territory: Territory | None = None) -> str:
    """Say who holds what on ``day``, in one paragraph.

    Parameters
    ----------
    ds
        The dataset.
    day
        A day of the dataset's slider.
    territory
        Its model (:func:`mapper.model.build`), if already built.

    Returns
    -------
    str
        ``"30 November 2024. Side: 12,345 km² (23%), including Aleppo, Idlib and Saraqib.
        ..."``: a sentence per side that holds ground or a place, factions in legend order,
        then contested and no data. Shares are of all the model's ground.

    Raises
    ------
    ValueError
        If ``day`` is outside the dataset's time range.

    Examples
    --------
    >>> describe(load_dataset("tests/data/mini"), date(2024, 11, 26))  # doctest: +SKIP
    '26 November 2024. Government: ...'
    """
    from mapper import model, stats
    from mapper.snapshot import LABEL_ONLY_KINDS

    t = territory if territory is not None else model.build(ds)
    index = t.day_index(day)
    table = stats.territory_series(ds, territory=t)
    row = table.iloc[index]
    sides = [*ds.factions, CONTESTED, stats.UNKNOWN]
    labels = [*(ds.factions[f].label for f in ds.factions), "Contested", "No data"]
    # The page's figures: tenths of km² (stats.series_payload), as the chart reads them.
    km2 = [round(round(float(row[f"{s}_km2"]), 1) * 10) / 10 for s in sides]
    total = 0.0
    for v in km2:
        total += v
    held: list[list[tuple[int, int, str]]] = [[] for _ in sides]
    pl = ds.places
    holders = t.places_on(day)
    for pid, kind, name, pop in zip(pl.index, pl["kind"], pl["name"], pl["population"],
                                    strict=True):
        if kind in LABEL_ONLY_KINDS:
            continue
        holder = holders.get(str(pid))
        j = sides.index(holder) if holder in sides else len(sides) - 1
        people = 0 if pd.isna(pop) else max(int(pop), 0)
        held[j].append((_KIND_ORDER.get(str(kind), 3), -people, str(name)))
    parts = [f"{day.day} {_MONTHS[day.month - 1]} {day.year}."]
    for j, label in enumerate(labels):
        names = [name for _, _, name in sorted(held[j])]
        if km2[j] <= 0 and not names:
            continue
        text = label
        if total > 0:
            text += f": {_area(km2[j])} ({_round_half_up(100 * km2[j] / total)}%)"
        if names:
            text += (", including " if total > 0 else ": ") + _names(names)
        parts.append(text + ".")
    return " ".join(parts)
