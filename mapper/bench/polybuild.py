"""Build one page of the polygon benchmark in a process of its own; print its timings as JSON.

:mod:`mapper.bench.run` starts this module as a child process so that the peak memory of each
build (the child's ``ru_maxrss``) is measured apart::

    python -m mapper.bench.polybuild ours FILES_DIR DATASET_DIR OUT.html
    python -m mapper.bench.polybuild peer DATASET_DIR OUT.html

``ours`` is what a user runs: ``mapper import snapshots FILES_DIR --out DATASET_DIR --side A
--rest B --countries SY`` (the library call behind it), then the page build of that
dataset (:func:`mapper.bench.build.build`). Timings (seconds): ``import_s`` (the import),
``load_s``, ``render_s``, ``write_s`` and ``build_s`` = import + load + render + write;
``modules_s`` is the time to import the Python modules, not counted. ``peer`` reads the
imported dataset's snapshot files (:mod:`mapper.bench.polypeer`).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

#: The import the benchmark runs (see :mod:`mapper.bench.polysynth`).
IMPORT_OPTIONS: dict[str, Any] = {"side": "A", "rest": "B", "countries": ["SY"]}


def build_ours(files: Path, dataset: Path, out: Path) -> dict[str, Any]:
    """Import ``files`` into ``dataset`` (replacing it), then build its page into ``out``.

    Returns
    -------
    dict
        ``modules_s``, ``import_s``, ``load_s``, ``render_s``, ``write_s``, ``build_s``,
        ``bytes``, ``snapshot_vertices``.
    """
    t0 = time.perf_counter()
    from mapper import settings
    from mapper.bench.build import build
    from mapper.importers import import_snapshots

    settings.progress = False
    t1 = time.perf_counter()
    summary = import_snapshots(files, dataset, force=True, progress=False,
                               publisher="mapper.bench.polysynth", **IMPORT_OPTIONS)
    t2 = time.perf_counter()
    result = build("ours", dataset, out)
    return {"modules_s": t1 - t0 + result.pop("import_s"), "import_s": t2 - t1,
            **result, "build_s": t2 - t1 + result["build_s"],
            "snapshot_vertices": summary.vertices}


def build_peer(dataset: Path, out: Path) -> dict[str, Any]:
    """Build the folium page of ``dataset`` into ``out``; the timings of
    :func:`mapper.bench.build.build` (``import_s`` renamed ``modules_s``)."""
    t0 = time.perf_counter()
    from mapper.bench.build import _write
    from mapper.bench.polypeer import build_polygon_peer_html

    t1 = time.perf_counter()
    page = build_polygon_peer_html(dataset)
    t2 = time.perf_counter()
    _write(out, page)
    t3 = time.perf_counter()
    return {"modules_s": t1 - t0, "load_s": None, "render_s": t2 - t1, "write_s": t3 - t2,
            "build_s": t3 - t1, "bytes": out.stat().st_size}


def main(argv: list[str]) -> int:
    """Run a build from the command line; print its result as one JSON line."""
    if len(argv) == 4 and argv[0] == "ours":
        result = build_ours(Path(argv[1]), Path(argv[2]), Path(argv[3]))
    elif len(argv) == 3 and argv[0] == "peer":
        result = build_peer(Path(argv[1]), Path(argv[2]))
    else:
        print("usage: python -m mapper.bench.polybuild ours FILES_DIR DATASET_DIR OUT.html\n"
              "       python -m mapper.bench.polybuild peer DATASET_DIR OUT.html",
              file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
