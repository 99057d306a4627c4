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


@dataclass(frozen=True)
class Snapshot:
    """A revision resolved to a commit, with its full file list (before include/exclude)."""

    source: str
    repo: str
    revision: str
    commit: str
    files: tuple[RemoteFile, ...]


class HubSource(Protocol):
    """What pull needs from a hub protocol."""

    name: str
    default_revision: str

    def snapshot(self, session: Session, endpoint: str, repo: str, revision: str) -> Snapshot: ...

    def file_url(self, endpoint: str, snapshot: Snapshot, path: str) -> str: ...


def get_source(name: str) -> HubSource:
    """The protocol for `hf` or `modelscope`."""
    from hubctl.download.sources.hf import HuggingFace
    from hubctl.download.sources.modelscope import ModelScope

    sources: dict[str, HubSource] = {"hf": HuggingFace(), "modelscope": ModelScope()}
    return sources[name]
