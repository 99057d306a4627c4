"""The ModelScope protocol (modelscope.cn, modelscope.ai, or MODELSCOPE_ENDPOINT)."""

from __future__ import annotations

import re
import urllib.parse

from hubctl.download.http import Session
from hubctl.download.sources.api import get_json
from hubctl.download.sources.base import RemoteFile, Snapshot
from hubctl.download.sources.registry import MODELSCOPE
from hubctl.errors import NotFoundError

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_SHORT_SHA = re.compile(r"^[0-9a-f]{7,39}$")


class ModelScope:
    name = MODELSCOPE.name
    default_revision = MODELSCOPE.default_revision

    def snapshot(self, session: Session, endpoint: str, repo: str, revision: str) -> Snapshot:
        commit = self._resolve(session, endpoint, repo, revision)
        # A commit pin is listed by its full sha, so a short sha and the sha itself give the same snapshot.
        listed = commit if _SHORT_SHA.match(revision) else revision
        files = self._files(session, endpoint, repo, listed)
        return Snapshot(self.name, repo, listed, commit, files)

    def file_url(self, endpoint: str, snapshot: Snapshot, path: str) -> str:
        query = urllib.parse.urlencode({"Revision": snapshot.revision, "FilePath": path})
        return f"{endpoint}/api/v1/models/{snapshot.repo}/repo?{query}"

    def _get(self, session: Session, url: str, what: str, endpoint: str) -> object:
        """ModelScope wraps answers in an envelope: {"Code", "Data", "Message", "Success"}."""
        data, _ = get_json(session, url, what, endpoint)
        return data.get("Data", data) if isinstance(data, dict) else data

    def _resolve(self, session: Session, endpoint: str, repo: str, revision: str) -> str:
        """Branch or tag to commit via the revisions map; a full sha is taken as is."""
        if _FULL_SHA.match(revision):
            return revision
        data = self._get(session, f"{endpoint}/api/v1/models/{repo}/revisions", f"revisions of {repo}", endpoint)
        refs = (data or {}).get("RevisionMap", {}) if isinstance(data, dict) else {}
        entries = [*(refs.get("Branches") or []), *(refs.get("Tags") or [])]
        for entry in entries:
            if entry.get("Revision") == revision and entry.get("CommitId"):
                return str(entry["CommitId"])
        if _SHORT_SHA.match(revision):
            matches = {str(e["CommitId"]) for e in entries if str(e.get("CommitId", "")).startswith(revision)}
            if len(matches) == 1:
                return matches.pop()
        raise NotFoundError(
            f"revision {revision!r} of {repo}: not a branch or tag on {endpoint}"
            " (ModelScope resolves commits only by their full 40-hex sha or a branch/tag they head)"
        )

    def _files(self, session: Session, endpoint: str, repo: str, revision: str) -> tuple[RemoteFile, ...]:
        query = urllib.parse.urlencode({"Revision": revision, "Recursive": "True"})
        data = self._get(session, f"{endpoint}/api/v1/models/{repo}/repo/files?{query}", f"file list of {repo}", endpoint)
        entries = data.get("Files", []) if isinstance(data, dict) else data
        files = []
        for entry in entries or []:
            if entry.get("Type") == "tree":
                continue
            files.append(
                RemoteFile(
                    path=entry.get("Path") or entry.get("Name"),
                    size=int(entry["Size"]),
                    sha256=(entry.get("Sha256") or "").lower() or None,
                    git_sha1=None,
                    lfs=bool(entry.get("IsLFS")),
                )
            )
        return tuple(files)
