"""ModelScope routes (spec 5.1 rows 9-14): repo info, revisions, commits, listings, downloads and git refs.

By default every answer follows what the live hub is known to send (docs/real-hubs-modelscope.md), not
what hubctl would like, so CI catches a client that relies on a field the hub does not give:
- `/revisions` lists `Revision` and `CreatedAt` only, no `CommitId`; commits are named by the commits API
  (`commits?Ref=`, `Data.Commit[].Id`, master when `Ref` is absent) and the git ref advertisement;
- refusals are HTTP 404 with a business `Code` (10010205001 not found, 10010200001 no access);
  an unknown revision lists as HTTP 200 with `Files: null`;
- `repo/files` stops silently at 3,000 entries (directories count) and honours `Root`; datasets page
  through `repo/tree`;
- each entry's `Revision`/`CommitId` is the file's last-change commit, `LatestCommitter.Id` is empty
  (its `ShortId` names the head); paths marked with `RepoStore.set_unhashed` list `Sha256: ""`;
- LFS files redirect to the OSS origin (which sends `X-Linked-ETag`); other files are served directly
  and ignore `Range`.
"""

from __future__ import annotations

import hashlib
import uuid
from urllib.parse import quote

from hubctl.server.store import Commit, RepoNotFound, RepoStore, RepoView, RevisionNotFound, ServedDir, ServedFile
from hubctl.server.wire import Reject, Request, Response, blob_location, file_response, json_response, redirect

_TYPES = {"models": "model", "datasets": "dataset"}
REPO_FILES_CAP = 3000
NOT_FOUND_CODE = 10010205001
NO_ACCESS_CODE = 10010200001
_GIT_ADVERTISEMENT = "application/x-git-upload-pack-advertisement"


def route(req: Request, store: RepoStore) -> Response | None:
    """The response for a ModelScope route, or None when the path is not one."""
    s = req.segments
    if req.method in ("GET", "HEAD") and _is_git_refs(s):
        return _git_refs(req, store, s)
    if s[:2] != ("api", "v1") or req.method not in ("GET", "HEAD"):
        return None
    if s[2:] == ("repos", "internalAccelerationInfo"):
        return envelope_error(404, "Not found")  # no intra-cloud acceleration: download from this endpoint
    if len(s) < 5 or s[2] not in _TYPES:
        return None
    repo_type, repo_id, rest = _TYPES[s[2]], f"{s[3]}/{s[4]}", s[5:]
    if not rest:
        return _info(_repo(req, store, repo_type, repo_id, gate=False, what="获取模型信息失败"))
    if rest == ("revisions",):
        return _revisions(req, _repo(req, store, repo_type, repo_id, gate=False))
    if rest == ("commits",):
        return _commits(req, _repo(req, store, repo_type, repo_id, gate=False))
    if rest in (("repo", "files"), ("repo", "tree")):
        capped = rest[1] == "files"
        return _listing(req, _repo(req, store, repo_type, repo_id, gate=True, what="获取模型目录树失败"), capped)
    if rest == ("repo",):
        return _download(req, _repo(req, store, repo_type, repo_id, gate=True))
    return None


def envelope(data: object) -> Response:
    return json_response(
        200, {"Code": 200, "Data": data, "Message": "success", "RequestId": uuid.uuid4().hex, "Success": True}
    )


def envelope_error(status: int, message: str, code: int | None = None) -> Response:
    return json_response(
        status,
        {"Code": code or status, "Data": None, "Message": message, "RequestId": uuid.uuid4().hex, "Success": False},
    )


def _repo(
    req: Request, store: RepoStore, repo_type: str, repo_id: str, *, gate: bool, what: str = "获取模型信息失败"
) -> RepoView:
    """The repo, or the live hub's refusal: a 404 whose business code tells missing from unreadable."""
    try:
        repo = store.repo(repo_id, repo_type)
    except RepoNotFound:
        raise Reject(envelope_error(404, f"{what}，信息：record not found", NOT_FOUND_CODE)) from None
    if repo.token is not None and repo.token not in req.credentials():
        raise Reject(envelope_error(404, f"{what}，信息：no permission to access {repo_id}", NO_ACCESS_CODE))
    if gate and repo.gated:
        raise Reject(envelope_error(404, f"{repo_id} is gated: request access and log in", NO_ACCESS_CODE))
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
    """Branches and tags as the official clients read them (`Revision`, `CreatedAt`: when they were set,
    which drives the client's release-mode pick of the newest tag older than the SDK, spec B2); no
    `CommitId`, which no official client reads. `EndTime` filters tags like the real server."""
    end = req.param("EndTime")
    tags = [t for t in repo.tags if not (end and end.isdigit() and t.created_at > int(end))]

    def item(ref_name: str, created_at: float) -> dict:
        return {"Revision": ref_name, "CreatedAt": int(created_at)}

    return envelope(
        {
            "RevisionMap": {
                "Branches": [item(r.name, r.created_at) for r in repo.branches],
                "Tags": [item(r.name, r.created_at) for r in tags],
            }
        }
    )


def _commit_item(commit: Commit) -> dict:
    title = commit.message.splitlines()[0] if commit.message else ""
    when = int(commit.created_at)
    return {
        "Id": commit.sha,
        "ShortId": commit.sha[:8],
        "Title": title,
        "Message": commit.message,
        "AuthorName": "hubctl",
        "AuthorEmail": "hubctl@localhost",
        "AuthoredDate": when,
        "CommitterName": "hubctl",
        "CommitterEmail": "hubctl@localhost",
        "CommittedDate": when,
        "CreatedAt": when,
    }


