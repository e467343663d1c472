"""Who controls each place on each day, kept as a list of changes rather than daily snapshots.

A :class:`Timeline` holds the state at the start of the slider (``initial``) and every real
change of controller after it (``changes``). The state on any day is rebuilt from these by a
vectorised binary search, so nothing grows with places x days.

>>> from datetime import date
>>> import pandas as pd
>>> ev = pd.DataFrame({"date": [date(2016, 12, 1), date(2024, 11, 29)],
...                    "place_id": ["aleppo", "aleppo"], "controller": ["government", "hts"],
...                    "line": [2, 3]})
>>> tl = Timeline.from_events(ev, ["aleppo", "saraqib"], date(2024, 11, 26), date(2024, 12, 2))
>>> tl.control_at(date(2024, 11, 28))
{'aleppo': 'government', 'saraqib': None}
>>> tl.control_at(date(2024, 11, 29))["aleppo"]
'hts'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mapper.dataset import CONTESTED

if TYPE_CHECKING:
    from mapper.dataset import Dataset

__all__ = ["Change", "Interval", "Timeline", "encode"]

#: Columns of :attr:`Timeline.changes`, in order.
CHANGE_COLUMNS = ["day", "date", "place_id", "place", "before", "after", "line"]


@dataclass(frozen=True)
class Change:
    """A place passing from one controller to another on a date.

    Parameters
    ----------
    date
        The day the new controller takes over.
    place_id
        The place.
    before
        Controller until the day before (``None``: unknown).
    after
        Controller from ``date`` on (a faction id or ``contested``).
    line
        The line of the event in ``events.csv`` (``None`` when not known).
    """

    date: date
    place_id: str
    before: str | None
    after: str | None
    line: int | None


@dataclass(frozen=True)
class Interval:
    """A stretch of time during which one place keeps the same controller.

    The interval covers the days ``start <= day < end``.

    Parameters
    ----------
    place_id
        The place.
    start
        First day; ``None`` when the state holds since before any record (the unknown state
        of a place with no event before ``Timeline.start``).
    end
        First day of the next interval; ``None`` when the interval is still open at the end
        of the timeline.
    controller
        Faction id, ``contested``, or ``None`` (unknown).
    line
        The line in ``events.csv`` of the event that opened the interval (``None``: none).
    """

    place_id: str
    start: date | None
    end: date | None
    controller: str | None
    line: int | None


def _to_days(values: Any) -> np.ndarray:
    """Convert dates (``datetime.date``, timestamps, ISO strings) to ``datetime64[D]``."""
    try:  # fast path; pandas' range is the years 1677-2262
        series = pd.to_datetime(pd.Series(values, dtype=object))
        return np.asarray(series.to_numpy(), dtype="datetime64[D]")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        return np.asarray(values, dtype="datetime64[D]")  # datetime.date objects, any year


def _none(value: Any) -> Any:
    """Return ``None`` for a missing value (NaN, NA, None), else the value."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


