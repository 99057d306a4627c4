"""ModelScope routes (spec 5.1 rows 9-14): repo info, revisions, file listings and file downloads.

Every answer is the `{Code, Data, Message, RequestId, Success}` envelope, with `Code` equal to the HTTP
status on errors so modelscope_hub maps it by status. Revisions are passed verbatim by the client and
resolved here (branch, tag, full or short sha); the listing's `CommitId` tells hubctl which commit that was.
"""

from __future__ import annotations

import hashlib
import uuid
from urllib.parse import quote

from hubctl.server.store import Commit, RepoNotFound, RepoStore, RepoView, RevisionNotFound, ServedDir, ServedFile
from hubctl.server.wire import Reject, Request, Response, blob_location, file_response, json_response, redirect

_TYPES = {"models": "model", "datasets": "dataset"}


def route(req: Request, store: RepoStore) -> Response | None:
    """The response for a ModelScope route, or None when the path is not one."""
    s = req.segments
    if s[:2] != ("api", "v1") or req.method not in ("GET", "HEAD"):
        return None
    if s[2:] == ("repos", "internalAccelerationInfo"):
        return envelope_error(404, "Not found")  # no intra-cloud acceleration: download from this endpoint
    if len(s) < 5 or s[2] not in _TYPES:
        return None
    repo_type, repo_id, rest = _TYPES[s[2]], f"{s[3]}/{s[4]}", s[5:]
    if not rest:
        return _info(_repo(req, store, repo_type, repo_id, gate=False))
    if rest == ("revisions",):
        return _revisions(req, _repo(req, store, repo_type, repo_id, gate=False))
    if rest in (("repo", "files"), ("repo", "tree")):
        return _listing(req, _repo(req, store, repo_type, repo_id, gate=True))
    if rest == ("repo",):
        return _download(req, _repo(req, store, repo_type, repo_id, gate=True))
    return None


def envelope(data: object) -> Response:
    return json_response(
        200, {"Code": 200, "Data": data, "Message": "success", "RequestId": uuid.uuid4().hex, "Success": True}
    )


def envelope_error(status: int, message: str) -> Response:
    return json_response(
        status, {"Code": status, "Data": None, "Message": message, "RequestId": uuid.uuid4().hex, "Success": False}
    )


def _repo(req: Request, store: RepoStore, repo_type: str, repo_id: str, *, gate: bool) -> RepoView:
    try:
        repo = store.repo(repo_id, repo_type)
    except RepoNotFound:
        raise Reject(envelope_error(404, f"{repo_type} {repo_id} not found")) from None
    if repo.token is not None and repo.token not in req.credentials():
        raise Reject(envelope_error(401, "Authentication failed: a valid token is required"))
    if gate and repo.gated:
        raise Reject(envelope_error(401, f"{repo_id} is gated: request access and log in"))
    return repo


def _commit(req: Request, repo: RepoView) -> Commit:
    revision = req.param("Revision") or "master"
    try:
        return repo.resolve(revision)
    except RevisionNotFound:
        raise Reject(envelope_error(404, f"revision {revision} not found in {repo.repo_id}")) from None


def _info(repo: RepoView) -> Response:
    owner, name = repo.repo_id.split("/")
    commit = repo.default("master")
    return envelope(
        {
            "Id": int(hashlib.sha1(repo.repo_id.encode()).hexdigest()[:8], 16),
            "Path": owner,
            "Name": name,
            "ChineseName": "",
            "Description": "",
            "Visibility": 1 if repo.token else 5,
            "Downloads": 0,
            "Stars": 0,
            "CreatedTime": int(repo.created_at),
            "LastUpdatedTime": int(commit.created_at),
        }
    )


def _revisions(req: Request, repo: RepoView) -> Response:
    """Branches and tags with `CreatedAt` = when they were set, which drives the client's release-mode
    pick of the newest tag older than the SDK (spec B2); `EndTime` filters tags like the real server."""
    end = req.param("EndTime")
    tags = [t for t in repo.tags if not (end and end.isdigit() and t.created_at > int(end))]

    def item(ref_name: str, commit: str, created_at: float) -> dict:
        return {"Revision": ref_name, "CreatedAt": int(created_at), "CommitId": commit}

    return envelope(
        {
            "RevisionMap": {
                "Branches": [item(r.name, r.commit, r.created_at) for r in repo.branches],
                "Tags": [item(r.name, r.commit, r.created_at) for r in tags],
            }
        }
    )


def _listing(req: Request, repo: RepoView) -> Response:
    commit = _commit(req, repo)
    root = (req.param("Root") or "").strip("/")
    recursive = req.flag("Recursive")
    try:
        entries = commit.entries(root, recursive)
    except KeyError:
        return envelope_error(404, f"path {root} not found at {commit.sha}")
    number, size = req.param("PageNumber"), req.param("PageSize")
    if number and size and number.isdigit() and size.isdigit() and int(number) > 0 and int(size) > 0:
        first = (int(number) - 1) * int(size)
        entries = entries[first : first + int(size)]
    return envelope({"Files": [_entry(commit, e) for e in entries]})


def _entry(commit: Commit, entry: ServedFile | ServedDir) -> dict:
    common = {
        "CommitId": commit.sha,
        "CommitMessage": commit.message,
        "CommittedDate": int(commit.created_at),
        "CommitterName": "hubctl",
        "InCheck": False,
        "Name": entry.path.rpartition("/")[2],
        "Path": entry.path,
        "Revision": commit.sha,
    }
    if isinstance(entry, ServedDir):
        return common | {"Id": entry.tree_id, "IsLFS": False, "Mode": "16384", "Sha256": "", "Size": 0, "Type": "tree"}
    return common | {
        "Id": entry.blob_id,
        "IsLFS": entry.lfs,
        "Mode": "33188",
        "Sha256": entry.sha256,
        "Size": entry.size,
        "Type": "blob",
    }


def _download(req: Request, repo: RepoView) -> Response:
    """LFS files redirect to the signed OSS origin (which sends X-Linked-ETag); others stream from here."""
    path = (req.param("FilePath") or "").strip("/")
    if not path:
        return envelope_error(400, "FilePath is required")
    commit = _commit(req, repo)
    file = commit.file(path)
    if file is None:
        return envelope_error(404, f"file {path} not found at {commit.sha}")
    if file.lfs:
        return redirect(302, blob_location(req, "oss", repo.repo_id, file))
    name = path.rpartition("/")[2]
    return file_response(
        file,
        req.headers.get("Range"),
        (
            ("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}"),
            ("ETag", f'"{file.git_sha1}"'),
        ),
    )
