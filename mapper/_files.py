"""Writing files and folders safely: nothing half-written is ever in place, even after a crash.

One file (a page, an image, the geocode cache) is written to a temporary file beside the
target, flushed to disk and renamed into place: readers see the old content or the new.

A folder of files (the site, a draft dataset) is replaced whole. :func:`replace_folder` writes
the new folder beside the old one, as ``.<name>.new-XXXXXXXX`` in the same parent (same
filesystem): files that did not change are hard links to the old ones (same inode, bytes and
mtime; a copy with its mtime where links are impossible), changed ones are written fresh.
Every file (several at once), then every folder, is fsynced; then the two folders are swapped:

* on Linux, by ``renameat2(RENAME_EXCHANGE)`` (libc, through ctypes), one atomic step; the
  old tree, now at the ``.new-`` name, is then removed;
* where that is missing (another system, an old kernel or libc, a filesystem without it), by
  ``rename(out, .<name>.old-XXXXXXXX)`` then ``rename(new, out)``. A crash between the two
  leaves no ``out``; :func:`recover_folder`, which every writer calls first, renames the
  ``.old-`` folder back (the whole old folder: a ``.new-`` one may be incomplete).

A folder that cannot be swapped (a mount point, as a container volume; a parent folder that is
not writable; the working folder inside it) has its files replaced one by one, with a warning.

:func:`recover_folder` also removes what a killed run leaves: ``.<name>.new-*`` and
``.<name>.old-*`` siblings and ``.*.XXXXXXXX.tmp`` files inside the folder, matched on these
exact names only. Writers of one folder take :func:`folder_lock` (``flock`` on the parent
folder itself, so no lock file is left anywhere) around recovery and the swap; writers of one
file that merge rows (the geocode cache) take :func:`file_lock` on ``<file>.lock``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path, PurePosixPath

__all__ = [
    "file_lock",
    "folder_lock",
    "fsync_folder",
    "recover_folder",
    "remove_temp_files",
    "replace_folder",
    "write_atomic",
    "write_if_changed",
]

#: The random part of ``tempfile``'s names (8 characters of this alphabet).
_RANDOM = "[a-z0-9_]{8}"

#: A temporary file of :func:`write_atomic`: ``.<name>.XXXXXXXX.tmp``.
_TEMP_FILE = re.compile(rf"\..+\.{_RANDOM}\.tmp")

#: ``renameat2`` arguments (linux/fcntl.h, linux/fs.h).
AT_FDCWD = -100
RENAME_EXCHANGE = 2

#: Swap folders with ``renameat2(RENAME_EXCHANGE)`` where the kernel and filesystem allow;
#: ``False`` forces the two-rename fallback (the crash tests use it).
use_exchange = True

#: Called as ``hook(kind, path)`` before every change the writers here make on disk
#: (``mkdir``, ``link``, ``copy``, ``write``, ``fsync``, ``exchange``, ``rename``, ``rmtree``,
#: ``unlink``); the crash tests stop the process there.
hook: Callable[[str, str], None] | None = None


def _op(kind: str, path: Path | str) -> None:
    if hook is not None:
        hook(kind, os.fspath(path))


def _process_umask() -> int:
    """The process's umask (read once: reading it means setting it for a moment)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _process_umask()


def _readable(path: Path | str) -> None:
    """Give a temporary file the mode a new file gets (``mkstemp`` makes it owner-only)."""
    os.chmod(path, 0o666 & ~_UMASK)


def _fsync(path: Path | str) -> None:
    """Flush a file's or a folder's content and metadata to disk."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if os.path.isdir(path) else 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # a folder cannot be opened on some systems (Windows): nothing to flush
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # folders cannot be fsynced on some filesystems
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def write_atomic(out: Path | str, data: bytes | str) -> Path:
    """Write ``data`` to a temporary file beside ``out``, fsync it, then rename it into place.

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
            _op("write", tmp)
            handle.write(raw)
            handle.flush()
            _op("fsync", tmp)
            os.fsync(handle.fileno())
        _readable(tmp)
        _op("rename", out)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync(out.parent)
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
    if _holds(out, raw):
        return False
    write_atomic(out, raw)
    return True


