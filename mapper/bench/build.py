"""Build one page, ours or the peer's, in a process of its own and print its timings as JSON.

:mod:`mapper.bench.run` starts this module as a child process so that the peak memory of each
build (the child's ``ru_maxrss``) is measured apart from the harness and from the other build::

    python -m mapper.bench.build ours  DATASET_DIR OUT.html
    python -m mapper.bench.build peer  DATASET_DIR OUT.html
    python -m mapper.bench.build site  DATASET_DIR OUT_DIR     # the whole `mapper build`

Timings (seconds): ``import_s`` (the modules the build needs), ``load_s`` (ours: load and
validate the dataset; the peer: included in render), ``render_s`` (HTML as a string),
``write_s`` (to disk, atomically) and ``build_s`` = load + render + write.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: The repository root, cut from file names in profiles.
_ROOT = str(Path(__file__).resolve().parents[2]) + "/"


def _write(path: Path, text: str) -> None:
    # Not mapper._files.write_atomic: importing the mapper package (geopandas) here would be
    # counted in the peer's build time and memory.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(side: str, data: Path, out: Path) -> dict[str, Any]:
    """Build ``side``'s page for the dataset ``data`` into ``out``; return the timings.

    Parameters
    ----------
    side
        ``"ours"`` (:func:`mapper.dataset.load_dataset` + :func:`mapper.render.render_html`),
        ``"site"`` (:func:`mapper.site.build` with its images: the whole ``mapper build``;
        ``out`` is then the site folder) or ``"peer"`` (:func:`mapper.bench.peer.build_peer_html`).
    data
        The dataset folder.
    out
        The HTML file to write.

    Returns
    -------
    dict
        ``import_s``, ``load_s`` (``None`` for the peer: it reads the files while rendering),
        ``render_s``, ``write_s``, ``build_s``, ``bytes``.
    """
    t0 = time.perf_counter()
    if side == "ours":
        from mapper import settings
        from mapper.dataset import load_dataset
        from mapper.render import render_html

        settings.progress = False
        t1 = time.perf_counter()
        ds = load_dataset(data)
        t2 = time.perf_counter()
        page = render_html(ds)
    elif side == "site":  # what `mapper build DATASET` does: page, images, chart and table
        from mapper import settings, site

        settings.progress = False
        t1 = t2 = time.perf_counter()
        written = site.build([data], out=out, progress=False, images=True)
        t3 = time.perf_counter()
        return {"import_s": t1 - t0, "load_s": None, "render_s": t3 - t2, "write_s": 0.0,
                "build_s": t3 - t1, "files": len(written),
                "bytes": sum(p.stat().st_size for p in written if p.is_file())}
    elif side == "peer":
        from mapper.bench.peer import build_peer_html

        t1 = t2 = time.perf_counter()
        page = build_peer_html(data)
    else:
        raise ValueError(f"side: expected 'ours', 'site' or 'peer', got {side!r}")
    t3 = time.perf_counter()
    _write(out, page)
    t4 = time.perf_counter()
    return {"import_s": t1 - t0, "load_s": t2 - t1 if side == "ours" else None,
            "render_s": t3 - t2, "write_s": t4 - t3, "build_s": t4 - t1,
            "bytes": out.stat().st_size}


class _Stopped(Exception):
    """SIGTERM arrived during a profiled build."""


def profiled_build(side: str, data: Path, out: Path, *, top: int = 25) -> dict[str, Any]:
    """Like :func:`build`, under :mod:`cProfile`; adds ``profile``: the ``top`` functions by
    cumulative time, as ``[function, calls, own seconds, cumulative seconds]``.

    The profiler slows the build down; its timings are for finding the hot spots only. A
    build stopped by SIGTERM (a time limit of the runner) still gives the profile of what
    it did until then, with ``stopped`` set.
    """
    import cProfile
    import pstats
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise _Stopped

    signal.signal(signal.SIGTERM, stop)
    prof = cProfile.Profile()
    try:
        result = prof.runcall(build, side, data, out)
    except _Stopped:
        result = {"stopped": True}
    stats = pstats.Stats(prof)
    rows = []
    for (file, line, func), (_, calls, own, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = file.split("site-packages/")[-1].removeprefix(_ROOT)
        rows.append([f"{where}:{line}({func})", calls, round(own, 3), round(cum, 3)])
    rows.sort(key=lambda r: -r[3])
    result["profile"] = rows[:top]
    return result


def main(argv: list[str]) -> int:
    """Run :func:`build` from the command line; print its result as one JSON line."""
    profile = "--profile" in argv
    args = [a for a in argv if a != "--profile"]
    if len(args) != 3:
        print("usage: python -m mapper.bench.build {ours,site,peer} DATASET_DIR OUT [--profile]",
              file=sys.stderr)
        return 2
    run = profiled_build if profile else build
    print(json.dumps(run(args[0], Path(args[1]), Path(args[2]))))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
