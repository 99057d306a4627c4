"""A RepoStore whose repos are listed upstream on demand, so server/'s protocol routes serve the mirror unchanged.

Invariants:
- A commit sha always names the same files: a snapshot listed at a commit is kept forever (memory and
  `state/snapshots/`). A branch or tag name resolves to the commit upstream gave it at most `refs_ttl`
  seconds ago; offline, or with every upstream down, to the last commit it was seen at.
- Served files point at placeholders (`BlobCache.pending/<key>`), never at bytes: the mirror's server swaps a
  placeholder for the verified object when it sends a body, so nothing unverified can be served.
- Files the listing gives no checkable hash for are left out of the mirror's snapshot.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubctl.download.sources.base import RemoteFile, Snapshot
from hubctl.download.sources.registry import HUBS
from hubctl.errors import AuthError, HubctlError, NotFoundError
from hubctl.integrity.hashing import GIT_SHA1_HEX as _SHA1
from hubctl.integrity.hashing import SHA256_HEX as _SHA256
from hubctl.mirror.cache import BlobCache, FetchFailed, key_for
from hubctl.mirror.upstream import Upstream
from hubctl.server.store import (
    Commit,
    Ref,
    RepoNotFound,
    RepoStore,
    RepoView,
    RevisionNotFound,
    ServedFile,
    git_object_sha1,
    lfs_pointer,
)
from hubctl.server.wire import Reject, json_response

DEFAULT_BRANCH = {name: hub.default_revision for name, hub in HUBS.items()}
_LISTING_STRIPES = 64


class Unavailable(Exception):
    """Upstream cannot answer (down, refusing) and nothing cached stands in: `status` for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class MirrorRepoView(RepoView):
    """A RepoView that resolves any revision through the mirror (listing upstream when needed)."""

    mirror: Any = None

    def resolve(self, revision: str) -> Commit:
        return self.mirror.commit(self.repo_type, self.repo_id, revision, missing=RevisionNotFound)


