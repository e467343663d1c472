"""Writing files safely: to a temporary file beside the target, then renamed into place.

A crash or an error mid-way never leaves a half-written file (a page, an image, the geocode
cache); readers see the old content or the new, nothing between.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _process_umask() -> int:
    """The process's umask (read once: reading it means setting it for a moment)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _process_umask()


def _readable(path: Path | str) -> None:
    """Give a temporary file the mode a new file gets (``mkstemp`` makes it owner-only)."""
    os.chmod(path, 0o666 & ~_UMASK)


def write_atomic(out: Path | str, data: bytes | str) -> Path:
    """Write ``data`` to a temporary file beside ``out``, then rename it into place.

    Parameters
    ----------
    out
        The destination; its folder is created if needed.
    data
        The content: bytes, or text written as UTF-8 exactly as given (no newline translation).

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> write_atomic("/tmp/mapper-doctest.txt", "hello\\n")
    PosixPath('/tmp/mapper-doctest.txt')
    """
    out = Path(out)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        _readable(tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def write_if_changed(out: Path | str, data: bytes | str) -> bool:
    """Write ``data`` atomically unless ``out`` already holds exactly it (its mtime is kept).

    Parameters
    ----------
    out
        The destination.
    data
        The content: bytes, or text written as UTF-8.

    Returns
    -------
    bool
        True if the file was (re)written.
    """
    out = Path(out)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if out.is_file() and out.read_bytes() == raw:
        return False
    write_atomic(out, raw)
    return True
