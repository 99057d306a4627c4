"""Content hashes used by the hubs: sha256 (LFS files, every manifest entry) and git blob sha1 (small HF files).

Hashing is streamed so memory stays flat for any file size; hashlib releases the GIL on large buffers,
so files hash in parallel across threads.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import NamedTuple

#: A whole lower-case hex digest as hubs and manifests write them (`\Z`, not `$`: no trailing newline slips through).
SHA256_HEX = re.compile(r"[0-9a-f]{64}\Z")
GIT_SHA1_HEX = re.compile(r"[0-9a-f]{40}\Z")


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and SHA256_HEX.match(value) is not None


def is_git_sha1(value: object) -> bool:
    return isinstance(value, str) and GIT_SHA1_HEX.match(value) is not None


#: hash_range's reads: large enough for few syscalls, small enough to stay in the CPU caches between read and hash.
RANGE_READ_SIZE = 1 << 20


class Digests(NamedTuple):
    """The hashes of one byte stream."""

    size: int
    sha256: str
    git_sha1: str


class StreamHasher:
    """Incremental sha256 plus, optionally, git's blob sha1 (`sha1("blob <size>\\0" + data)`).

    The git header needs the total size up front, which the listing gives before any byte arrives.
    """

    def __init__(self, size: int, *, git_sha1: bool = False) -> None:
        self.expected_size = size
        self.size = 0
        self._sha256 = hashlib.sha256()
        self._sha1 = None
        if git_sha1:
            self._sha1 = hashlib.sha1(b"blob %d\0" % size)

    def update(self, data: bytes | memoryview) -> None:
        self._sha256.update(data)
        if self._sha1 is not None:
            self._sha1.update(data)
        self.size += len(data)

    def digests(self) -> Digests:
        sha1 = self._sha1.hexdigest() if self._sha1 is not None else ""
        return Digests(self.size, self._sha256.hexdigest(), sha1)


def hash_range(fd: int, hasher: StreamHasher, start: int, end: int) -> None:
    """Feed bytes [start, end) of an open file into `hasher`, read into one reused buffer per thread (a fresh
    8 MiB `bytes` per read is a fresh mapping, paid in page faults on every read)."""
    view = _range_buffer()
    offset = start
    while offset < end:
        n = os.preadv(fd, [view[: min(len(view), end - offset)]], offset)
        if not n:
            raise OSError(f"file shrank while hashing (at byte {offset})")
        hasher.update(view[:n])
        offset += n


_range_buffers = threading.local()


def _range_buffer() -> memoryview:
    view = getattr(_range_buffers, "view", None)
    if view is None:
        view = _range_buffers.view = memoryview(bytearray(RANGE_READ_SIZE))
    return view
