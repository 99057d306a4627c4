"""The on-disk state of one unfinished download: a partial file beside the final name, plus (for files
fetched as parallel byte ranges) a small piece journal.

Crash safety (kill -9) comes from ordering, not fsync: bytes are written with pwrite *before* the
journal counter that claims them, so after a crash the journal never claims bytes that are not in the
file; at most the last buffer per piece is fetched again. A single-stream partial needs no journal: its
length is its progress. The partial's name carries the expected hash, so a partial of other content (an
older revision) is never resumed.

Names: `NAME.<hash16>.hubctl-partial` beside the final name, or, when that (with `.pieces`) would not fit in
a file name where NAME itself fits, `<sha256(NAME)[:40]>.<hash16>.hubctl-partial`; so every name the file
system can hold can be downloaded. Stale-partial clean-up matches exactly those two forms for this NAME (a
regular file, not a folder), never the partial of `NAME.anything` (`model.bin` vs `model.bin.index.json`).

Fencing: a pull registers a `fence` for the partial it holds a lease on; writes (at most every
FENCE_INTERVAL s) and the final rename first ask it, so a holder that lost its lease while paused
(SIGSTOP, a hung NFS client) stops with LeaseLost instead of overwriting what the new holder verified.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hubctl.constants import PARTIAL_SUFFIX

_MAGIC = b"HUBCTLP1"
_HEADER = struct.Struct("<8sQQ")  # magic, file size, piece size
_COUNTER = struct.Struct("<Q")
_JOURNAL = ".pieces"
_NAME_MAX = 255
#: Seconds between two fence checks while bytes are written (the final rename is always checked).
FENCE_INTERVAL = 0.5


class LeaseLost(Exception):
    """The lease on this file passed to another process: stop writing, never rename."""


_fences: dict[str, Callable[[], bool]] = {}
_fences_lock = threading.Lock()


def set_fence(partial: Path, still_held: Callable[[], bool] | None) -> None:
    """Register (or, with None, drop) the check that the writer of `partial` still holds its lease."""
    with _fences_lock:
        if still_held is None:
            _fences.pop(str(partial), None)
        else:
            _fences[str(partial)] = still_held


@dataclass
class Piece:
    """Bytes [start, end) of the file; `done` bytes from start are on disk."""

    index: int
    start: int
    end: int
    done: int = 0

    @property
    def complete(self) -> bool:
        return self.start + self.done >= self.end


def partial_path(final: Path, content_id: str) -> Path:
    """`name.<hash prefix>.hubctl-partial` beside the final name; a hashed short name if that cannot fit."""
    tag = _content_tag(content_id)
    name = f"{final.name}.{tag}{PARTIAL_SUFFIX}"
    if len((name + _JOURNAL).encode("utf-8", "surrogateescape")) > _NAME_MAX:
        name = f"{_short(final.name)}.{tag}{PARTIAL_SUFFIX}"
    return final.with_name(name)


def _content_tag(content_id: str) -> str:
    """The hash prefix in a partial's name, safe as a file name whatever the listing sent."""
    tag = content_id[:16].lower()
    return tag if re.fullmatch(r"[0-9a-f]{16}", tag) else hashlib.sha256(content_id.encode()).hexdigest()[:16]


def _short(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:40]


def stale_partials(final: Path, keep: Path, folder: PartialNames | None = None) -> list[Path]:
    """Partials and journals of exactly this final name for other content (e.g. an older revision): regular
    files named `<name>.<hash>.hubctl-partial[.pieces]` or their short form, nothing else. `folder` lists each
    directory once per pull (a listing per file made 3,000 small files cost O(n^2) directory entries)."""
    names = (folder or PartialNames()).names(final.parent)
    if not names:
        return []
    keep_names = {keep.name, keep.name + _JOURNAL}
    prefixes = (f"{final.name}.", f"{_short(final.name)}.")
    return [
        final.parent / name
        for name in names
        if name not in keep_names and any(name.startswith(p) and _is_partial_tail(name[len(p) :]) for p in prefixes)
    ]


def _is_partial_tail(tail: str) -> bool:
    """`<hash16>.hubctl-partial` or the same with `.pieces`: what follows NAME. in a partial's name. Plain string
    checks, not a regular expression per name (compiling one per file cost ~0.2 ms a file)."""
    tag, rest = tail[:16], tail[16:]
    return (
        len(tag) == 16
        and all(c in "0123456789abcdef" for c in tag)
        and rest in (PARTIAL_SUFFIX, PARTIAL_SUFFIX + _JOURNAL)
    )


