"""The ModelScope protocol (modelscope.cn, www.modelscope.ai, or MODELSCOPE_ENDPOINT), models and datasets.

Invariants, each against a quirk of the live hub (docs/real-hubs-modelscope.md):
- every file is downloaded by the commit the listing was taken at (`Revision=<sha>`), so a push during
  a long pull cannot mix two commits; only when no lookup can name the commit does the pull go by the
  branch name, and the snapshot then says so (`unpinned_reason`) instead of failing;
- a listing is complete or the pull fails: `repo/files` stops silently at 3,000 entries, so a listing
  that reaches the cap is walked with `Root=`-scoped listings; datasets page through `repo/tree`;
- every entry is a typed record (ms_entries) and every API answer passed its envelope check (ms_envelope);
- a file the listing gives no sha256 for takes it from the storage's `X-Linked-ETag` (64 hex), as the
  official client does, and records that it did (`hash_source`).
"""

from __future__ import annotations

import re
import urllib.parse

from hubctl.download.http import HttpError, Session, TransientError, check_status, with_retries
from hubctl.download.sources import ms_entries, ms_refs
from hubctl.download.sources.base import RemoteFile, Snapshot
from hubctl.download.sources.endpoints import normalize_endpoint
from hubctl.download.sources.ms_entries import Entry, Page
from hubctl.download.sources.ms_envelope import MsApi, shown
from hubctl.download.sources.registry import MODELSCOPE
from hubctl.errors import IntegrityError

REPO_FILES_CAP = 3000  # repo/files answers at most this many entries (directories count), with no paging
DATASET_PAGE_SIZE = 200  # the official client's page size for repo/tree
MAX_LISTINGS = 10_000  # Root-scoped listings or dataset pages per snapshot before giving up
_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_LINKED_ETAG = re.compile(r'^(?:W/)?"?([0-9a-fA-F]{64})"?$')


class ModelScope:
    name = MODELSCOPE.name
    default_revision = MODELSCOPE.default_revision

    def __init__(self, repo_type: str = "model") -> None:
        self.repo_type = repo_type
        self.kind = "datasets" if repo_type == "dataset" else "models"

    def snapshot(self, session: Session, endpoint: str, repo: str, revision: str) -> Snapshot:
        api = MsApi(session, normalize_endpoint(self.name, endpoint), repo, self.kind)
        commit, misses = ms_refs.resolve(api, revision)
        first, entries = self._list(api, commit or revision)
        reason = None
        if commit is None:
            commit = _head_from_listing(first, entries)
        if commit is None:
            reason = (
                f"{repo}@{shown(revision)}: the commit could not be pinned ({'; '.join(misses)}); files are listed"
                f" and downloaded by the name {shown(revision)}, so a push during the pull could mix two commits"
            )
        files = self._files(api, entries, commit or revision)
        return Snapshot(self.name, repo, revision, commit or "", files, unpinned_reason=reason)

    def file_url(self, endpoint: str, snapshot: Snapshot, path: str) -> str:
        """By commit whenever the snapshot has one; by the listed name only for an unpinned snapshot."""
        query = urllib.parse.urlencode({"Revision": snapshot.commit or snapshot.revision, "FilePath": path})
        return f"{normalize_endpoint(self.name, endpoint)}/api/v1/{self.kind}/{snapshot.repo}/repo?{query}"

    def _list(self, api: MsApi, revision: str) -> tuple[Page, dict[str, Entry]]:
        if self.kind == "datasets":
            return _dataset_pages(api, revision)
        return _model_listing(api, revision)

    def _files(self, api: MsApi, entries: dict[str, Entry], revision: str) -> tuple[RemoteFile, ...]:
        files = []
        for e in sorted(entries.values(), key=lambda e: e.path):
            if e.is_dir:
                continue
            sha256, source = e.sha256, "listing"
            if sha256 is None and e.size == 0:  # an empty file has one possible hash; no request needed
                sha256 = _EMPTY_SHA256
            if sha256 is None:
                url = f"{api.url('repo', {'Revision': revision, 'FilePath': e.path})}"
                sha256, source = linked_sha256(api.session, url, e.path), "server-header"
            files.append(RemoteFile(e.path, e.size, sha256, None, e.lfs, hash_source=source if sha256 else None))
        return tuple(files)


