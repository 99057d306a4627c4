"""The Hugging Face Hub protocol (also hf-mirror.com and any HF_ENDPOINT mirror)."""

from __future__ import annotations

import re
import urllib.parse

from hubctl.download.http import HttpError, Session
from hubctl.download.sources.api import get_json, hub_error
from hubctl.download.sources.base import RemoteFile, Snapshot
from hubctl.download.sources.registry import HF

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


class HuggingFace:
    name = HF.name
    default_revision = HF.default_revision

    def snapshot(self, session: Session, endpoint: str, repo: str, revision: str) -> Snapshot:
        commit = revision if _FULL_SHA.match(revision) else self._resolve(session, endpoint, repo, revision)
        files = self._tree(session, endpoint, repo, commit)
        return Snapshot(self.name, repo, revision, commit, files)

    def file_url(self, endpoint: str, snapshot: Snapshot, path: str) -> str:
        return f"{endpoint}/{snapshot.repo}/resolve/{snapshot.commit}/{urllib.parse.quote(path)}"

    def _resolve(self, session: Session, endpoint: str, repo: str, revision: str) -> str:
        url = f"{endpoint}/api/models/{repo}/revision/{urllib.parse.quote(revision, safe='')}"
        data, _ = get_json(session, url, f"revision {revision!r} of {repo}", endpoint)
        sha = data.get("sha") if isinstance(data, dict) else None
        if not isinstance(sha, str) or not _FULL_SHA.match(sha):
            raise hub_error(HttpError(404, url, "RevisionNotFound", "no commit sha in answer"), repo, endpoint)
        return sha

    def _tree(self, session: Session, endpoint: str, repo: str, commit: str) -> tuple[RemoteFile, ...]:
        url: str | None = f"{endpoint}/api/models/{repo}/tree/{commit}?recursive=true&expand=false"
        files: list[RemoteFile] = []
        while url:
            entries, link = get_json(session, url, f"file list of {repo}@{commit[:12]}", endpoint)
            for entry in entries if isinstance(entries, list) else []:
                if entry.get("type") != "file":
                    continue
                lfs = entry.get("lfs") or None
                files.append(
                    RemoteFile(
                        path=entry["path"],
                        size=int(entry["size"]),
                        sha256=lfs["oid"] if lfs else None,
                        git_sha1=None if lfs else entry.get("oid"),
                        lfs=bool(lfs),
                    )
                )
            match = _NEXT_LINK.search(link or "")
            url = match.group(1) if match else None
        return tuple(files)