class Timeline:
    """Control of every place over the slider's days, stored as changes.

    Build one with :meth:`from_dataset` or :meth:`from_events`.

    Attributes
    ----------
    start, end
        The range of the slider, inclusive.
    dates
        Every day from ``start`` to ``end`` inclusive.
    place_ids
        The places, in the order the ``place`` column of ``changes`` indexes.
    initial
        Controller of each place on ``start``, after applying every event dated on or before
        ``start`` (``None``: unknown).
    changes
        Real changes dated after ``start`` and up to ``end``, in chronological order (file order
        within a day). Columns ``day`` (index into ``dates``), ``date``, ``place_id``, ``place``
        (index into ``place_ids``), ``before``, ``after``, ``line``.
    """

    def __init__(
        self,
        *,
        start: date,
        end: date,
        place_ids: Sequence[str],
        initial: dict[str, str | None],
        initial_since: dict[str, tuple[date, int | None]],
        changes: pd.DataFrame,
    ) -> None:
        if end < start:
            raise ValueError(f"timeline end {end} is before its start {start}")
        self.start = start
        self.end = end
        self.place_ids: list[str] = list(place_ids)
        self.dates: list[date] = [
            start + timedelta(days=i) for i in range((end - start).days + 1)
        ]
        self.initial = initial
        self._initial_since = initial_since
        self.changes = changes.reset_index(drop=True)[CHANGE_COLUMNS]
        self._index = {p: i for i, p in enumerate(self.place_ids)}
        self._build_lookup()

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_dataset(cls, ds: Dataset) -> Timeline:
        """Build the timeline of a loaded dataset.

        Parameters
        ----------
        ds
            The dataset; its control events, places and time range are used.

        Returns
        -------
        Timeline

        Examples
        --------
        >>> tl = Timeline.from_dataset(load_dataset("geodata/aleppo-2024"))  # doctest: +SKIP
        """
        # A place's own events; events handing an area are the territory model's
        # (mapper.model), which combines both.
        ev = ds.control_events
        ev = ev[ev["place_id"].isin(list(ds.places.index))]
        return cls.from_events(ev, list(ds.places.index), ds.start, ds.end)

    @classmethod
    def from_events(
        cls, events: pd.DataFrame, place_ids: Sequence[str], start: date, end: date
    ) -> Timeline:
        """Build a timeline from control events.

        Parameters
        ----------
        events
            Columns ``date``, ``place_id``, ``controller``, ``line``. Rows with an empty
            controller are skipped; rows dated after ``end`` are ignored. Rows of one day apply
            in the order given.
        place_ids
            Every place of the map, in a fixed order.
        start, end
            The slider's range, inclusive.

        Returns
        -------
        Timeline

        Raises
        ------
        ValueError
            If an event names a place not in ``place_ids`` (the message gives its line).

        Examples
        --------
        >>> ev = pd.DataFrame({"date": [date(2024, 11, 27)], "place_id": ["a"],
        ...                    "controller": ["hts"], "line": [2]})
        >>> tl = Timeline.from_events(ev, ["a"], date(2024, 11, 26), date(2024, 11, 28))
        >>> tl.changes[["day", "place_id", "before", "after"]].to_dict("records")
        [{'day': 1, 'place_id': 'a', 'before': None, 'after': 'hts'}]
        """
        place_ids = list(place_ids)
        if len(set(place_ids)) != len(place_ids):
            raise ValueError("place_ids has duplicates")
        missing = [c for c in ("date", "place_id", "controller", "line") if c not in events]
        if missing:
            raise ValueError(f"events lack column(s) {', '.join(missing)}")
        ev = events.loc[events["controller"].notna(), ["date", "place_id", "controller", "line"]]
        days = _to_days(ev["date"].to_numpy())
        # Whole days relative to ``start``: zero or less means on or before it.
        rel = (days - np.datetime64(start, "D")).astype(np.int64)
        keep = rel <= (end - start).days
        ev, rel = ev[keep], rel[keep]

        pindex = pd.Index(place_ids)
        place = pindex.get_indexer(ev["place_id"].to_numpy())
        if (place < 0).any():
            bad = ev[place < 0].iloc[0]
            raise ValueError(
                f"events.csv:{_none(bad['line'])}: place_id: unknown place {bad['place_id']!r}"
            )
        # Stable chronological order: file order within a day.
        order = np.argsort(rel, kind="stable")
        frame = pd.DataFrame(
            {
                "day": rel[order],
                "place": place[order],
                "controller": ev["controller"].to_numpy(dtype=object)[order],
                "line": ev["line"].to_numpy(dtype=object)[order],
            }
        )
        frame["line"] = [_none(v) for v in frame["line"]]
        # The controller each event finds: the previous event's controller for the same place.
        frame["before"] = frame.groupby("place", sort=False)["controller"].shift(1)
        frame["before"] = frame["before"].astype(object).where(frame["before"].notna(), None)
        real = (frame["before"] != frame["controller"]).to_numpy()

        early = (frame["day"] <= 0).to_numpy()
        pre = frame[early & real]
        last = pre.drop_duplicates("place", keep="last")
        initial: dict[str, str | None] = dict.fromkeys(place_ids)
        since: dict[str, tuple[date, int | None]] = {}
        for p, d, ctl, line in zip(
            last["place"].to_numpy(), last["day"].to_numpy(), last["controller"].to_numpy(),
            last["line"].to_numpy(), strict=True
        ):
            pid = place_ids[int(p)]
            initial[pid] = str(ctl)
            since[pid] = (start + timedelta(days=int(d)), None if line is None else int(line))

        late = frame[~early & real]
        day = late["day"].to_numpy(dtype=np.int64)
        def column(values: list[Any]) -> pd.Series:
            # Plain object columns: ``None`` stays ``None`` (not NaN) whatever pandas infers.
            return pd.Series(values, dtype=object)

        changes = pd.DataFrame(
            {
                "day": day,
                "date": column([start + timedelta(days=int(d)) for d in day]),
                "place_id": column([place_ids[int(p)] for p in late["place"].to_numpy()]),
                "place": late["place"].to_numpy(dtype=np.int64),
                "before": column([_none(v) for v in late["before"]]),
                "after": column([str(v) for v in late["controller"]]),
                "line": column([_none(v) for v in late["line"]]),
            }
        )
        return cls(
            start=start, end=end, place_ids=place_ids, initial=initial, initial_since=since,
            changes=changes,
        )

    def _build_lookup(self) -> None:
        """Index the changes by (place, day) for the binary search of :meth:`control_at`."""
        ch = self.changes
        labels = sorted({c for c in self.initial.values() if c is not None}
                        | {c for c in ch["after"] if c is not None})
        self._labels: list[str] = labels
        code = {c: i for i, c in enumerate(labels)}
        self._initial_codes = np.array(
            [-1 if (c := self.initial[p]) is None else code[c] for p in self.place_ids],
            dtype=np.int64,
        )
        stride = len(self.dates) + 1
        key = ch["place"].to_numpy(dtype=np.int64) * stride + ch["day"].to_numpy(dtype=np.int64)
        # Stable sort keeps file order inside a (place, day), so the last match is the state.
        self._order = np.argsort(key, kind="stable")
        self._keys = key[self._order]
        self._after_codes = np.array([code[c] for c in ch["after"]], dtype=np.int64)[self._order]
        self._stride = stride
        self._change_days = ch["day"].to_numpy(dtype=np.int64)

    # -- queries ----------------------------------------------------------------------------

    def _day(self, d: date) -> int:
        """Index of ``d`` into ``dates`` (may fall outside the range)."""
        return (d - self.start).days

    def codes_at(self, d: date) -> np.ndarray:
        """Controller of every place on ``d`` as codes into :attr:`labels` (``-1``: unknown).

        Parameters
        ----------
        d
            A day on or after ``start``; days after ``end`` give the state at ``end``.

        Returns
        -------
        numpy.ndarray
            One integer per place, in ``place_ids`` order.
        """
        k = self._day(d)
        if k < 0:
            raise ValueError(f"{d} is before the timeline start {self.start}")
        k = min(k, len(self.dates) - 1)
        n = len(self.place_ids)
        out = self._initial_codes.copy()
        if len(self._keys) == 0 or n == 0:
            return out
        targets = np.arange(n, dtype=np.int64) * self._stride + k
        pos = np.searchsorted(self._keys, targets, side="right") - 1
        valid = pos >= 0
        valid[valid] = self._keys[pos[valid]] // self._stride == np.nonzero(valid)[0]
        out[valid] = self._after_codes[pos[valid]]
        return out

    @property
    def labels(self) -> list[str]:
        """Every controller that occurs, sorted; :meth:`codes_at` indexes this list."""
        return list(self._labels)

    def control_at(self, d: date) -> dict[str, str | None]:
        """Return who holds each place on day ``d``.

        Parameters
        ----------
        d
            A day on or after ``start``; days after ``end`` give the state at ``end``.

        Returns
        -------
        dict
            Place id to faction id, ``contested`` or ``None`` (unknown), in ``place_ids`` order.

        Raises
        ------
        ValueError
            If ``d`` is before ``start``.
        """
        labels = self._labels
        return {
            p: (labels[c] if c >= 0 else None)
            for p, c in zip(self.place_ids, self.codes_at(d).tolist(), strict=True)
        }

    def intervals(self, place_id: str) -> list[Interval]:
        """Return the stretches of constant control of one place, oldest first.

        The first interval starts at the event that set the initial state (or ``None`` when the
        place had no event before ``start``); the last one is open (``end`` is ``None``).

        Parameters
        ----------
        place_id
            A place of the timeline.

        Returns
        -------
        list of Interval

        Raises
        ------
        KeyError
            If the place is unknown.
        """
        if place_id not in self._index:
            raise KeyError(place_id)
        since = self._initial_since.get(place_id)
        start, line = since if since is not None else (None, None)
        controller = self.initial[place_id]
        ch = self.changes[self.changes["place"] == self._index[place_id]]
        out: list[Interval] = []
        for d, after, ln in zip(ch["date"], ch["after"], ch["line"], strict=True):
            out.append(Interval(place_id, start, d, controller, line))
            start, controller, line = d, after, _none(ln)
        out.append(Interval(place_id, start, None, controller, line))
        return out

    def changes_between(self, d1: date, d2: date) -> list[Change]:
        """Return the changes dated after ``d1`` and up to ``d2`` (``d1 < date <= d2``).

        Parameters
        ----------
        d1, d2
            The bounds; ``d1`` excluded, ``d2`` included.

        Returns
        -------
        list of Change
            In chronological order (file order within a day).
        """
        lo = int(np.searchsorted(self._change_days, self._day(d1), side="right"))
        hi = int(np.searchsorted(self._change_days, self._day(d2), side="right"))
        sub = self.changes.iloc[lo:max(lo, hi)]
        return [
            Change(d, p, _none(b), _none(a), _none(ln))
            for d, p, b, a, ln in zip(
                sub["date"], sub["place_id"], sub["before"], sub["after"], sub["line"],
                strict=True,
            )
        ]

    def change_dates(self) -> list[date]:
        """Return the days on which at least one place changes hands, sorted.

        Returns
        -------
        list of datetime.date
        """
        return [self.dates[int(k)] for k in np.unique(self._change_days)]


