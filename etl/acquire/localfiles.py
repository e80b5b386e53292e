"""Local reads, confined: only regular files inside the configured roots are ever opened.

Every local read of the pipeline goes through here — a folder or glob of pages, a local URL list,
feed or sitemap, a WARC archive, a ``file:`` URL or WARC record a frontier row points at — at
discover and again at fetch (a frontier row may have been stored by another sources file or an
older version). A path is refused when

* it resolves (symlinks followed) outside every root: ``outside_files_roots``;
* it is under ``/proc``, ``/sys`` or ``/dev``, or is not a regular file (a device, FIFO, socket):
  ``special_file``. ``/proc/self/environ`` looks like a regular file of size 0 and holds the
  worker's environment, database password included; a FIFO would block the read forever.

The roots are ``NEWSETL_FILES_ROOTS``, or the folder of the run's sources file. The file is opened
without following a last symlink and without blocking, and what was opened is checked again (the
path could be swapped between the check and the open), so the bytes read are those of the file
that passed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from etl.records import Reason
from etl.settings import Settings

SPECIAL_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class LocalRefused(Exception):
    """A local path the pipeline may not read; ``reason`` is the reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def local_roots(settings: Settings) -> tuple[Path, ...]:
    """The folders local reads are confined to (symlinks resolved)."""
    configured = [Path(root).expanduser() for root in settings.files_roots if str(root).strip()]
    roots = configured or [Path(settings.sources_file).expanduser().absolute().parent]
    return tuple(Path(os.path.realpath(root)) for root in roots)


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _special_tree(path: Path) -> Path | None:
    return next((tree for tree in SPECIAL_TREES if _within(path, tree)), None)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "folder"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device")):
        if test(mode):
            return name
    return "special file"


def confine(path: str | Path, roots: tuple[Path, ...]) -> Path:
    """The real path of ``path`` when it may be read (inside a root, not in /proc, /sys, /dev); else LocalRefused."""
    real = Path(os.path.realpath(os.path.abspath(path)))
    tree = _special_tree(real)
    if tree is not None:
        raise LocalRefused(Reason.SPECIAL_FILE, f"{path} is under {tree}: never read")
    if not any(_within(real, root) for root in roots):
        shown = f"{path} (resolves to {real})" if str(real) != os.path.abspath(path) else str(path)
        raise LocalRefused(Reason.OUTSIDE_FILES_ROOTS,
                           f"{shown} is outside the files roots {', '.join(map(str, roots))}; "
                           "set NEWSETL_FILES_ROOTS to read it")
    return real


def may_list(folder: str | Path, roots: tuple[Path, ...]) -> None:
    """Refuse a glob's fixed folder when no root lies inside or above it (nothing it matches could be read)."""
    real = Path(os.path.realpath(os.path.abspath(folder)))
    tree = _special_tree(real)
    if tree is not None:
        raise LocalRefused(Reason.SPECIAL_FILE, f"{folder} is under {tree}: never read")
    if not any(_within(real, root) or _within(root, real) for root in roots):
        raise LocalRefused(Reason.OUTSIDE_FILES_ROOTS,
                           f"{folder} is outside the files roots {', '.join(map(str, roots))}; "
                           "set NEWSETL_FILES_ROOTS to read it")


def check_regular(path: str | Path, roots: tuple[Path, ...]) -> Path:
    """``confine`` plus: it is a regular file (stat follows the path; nothing is opened)."""
    real = confine(path, roots)
    mode = os.stat(real).st_mode
    if not stat.S_ISREG(mode):
        raise LocalRefused(Reason.SPECIAL_FILE, f"{path} is a {_kind(mode)}, not a regular file")
    return real


def open_local(path: str | Path, roots: tuple[Path, ...]) -> BinaryIO:
    """Open a confined regular file for reading; LocalRefused, or OSError (FileNotFoundError, ...) as open gives it."""
    real = check_regular(path, roots)  # nothing but a regular file is opened at all (a device's open may act)
    fd = os.open(real, _OPEN_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise LocalRefused(Reason.SPECIAL_FILE, f"{path} is a {_kind(mode)}, not a regular file")
        link = Path(f"/proc/self/fd/{fd}")
        if link.exists():  # Linux: the file actually opened, whatever happened to the path meanwhile
            opened = Path(os.readlink(link))
            if opened != real:
                confine(opened, roots)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_local(path: str | Path, roots: tuple[Path, ...], max_bytes: int) -> bytes:
    """The bytes of a confined regular file of at most ``max_bytes``; LocalRefused (``too_large`` too) or OSError."""
    with open_local(path, roots) as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > max_bytes:
            raise LocalRefused("too_large", f"{size} bytes > {max_bytes}")
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise LocalRefused("too_large", f"over {max_bytes} bytes")
    return data
