"""List a local folder: its regular files and anything else (symlinks, devices), without hubctl's state.

Separate from hashing (scan.py) so that a `verify --quick` that hashes nothing never imports the
threads, queues and buffers that hashing needs.
"""

from __future__ import annotations

import os
from pathlib import Path

from hubctl.constants import STATE_DIR


def list_files(root: Path) -> tuple[list[str], list[str]]:
    """Relative POSIX paths under root: (regular files, other entries such as symlinks), without .hubctl/.

    Entry types come from the directory listing (os.scandir), so listing costs no stat per file. Like
    os.walk, a directory that cannot be read is skipped.
    """
    files: list[str] = []
    others: list[str] = []
    _walk(str(root), "", files, others)
    return sorted(files), sorted(others)


def _walk(folder: str, prefix: str, files: list[str], others: list[str]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        rel = prefix + entry.name
        if not prefix and entry.name == STATE_DIR and entry.is_dir():
            continue
        if entry.is_dir(follow_symlinks=False):
            _walk(entry.path, rel + "/", files, others)
        else:
            (files if entry.is_file(follow_symlinks=False) else others).append(rel)
