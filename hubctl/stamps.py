"""Verified-file stamps: a record that a file with this exact (size, mtime, ctime, inode) had this sha256.

Written right after a file is verified, so that a second process (or a rerun) can accept a finished file
without hashing it again. Any write to the file changes mtime/ctime and voids the stamp; a stamp is a
cache of a past verification, not a proof (`hubctl verify` without --quick re-hashes everything).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .constants import STATE_DIR


@dataclass(frozen=True)
class Stamp:
    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    sha256: str
    git_sha1: str | None = None

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


def write_stamp(dest: Path, path: str, sha256: str, git_sha1: str | None = None) -> None:
    """Record the current stat of dest/path as verified with these hashes (atomic replace)."""
    st = os.stat(dest / path)
    stamp = Stamp(path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, sha256, git_sha1)
    target = _stamp_file(dest, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(stamp)))
    os.replace(tmp, target)


def read_stamp(dest: Path, path: str, st: os.stat_result | None = None) -> Stamp | None:
    """The stamp for dest/path if it still describes the file on disk (stat it, or pass its stat), else None."""
    try:
        data = json.loads(_stamp_file(dest, path).read_text())
        stamp = Stamp(**data)
        st = st or os.stat(dest / path)
    except (OSError, ValueError, TypeError):
        return None
    return stamp if stamp.path == path and stamp.matches(st) else None
