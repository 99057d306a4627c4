"""The Hugging Face Hub protocol (also hf-mirror.com and any HF_ENDPOINT mirror).

Invariant: every tree entry leaves this module as a typed `RemoteFile` whose fields passed the checks in
`parse_entry` (types, ranges, hash formats), or the listing fails with an IntegrityError naming the entry;
nothing downstream ever sees the raw JSON. Pagination is bounded: each next-page URL is followed once,
at most `max_pages` (settings) pages, always on the endpoint being listed (mirrors pass huggingface.co's own
`Link` through, which a mirror-only network cannot reach).
"""

from __future__ import annotations

import re
import urllib.parse

from hubctl.download.http import HttpError, ProtocolError, Session, checked_url, origin
from hubctl.download.sources.api import get_json, hub_error
from hubctl.download.sources.base import RemoteFile, Snapshot
from hubctl.download.sources.registry import HF
from hubctl.errors import IntegrityError
from hubctl.integrity.hashing import GIT_SHA1_HEX as _FULL_SHA
from hubctl.integrity.hashing import SHA256_HEX as _SHA256

_NEXT_LINK = re.compile(r'<([^<>]*)>\s*;[^,<]*?\brel\s*=\s*"?next"?', re.IGNORECASE)
MAX_PATH_BYTES = 4096
MAX_SIZE = 1 << 50  # 1 PiB: larger than any file a hub stores, small enough that sums never overflow a float


class HuggingFace:
    name = HF.name
    default_revision = HF.default_revision

    def __init__(self, repo_type: str = "model") -> None:
        self.api = "datasets" if repo_type == "dataset" else "models"  # /api/{models,datasets}/{repo}/...
        self.page = "datasets/" if repo_type == "dataset" else ""  # /{datasets/}{repo}/resolve/...

    def snapshot(self, session: Session, endpoint: str, repo: str, revision: str) -> Snapshot:
        commit = revision if _FULL_SHA.match(revision) else self._resolve(session, endpoint, repo, revision)
        files = self._tree(session, endpoint, repo, commit)
        return Snapshot(self.name, repo, revision, commit, files)

    def file_url(self, endpoint: str, snapshot: Snapshot, path: str) -> str:
        return f"{endpoint}/{self.page}{snapshot.repo}/resolve/{snapshot.commit}/{urllib.parse.quote(path)}"

    def _resolve(self, session: Session, endpoint: str, repo: str, revision: str) -> str:
        url = f"{endpoint}/api/{self.api}/{repo}/revision/{urllib.parse.quote(revision, safe='')}"
        data, _ = get_json(session, url, f"revision {revision!r} of {repo}", endpoint)
        sha = data.get("sha") if isinstance(data, dict) else None
        if not isinstance(sha, str) or not _FULL_SHA.match(sha):
            raise hub_error(HttpError(404, url, "RevisionNotFound", "no commit sha in answer"), repo, endpoint)
        return sha

    def _tree(self, session: Session, endpoint: str, repo: str, commit: str) -> tuple[RemoteFile, ...]:
        what = f"file list of {repo}@{commit[:12]}"
        url: str | None = f"{endpoint}/api/{self.api}/{repo}/tree/{commit}?recursive=true&expand=false"
        files: list[RemoteFile] = []
        seen: set[str] = set()
        while url:
            if url in seen:
                raise IntegrityError(f"{what}: {endpoint} sent a pagination loop (page {len(seen) + 1} repeats one)")
            if len(seen) >= session.settings.max_pages:
                raise IntegrityError(
                    f"{what}: more than {session.settings.max_pages} pages on {endpoint} (HUBCTL_MAX_PAGES)"
                )
            seen.add(url)
            entries, link = get_json(session, url, what, endpoint)
            files += parse_tree(entries, f"{what} on {endpoint}", offset=len(files))
            url = next_page(link, url, endpoint, what)
        return tuple(files)


