"""Hugging Face Hub routes (spec 5.1 rows 1-7): model/dataset info, tree, refs, paths-info and resolve.

Errors carry `X-Error-Code`, because on an http:// endpoint huggingface_hub maps errors by that header
alone. Resolve answers like the real hub: LFS files redirect to another origin (so the client drops
auth and stops its HEAD there), non-LFS files on a branch or tag redirect to the commit-pinned
resolve-cache route, and files at a full commit sha are served directly.

By default the routes also answer the way huggingface.co does where clients get it wrong (issue 21,
docs/real-hubs-hf.md): `RateLimit`/`RateLimit-Policy` on every answer and a 429 once a 5-minute bucket is
spent, 401 + RepoNotFound for an unknown repo asked anonymously, tree pages of 1,000 entries with a `Link`
to the next, and `xetHash` on LFS entries. `HfEmulation` holds those knobs and the mirror modes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlencode

from hubctl.server.store import Commit, RepoNotFound, RepoStore, RepoView, RevisionNotFound, ServedDir, ServedFile
from hubctl.server.wire import (
    Reject,
    Request,
    Response,
    blob_location,
    file_response,
    iso,
    json_response,
    redirect,
    text_response,
)

_TYPES = {"models": "model", "datasets": "dataset"}
_LINK_STYLES = ("absolute", "foreign", "relative")


@dataclass
class HfEmulation:
    """How the HF side imitates huggingface.co (the defaults) and its mirrors (the modes); tests lower the
    budgets and thresholds. Budgets are per fixed window of `window` seconds, like HF's 5-minute windows;
    the defaults are far above HF's (3,000-12,000 resolves) so that benchmarks of thousands of files pass."""

    resolver_budget: int = 1_000_000
    api_budget: int = 1_000_000
    window: float = 300.0
    tree_page_size: int = 1000  # HF's page size for /tree
    link_style: str = "absolute"  # "foreign": hf-mirror passes huggingface.co's Link through; "relative"
    foreign_origin: str = "https://huggingface.co"
    cdn_unranged_limit: int = 50 << 30  # the Xet bridge answers 400 to an unranged GET of objects this large
    xet_only: frozenset[str] = frozenset()  # paths listed with xetHash and no lfs (as HF Buckets list them)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _window_start: float = field(default=0.0, repr=False)
    _used: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.link_style not in _LINK_STYLES:
            raise ValueError(f"link_style must be one of {_LINK_STYLES}")

    def charge(self, bucket: str) -> tuple[int, int, int]:
        """Count one request against `bucket`: (quota, remaining after it, seconds to the reset);
        remaining is -1 when the bucket was already empty (the request is refused)."""
        quota = self.resolver_budget if bucket == "resolvers" else self.api_budget
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= self.window:
                self._window_start, self._used = now, {}
            used = self._used.get(bucket, 0)
            if used < quota:
                self._used[bucket] = used = used + 1
                remaining = quota - used
            else:
                remaining = -1
            reset = max(1, int(self._window_start + self.window - now + 0.999))
        return quota, remaining, reset


_DEFAULT = HfEmulation()


def route(
    req: Request, store: RepoStore, tree_page_size: int | None, emulation: HfEmulation | None = None
) -> Response | None:
    """The response for an HF route, or None when the path is not one; rate-limit headers on every answer."""
    emulation = emulation or _DEFAULT
    try:
        response = _route(req, store, tree_page_size or emulation.tree_page_size, emulation)
    except Reject as rejected:
        response = rejected.response
    if response is None:
        return None
    return rate_limited(req, response, emulation)


def rate_limited(req: Request, response: Response, emulation: HfEmulation) -> Response:
    """`response` with HF's IETF rate-limit headers, or a 429 when the request's bucket is spent."""
    resolve = "resolve" in req.segments[:4] or req.segments[:2] == ("api", "resolve-cache")
    bucket = "resolvers" if resolve else "api"
    quota, remaining, reset = emulation.charge(bucket)
    limit = f'"{bucket}";r={max(remaining, 0)};t={reset}'
    policy = f'"fixed window";"{bucket}";q={quota};w={int(emulation.window)}'
    if remaining < 0:
        message = f"You have exceeded our {bucket} rate limit; retry in {reset} seconds."
        response = json_response(429, {"error": message}, (("X-Error-Message", message),))
    return response.with_header("RateLimit", limit).with_header("RateLimit-Policy", policy)


def cdn_guard(req: Request, store: RepoStore, emulation: HfEmulation | None = None) -> Response | None:
    """The Xet bridge's answer to an unranged GET of a very large object (400), else None."""
    emulation = emulation or _DEFAULT
    seg = req.segments
    if req.method != "GET" or req.headers.get("Range") or len(seg) != 2 or seg[0] != "cdn":
        return None
    file = store.blob(seg[1])
    if file is None or file.size < emulation.cdn_unranged_limit:
        return None
    return text_response(
        400,
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>InvalidRequest</Code>"
        "<Message>Range header required for objects of this size</Message></Error>",
        "application/xml",
    )


