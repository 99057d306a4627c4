"""Refuse file names and folder state that would read or write outside the destination folder.

A listing comes from a server hubctl does not control (a mirror, a proxy), and a lockfile or a folder may
have been edited by anyone: a name such as `../../.bashrc` or `/etc/passwd` must never become a local path,
no existing symlink inside dest (a parent folder, a listed file, hubctl's own `.hubctl/` state) may redirect
a read or a write, and hubctl's own state files are read only when they are regular files (a FIFO would
block a read forever). Every function here checks before the file system is touched, so the rules hold
for pull, verify (plain, --quick, --repair), `pull --manifest` and `manifest` alike.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from hubctl.constants import PARTIAL_SUFFIX, STATE_DIR
from hubctl.errors import IntegrityError, LocalIOError

_DRIVE = re.compile(r"^[A-Za-z]:")
#: Longest file name (one path component) in bytes on Linux, macOS and Windows file systems.
NAME_MAX = 255
#: Longest path the kernel accepts (Linux PATH_MAX), in bytes.
PATH_MAX = 4096
#: hubctl's own state inside dest: each must be a real folder or file, never a symlink.
STATE_PARTS = (
    STATE_DIR,
    f"{STATE_DIR}/locks",
    f"{STATE_DIR}/stamps",
    f"{STATE_DIR}/manifest.json",
    f"{STATE_DIR}/stamps.json",
)


class UnsafeNameError(IntegrityError):
    """The hub listed a name that is absolute, climbs out of dest, or uses a reserved name."""


class SymlinkInDestError(LocalIOError):
    """A folder or file inside dest is a symlink that could redirect a write outside it."""


def check_remote_path(path: str) -> str:
    """Return `path` if it is a safe relative POSIX path, else raise UnsafeNameError."""
    reason = None
    if not path:
        reason = "empty name"
    elif "\0" in path:
        reason = "NUL byte"
    elif not _encodable(path):
        reason = "not valid Unicode"
    elif "\\" in path:
        reason = "backslash"
    elif path.startswith("/") or _DRIVE.match(path):
        reason = "absolute path"
    elif any(part in ("", ".", "..") for part in path.split("/")):
        reason = "empty, '.' or '..' component"
    elif path.split("/")[0] == STATE_DIR:
        reason = f"reserved folder {STATE_DIR}/"
    elif PARTIAL_SUFFIX in path.rsplit("/", 1)[-1]:
        reason = f"reserved suffix {PARTIAL_SUFFIX}"
    if reason:
        raise UnsafeNameError(f"refusing remote file name {path!r}: {reason}")
    return path


def local_path(dest: Path, path: str) -> Path:
    """Join a checked remote path under dest, refusing symlinks on the way (existing parts only)."""
    check_remote_path(path)
    target = dest / path
    current = dest
    for part in path.split("/"):
        current = current / part
        if os.path.islink(current):
            raise SymlinkInDestError(f"refusing to write {path!r}: {current} is a symlink")
    return target


def _encodable(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON: no file system can name it
        return False
    return True


class NameTooLongError(LocalIOError):
    """A listed name the local file system cannot hold (a component over NAME_MAX bytes)."""


def check_fits(dest: Path, path: str) -> None:
    """Refuse, before any write, a name whose component or whole path the file system cannot hold."""
    for part in path.split("/"):
        length = len(part.encode("utf-8"))
        if length > NAME_MAX:
            raise NameTooLongError(
                f"cannot store {path!r}: a name of {length} bytes is longer than the file system allows ({NAME_MAX})"
            )
    if len(os.fsencode(dest)) + 1 + len(path.encode("utf-8")) >= PATH_MAX:
        raise NameTooLongError(f"cannot store {path!r} under {dest}: the path is longer than {PATH_MAX} bytes")


def check_tree(paths: Iterable[str], error: type[Exception] = IntegrityError) -> None:
    """Refuse a file list where one path is also a folder of another (`a` and `a/b`): one of the two files
    could never be written or verified, whichever order they come in."""
    files = set(paths)
    for path in sorted(files):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            if parent in files:
                raise error(f"the file list has both {parent!r} as a file and {path!r} inside it as a folder")


def check_parents(dest: Path, path: str, known_dirs: set[str] | None = None) -> str | None:
    """Why the folders leading to dest/path cannot be trusted (a symlink, not a folder), or None if they are
    real folders or missing. `known_dirs` caches folders already found real (one lstat per folder)."""
    parts = path.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        rel = "/".join(parts[:depth])
        if known_dirs is not None and rel in known_dirs:
            continue
        try:
            mode = os.lstat(os.path.join(dest, rel)).st_mode
        except FileNotFoundError:
            return None
        except OSError as err:
            return f"{rel}: {err.strerror or err}"
        if stat.S_ISLNK(mode):
            return f"{rel} is a symlink"
        if not stat.S_ISDIR(mode):
            return None  # a file where a folder should be: the entry is simply missing
        if known_dirs is not None:
            known_dirs.add(rel)
    return None


def check_state(dest: Path) -> None:
    """Refuse a dest whose `.hubctl/` state (or a part of it) is a symlink or of the wrong kind: manifest,
    stamps and locks would be read or written wherever it points."""
    for rel in STATE_PARTS:
        target = dest / rel
        try:
            mode = os.lstat(target).st_mode
        except FileNotFoundError:
            continue
        except OSError as err:
            raise LocalIOError(f"cannot check {target}: {err.strerror or err}") from err
        if stat.S_ISLNK(mode):
            raise SymlinkInDestError(f"refusing to use {target}: it is a symlink (hubctl's state must stay in {dest})")
        want_dir = not rel.endswith(".json")
        if want_dir != stat.S_ISDIR(mode):
            kind = "a folder" if want_dir else "a regular file"
            raise LocalIOError(f"refusing to use {target}: it is not {kind}")


class NotRegularError(OSError):
    """A state file that is a FIFO, a device or a folder: never read (a FIFO would block forever)."""


def read_regular(path: Path, limit: int = 1 << 30, *, follow: bool = False) -> bytes:
    """The bytes of path if it is a regular file (a symlink is followed only with `follow`: a file the user
    named), without ever blocking on a FIFO or a device: opened non-blocking, checked with fstat before reading."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularError("not a regular file")
        if st.st_size > limit:
            raise NotRegularError(f"larger than {limit} bytes")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            limit -= len(chunk)
            if limit < 0:
                raise NotRegularError("grew while read")
        return b"".join(chunks)
    finally:
        os.close(fd)
