"""Hub protocols behind one interface: resolve a revision to a commit, list its files, name each file's URL.

Both hubs' differences (default branch main vs master, tree vs repo/files listing, LFS oid vs Sha256)
end here: everything after this layer sees a `Snapshot` of `RemoteFile`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hubctl.download.http import Session


@dataclass(frozen=True)
class RemoteFile:
    """One file of a snapshot as the listing describes it; at least one hash is always present."""

    path: str
    size: int
    sha256: str | None
    git_sha1: str | None
    lfs: bool
    hash_source: str | None = None  # where the expected hash came from: "listing" or "server-header"


@dataclass(frozen=True)
class Snapshot:
    """A revision resolved to a commit, with its full file list (before include/exclude)."""

    source: str
    repo: str
    revision: str
    commit: str  # "" when unpinned
    files: tuple[RemoteFile, ...]
    unpinned_reason: str | None = None  # set when no lookup could name the commit: files go by the revision name


class HubSource(Protocol):
    """What pull needs from a hub protocol."""

    name: str
    default_revision: str

    def snapshot(self, session: Session, endpoint: str, repo: str, revision: str) -> Snapshot: ...

    def file_url(self, endpoint: str, snapshot: Snapshot, path: str) -> str: ...


def get_source(name: str, repo_type: str = "model") -> HubSource:
    """The protocol for `hf` or `modelscope`, for a `model` or `dataset` repo."""
    from hubctl.download.sources.hf import HuggingFace
    from hubctl.download.sources.modelscope import ModelScope

    sources: dict[str, HubSource] = {"hf": HuggingFace(repo_type), "modelscope": ModelScope(repo_type)}
    return sources[name]