def _route(req: Request, store: RepoStore, tree_page_size: int, emulation: HfEmulation) -> Response | None:
    s = req.segments
    if s == ("api", "agent-harnesses") and req.method == "GET":
        return json_response(200, {"standardEnvVars": [], "harnesses": {}})
    if len(s) >= 4 and s[0] == "api" and s[1] in _TYPES:
        return _api(req, store, _TYPES[s[1]], f"{s[2]}/{s[3]}", s[4:], tree_page_size, emulation)
    if len(s) >= 7 and s[:2] == ("api", "resolve-cache") and s[2] in _TYPES:
        return _resolve(req, store, _TYPES[s[2]], f"{s[3]}/{s[4]}", s[5], "/".join(s[6:]), cached=True)
    if len(s) >= 6 and s[0] == "datasets" and s[3] == "resolve":
        return _resolve(req, store, "dataset", f"{s[1]}/{s[2]}", s[4], "/".join(s[5:]), cached=False)
    if len(s) >= 5 and s[2] == "resolve":
        return _resolve(req, store, "model", f"{s[0]}/{s[1]}", s[3], "/".join(s[4:]), cached=False)
    return None


def error(status: int, code: str | None, message: str, *extra: tuple[str, str]) -> Response:
    headers = ((("X-Error-Code", code),) if code else ()) + (("X-Error-Message", message), *extra)
    return json_response(status, {"error": message}, headers)


def _api(
    req: Request,
    store: RepoStore,
    repo_type: str,
    repo_id: str,
    rest: tuple[str, ...],
    page_size: int,
    emulation: HfEmulation,
) -> Response | None:
    get = req.method == "GET"
    if not rest and get:
        repo = _repo(req, store, repo_type, repo_id)
        return _info(req, repo, repo.default("main"))
    if len(rest) == 2 and rest[0] == "revision" and get:
        repo = _repo(req, store, repo_type, repo_id)
        return _info(req, repo, _commit(repo, rest[1]))
    if len(rest) >= 2 and rest[0] == "tree" and get:
        repo = _repo(req, store, repo_type, repo_id)
        return _tree(req, repo, _commit(repo, rest[1]), "/".join(rest[2:]), page_size, emulation)
    if rest == ("refs",) and get:
        return _refs(req, _repo(req, store, repo_type, repo_id))
    if len(rest) == 2 and rest[0] == "paths-info" and req.method == "POST":
        repo = _repo(req, store, repo_type, repo_id)
        return _paths_info(req, repo, _commit(repo, rest[1]), emulation)
    return None


def _repo(req: Request, store: RepoStore, repo_type: str, repo_id: str) -> RepoView:
    """The repo, or the real hub's answers: RepoNotFound (401 to an anonymous caller, who cannot tell a missing
    repo from a private one; 404 with a token), 401 for a private repo without its token."""
    try:
        repo = store.repo(repo_id, repo_type)
    except RepoNotFound:
        if not req.headers.get("Authorization"):
            raise Reject(error(401, "RepoNotFound", "Invalid username or password.")) from None
        raise Reject(error(404, "RepoNotFound", "Repository not found")) from None
    if repo.token is not None and repo.token not in req.credentials():
        if req.headers.get("Authorization"):
            raise Reject(error(401, None, "Invalid credentials in Authorization header"))
        raise Reject(error(401, "RepoNotFound", "Invalid username or password."))
    return repo


def _commit(repo: RepoView, revision: str) -> Commit:
    try:
        return repo.resolve(revision)
    except RevisionNotFound:
        raise Reject(error(404, "RevisionNotFound", f"Invalid rev id: {revision}")) from None


def _info(req: Request, repo: RepoView, commit: Commit) -> Response:
    blobs = req.flag("blobs")
    siblings = []
    for f in commit.files:
        sibling: dict = {"rfilename": f.path}
        if blobs:
            sibling |= {"size": f.size, "blobId": f.blob_id}
            if f.lfs:
                sibling["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": f.pointer_size}
        siblings.append(sibling)
    owner = repo.repo_id.split("/")[0]
    return json_response(
        200,
        {
            "_id": commit.sha[:24],
            "id": repo.repo_id,
            "author": owner,
            "sha": commit.sha,
            "lastModified": iso(commit.created_at),
            "createdAt": iso(repo.created_at),
            "private": repo.token is not None,
            "gated": "auto" if repo.gated else False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": siblings,
            "usedStorage": sum(f.size for f in commit.files),
        },
    )


def tree_entry(
    repo: RepoView, commit: Commit, entry: ServedFile | ServedDir, expand: bool, xet_only: frozenset[str] = frozenset()
) -> dict:
    """A `/tree` or `paths-info` entry; for LFS files `oid` is the pointer's git sha1 and `xetHash` is set, as on
    the hub today. A path in `xet_only` is listed with `xetHash` and no `lfs` (HF Buckets list files so)."""
    if isinstance(entry, ServedDir):
        out: dict = {"type": "directory", "oid": entry.tree_id, "size": 0, "path": entry.path}
    else:
        out = {"type": "file", "oid": entry.blob_id, "size": entry.size, "path": entry.path}
        if entry.lfs and entry.path not in xet_only:
            out["lfs"] = {"oid": entry.sha256, "size": entry.size, "pointerSize": entry.pointer_size}
        if entry.lfs:
            out["xetHash"] = hashlib.sha256(b"xet-merkle:" + entry.sha256.encode()).hexdigest()
    if expand:
        last = repo.last_change(commit, entry.path)
        out["lastCommit"] = {"id": last.sha, "title": last.message, "date": iso(last.created_at)}
    return out