class PartialNames:
    """The partial-looking regular files of each directory, listed once. Stale partials are those left by
    earlier pulls, so a listing taken when a directory is first needed holds every one of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[Path, tuple[str, ...]] = {}

    def names(self, directory: Path) -> tuple[str, ...]:
        with self._lock:
            found = self._names.get(directory)
        if found is None:
            try:
                with os.scandir(directory) as entries:
                    found = tuple(
                        e.name for e in entries if PARTIAL_SUFFIX in e.name and e.is_file(follow_symlinks=False)
                    )
            except OSError:
                found = ()
            with self._lock:
                found = self._names.setdefault(directory, found)
        return found


class PartialFile:
    """Open partial file with its piece plan; thread-safe pwrite of disjoint pieces."""

    def __init__(self, path: Path, size: int, piece_size: int | None) -> None:
        self.path = path
        self.size = size
        self.journal = path.with_name(path.name + _JOURNAL)
        with _fences_lock:
            self._fence = _fences.get(str(path))
        self._fenced_at = time.monotonic()
        journal_seen = piece_size is not None or self.journal.exists()  # not looked for when pieces are asked
        if piece_size is None and journal_seen:
            piece_size = self._journal_piece_size()
        self.piece_size = piece_size
        try:
            self.fd = _open_regular(path, os.O_RDWR | os.O_CREAT)
        except FileNotFoundError:  # the folder is created when its first file needs it, not stat'ed per file
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = _open_regular(path, os.O_RDWR | os.O_CREAT)
        self._jfd: int | None = None
        self.pieces = self._plan()
        self._no_journal = not journal_seen and self._jfd is None  # then finish() has none to remove

    def _journal_piece_size(self) -> int | None:
        fd = _open_regular(self.journal, os.O_RDONLY)
        with open(fd, "rb") as f:
            head = f.read(_HEADER.size)
        if len(head) == _HEADER.size:
            magic, size, piece = _HEADER.unpack(head)
            if magic == _MAGIC and size == self.size and piece > 0:
                return piece
        return None

    def _plan(self) -> list[Piece]:
        length = min(os.fstat(self.fd).st_size, self.size)
        if not self.piece_size or self.piece_size >= self.size:
            self.piece_size = None
            return [Piece(0, 0, self.size, length)]
        step = self.piece_size
        pieces = [Piece(i, s, min(s + step, self.size)) for i, s in enumerate(range(0, self.size, step))]
        if self.journal.exists() and self._journal_piece_size() == step:
            self._jfd = _open_regular(self.journal, os.O_RDWR)
            for piece in pieces:
                raw = os.pread(self._jfd, _COUNTER.size, _HEADER.size + piece.index * _COUNTER.size)
                if len(raw) == _COUNTER.size:
                    piece.done = min(_COUNTER.unpack(raw)[0], piece.end - piece.start)
        else:
            # A single-stream partial (or none) becomes pieces: its length is contiguous progress.
            for piece in pieces:
                piece.done = max(0, min(length, piece.end) - piece.start)
            self._jfd = _open_regular(self.journal, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
            os.pwrite(self._jfd, _HEADER.pack(_MAGIC, self.size, step), 0)
            for piece in pieces:
                self._save(piece)
        if os.fstat(self.fd).st_size < self.size:
            _reserve(self.fd, self.size)
        return pieces

    @property
    def multipart(self) -> bool:
        return self._jfd is not None

    def bytes_present(self) -> int:
        return sum(p.done for p in self.pieces)

    def write(self, piece: Piece, data: memoryview) -> None:
        """Write the next bytes of `piece`, then record them in the journal."""
        if self._fence is not None and time.monotonic() - self._fenced_at >= FENCE_INTERVAL:
            self.check_fence()
        offset = piece.start + piece.done
        written = 0
        while written < len(data):
            written += os.pwrite(self.fd, data[written:], offset + written)
        piece.done += len(data)
        if self._jfd is not None:
            self._save(piece)

    def _save(self, piece: Piece) -> None:
        assert self._jfd is not None
        os.pwrite(self._jfd, _COUNTER.pack(piece.done), _HEADER.size + piece.index * _COUNTER.size)

    def close(self) -> None:
        """Idempotent: the download path closes on every exit."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self._jfd is not None:
            os.close(self._jfd)
            self._jfd = None

    def finish(self, final: Path, fsync: bool) -> None:
        """Atomically move the verified bytes to the final name and drop the journal."""
        if fsync:
            os.fsync(self.fd)
        self.close()
        self.check_fence()
        os.replace(self.path, final)
        if not self._no_journal:
            self.journal.unlink(missing_ok=True)

    def check_fence(self) -> None:
        """Raise LeaseLost if this file's lease passed to another process (see the module docstring)."""
        self._fenced_at = time.monotonic()
        if self._fence is not None and not self._fence():
            raise LeaseLost(f"{self.path.name}: the lease on this file was taken over by another process")

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
        self.journal.unlink(missing_ok=True)


def _open_regular(path: Path, flags: int) -> int:
    """Open a partial or journal only if it is a regular file: a FIFO, a folder or a symlink named like a
    partial is an OSError (the pull reports it in one line), never a blocked open or a write through a link."""
    fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o644)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, f"not a regular file: {path}")
    return fd


def _reserve(fd: int, size: int) -> None:
    """Claim the space up front so a full disk fails now, not at 90 %; sparse where not supported."""
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as err:
        if err.errno == errno.ENOSPC:
            raise
        os.ftruncate(fd, size)
