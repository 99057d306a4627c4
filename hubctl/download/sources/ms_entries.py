"""ModelScope listing entries validated into typed records at the adapter boundary.

Invariant: nothing past this module sees raw listing JSON. Every entry becomes an `Entry` whose path is
a non-empty string, whose size is an int in [0, 1 PiB], whose sha256 is 64 lowercase hex or None, and
whose type is blob or tree; anything else raises IntegrityError (exit 6) naming the entry, escaped.
The hub's JSON is hostile input: a wrong type must never become a traceback or a silently wrong size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hubctl.download.sources.ms_envelope import shown
from hubctl.errors import IntegrityError, NotFoundError
from hubctl.integrity.hashing import GIT_SHA1_HEX as _FULL_SHA

MAX_SIZE = 1 << 50  # 1 PiB: larger than any real file, small enough that sums stay exact
MAX_PATH = 4096
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_SHORT_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_TYPES = {"blob": False, "tree": True}


@dataclass(frozen=True)
class Entry:
    path: str
    is_dir: bool
    size: int
    sha256: str | None  # None: the listing gives no hash (empty `Sha256`)
    lfs: bool
    revision: str | None  # the file's last-change commit (not the snapshot's), when a full sha


@dataclass(frozen=True)
class Page:
    """One listing answer: its entries and the head commit's id as `LatestCommitter` names it."""

    entries: tuple[Entry, ...]
    head_id: str | None  # LatestCommitter.Id when a full sha (often empty on the live hub)
    head_short_id: str | None  # LatestCommitter.ShortId when hex


def _bad(index: int, raw: object, reason: str, what: str) -> IntegrityError:
    path = raw.get("Path") if isinstance(raw, dict) else None
    name = shown(path) if isinstance(path, str) else f"#{index} {shown(raw, 80)}"
    return IntegrityError(f"{what}: malformed listing entry {name}: {reason}")


def _int_size(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SIZE else None


def entry(index: int, raw: object, what: str) -> Entry:
    """One listing entry as a typed record, or IntegrityError naming it."""
    if not isinstance(raw, dict):
        raise _bad(index, raw, "not an object", what)
    path = raw.get("Path") if raw.get("Path") is not None else raw.get("path", raw.get("Name"))
    if not isinstance(path, str) or not path or len(path) > MAX_PATH or "\0" in path:
        raise _bad(index, raw, "Path is not a non-empty string", what)
    kind = raw.get("Type", "blob")
    if not isinstance(kind, str) or kind not in _TYPES:
        raise _bad(index, raw, f"Type {shown(kind, 40)} is neither blob nor tree", what)
    if _TYPES[kind]:
        return Entry(path, True, 0, None, False, None)
    size = _int_size(raw.get("Size"))
    if size is None:
        raise _bad(index, raw, f"Size {shown(raw.get('Size'), 40)} is not a whole number of bytes", what)
    sha = raw.get("Sha256")
    if (sha is not None and not isinstance(sha, str)) or (sha and not _SHA256.match(sha)):
        raise _bad(index, raw, f"Sha256 {shown(sha, 80)} is not 64 hex digits", what)
    lfs = raw.get("IsLFS", False)
    if lfs is not None and not isinstance(lfs, bool):
        raise _bad(index, raw, "IsLFS is not a boolean", what)
    revision = raw.get("Revision")
    revision = revision if isinstance(revision, str) and _FULL_SHA.match(revision) else None
    return Entry(path, False, size, sha.lower() if sha else None, bool(lfs), revision)


def page(data: object, what: str) -> Page:
    """A listing's `Data` (`{"Files": [...]}`, or a bare list) as typed entries.

    `Files: null` is how the live hub answers a revision it does not know (HTTP 200), so it is not found.
    """
    files = data.get("Files", data.get("files")) if isinstance(data, dict) else data
    if files is None:
        raise NotFoundError(f"{what}: the hub lists no files at this revision (unknown branch, tag or commit)")
    if not isinstance(files, list):
        raise IntegrityError(f"{what}: malformed listing: Files is {type(files).__name__}, not a list")
    head = data.get("LatestCommitter") if isinstance(data, dict) else None
    head_id = head.get("Id") if isinstance(head, dict) else None
    short = head.get("ShortId") if isinstance(head, dict) else None
    return Page(
        tuple(entry(i, raw, what) for i, raw in enumerate(files)),
        head_id if isinstance(head_id, str) and _FULL_SHA.match(head_id) else None,
        short.lower() if isinstance(short, str) and _SHORT_SHA.match(short.lower()) else None,
    )


def merge(collected: dict[str, Entry], entries: tuple[Entry, ...], what: str) -> None:
    """Add entries by path; the same path twice is fine with the same content, refused with another."""
    for e in entries:
        seen = collected.setdefault(e.path, e)
        if seen is not e and (seen.is_dir, seen.size, seen.sha256) != (e.is_dir, e.size, e.sha256):
            raise IntegrityError(f"{what}: {shown(e.path)} is listed twice with different content")