def _commits(req: Request, repo: RepoView) -> Response:
    """History from `Ref` (master when absent, as the live hub does with a misspelled parameter), newest
    first, paged; an unknown ref is HTTP 200 with `Commit: null`."""
    try:
        commit: Commit | None = repo.resolve(req.param("Ref") or "master")
    except RevisionNotFound:
        return envelope({"Commit": None, "TotalCount": 0})
    history = []
    while commit is not None and len(history) < 10_000:
        history.append(commit)
        commit = repo.commits.get(commit.parent) if commit.parent else None
    number, size = req.param("PageNumber") or "1", req.param("PageSize") or "10"
    first = (int(number) - 1) * int(size) if number.isdigit() and size.isdigit() and int(number) > 0 else 0
    page = history[first : first + int(size)] if size.isdigit() and int(size) > 0 else history
    return envelope({"Commit": [_commit_item(c) for c in page], "TotalCount": len(history)})


def _listing(req: Request, repo: RepoView, capped: bool) -> Response:
    try:
        commit = repo.resolve(req.param("Revision") or "master")
    except RevisionNotFound:  # the live hub lists an unknown revision as nothing at all, with HTTP 200
        return envelope({"Files": None, "IsVisual": 0, "LatestCommitter": None})
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
    elif capped:
        entries = entries[:REPO_FILES_CAP]  # repo/files has no paging: it stops here, silently
    files = [_entry(repo, commit, e) for e in entries]
    return envelope({"Files": files, "IsVisual": 0, "LatestCommitter": _latest_committer(commit)})


def _latest_committer(commit: Commit) -> dict:
    """The head as the live hub describes it: `Id` empty, `ShortId` the head's abbreviation."""
    return {
        "Id": "",
        "ShortId": commit.sha[:8],
        "Title": commit.message.splitlines()[0] if commit.message else "",
        "Message": commit.message,
        "CommitterName": "hubctl",
        "CommitterEmail": "hubctl@localhost",
        "CommittedDate": int(commit.created_at),
    }


def _entry(repo: RepoView, commit: Commit, entry: ServedFile | ServedDir) -> dict:
    changed = repo.last_change(commit, entry.path)
    common = {
        "CommitId": changed.sha,
        "CommitMessage": changed.message,
        "CommittedDate": int(changed.created_at),
        "CommitterName": "hubctl",
        "InCheck": False,
        "Name": entry.path.rpartition("/")[2],
        "Path": entry.path,
        "Revision": changed.sha,
    }
    if isinstance(entry, ServedDir):
        return common | {"Id": entry.tree_id, "IsLFS": False, "Mode": "16384", "Sha256": "", "Size": 0, "Type": "tree"}
    unhashed = entry.path in repo.unhashed
    return common | {
        "Id": entry.blob_id,
        "InCheck": unhashed,
        "IsLFS": entry.lfs,
        "Mode": "33188",
        "Sha256": "" if unhashed else entry.sha256,
        "Size": entry.size,
        "Type": "blob",
    }


def _download(req: Request, repo: RepoView) -> Response:
    """LFS files redirect to the signed OSS origin (which sends X-Linked-ETag); others stream from here,
    whole: the live hub ignores `Range` on files it serves without a redirect."""
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
        None,
        (
            ("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}"),
            ("ETag", f'"{file.git_sha1}"'),
        ),
    )


def _is_git_refs(s: tuple[str, ...]) -> bool:
    tail = s[-3:] if len(s) >= 4 else ()
    return (
        bool(tail)
        and tail[0].endswith(".git")
        and tail[1:] == ("info", "refs")
        and len(s) in (4, 5)
        and (len(s) == 4 or s[0] == "datasets")
    )


def _pkt(line: str) -> bytes:
    data = line.encode()
    return f"{len(data) + 4:04x}".encode() + data


def _git_refs(req: Request, store: RepoStore, s: tuple[str, ...]) -> Response:
    """The smart-HTTP ref advertisement (`{repo}.git/info/refs?service=git-upload-pack`); like the live
    endpoint it answers only git user agents (421 otherwise)."""
    if not (req.headers.get("User-Agent") or "").startswith("git/"):
        return Response(421, (("Content-Type", "text/plain; charset=utf-8"),), b"Misdirected Request\n")
    if req.param("service") != "git-upload-pack":
        return Response(403, (("Content-Type", "text/plain; charset=utf-8"),), b"service not supported\n")
    repo_type = "dataset" if len(s) == 5 else "model"
    owner, name = s[-4], s[-3][: -len(".git")]
    try:
        repo = store.repo(f"{owner}/{name}", repo_type)
    except (RepoNotFound, ValueError):
        return Response(404, (("Content-Type", "text/plain; charset=utf-8"),), b"Repository not found\n")
    if repo.token is not None and repo.token not in req.credentials():
        return Response(401, (("WWW-Authenticate", 'Basic realm="ModelScope"'),), b"")
    head = repo.default("master")
    refs = [f"{head.sha} HEAD\0multi_ack thin-pack side-band side-band-64k ofs-delta symref=HEAD:refs/heads/master\n"]
    refs += [f"{r.commit} refs/heads/{r.name}\n" for r in sorted(repo.branches, key=lambda r: r.name)]
    refs += [f"{r.commit} refs/tags/{r.name}\n" for r in sorted(repo.tags, key=lambda r: r.name)]
    body = _pkt("# service=git-upload-pack\n") + b"0000" + b"".join(_pkt(r) for r in refs) + b"0000"
    return Response(200, (("Content-Type", _GIT_ADVERTISEMENT), ("Cache-Control", "no-cache")), body)
