"""Animated maps for social media: a frame per day (or per change), as MP4 or GIF.

Each frame is the static map of :mod:`mapper.snapshot` (the same model, styles, legend and
credit line) at a social size (1080x1080, 1920x1080, 1080x1920), with the title, the date,
the legend and the sources line. Drawing is incremental: the figure, title and legend are
laid out once; the map is redrawn only on a day when the model says something changed; on
every other day only the date (and the credit, when a new source starts counting) is drawn
over a saved copy of the previous frame (matplotlib blitting).

Frames are piped to the ffmpeg binary that the ``imageio-ffmpeg`` package ships: H.264 in
MP4 (yuv420p, plays in browsers and on social sites), or a GIF with one palette made from
every frame. The encoder runs on one thread with bit-exact flags, so the same dataset and
options give the same bytes with the same ffmpeg.

>>> ds = load_dataset("geodata/aleppo-2024")  # doctest: +SKIP
>>> animate(ds, "aleppo.mp4", size=(1080, 1080), fps=4).frames  # doctest: +SKIP
23
"""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mapper.dataset import format_date

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from mapper.dataset import Dataset
    from mapper.snapshot import MapLayers

__all__ = ["SIZES", "Animation", "Animator", "animate", "frame_days"]

#: The social sizes, width x height in pixels.
SIZES: dict[str, tuple[int, int]] = {
    "1080x1080": (1080, 1080),  # square feed post
    "1920x1080": (1920, 1080),  # landscape video
    "1080x1920": (1080, 1920),  # portrait story / reel
}
#: Output formats, by file suffix.
FORMATS = ("mp4", "gif")
#: Pixels per inch of the frames: 1080 and 1920 pixels are whole inches (9 and 16).
DPI = 120
#: Frames per second by default: per day, and per change (``every_change``).
DEFAULT_FPS = 4.0
DEFAULT_CHANGE_FPS = 1.0
#: Seconds the last frame stays on screen by default.
DEFAULT_HOLD = 1.5


@dataclass(frozen=True)
class Animation:
    """What :func:`animate` wrote.

    Attributes
    ----------
    path
        The video or GIF.
    frames
        Frames in the file (the days, then the last day repeated for the hold).
    days
        The days drawn, in order.
    fps
        Frames per second.
    size
        ``(width, height)`` in pixels.
    redraws
        How many frames needed the map redrawn (the others only changed the date).
    """

    path: Path
    frames: int
    days: list[date]
    fps: Fraction
    size: tuple[int, int]
    redraws: int


def frame_days(ds: Dataset, *, every_change: bool = False, start: date | None = None,
               end: date | None = None) -> list[date]:
    """The days to draw: every day, or the first day and each day something changes hands.

    Parameters
    ----------
    ds
        The dataset.
    every_change
        Only the first day and the days on which ground or a place changes hands.
    start, end
        Limit to these days (inclusive; default: the dataset's time range).

    Returns
    -------
    list of datetime.date

    Raises
    ------
    ValueError
        If ``start``/``end`` lie outside the time range or leave no day.
    """
    from mapper import snapshot

    lo, hi = start or ds.start, end or ds.end
    for name, d in (("--from", lo), ("--to", hi)):
        if not ds.start <= d <= ds.end:
            raise ValueError(f"{name} {d.isoformat()}: outside the dataset's time range "
                             f"{ds.start.isoformat()}..{ds.end.isoformat()} (dataset.toml "
                             "[time])")
    if lo > hi:
        raise ValueError(f"--from {lo.isoformat()} is after --to {hi.isoformat()}")
    if every_change:
        days = [d for d in snapshot.change_days(ds) if lo <= d <= hi]
        return sorted({lo, *days})
    return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]


def _fit_box(extent: tuple[float, float, float, float], aspect: float,
             ) -> tuple[float, float, float, float]:
    """Widen a frame (x0, y0, x1, y1) to a height/width ratio of exactly ``aspect``."""
    x0, y0, x1, y1 = extent
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if h / w < aspect:
        h = w * aspect
    else:
        w = h / aspect
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


