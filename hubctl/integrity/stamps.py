"""Verified-file stamps: a record that a file with this exact (size, mtime, ctime, inode) had this sha256.

Written right after a file is verified, so that a second process (or a rerun) can accept a finished file
without hashing it again. Any write to the file changes mtime/ctime and voids the stamp; a stamp is a
cache of a past verification, not a proof (`hubctl verify` without --quick re-hashes everything).

Three stores, same meaning: one index of a whole folder (`stamps.json`, written in one go by verify and at
the end of each pull), one append-only log per pulling process (`stamps/log-<pid>-<random>.jsonl`, a line
per verified file, so that a crash loses no stamp and a pull writes no temp file and rename per file: that
churn cost ~0.3 ms a file on 3,000 small files), and the older one small file per path (still read).
Each process appends only to its own log, so parallel workers and processes never interleave lines; a torn
last line (a crash mid-write) is skipped by readers. At the end of a pull the logs are folded into the index
and the process removes its own log. Two pulls folding at the same moment can drop each other's stamps from
the index: that costs a re-hash later, never trust, because readers (verify --quick, pull's resume check)
trust a stamp only while it matches the file's stat.

What a stamp is worth: it lives inside the folder, so anyone who can write the folder can forge one, and
`verify --quick` (even with a trusted --manifest) trusts it; only a full verify proves the bytes. The index
records the folder's (device, inode), so an index copied or restored with the folder from elsewhere is
ignored; stamp files are read only when they are regular files (never a FIFO, never through a symlink).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
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
    """The folder's stamps by path: its index, updated by the pull logs (newest last). A missing, unreadable
    or malformed index or log line is skipped (then stamps are re-read or files re-hashed: a bad index costs
    time, never trust)."""
    stamps = _read_index_file(dest)
    for log in _logs(dest):
        stamps.update(_read_log(dest, log))
    return stamps


def _read_index_file(dest: Path) -> dict[str, Stamp]:
    try:
        data = json.loads(read_regular(_index_file(dest), MAX_STATE_BYTES))
        if data.get("version") != INDEX_VERSION or data.get("folder") != _folder_id(dest):
            return {}
        return {path: Stamp(path, *row) for path, row in data["stamps"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return {}


_LOG_PREFIX, _LOG_SUFFIX = "log-", ".jsonl"


def _logs(dest: Path) -> list[Path]:
    """The pull logs in the stamps folder, oldest first (regular files only; never followed through a link)."""
    found = []
    try:
        with os.scandir(dest / STATE_DIR / "stamps") as entries:
            for entry in entries:
                ours = entry.name.startswith(_LOG_PREFIX) and entry.name.endswith(_LOG_SUFFIX)
                if ours and entry.is_file(follow_symlinks=False):
                    found.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
    except OSError:
        return []
    return [dest / STATE_DIR / "stamps" / name for _, name in sorted(found)]


def _read_log(dest: Path, log: Path) -> dict[str, Stamp]:
    """A log's stamps if its header names this folder; lines that do not parse as a stamp are skipped."""
    try:
        lines = read_regular(log, MAX_STATE_BYTES).split(b"\n")
        header = json.loads(lines[0])
        if header.get("version") != INDEX_VERSION or header.get("folder") != _folder_id(dest):
            return {}
    except (OSError, ValueError, TypeError, AttributeError, RecursionError):
        return {}
    stamps = {}
    for line in lines[1:]:
        try:
            row = json.loads(line)
            stamp = Stamp(*row)
        except (ValueError, TypeError, RecursionError):
            continue
        if isinstance(stamp.path, str) and isinstance(stamp.sha256, str):
            stamps[stamp.path] = stamp
    return stamps


class StampLog:
    """The stamps one pull records, appended to its own log (see the module docstring); thread-safe.

    The log is created on the first record, under a name no other process uses (pid and a random token,
    O_EXCL, never through a symlink); `close()` folds every log into the index and removes this one."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.path = dest / STATE_DIR / "stamps" / f"{_LOG_PREFIX}{os.getpid()}-{secrets.token_hex(6)}{_LOG_SUFFIX}"
        self._fd: int | None = None
        self._lock = threading.Lock()

    def record(
        self, path: str, sha256: str, git_sha1: str | None = None, hashed: os.stat_result | None = None
    ) -> Stamp | None:
        """Like write_stamp: the file's stamp as it is now (None if it changed since `hashed`), appended."""
        stamp = fresh_stamp(self.dest, path, sha256, git_sha1, hashed)
        if stamp is None:
            return None
        line = json.dumps(list(stamp), separators=(",", ":")).encode() + b"\n"
        with self._lock:
            if self._fd is None:
                self._fd = self._open()
            _write_all(self._fd, line)
        return stamp

    def _open(self) -> int:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, flags, 0o644)
        header = {"version": INDEX_VERSION, "folder": _folder_id(self.dest)}
        _write_all(fd, json.dumps(header, separators=(",", ":")).encode() + b"\n")
        return fd

    def close(self) -> None:
        """Fold the folder's logs into its index (one atomic write), then remove this process's log. Nothing
        to do when nothing was recorded; a fold that fails leaves the log, which readers still read."""
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is None:
            return
        os.close(fd)
        try:
            write_index(self.dest, read_index(self.dest))
            self.path.unlink(missing_ok=True)
        except OSError:  # the log stays, and readers still read it: a fold is a saving, never needed
            pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


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
