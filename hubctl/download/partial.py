"""The on-disk state of one unfinished download: a partial file beside the final name, plus (for files
fetched as parallel byte ranges) a small piece journal.

Crash safety (kill -9) comes from ordering, not fsync: bytes are written with pwrite *before* the
journal counter that claims them, so after a crash the journal never claims bytes that are not in the
file; at most the last buffer per piece is fetched again. A single-stream partial needs no journal: its
length is its progress. The partial's name carries the expected hash, so a partial of other content (an
older revision) is never resumed.
"""

from __future__ import annotations

import errno
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from hubctl.constants import PARTIAL_SUFFIX

_MAGIC = b"HUBCTLP1"
_HEADER = struct.Struct("<8sQQ")  # magic, file size, piece size
_COUNTER = struct.Struct("<Q")


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
    """`name.<hash prefix>.hubctl-partial`, beside the final name."""
    return final.with_name(f"{final.name}.{content_id[:16]}{PARTIAL_SUFFIX}")


def stale_partials(final: Path, keep: Path) -> list[Path]:
    """Partials and journals of the same final name for other content (e.g. an older revision)."""
    if not final.parent.is_dir():
        return []
    prefix = final.name + "."
    return [
        p
        for p in final.parent.iterdir()
        if p.name.startswith(prefix)
        and PARTIAL_SUFFIX in p.name[len(prefix) :]
        and not p.name.startswith(keep.name)
    ]


class PartialFile:
    """Open partial file with its piece plan; thread-safe pwrite of disjoint pieces."""

    def __init__(self, path: Path, size: int, piece_size: int | None) -> None:
        self.path = path
        self.size = size
        self.journal = path.with_name(path.name + ".pieces")
        path.parent.mkdir(parents=True, exist_ok=True)
        if piece_size is None and self.journal.exists():
            piece_size = self._journal_piece_size()
        self.piece_size = piece_size
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._jfd: int | None = None
        self.pieces = self._plan()

    def _journal_piece_size(self) -> int | None:
        with open(self.journal, "rb") as f:
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
            self._jfd = os.open(self.journal, os.O_RDWR)
            for piece in pieces:
                raw = os.pread(self._jfd, _COUNTER.size, _HEADER.size + piece.index * _COUNTER.size)
                if len(raw) == _COUNTER.size:
                    piece.done = min(_COUNTER.unpack(raw)[0], piece.end - piece.start)
        else:
            # A single-stream partial (or none) becomes pieces: its length is contiguous progress.
            for piece in pieces:
                piece.done = max(0, min(length, piece.end) - piece.start)
            self._jfd = os.open(self.journal, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
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
        os.replace(self.path, final)
        self.journal.unlink(missing_ok=True)

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
        self.journal.unlink(missing_ok=True)


def _reserve(fd: int, size: int) -> None:
    """Claim the space up front so a full disk fails now, not at 90 %; sparse where not supported."""
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as err:
        if err.errno == errno.ENOSPC:
            raise
        os.ftruncate(fd, size)
