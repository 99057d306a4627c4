"""Warming a mirror: list a revision upstream and fetch every file of it into the cache, as a client would.

Prefetched files go through the same coalesced, verified path as client requests (BlobCache.ensure), so a
prefetch racing with clients still makes one upstream fetch per file.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubctl.download.sources.registry import parse_repo, parse_repo_type
from hubctl.errors import UsageError
from hubctl.mirror.app import MirrorServer
from hubctl.mirror.cache import FetchFailed
from hubctl.mirror.store import DEFAULT_BRANCH
from hubctl.server.store import RepoNotFound
from hubctl.server.wire import Reject


@dataclass(frozen=True)
class PrefetchResult:
    spec: str
    commit: str
    files: int
    failed: tuple[str, ...]


def parse_spec(spec: str) -> tuple[str, str, str, str | None]:
    """`[hf:|ms:][datasets/]owner/name[@rev]` -> (hub, repo type, repo id, revision or None); ValueError if not.
    The same grammar as `hubctl pull`'s REPO (the registry's parsers)."""
    target, _, rev = spec.partition("@")
    try:
        typed, kind = parse_repo_type(target, None)
        hub, repo = parse_repo(typed, None)
    except UsageError as err:
        raise ValueError(f"--prefetch takes [hf:|ms:]owner/name[@revision], got {spec!r}") from err
    return hub, kind or "model", repo, rev or None


def prefetch(server: MirrorServer, spec: str) -> PrefetchResult:
    """Fetch every file of the revision `spec` names into the mirror's cache."""
    hub, repo_type, repo, rev = parse_spec(spec)
    store = server.hf_store if hub == "hf" else server.ms_store
    try:
        commit = store.commit(repo_type, repo, rev or DEFAULT_BRANCH[hub], missing=RepoNotFound)
    except RepoNotFound:
        return PrefetchResult(spec, "", 0, ("not found upstream",))
    except Reject as rejected:
        return PrefetchResult(spec, "", 0, (rejected.response.body.decode("utf-8", "replace")[:200],))
    failed = []
    for file in commit.files:
        key = server.cache.key_of(file.source)
        if key is None:
            continue
        try:
            server.cache.release(server.cache.ensure(key))
        except FetchFailed as err:
            failed.append(f"{file.path}: {err.message}")
    return PrefetchResult(spec, commit.sha, len(commit.files), tuple(failed))
