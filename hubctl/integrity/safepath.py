"""Refuse remote file names that would write outside the destination folder.

A listing comes from a server hubctl does not control (a mirror, a proxy); a name such as `../../.bashrc`
or `/etc/passwd` must never become a local path, and no existing symlink inside dest may redirect a write.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hubctl.constants import PARTIAL_SUFFIX, STATE_DIR
from hubctl.errors import IntegrityError, LocalIOError

_DRIVE = re.compile(r"^[A-Za-z]:")


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