class MirrorStore(RepoStore):
    """The repos of one hub protocol (`hf` or `modelscope`), listed from `upstream` and cached under `state`."""

    def __init__(
        self, hub: str, upstream: Upstream | None, cache: BlobCache, state: Path, refs_ttl: float, offline: bool
    ) -> None:
        super().__init__()
        self.hub = hub
        self.upstream = upstream
        self.cache = cache
        self.refs_ttl = refs_ttl
        self.offline = offline or upstream is None
        self._state = Path(state) / hub
        self._state.mkdir(parents=True, exist_ok=True)
        self._commits: dict[tuple[str, str, str], Commit] = {}
        self._refs: dict[tuple[str, str, str], tuple[str, float]] = _load_refs(self._state / "refs.json")
        self._listings = tuple(threading.Lock() for _ in range(_LISTING_STRIPES))

    def repo(self, repo_id: str, repo_type: str | None = None) -> RepoView:
        repo_type = repo_type or "model"
        _check_id(repo_id)
        default = DEFAULT_BRANCH[self.hub]
        head = self.commit(repo_type, repo_id, default, missing=RepoNotFound)
        ref = Ref(default, head.sha, head.created_at)
        return MirrorRepoView(
            repo_id=repo_id,
            repo_type=repo_type,
            commits={head.sha: head},
            branches=(ref,),
            tags=(),
            head=head,
            created_at=head.created_at,
            gated=False,
            token=None,
            mirror=self,
        )

    def commit(self, repo_type: str, repo_id: str, revision: str, *, missing: type[KeyError]) -> Commit:
        """The commit `revision` names, listed upstream unless cached; `missing` is raised if upstream has none."""
        try:
            return self._commit(repo_type, repo_id, revision)
        except NotFoundError as err:
            raise missing(err.message) from None
        except Unavailable as err:
            raise Reject(json_response(err.status, {"error": str(err)})) from None

    def _commit(self, repo_type: str, repo_id: str, revision: str) -> Commit:
        key = (repo_type, repo_id, revision)
        cached = self._cached(key)
        if cached is not None:
            return cached
        if self.offline or self.upstream is None:
            raise Unavailable(503, f"offline: {repo_id}@{revision} is not cached on this mirror")
        with self._listing_lock(key):
            cached = self._cached(key)  # listed by the request this one waited for
            if cached is not None:
                return cached
            pinned = _SHA1.match(revision) is not None
            ref = None if pinned else self._refs.get(key)
            try:
                snapshot = self.upstream.snapshot(repo_type, repo_id, revision)
            except NotFoundError:
                raise
            except AuthError as err:
                raise Unavailable(403, f"upstream refused {repo_id}: this mirror serves public repos only") from err
            except HubctlError as err:
                stale = self._held(repo_type, repo_id, ref[0]) if ref else None
                if stale is not None:  # upstream down: the last known commit is better than nothing
                    return stale
                raise Unavailable(502, f"upstream: {err.message}") from err
            if not _SHA1.match(snapshot.commit):
                raise Unavailable(502, f"upstream named no commit for {repo_id}@{revision}")
            if self.upstream.restricted(repo_type, repo_id):
                raise Unavailable(403, f"{repo_id} is gated or private upstream: this mirror serves public repos only")
            commit = self._held(repo_type, repo_id, snapshot.commit) or self._add(repo_type, snapshot)
            if not pinned:
                self._refs[key] = (commit.sha, time.time())
                _save_json(self._state / "refs.json", [[*k, *v] for k, v in self._refs.items()])
        return commit

    def _cached(self, key: tuple[str, str, str]) -> Commit | None:
        """The commit for (type, repo, revision) without asking upstream: a held commit sha, or a ref resolved
        less than refs_ttl ago (any age when offline)."""
        repo_type, repo_id, revision = key
        if _SHA1.match(revision):
            return self._held(repo_type, repo_id, revision)
        ref = self._refs.get(key)
        if ref is None or not (self.offline or time.time() - ref[1] < self.refs_ttl):
            return None
        return self._held(repo_type, repo_id, ref[0])

    def _listing_lock(self, key: tuple[str, str, str]) -> threading.Lock:
        """Striped by (type, repo, revision): concurrent misses of one ref make one upstream listing, a slow listing
        rarely holds up another repo's, and the number of locks stays fixed whatever names clients send."""
        return self._listings[hash(key) % len(self._listings)]

    def _held(self, repo_type: str, repo_id: str, sha: str) -> Commit | None:
        commit = self._commits.get((repo_type, repo_id, sha))
        if commit is not None:
            return commit
        try:
            saved = json.loads(self._snapshot_path(repo_type, repo_id, sha).read_text())
            snapshot = Snapshot(self.hub, repo_id, sha, sha, tuple(RemoteFile(**f) for f in saved["files"]))
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return self._build(repo_type, snapshot)

    def _add(self, repo_type: str, snapshot: Snapshot) -> Commit:
        files = [
            {"path": f.path, "size": f.size, "sha256": f.sha256, "git_sha1": f.git_sha1, "lfs": f.lfs}
            for f in snapshot.files
        ]
        _save_json(self._snapshot_path(repo_type, snapshot.repo, snapshot.commit), {"files": files})
        return self._build(repo_type, snapshot)

    def _build(self, repo_type: str, snapshot: Snapshot) -> Commit:
        """The Commit server/ routes serve, every file pointing at its cache placeholder."""
        served = []
        for remote in snapshot.files:
            key = key_for(_valid(remote.sha256, _SHA256), _valid(remote.git_sha1, _SHA1))
            if key is None:
                continue
            self.cache.want(key, self._fetcher(repo_type, snapshot, remote))
            sha256 = remote.sha256 or ""
            pointer = git_object_sha1("blob", lfs_pointer(sha256, remote.size)) if sha256 else ""
            served.append(
                ServedFile(
                    remote.path,
                    remote.size,
                    sha256,
                    remote.git_sha1 or "",
                    remote.lfs or False,
                    pointer,
                    self.cache.placeholder(key),
                )
            )
        served.sort(key=lambda f: f.path)
        commit = Commit(snapshot.commit, None, tuple(served), "mirrored", time.time())
        with self._lock:
            self._commits[(repo_type, snapshot.repo, snapshot.commit)] = commit
            for f in served:
                if f.sha256:
                    self._blobs.setdefault(f.sha256, f)
        return commit

    def _fetcher(self, repo_type: str, snapshot: Snapshot, remote: RemoteFile):
        def fetch(final: Path) -> tuple[str, int]:
            if self.offline or self.upstream is None:
                raise FetchFailed(503, f"offline: {remote.path} is not cached on this mirror")
            return self.upstream.fetch(repo_type, snapshot, remote, final)

        return fetch

    def _snapshot_path(self, repo_type: str, repo_id: str, sha: str) -> Path:
        return self._state / "snapshots" / repo_type / repo_id / f"{sha}.json"


def _check_id(repo_id: str) -> None:
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts) or any(p in (".", "..") or p.startswith(".") for p in parts):
        raise RepoNotFound(repo_id)


def _valid(value: str | None, pattern: re.Pattern) -> str | None:
    return value if value and pattern.match(value) else None


def _load_refs(path: Path) -> dict[tuple[str, str, str], tuple[str, float]]:
    try:
        rows = json.loads(path.read_text())
        return {(str(t), str(r), str(v)): (str(c), float(at)) for t, r, v, c, at in rows if _SHA1.match(str(c))}
    except (OSError, ValueError, TypeError):
        return {}


def _save_json(path: Path, payload: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload))
    os.replace(tmp, path)