def _holds(path: Path, raw: bytes) -> bool:
    """Whether ``path`` is a regular file holding exactly ``raw``."""
    try:
        if not path.is_file() or path.stat().st_size != len(raw):
            return False
        return path.read_bytes() == raw
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# Folders
# --------------------------------------------------------------------------------------------


def _absolute(out: Path | str) -> Path:
    """``out`` as an absolute path with symbolic links resolved (the folder really swapped)."""
    return Path(os.path.realpath(os.path.abspath(out)))


def _siblings(out: Path) -> re.Pattern[str]:
    """Names of the staging (``new``) and retired (``old``) folders of ``out``."""
    return re.compile(rf"\.{re.escape(out.name)}\.(new|old)-{_RANDOM}")


def _flock(fd: int) -> None:
    """Take an exclusive ``flock`` on ``fd``, waiting for it; a no-op without locks."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as exc:  # a filesystem without locks: go on unlocked
        if exc.errno not in (errno.ENOLCK, errno.ENOTSUP, errno.EBADF, errno.EINVAL):
            raise


@contextmanager
def file_lock(path: Path | str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the lock file ``path``, removed again when done.

    The file is created if needed and removed while still locked; a process that was waiting
    on the removed file sees it is gone (or replaced) once it gets the lock and tries again,
    so two processes never both hold the lock. A process killed while holding it leaves an
    empty lock file, which the next one takes over and removes. The lock is released when the
    block ends or the process dies.

    Parameters
    ----------
    path
        The lock file, e.g. ``geodata/geocode.csv.lock``.

    Yields
    ------
    None
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            _flock(fd)
            held = os.fstat(fd)
            now = os.stat(path)
        except FileNotFoundError:  # removed by the holder we waited for
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        if (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino):
            break
        os.close(fd)  # replaced by a newer lock file: lock that one
    try:
        yield
    finally:
        try:
            with suppress(FileNotFoundError):
                os.unlink(path)
        finally:
            os.close(fd)  # releases the lock


def remove_temp_files(path: Path | str) -> list[Path]:
    """Remove the temporary files a killed :func:`write_atomic` of ``path`` left beside it.

    Only names ``.<name>.XXXXXXXX.tmp`` are removed; call it while holding the lock all
    writers of ``path`` take, so none of them is still writing.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    list of Path
        The files removed.
    """
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.{_RANDOM}\.tmp")
    if not path.parent.is_dir():
        return []
    stale = sorted(p for p in path.parent.iterdir()
                   if pattern.fullmatch(p.name) and p.is_file() and not p.is_symlink())
    for p in stale:
        _op("unlink", p)
        p.unlink()
    return stale


@contextmanager
def folder_lock(out: Path | str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder that holds ``out`` (created if needed).

    The parent folder itself is locked, so no lock file is left beside ``out``. On a
    filesystem without locks the block runs unlocked.

    Parameters
    ----------
    out
        The folder about to be recovered or replaced.

    Yields
    ------
    None
    """
    parent = _absolute(out).parent
    parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # a folder cannot be opened on some systems (Windows)
        yield
        return
    try:
        _flock(fd)
        yield
    finally:
        os.close(fd)  # releases the lock


def recover_folder(out: Path | str) -> list[Path]:
    """Undo what a run killed in :func:`replace_folder` left, keeping whole folders only.

    If ``out`` is missing and a retired ``.<name>.old-*`` folder exists (a crash between the
    two renames of the fallback swap), it is renamed back to ``out``. Then every other
    ``.<name>.new-*`` / ``.<name>.old-*`` sibling and every ``.*.XXXXXXXX.tmp`` file of
    :func:`write_atomic` inside ``out`` is removed. Call it under :func:`folder_lock`.

    Parameters
    ----------
    out
        The folder.

    Returns
    -------
    list of Path
        What was removed (and, first, the folder restored, if any).
    """
    out = _absolute(out)
    done: list[Path] = []
    if not out.parent.is_dir():
        return done
    pattern = _siblings(out)
    found = sorted(p for p in out.parent.iterdir()
                   if pattern.fullmatch(p.name) and p.is_dir() and not p.is_symlink())
    retired = [p for p in found if p.name.startswith(f".{out.name}.old-")]
    if retired and not os.path.lexists(out):
        back = max(retired, key=lambda p: p.stat().st_ctime_ns)
        _op("rename", out)
        os.rename(back, out)
        _fsync(out.parent)
        found.remove(back)
        done.append(out)
    for stale in found:
        _op("rmtree", stale)
        shutil.rmtree(stale)
        done.append(stale)
    if found:
        _fsync(out.parent)
    if out.is_dir():
        for root, dirs, names in os.walk(out):
            dirs[:] = [d for d in dirs if d != ".git"]
            for name in names:
                path = Path(root) / name
                if _TEMP_FILE.fullmatch(name) and path.is_file() and not path.is_symlink():
                    _op("unlink", path)
                    path.unlink()
                    done.append(path)
    return done


