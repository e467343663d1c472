"""``mapper animate``: MP4 and GIF from the static map code, played in real Chromium."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from mapper.animate import Animator, animate, frame_days
from mapper.cli import main
from mapper.dataset import Dataset

MINI = Path(__file__).parent / "data" / "mini"


def test_frame_days_every_day_and_every_change(mini: Dataset) -> None:
    days = frame_days(mini)
    assert days[0] == mini.start and days[-1] == mini.end
    assert len(days) == (mini.end - mini.start).days + 1
    changes = frame_days(mini, every_change=True)
    assert changes[0] == mini.start and set(changes) < set(days)
    assert date(2024, 11, 29) in changes and date(2024, 11, 27) not in changes
    part = frame_days(mini, start=date(2024, 11, 28), end=date(2024, 12, 1))
    assert part == [date(2024, 11, 28), date(2024, 11, 29), date(2024, 11, 30),
                    date(2024, 12, 1)]
    with pytest.raises(ValueError, match="outside the dataset's time range"):
        frame_days(mini, start=date(2020, 1, 1))


def test_incremental_frames_match_full_draws(mini: Dataset) -> None:
    # Drawing days in a row (the map redrawn only on changes, the date blitted over the
    # saved background) gives the same pixels as drawing each day from scratch.
    days = frame_days(mini)
    walker = Animator(mini, (400, 400))
    walked = {d: walker.frame(d) for d in days}
    assert walker.redraws < len(days)  # unchanged days were not redrawn
    for d in (days[1], date(2024, 11, 30), days[-1]):
        fresh = Animator(mini, (400, 400), lay=walker.lay).frame(d)
        assert fresh.shape == (400, 400, 3)
        assert np.array_equal(fresh, walked[d]), d
    assert not np.array_equal(walked[days[0]], walked[days[-1]])  # the map does change
    # Two unchanged days differ only in the date line, above the map.
    a, b = walked[date(2024, 11, 26)], walked[date(2024, 11, 27)]
    rows = np.nonzero((a != b).any(axis=(1, 2)))[0]
    assert len(rows) and rows.max() < 120


def test_gif_frames_size_and_bytes(mini: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "map.gif"
    result = animate(mini, out, size=(1080, 1920), fps=4, start=date(2024, 11, 28),
                     end=date(2024, 12, 1), hold=0.5, progress=False)
    assert result.frames == 5  # 4 days + the last one held 0.5 s at 4 fps
    with Image.open(out) as im:
        assert im.format == "GIF"
        assert im.size == (1080, 1920)
        assert im.n_frames == 5
        assert im.info.get("duration") == 250
    again = animate(mini, tmp_path / "again.gif", size=(1080, 1920), fps=4,
                    start=date(2024, 11, 28), end=date(2024, 12, 1), hold=0.5, progress=False)
    assert again.path.read_bytes() == out.read_bytes()
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.browser
def test_mp4_plays_to_the_end_in_chromium(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "map.mp4"
    res = CliRunner().invoke(main, ["-q", "animate", str(MINI), "--out", str(out),
                                    "--size", "1920x1080", "--seconds-per-day", "0.25",
                                    "--hold", "0.5"])
    assert res.exit_code == 0, res.output
    assert "11 frames (10 days), 1920x1080, 4 fps, 2.8 s" in res.output
    first = out.read_bytes()
    res = CliRunner().invoke(main, ["-q", "animate", str(MINI), "--out", str(out),
                                    "--size", "1920x1080", "--fps", "4", "--hold", "0.5"])
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == first  # byte for byte

    page_file = tmp_path / "play.html"
    page_file.write_text('<!DOCTYPE html><video id="v" muted src="map.mp4"></video>',
                         encoding="utf-8")
    ctx = browser.new_context()
    page = ctx.new_page()
    try:
        page.goto(page_file.as_uri())
        outcome = page.evaluate("""() => new Promise(done => {
            const v = document.getElementById('v');
            v.onerror = () => done({error: v.error ? v.error.message || v.error.code : 'error'});
            v.onended = () => done({ended: true, duration: v.duration,
                                    size: [v.videoWidth, v.videoHeight]});
            v.play().catch(e => done({error: String(e)}));
            setTimeout(() => done({error: 'timeout', state: v.readyState,
                                   time: v.currentTime}), 20000);
        })""")
    finally:
        ctx.close()
    assert "error" not in outcome, outcome
    assert outcome["ended"] is True
    assert outcome["size"] == [1920, 1080]
    assert outcome["duration"] == pytest.approx(2.75, abs=0.05)


def test_cli_errors_are_clear(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["animate", str(MINI), "--out", str(tmp_path / "m.avi")])
    assert res.exit_code == 2 and "use .mp4 or .gif" in res.output
    res = runner.invoke(main, ["animate", str(MINI), "--out", str(tmp_path / "m.gif"),
                               "--from", "2030-01-01"])
    assert res.exit_code == 2 and "--from 2030-01-01: outside" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(main, ["animate", str(MINI), "--out", str(tmp_path / "m.gif"),
                               "--fps", "2", "--seconds-per-day", "1"])
    assert res.exit_code == 2 and "not both" in res.output
    assert not list(tmp_path.iterdir())