def _tree(req: Request, repo: RepoView, commit: Commit, root: str, page_size: int, emulation: HfEmulation) -> Response:
    recursive, expand = req.flag("recursive"), req.flag("expand")
    try:
        entries = commit.entries(root, recursive)
    except KeyError:
        raise Reject(
            error(404, "EntryNotFound", f"{root} does not exist on {commit.sha}", ("X-Repo-Commit", commit.sha))
        ) from None
    headers: tuple[tuple[str, str], ...] = ()
    if page_size:
        cursor = req.param("cursor") or "0"
        if not cursor.isdigit():
            return error(400, None, "Invalid cursor")
        start = int(cursor)
        if start + page_size < len(entries):
            query = urlencode({**{k: v[0] for k, v in req.query.items()}, "cursor": start + page_size})
            next_url = f"{_link_base(req, emulation)}{req.target.partition('?')[0]}?{query}"
            headers = (("Link", f'<{next_url}>; rel="next"'),)
        entries = entries[start : start + page_size]
    return json_response(200, [tree_entry(repo, commit, e, expand, emulation.xet_only) for e in entries], headers)


def _link_base(req: Request, emulation: HfEmulation) -> str:
    """Where next-page links point: this origin (HF), huggingface.co (hf-mirror passes HF's link through
    unrewritten), or nowhere (a relative link, as some proxies rewrite it)."""
    if emulation.link_style == "foreign":
        return emulation.foreign_origin
    return "" if emulation.link_style == "relative" else req.base_url


def _refs(req: Request, repo: RepoView) -> Response:
    def ref(kind: str, name: str, commit: str) -> dict:
        full = name if name.startswith("refs/") else f"refs/{kind}/{name}"
        return {"name": name, "ref": full, "targetCommit": commit}

    branches = [r for r in repo.branches if not r.name.startswith("refs/pr/")]
    body: dict = {
        "branches": [ref("heads", r.name, r.commit) for r in branches],
        "tags": [ref("tags", r.name, r.commit) for r in repo.tags],
        "converts": [],
    }
    if req.flag("include_prs"):
        prs = [r for r in repo.branches if r.name.startswith("refs/pr/")]
        body["pullRequests"] = [ref("pr", r.name, r.commit) for r in prs]
    return json_response(200, body)


def _paths_info(req: Request, repo: RepoView, commit: Commit, emulation: HfEmulation) -> Response:
    form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
    expand = form.get("expand", [""])[0].lower() in ("1", "true")
    out = []
    for raw in form.get("paths", []):
        path = raw.strip("/")
        file = commit.file(path)
        if file is not None:
            out.append(tree_entry(repo, commit, file, expand, emulation.xet_only))
        elif path and path in commit.tree_ids:
            out.append(tree_entry(repo, commit, ServedDir(path, commit.tree_ids[path]), expand))
    return json_response(200, out)


def _resolve(
    req: Request, store: RepoStore, repo_type: str, repo_id: str, revision: str, path: str, *, cached: bool
) -> Response | None:
    if req.method not in ("GET", "HEAD"):
        return None
    repo = _repo(req, store, repo_type, repo_id)
    if repo.gated:
        raise Reject(
            error(
                401,
                "GatedRepo",
                f"Access to {repo_type} {repo_id} is restricted. You must have access "
                "to it and be authenticated to access it. Please log in.",
            )
        )
    commit = _commit(repo, revision)
    file = commit.file(path)
    if file is None:
        raise Reject(error(404, "EntryNotFound", "Entry not found", ("X-Repo-Commit", commit.sha)))
    pinned = (("X-Repo-Commit", commit.sha),)
    if file.lfs:
        return redirect(
            302,
            blob_location(req, "cdn", repo_id, file),
            (
                *pinned,
                ("X-Linked-Etag", f'"{file.sha256}"'),
                ("X-Linked-Size", str(file.size)),
                ("ETag", f'"{file.pointer_sha1}"'),
            ),
        )
    etag = (("ETag", f'"{file.git_sha1}"'),)
    if not cached and revision != commit.sha:
        prefix = "datasets/" if repo_type == "dataset" else ""
        origin = urlencode({f"/{prefix}{repo_id}/resolve/{revision}/{path}": "", "etag": f'"{file.git_sha1}"'})
        location = f"/api/resolve-cache/{repo_type}s/{repo_id}/{commit.sha}/{quote(path)}?{origin}"
        return redirect(307, location, (*pinned, *etag))
    return file_response(file, req.headers.get("Range"), (*pinned, *etag))