def next_page(link: str | None, current: str, endpoint: str, what: str) -> str | None:
    """The next-page URL of a `Link` header on `endpoint`: relative links are joined onto the current page,
    and a link to another origin (hf-mirror.com passes huggingface.co's through) is re-based onto the
    endpoint, so the listing never leaves the host the user chose (nor takes its token elsewhere)."""
    match = _NEXT_LINK.search((link or "")[:8192])
    if not match:
        return None
    try:
        target = urllib.parse.urljoin(current, match.group(1).strip())
        parts = checked_url(target)
        if origin(target) == origin(endpoint):
            return target
    except (ProtocolError, ValueError) as err:
        raise IntegrityError(f"{what}: unusable next-page link from {endpoint}: {err}") from None
    query = f"?{parts.query}" if parts.query else ""
    return f"{endpoint.rstrip('/')}{parts.path}{query}"


def parse_tree(entries: object, what: str, offset: int = 0) -> list[RemoteFile]:
    """The files of one `/tree` page, each validated into a RemoteFile (directories are skipped)."""
    if not isinstance(entries, list):
        raise IntegrityError(f"{what}: the answer is {type(entries).__name__}, not a list of entries")
    files = []
    for i, entry in enumerate(entries):
        remote = parse_entry(entry, f"{what}: entry {offset + i}")
        if remote is not None:
            files.append(remote)
    return files


def parse_entry(entry: object, where: str) -> RemoteFile | None:
    """One tree entry as a RemoteFile (None for a directory); IntegrityError naming the entry otherwise.

    `lfs.oid` is the sha256 of the bytes. Without `lfs`, `oid` is the git blob sha1 of the bytes, unless the
    entry carries a `xetHash`: then the file lives in Xet storage, `oid` hashes a pointer, and the sha256
    comes from the resolve answer's X-Linked-Etag (both hashes are None here; transfer.py fetches it)."""
    if not isinstance(entry, dict):
        raise IntegrityError(f"{where} is {type(entry).__name__}, not an object")
    path = entry.get("path")
    if not isinstance(path, str) or not path or "\x00" in path or len(path.encode("utf-8", "replace")) > MAX_PATH_BYTES:
        raise IntegrityError(f"{where} has no usable path ({_show(path)})")
    where = f"{where} ({_show(path)})"
    kind = entry.get("type")
    if kind == "directory":
        return None
    if kind != "file":
        raise IntegrityError(f"{where} has type {_show(kind)}, expected 'file' or 'directory'")
    size = _size(entry.get("size"), f"{where}: size")
    oid = entry.get("oid")
    if oid is None and entry.get("lfs") is None and entry.get("xetHash") is None:
        raise IntegrityError(f"{where} gives no hash (no oid, lfs or xetHash), so its bytes cannot be verified")
    if not isinstance(oid, str) or not _FULL_SHA.match(oid):
        raise IntegrityError(f"{where}: oid {_show(oid)} is not a 40-hex git sha1")
    lfs = entry.get("lfs")
    xet = entry.get("xetHash")
    if xet is not None and not (isinstance(xet, str) and _SHA256.match(xet)):
        raise IntegrityError(f"{where}: xetHash {_show(xet)} is not 64 hex")
    if lfs is None:
        if xet is not None:
            return RemoteFile(path=path, size=size, sha256=None, git_sha1=None, lfs=True)
        return RemoteFile(path=path, size=size, sha256=None, git_sha1=oid, lfs=False)
    if not isinstance(lfs, dict):
        raise IntegrityError(f"{where}: lfs is {type(lfs).__name__}, not an object")
    sha256 = lfs.get("oid")
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise IntegrityError(f"{where}: lfs.oid {_show(sha256)} is not a 64-hex sha256")
    if "size" in lfs and _size(lfs.get("size"), f"{where}: lfs.size") != size:
        raise IntegrityError(f"{where}: lfs.size {lfs.get('size')} differs from size {size}")
    return RemoteFile(path=path, size=size, sha256=sha256, git_sha1=None, lfs=True)


def _size(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIZE:
        raise IntegrityError(f"{where} {_show(value)} is not a byte count")
    return value


def _show(value: object, limit: int = 80) -> str:
    """A value from the listing for an error message: repr with control characters escaped, capped."""
    if isinstance(value, (dict, list)):
        return type(value).__name__
    text = ascii(value) if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
