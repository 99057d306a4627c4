"""The mirror's side facing the real hubs: listings and file bodies through hubctl's own download path.

Invariant: every byte the mirror caches came through `transfer.download`, so it inherits that path's
guarantees (resume of partials, retries with backoff, rate-limit waits, endpoint fallback in the order the
upstreams were given, and no final file without a matching hash). Upstreams of one hub are tried in order;
another hubctl mirror is an upstream like any hub (tiers).

The mirror sends no token upstream and serves public repos only: its session has no credentials, and a repo
the hub marks gated or private is refused (`restricted`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from hubctl.download.http import ProtocolError, Session, TransientError
from hubctl.download.pull import checked_listing, list_snapshot
from hubctl.download.sources.base import RemoteFile, Snapshot, get_source
from hubctl.download.sources.endpoints import normalize_endpoint
from hubctl.download.sources.registry import ALIASES
from hubctl.download.transfer import Candidate, Options, download


class Upstream:
    """The upstream endpoints of one hub protocol (`hf` or `modelscope`)."""

    def __init__(self, hub: str, endpoints: tuple[str, ...]) -> None:
        if not endpoints:
            raise ValueError("an upstream needs at least one endpoint")
        self.hub = hub
        self.endpoints = tuple(normalize_endpoint(hub, e) for e in endpoints)
        self.session = Session()
        self.options = Options()

    def snapshot(self, repo_type: str, repo: str, revision: str) -> Snapshot:
        """The revision's commit and file list from the first upstream that can list it."""
        snapshot = list_snapshot(get_source(self.hub, repo_type), self.session, self.endpoints, repo, revision)[0]
        return replace(snapshot, files=checked_listing(snapshot.files))  # safe names, each path once (IntegrityError)

    def restricted(self, repo_type: str, repo: str) -> bool:
        """Whether the hub marks the repo gated or private (HF's repo info; ModelScope refuses the listing itself).
        Unknown (no endpoint answers the info) counts as restricted: the mirror serves public repos only."""
        if self.hub != "hf":
            return False
        kind = "datasets" if repo_type == "dataset" else "models"
        for endpoint in self.endpoints:
            try:
                response = self.session.request("GET", f"{endpoint}/api/{kind}/{repo}")
                info = response.json(deadline=time.monotonic() + 60) if response.status == 200 else None
            except (TransientError, ProtocolError, OSError):
                continue
            if isinstance(info, dict):
                return bool(info.get("gated")) or bool(info.get("private"))
        return True

    def fetch(self, repo_type: str, snapshot: Snapshot, remote: RemoteFile, final: Path) -> tuple[str, int]:
        """Download `remote` verified into `final`; (its sha256, body bytes received)."""
        source = get_source(self.hub, repo_type)
        candidates = [Candidate(e, source.file_url(e, snapshot, remote.path)) for e in self.endpoints]
        result = download(self.session, remote, final, candidates, self.options)
        return result.sha256, result.bytes_fetched


def parse_upstreams(values: list[str]) -> dict[str, tuple[str, ...]]:
    """`hf=URL` / `ms=URL` options (repeatable, order kept) to endpoints per hub; ValueError if malformed."""
    out: dict[str, list[str]] = {}
    for value in values:
        name, sep, url = value.partition("=")
        hub = ALIASES.get(name.strip().lower())
        if not sep or hub is None or not url.strip():
            raise ValueError(f"--upstream takes hf=URL or ms=URL, got {value!r}")
        out.setdefault(hub, []).append(normalize_endpoint(hub, url.strip()))
    return {hub: tuple(urls) for hub, urls in out.items()}