def _swappable(out: Path) -> str | None:
    """Why ``out`` cannot be replaced whole (``None`` if it can)."""
    if not os.access(out.parent, os.W_OK | os.X_OK):
        return f"{out.parent} is not writable"
    if out.is_dir() and (os.path.ismount(out)
                         or os.stat(out).st_dev != os.stat(out.parent).st_dev):
        return f"{out} is a mount point"
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return None
    if cwd == out or out in cwd.parents:
        return f"the working folder is inside {out}"
    return None


def _relative(name: str) -> PurePosixPath:
    rel = PurePosixPath(name)
    if rel.is_absolute() or not rel.parts or ".." in rel.parts or "." in rel.parts:
        raise ValueError(f"{name!r} is not a relative path inside the folder")
    return rel


def _link(src: Path, dst: Path) -> None:
    """Hard-link ``src`` (not following a symbolic link) to ``dst``; copy it if impossible."""
    _op("link", dst)
    try:
        os.link(src, dst, follow_symlinks=False)
    except (OSError, NotImplementedError):  # no hard links here: a copy with its mtime
        _op("copy", dst)
        shutil.copy2(src, dst, follow_symlinks=False)


def _mkdir(path: Path, like: Path | None = None) -> None:
    """Make a folder, with the mode of ``like`` if given."""
    _op("mkdir", path)
    os.mkdir(path)
    if like is not None:
        os.chmod(path, stat.S_IMODE(like.stat().st_mode))


def _link_tree(src: Path, dst: Path, rel: PurePosixPath, skip: Mapping[str, bytes]) -> None:
    """Recreate ``src``'s folders under ``dst`` and hard-link its files, except ``skip``'s
    and stale temporary files of :func:`write_atomic` (outside ``.git``)."""
    with os.scandir(src) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            path = rel / entry.name
            if entry.is_dir(follow_symlinks=False):
                _mkdir(dst / entry.name, Path(entry.path))
                _link_tree(Path(entry.path), dst / entry.name, path, skip)
            elif str(path) in skip:
                continue  # linked below if unchanged, else written fresh
            elif (_TEMP_FILE.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
                  and ".git" not in path.parts):
                continue  # a stale temporary file
            else:
                _link(Path(entry.path), dst / entry.name)


def _write_new(path: Path, raw: bytes) -> None:
    """Write a file that does not exist yet (in the staging folder)."""
    _op("write", path)
    with open(path, "xb") as handle:
        handle.write(raw)


def fsync_folder(root: Path | str) -> None:
    """Fsync every file under ``root``, then every folder, deepest first, then ``root``.

    Parameters
    ----------
    root
        The folder.
    """
    files: list[Path] = []
    folders: list[Path] = []
    for base, dirs, names in os.walk(root):
        folders.append(Path(base))
        files.extend(Path(base) / n for n in sorted(names)
                     if not os.path.islink(os.path.join(base, n)))
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(base, d)))
    for path in files:
        _op("fsync", path)
    _fsync_many(files)
    for path in reversed(folders):
        _op("fsync", path)
        _fsync(path)


#: Files fsynced at once by :func:`fsync_folder`.
FSYNC_THREADS = 8


def _fsync_many(paths: Sequence[Path]) -> None:
    """Fsync files, several at once: each fsync mostly waits on the disk, and the kernel
    commits concurrent ones together (730 snapshot files: about 0.2 s instead of 1.5 s)."""
    if len(paths) < 4:
        for path in paths:
            _fsync(path)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=FSYNC_THREADS) as pool:
        for _ in pool.map(_fsync, paths):  # re-raises the first error here
            pass