class Animator:
    """Draw the frames of one dataset at one size, redrawing only what changes.

    Parameters
    ----------
    ds
        The dataset.
    size
        ``(width, height)`` in pixels (even numbers, for video).
    lay
        Precomputed :func:`mapper.snapshot.layers` (computed when omitted).
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` to frame (default: every area).

    Examples
    --------
    >>> a = Animator(ds, (1080, 1080))  # doctest: +SKIP
    >>> a.frame(ds.start).shape  # doctest: +SKIP
    (1080, 1080, 3)
    """

    def __init__(self, ds: Dataset, size: tuple[int, int], *, lay: MapLayers | None = None,
                 bbox: tuple[float, float, float, float] | None = None) -> None:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from mapper import snapshot

        width_px, height_px = size
        if width_px % 2 or height_px % 2 or min(size) < 200:
            raise ValueError(f"size {width_px}x{height_px}: use even numbers of at least 200")
        self.ds = ds
        self.size = size
        lay = lay if lay is not None else snapshot.layers(ds, bbox=bbox)
        self.redraws = 0
        self._key: tuple[bytes, tuple[tuple[str, str], ...]] | None = None
        self._credit = ""
        self._background: Any = None
        w, h = width_px / DPI, height_px / DPI
        landscape = w > h * 1.2
        self._scale = 1.25 if not landscape else 1.15
        pad = 0.3
        title_pt, date_pt, legend_pt, credit_pt = 17.0, 15.0, 10.0, 8.0
        handles = snapshot.legend_handles(ds, lay)
        with matplotlib.rc_context(snapshot.RC_PARAMS):
            fig = Figure(figsize=(w, h), dpi=DPI)
            FigureCanvasAgg(fig)
            fig.patch.set_facecolor("white")
            if landscape:  # map on the left, a text column on the right
                col = 4.6
                text_w = col - 2 * pad
                box = (pad, pad, w - col - pad, h - 2 * pad)
                tx = (w - col + pad) / w
                title = snapshot.wrap_text(ds.title, text_w, title_pt)
                fig.text(tx, 1 - pad / h, title, ha="left", va="top", fontsize=title_pt,
                         fontweight="bold")
                title_h = (title.count("\n") + 1) * title_pt * 1.35 / 72
                date_y = 1 - (pad + title_h + 0.25) / h
                legend_top = date_y - (date_pt * 1.6 / 72 + 0.25) / h
                legend_cols = 1
                credit_w = text_w
                credit_x = tx
            else:  # title, date, map, legend, credit from top to bottom
                text_w = w - 2 * pad
                title = snapshot.wrap_text(ds.title, text_w, title_pt)
                title_h = (title.count("\n") + 1) * title_pt * 1.35 / 72
                fig.text(pad / w, 1 - pad / h, title, ha="left", va="top", fontsize=title_pt,
                         fontweight="bold")
                date_y = 1 - (pad + title_h + 0.12) / h
                legend_cols = 2 if w < 10 else 3
                rows = math.ceil(len(handles) / legend_cols)
                legend_h = rows * legend_pt * 1.7 / 72 + 0.1
                credit_h = 3 * credit_pt * 1.35 / 72 + 0.1
                map_top = h - (pad + title_h + 0.12 + date_pt * 1.5 / 72 + 0.15)
                map_bottom = pad + credit_h + legend_h + 0.15
                box = (pad, map_bottom, w - 2 * pad, map_top - map_bottom)
                legend_top = (map_bottom - 0.12) / h
                credit_w = text_w
                credit_x = pad / w
            self._date: Text = fig.text(
                tx if landscape else pad / w, date_y, "", ha="left", va="top",
                fontsize=date_pt, color="#222222", animated=True)
            fig.legend(handles=handles, loc="upper left", ncol=legend_cols, frameon=False,
                       fontsize=legend_pt, bbox_to_anchor=(credit_x, legend_top),
                       handlelength=2.2, columnspacing=1.5, borderaxespad=0)
            self._credit_pt, self._credit_w = credit_pt, credit_w
            self._credit_text: Text = fig.text(credit_x, pad / 2 / h, "", ha="left",
                                               va="bottom", fontsize=credit_pt,
                                               color="#444444", animated=True)
            bx, by, bw, bh = box
            self.lay = dataclasses.replace(lay, extent=_fit_box(lay.extent, bh / bw))
            self._ax: Axes = fig.add_axes((bx / w, by / h, bw / w, bh / h))
        self.fig: Figure = fig

    def frame(self, day: date) -> np.ndarray:
        """Draw one day and return its pixels.

        Parameters
        ----------
        day
            A day within the dataset's time range.

        Returns
        -------
        numpy.ndarray
            ``(height, width, 3)`` RGB bytes.
        """
        import matplotlib

        from mapper import snapshot

        t = self.lay.territory
        key = (t.codes_on(day).tobytes(),
               tuple(sorted((k, str(v)) for k, v in t.places_on(day).items())))
        credit = snapshot.wrap_text(snapshot.source_line(self.ds, day, t), self._credit_w,
                                    self._credit_pt)
        canvas = self.fig.canvas
        with matplotlib.rc_context(snapshot.RC_PARAMS):
            if key != self._key or self._background is None:
                self._ax.cla()
                snapshot.draw_map(self._ax, self.ds, self.lay, day, scale=self._scale)
                canvas.draw()  # everything but the animated date and credit
                self._background = canvas.copy_from_bbox(self.fig.bbox)  # type: ignore[attr-defined]
                self._key = key
                self.redraws += 1
            else:
                canvas.restore_region(self._background)  # type: ignore[attr-defined]
            self._date.set_text(f"Who held what on {format_date(day)}")
            self._credit_text.set_text(credit)
            self.fig.draw_artist(self._date)
            self.fig.draw_artist(self._credit_text)
        rgba = np.asarray(canvas.buffer_rgba())  # type: ignore[attr-defined]
        if rgba.shape[:2] != (self.size[1], self.size[0]):
            raise RuntimeError(f"frame is {rgba.shape[1]}x{rgba.shape[0]}, not "
                               f"{self.size[0]}x{self.size[1]}")
        return np.ascontiguousarray(rgba[:, :, :3])


