"""``python -m mapper validate``: the real command in a subprocess, exit codes and output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

VALID = Path(__file__).parent / "data" / "valid"
ROOT = Path(__file__).parent.parent


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m mapper validate ARGS`` from the repository root, offline."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "mapper", "-q", "validate", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
                          check=False)


def test_valid_dataset_is_ok() -> None:
    # With geocoding (the default): every fixture place has coordinates, so this stays offline.
    result = run(VALID)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{VALID}: ok (0 warning(s))"
    assert result.stderr == ""


def test_bad_dataset_reports_every_problem(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(VALID, folder)
    events = folder / "events.csv"
    text = events.read_text(encoding="utf-8")
    text = text.replace("2020-03,saraqib", "2024-02-30,saraqib")
    text = text.replace("aleppo,hts,entered", "aleppo,rebels,entered")
    events.write_text(text, encoding="utf-8")
    (folder / "sources.csv").write_text(
        (folder / "sources.csv").read_text(encoding="utf-8").replace(
            "https://www.aljazeera.com/", "javascript:alert(1)"), encoding="utf-8")
    result = run(folder, "--no-geocode")
    assert result.returncode == 2
    assert "ok" not in result.stdout
    lines = result.stderr.splitlines()
    assert [line.split(" ", 1)[0] for line in lines[:3]] == [
        "events.csv:3:", "events.csv:4:", "sources.csv:3:"]
    assert lines[0].startswith("events.csv:3: date: '2024-02-30' is not a real day")
    assert lines[1].startswith("events.csv:4: controller: unknown controller 'rebels'")
    assert lines[2].startswith("sources.csv:3: url: 'javascript:alert(1)'")
    assert lines[3] == f"{folder}: 3 error(s)"


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    folder = tmp_path / "warned"
    shutil.copytree(VALID, folder)
    with (folder / "sources.csv").open("a", encoding="utf-8") as f:
        f.write("spare,Spare,Nobody,,\n")
    result = run(folder, "--no-geocode")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "sources.csv:5: warning: id: source 'spare' is never cited"]
    assert result.stdout.strip() == f"{folder}: ok (1 warning(s))"


def test_missing_folder(tmp_path: Path) -> None:
    result = run(tmp_path / "nope", "--no-geocode")
    assert result.returncode == 2
    assert "not a dataset folder" in result.stderr