@cache
def _renameat2() -> Callable[..., int] | None:
    """libc's ``renameat2``, or ``None`` where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths; ``False`` if the system cannot (nothing changed then)."""
    fn = _renameat2() if use_exchange else None
    if fn is None:
        return False
    _op("exchange", b)
    if fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), os.fspath(b))


def _swap(new: Path, out: Path) -> None:
    """Put the staged folder ``new`` in place of ``out``, then remove the old tree."""
    parent = out.parent
    if not os.path.lexists(out):
        _op("rename", out)
        os.rename(new, out)
        _fsync(parent)
        return
    if _exchange(new, out):  # ``new`` now holds the old tree
        _fsync(parent)
        _op("rmtree", new)
        shutil.rmtree(new)
        _fsync(parent)
        return
    old = parent / f".{out.name}.old-{secrets.token_hex(4)}"
    while os.path.lexists(old):
        old = parent / f".{out.name}.old-{secrets.token_hex(4)}"
    _op("rename", old)
    os.rename(out, old)
    _op("rename", out)
    try:
        os.rename(new, out)  # a crash before this line: recover_folder renames ``old`` back
    except BaseException:
        os.rename(old, out)
        raise
    _fsync(parent)
    _op("rmtree", old)
    shutil.rmtree(old)
    _fsync(parent)


def replace_folder(out: Path | str, files: Mapping[str, bytes | str], *,
                   keep: bool = True) -> list[str]:
    """Replace the folder ``out`` whole by one holding ``files``, as the module doc describes.

    Call it under :func:`folder_lock`, after :func:`recover_folder`. Where ``out`` cannot be
    swapped (a mount point, a parent folder that is not writable, the working folder inside
    it) the files are written one by one with :func:`write_if_changed`, with a warning.

    Parameters
    ----------
    out
        The folder; created if missing.
    files
        Relative POSIX path -> content (text is written as UTF-8).
    keep
        Also keep every other file already in ``out`` (hard links); ``False`` makes the new
        folder hold exactly ``files``.

    Returns
    -------
    list of str
        The paths of ``files`` whose content was new or changed, in sorted order; the others
        keep their inode, bytes and mtime.

    Examples
    --------
    >>> import tempfile
    >>> site = Path(tempfile.mkdtemp()) / "site"
    >>> replace_folder(site, {"index.html": "<p>hi</p>", "a/b.txt": b"b"})
    ['a/b.txt', 'index.html']
    >>> replace_folder(site, {"index.html": "<p>hello</p>"})
    ['index.html']
    >>> sorted(str(p.relative_to(site)) for p in site.rglob("*"))
    ['a', 'a/b.txt', 'index.html']
    >>> shutil.rmtree(site.parent)
    """
    target = _absolute(out)
    if os.path.lexists(target) and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", os.fspath(out))
    target.parent.mkdir(parents=True, exist_ok=True)
    raws = {str(_relative(k)): v.encode("utf-8") if isinstance(v, str) else v
            for k, v in files.items()}
    reason = _swappable(target)
    if reason is not None:
        warnings.warn(f"{out}: {reason}, so it cannot be replaced whole; "
                      "writing its files one by one", stacklevel=2)
        return [rel for rel in sorted(raws) if write_if_changed(target / rel, raws[rel])]
    _op("mkdir", target.parent / f".{target.name}.new-")
    new = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    changed: list[str] = []
    try:
        old_root = target if target.is_dir() else None
        os.chmod(new, stat.S_IMODE(old_root.stat().st_mode) if old_root
                 else 0o777 & ~_UMASK)
        if keep and old_root is not None:
            _link_tree(old_root, new, PurePosixPath(), raws)
        for rel in sorted(raws):
            dst = new / rel
            for depth in range(1, len(PurePosixPath(rel).parts)):
                folder = PurePosixPath(*PurePosixPath(rel).parts[:depth])
                if not (new / folder).is_dir():
                    like = target / folder if (target / folder).is_dir() else None
                    _mkdir(new / folder, like)
            if _holds(target / rel, raws[rel]) and not (target / rel).is_symlink():
                _link(target / rel, dst)
            else:
                _write_new(dst, raws[rel])
                changed.append(rel)
        fsync_folder(new)
        _swap(new, target)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    return changed