def _ffmpeg_args(fmt: str, size: tuple[int, int], fps: Fraction, out: Path) -> list[str]:
    """The ffmpeg command line that reads raw RGB frames from stdin and writes ``out``."""
    import imageio_ffmpeg

    head = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size[0]}x{size[1]}",
            "-r", f"{fps.numerator}/{fps.denominator}", "-i", "pipe:0",
            "-fflags", "+bitexact", "-map_metadata", "-1", "-threads", "1"]
    if fmt == "gif":
        palette = ("split[a][b];[a]palettegen=stats_mode=full[p];"
                   "[b][p]paletteuse=dither=bayer:bayer_scale=4")
        return [*head, "-filter_complex", palette, "-loop", "0", "-f", "gif", str(out)]
    return [*head, "-c:v", "libx264", "-preset", "medium", "-crf", "20", "-tune", "stillimage",
            "-pix_fmt", "yuv420p", "-flags:v", "+bitexact", "-x264-params", "threads=1",
            "-movflags", "+faststart", "-f", "mp4", str(out)]


def format_of(out: Path | str, fmt: str | None = None) -> str:
    """The animation format: ``fmt`` if given, else the file's suffix.

    Parameters
    ----------
    out
        The output file.
    fmt
        ``mp4`` or ``gif``, or ``None``.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the format is neither.

    Examples
    --------
    >>> format_of("map.GIF")
    'gif'
    """
    value = (fmt or Path(out).suffix.lstrip(".")).lower()
    if value not in FORMATS:
        raise ValueError(f"{out}: unknown animation format {value!r}; use .mp4 or .gif")
    return value


def animate(ds: Dataset, out: Path | str, *, size: tuple[int, int] = (1080, 1080),
            fps: float | None = None, seconds_per_day: float | None = None,
            every_change: bool = False, start: date | None = None, end: date | None = None,
            hold: float = DEFAULT_HOLD, bbox: tuple[float, float, float, float] | None = None,
            fmt: str | None = None, progress: bool | None = None) -> Animation:
    """Write an animation of the map, a frame per day (or per change), as MP4 or GIF.

    Parameters
    ----------
    ds
        The dataset.
    out
        The output file (``.mp4`` or ``.gif``); written whole or not at all.
    size
        ``(width, height)`` in pixels; see :data:`SIZES`.
    fps
        Frames per second (default 4 per day, 1 per change).
    seconds_per_day
        Instead of ``fps``: how long each frame stays (``fps = 1 / seconds_per_day``).
    every_change
        A frame for the first day and each day something changes hands, not every day.
    start, end
        The first and last day (default: the dataset's time range).
    hold
        Seconds the last frame stays on screen (whole frames, at least the one).
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` to frame (default: every area).
    fmt
        ``mp4`` or ``gif`` (default: from the suffix of ``out``).
    progress
        Show a progress bar; ``None`` reads ``settings.progress``.

    Returns
    -------
    Animation

    Raises
    ------
    ValueError
        On a bad option (days outside the range, both ``fps`` and ``seconds_per_day``).
    RuntimeError
        If ffmpeg fails (its message included).

    Examples
    --------
    >>> animate(ds, "map.gif", size=(1080, 1920), seconds_per_day=0.5)  # doctest: +SKIP
    Animation(path=PosixPath('map.gif'), frames=..., ...)
    """
    from tqdm import tqdm

    from mapper import settings

    fmt = format_of(out, fmt)
    if fps is not None and seconds_per_day is not None:
        raise ValueError("give --fps or --seconds-per-day, not both")
    if seconds_per_day is not None:
        if not 0.01 <= seconds_per_day <= 60:
            raise ValueError(f"--seconds-per-day {seconds_per_day}: use 0.01 to 60 seconds")
        rate = Fraction(1) / Fraction(seconds_per_day).limit_denominator(1000)
    else:
        value = fps if fps is not None else (DEFAULT_CHANGE_FPS if every_change
                                             else DEFAULT_FPS)
        if not 0.0 < value <= 60:
            raise ValueError(f"--fps {value}: use more than 0 and at most 60")
        rate = Fraction(value).limit_denominator(1000)
    if fmt == "gif" and rate > 50:
        raise ValueError("a GIF shows at most 50 frames a second (1/100 s steps)")
    days = frame_days(ds, every_change=every_change, start=start, end=end)
    extra = max(0, math.ceil(float(hold * rate)) - 1)
    animator = Animator(ds, size, bbox=bbox)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    show = settings.progress if progress is None else progress
    proc = subprocess.Popen(_ffmpeg_args(fmt, size, rate, partial), stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    frames = 0
    try:
        try:
            sequence: Sequence[date] = [*days, *([days[-1]] * extra)]
            for day in tqdm(sequence, desc="animate", unit="frame", disable=not show):
                proc.stdin.write(animator.frame(day).tobytes())
                frames += 1
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg failed writing {out}: {err.strip()}")
        os.replace(partial, out)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()
        partial.unlink(missing_ok=True)
    return Animation(path=out, frames=frames, days=days, fps=rate, size=size,
                     redraws=animator.redraws)