def _head_from_listing(first: Page, entries: dict[str, Entry]) -> str | None:
    """The head commit a by-name listing was taken at: LatestCommitter.Id if set, else the one file
    revision that LatestCommitter.ShortId abbreviates (per-file revisions are last-change commits)."""
    if first.head_id:
        return first.head_id
    if not first.head_short_id:
        return None
    found = {e.revision for e in entries.values() if e.revision and e.revision.startswith(first.head_short_id)}
    return found.pop() if len(found) == 1 else None


def _files_page(api: MsApi, revision: str, root: str | None, recursive: bool) -> Page:
    query = {"Revision": revision, "Recursive": "True" if recursive else "False"}
    if root:
        query["Root"] = root
    where = f"file list of {api.repo}@{shown(revision[:12])}" + (f" under {shown(root)}" if root else "")
    return ms_entries.page(api.get("repo/files", query, where), where)


def _model_listing(api: MsApi, revision: str) -> tuple[Page, dict[str, Entry]]:
    """The whole tree: one listing, or, when it reaches the cap, a walk as the official client does it:
    each capped subtree is listed shallowly and its child directories recursively, level by level."""
    what = f"file list of {api.repo}@{shown(revision[:12])}"
    first = _files_page(api, revision, None, True)
    collected: dict[str, Entry] = {}
    ms_entries.merge(collected, first.entries, what)
    capped: list[str | None] = [None] if len(first.entries) >= REPO_FILES_CAP else []
    listings = 1
    while capped:
        children: list[str] = []
        for root in capped:
            shallow = _files_page(api, revision, root, False)
            listings += 1
            ms_entries.merge(collected, shallow.entries, what)
            if len(shallow.entries) >= REPO_FILES_CAP:
                raise IntegrityError(
                    f"{what}: directory {shown(root or '/')} holds {REPO_FILES_CAP} or more entries, which the hub"
                    " cannot list in full (repo/files stops at that many); refusing an incomplete snapshot"
                )
            children += [e.path for e in shallow.entries if e.is_dir]
        capped = []
        for child in dict.fromkeys(children):
            if listings >= MAX_LISTINGS:
                raise IntegrityError(f"{what}: still incomplete after {MAX_LISTINGS} listings; refusing it")
            subtree = _files_page(api, revision, child, True)
            listings += 1
            ms_entries.merge(collected, subtree.entries, what)
            if len(subtree.entries) >= REPO_FILES_CAP:
                capped.append(child)
    return first, collected


def _dataset_pages(api: MsApi, revision: str) -> tuple[Page, dict[str, Entry]]:
    """Datasets page through repo/tree until a short page; a page that only repeats paths already seen
    means the hub ignores PageNumber, which would otherwise loop forever."""
    what = f"file list of dataset {api.repo}@{shown(revision[:12])}"
    collected: dict[str, Entry] = {}
    first: Page | None = None
    for number in range(1, MAX_LISTINGS + 1):
        query = {"Revision": revision, "Recursive": "True", "PageNumber": str(number)}
        query["PageSize"] = str(DATASET_PAGE_SIZE)
        data = api.get("repo/tree", query, f"{what} (page {number})")
        if first is not None and isinstance(data, dict) and data.get("Files", []) is None:
            return first, collected  # past the last page
        page = ms_entries.page(data, f"{what} (page {number})")
        first = first or page
        if page.entries and all(e.path in collected for e in page.entries):
            raise IntegrityError(f"{what}: page {number} repeats entries already listed (the hub ignores PageNumber)")
        ms_entries.merge(collected, page.entries, what)
        if len(page.entries) < DATASET_PAGE_SIZE:
            return first, collected
    raise IntegrityError(f"{what}: more than {MAX_LISTINGS} pages; refusing an incomplete listing")


def linked_sha256(session: Session, url: str, path: str) -> str | None:
    """The sha256 the storage names in `X-Linked-ETag` for a file, read from a 1-byte ranged GET (the
    body is dropped); None when the hub names none, so the download then refuses the unhashed file."""

    def call() -> str | None:
        response = session.request("GET", url, {"Range": "bytes=0-0"})
        try:
            if response.status >= 400:
                check_status(response)
            match = _LINKED_ETAG.match((response.header("X-Linked-ETag") or "").strip())
            return match.group(1).lower() if match else None
        finally:
            response.abort()

    try:
        return with_retries(call, f"hash of {path}")
    except (HttpError, TransientError):
        return None