def encode(timeline: Timeline, faction_ids: Sequence[str]) -> dict[str, list[int]]:
    """Encode a timeline as compact integer arrays for the browser.

    Controllers become indexes into ``list(faction_ids) + ["contested"]``; ``-1`` is unknown.
    Replaying ``day``/``place``/``after`` in order over ``initial`` gives the state of any day.

    Parameters
    ----------
    timeline
        The timeline.
    faction_ids
        The declared factions, in legend order (without ``contested``).

    Returns
    -------
    dict
        ``initial`` (one code per place, in ``timeline.place_ids`` order), and ``day``, ``place``,
        ``before``, ``after``, one entry per change.

    Raises
    ------
    ValueError
        If a controller is not a declared faction (the message gives its events.csv line).

    Examples
    --------
    >>> ev = pd.DataFrame({"date": [date(2024, 11, 27)], "place_id": ["a"],
    ...                    "controller": ["hts"], "line": [2]})
    >>> tl = Timeline.from_events(ev, ["a", "b"], date(2024, 11, 26), date(2024, 11, 28))
    >>> encode(tl, ["government", "hts"])
    {'initial': [-1, -1], 'day': [1], 'place': [0], 'before': [-1], 'after': [1]}
    """
    names = [*faction_ids, CONTESTED]
    code: dict[str | None, int] = {f: i for i, f in enumerate(names)}
    code[None] = -1

    def codes(values: Sequence[Any], lines: Sequence[Any]) -> list[int]:
        out = []
        for v, ln in zip(values, lines, strict=True):
            v = _none(v)
            if v not in code:
                where = f"events.csv:{ln}" if ln is not None else "events.csv"
                raise ValueError(f"{where}: controller: {v!r} is not a declared faction")
            out.append(code[v])
        return out

    ch = timeline.changes
    lines = [_none(v) for v in ch["line"]]
    initial_lines = [timeline._initial_since.get(p, (None, None))[1] for p in timeline.place_ids]
    return {
        "initial": codes([timeline.initial[p] for p in timeline.place_ids], initial_lines),
        "day": [int(v) for v in ch["day"]],
        "place": [int(v) for v in ch["place"]],
        "before": codes(list(ch["before"]), lines),
        "after": codes(list(ch["after"]), lines),
    }
