"""Verified-file stamps: a record that a file with this exact (size, mtime, ctime, inode) had this sha256.

Written right after a file is verified, so that a second process (or a rerun) can accept a finished file
without hashing it again. Any write to the file changes mtime/ctime and voids the stamp; a stamp is a
cache of a past verification, not a proof (`hubctl verify` without --quick re-hashes everything).

Two stores, same meaning: one small file per path (pull's parallel workers and processes write those
without coordinating), and one index of a whole folder, which verify writes in one go (one file per path
cost a verify of 207 files 74 ms), so that a repeat `verify --quick` reads one file instead of thousands.
Readers (verify --quick, pull's resume check) look in both; either is trusted only while it matches the stat.

What a stamp is worth: it lives inside the folder, so anyone who can write the folder can forge one, and
`verify --quick` (even with a trusted --manifest) trusts it; only a full verify proves the bytes. The index
records the folder's (device, inode), so an index copied or restored with the folder from elsewhere is
ignored; stamp files are read only when they are regular files (never a FIFO, never through a symlink).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

from hubctl.constants import STATE_DIR
from hubctl.integrity.safepath import read_regular

INDEX_VERSION = 2
#: A stamp file or index larger than this is not one of ours.
MAX_STATE_BYTES = 1 << 28


class Stamp(NamedTuple):
    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    sha256: str
    git_sha1: str | None = None

    @classmethod
    def of(cls, path: str, st: os.stat_result, sha256: str, git_sha1: str | None = None) -> Stamp:
        return cls(path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, sha256, git_sha1)

    def matches(self, st: os.stat_result) -> bool:
        return (self.size, self.mtime_ns, self.ctime_ns, self.inode) == (
            st.st_size,
            st.st_mtime_ns,
            st.st_ctime_ns,
            st.st_ino,
        )


def _stamp_file(dest: Path, path: str) -> Path:
    key = hashlib.sha256(path.encode()).hexdigest()[:32]
    return dest / STATE_DIR / "stamps" / f"{key}.json"


def _index_file(dest: Path) -> Path:
    return dest / STATE_DIR / "stamps.json"


def _replace(target: Path, text: str) -> None:
    """Atomic write: a reader sees the old content or the new, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)  # never leave a temp file behind
        raise


def write_stamp(
    dest: Path, path: str, sha256: str, git_sha1: str | None = None, hashed: os.stat_result | None = None
) -> Stamp | None:
    """Record the current stat of dest/path as verified with these hashes, and return the stamp.

    `hashed` is the file's stat from before it was hashed: if the file changed since (written while it was
    being read), nothing is recorded and None is returned.
    """
    stamp = fresh_stamp(dest, path, sha256, git_sha1, hashed)
    if stamp is not None:
        _replace(_stamp_file(dest, path), json.dumps(stamp._asdict()))
    return stamp


def fresh_stamp(
    dest: Path, path: str, sha256: str, git_sha1: str | None = None, hashed: os.stat_result | None = None
) -> Stamp | None:
    """The stamp for dest/path as it is now, or None if it changed since `hashed` (see write_stamp)."""
    stamp = Stamp.of(path, os.stat(dest / path), sha256, git_sha1)
    return None if hashed is not None and not stamp.matches(hashed) else stamp


def read_stamp(dest: Path, path: str, st: os.stat_result | None = None) -> Stamp | None:
    """The stamp for dest/path if it still describes the file on disk (stat it, or pass its stat), else None."""
    try:
        data = json.loads(read_regular(_stamp_file(dest, path), MAX_STATE_BYTES))
        stamp = Stamp(**data)
        st = st or os.stat(dest / path)
    except (OSError, ValueError, TypeError, RecursionError):
        return None
    return stamp if stamp.path == path and stamp.matches(st) else None


def read_index(dest: Path) -> dict[str, Stamp]:
    """The folder's stamp index by path; empty if missing, unreadable or malformed (then stamps are re-read
    or files re-hashed: a bad index costs time, never trust)."""
    try:
        data = json.loads(read_regular(_index_file(dest), MAX_STATE_BYTES))
        if data.get("version") != INDEX_VERSION or data.get("folder") != _folder_id(dest):
            return {}
        return {path: Stamp(path, *row) for path, row in data["stamps"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return {}


def _folder_id(dest: Path) -> list[int]:
    """The folder's (device, inode): an index is valid only for the folder it was written in."""
    st = os.stat(dest)
    return [st.st_dev, st.st_ino]


def write_index(dest: Path, stamps: dict[str, Stamp]) -> None:
    """Replace the folder's stamp index with these stamps (atomic)."""
    rows = {path: list(stamp[1:]) for path, stamp in stamps.items()}
    data = {"version": INDEX_VERSION, "folder": _folder_id(dest), "stamps": rows}
    _replace(_index_file(dest), json.dumps(data, separators=(",", ":")))


def valid_stamp(dest: Path, path: str, st: os.stat_result, index: dict[str, Stamp]) -> Stamp | None:
    """The index's stamp for path if it still matches st, else the per-file one (written by pull), else None."""
    stamp = index.get(path)
    if stamp is not None and stamp.matches(st):
        return stamp
    return read_stamp(dest, path, st)
