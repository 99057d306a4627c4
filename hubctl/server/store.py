"""Repositories the loopback hub serves: commits, refs, and the three hashes each file is advertised under.

Hashes follow git and git-lfs exactly (blob sha1, pointer sha1, sha256, tree and commit objects), so the
official clients and hubctl's verifier see the same identifiers a real hub would give them, and commit
shas are stable across runs and machines for the same content.

The server imports nothing from hubctl's client: its hashing is written apart from `scan.py` and
`hashing.py` on purpose, since it is the reference the client is tested against, and a shared bug would
pass every test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

LFS_SUFFIXES = frozenset(
    {".safetensors", ".bin", ".gguf", ".pt", ".pth", ".onnx", ".h5", ".msgpack", ".model", ".ckpt"}
)
DEFAULT_BRANCHES = ("main", "master")
REPO_TYPES = ("model", "dataset")
_BLOCK = 8 << 20
# Fixed author date: commit shas must depend on content and parent only, never on when the store was built.
_COMMIT_EPOCH = 1_700_000_000
# Folder metadata that is not repo content (a git checkout, or HF's local_dir bookkeeping).
_SKIPPED_DIRS = (".git", ".cache/huggingface")

_hash_lock = threading.Lock()
# Shared by every store in the process, so tests and benchmarks that rebuild stores over the same big
# folder hash each file once; mtime_ns and size in the key make a changed file miss.
_hash_cache: dict[tuple[str, int, int], tuple[int, str, str]] = {}


class RepoNotFound(KeyError):
    """No repo with that id (and type) is served."""


class RevisionNotFound(KeyError):
    """The repo has no branch, tag or commit matching the revision."""


def git_object_sha1(kind: str, payload: bytes) -> str:
    """sha1 of a git object (`blob`, `tree`, `commit`) with its `<kind> <len>\\0` header."""
    return hashlib.sha1(f"{kind} {len(payload)}\0".encode() + payload).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The git-lfs pointer file that git stores in place of an LFS file's bytes."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def hash_bytes(data: bytes) -> tuple[str, str]:
    """(sha256, git blob sha1) of in-memory content."""
    return hashlib.sha256(data).hexdigest(), git_object_sha1("blob", data)


def hash_file(path: Path) -> tuple[int, str, str]:
    """(size, sha256, git blob sha1) of a file in one streamed pass, cached by (path, size, mtime_ns)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _hash_lock:
        cached = _hash_cache.get(key)
    if cached:
        return cached
    sha256 = hashlib.sha256()
    sha1 = hashlib.sha1(f"blob {st.st_size}\0".encode())
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            sha256.update(block)
            sha1.update(block)
    result = (st.st_size, sha256.hexdigest(), sha1.hexdigest())
    with _hash_lock:
        _hash_cache[key] = result
    return result


@dataclass(frozen=True)
class ServedFile:
    """One file of one commit, with every identifier either protocol advertises for it."""

    path: str
    size: int
    sha256: str
    git_sha1: str
    lfs: bool
    pointer_sha1: str
    source: Path

    @property
    def pointer_size(self) -> int:
        return len(lfs_pointer(self.sha256, self.size))

    @property
    def blob_id(self) -> str:
        """What git stores for this path: the pointer's sha1 for LFS files, the content's otherwise."""
        return self.pointer_sha1 if self.lfs else self.git_sha1


@dataclass(frozen=True)
class ServedDir:
    """A directory of a commit; `tree_id` is its git tree sha1."""

    path: str
    tree_id: str


@dataclass(frozen=True)
class Commit:
    """An immutable snapshot: files sorted by path, a git-style sha over its tree and parent."""

    sha: str
    parent: str | None
    files: tuple[ServedFile, ...]
    message: str
    created_at: float  # wall-clock time it was added; served as the commit date, not part of the sha

    @cached_property
    def by_path(self) -> dict[str, ServedFile]:
        return {f.path: f for f in self.files}

    @cached_property
    def tree_ids(self) -> dict[str, str]:
        """Git tree sha1 of every directory ("" is the root)."""
        return _tree_ids(self.files)

    def file(self, path: str) -> ServedFile | None:
        return self.by_path.get(path)

    def oid(self, path: str) -> str | None:
        """Blob or tree id of a path, or None when the commit has no such path."""
        f = self.by_path.get(path)
        return f.blob_id if f else self.tree_ids.get(path)

    def entries(self, root: str, recursive: bool) -> list[ServedFile | ServedDir]:
        """Files and directories under `root` ("" = repo root), sorted by path; KeyError if no such dir."""
        if root not in self.tree_ids:
            raise KeyError(root)
        prefix = f"{root}/" if root else ""
        out: list[ServedFile | ServedDir] = [
            ServedDir(d, tid) for d, tid in self.tree_ids.items() if d and d.startswith(prefix)
        ]
        out += [f for f in self.files if f.path.startswith(prefix)]
        if not recursive:
            out = [e for e in out if "/" not in e.path[len(prefix) :]]
        return sorted(out, key=lambda e: e.path)


@dataclass(frozen=True)
class Ref:
    name: str
    commit: str
    created_at: float


@dataclass(frozen=True)
class RepoView:
    """A consistent snapshot of one repo, taken under the store lock, for one request to work on."""

    repo_id: str
    repo_type: str
    commits: Mapping[str, Commit]
    branches: tuple[Ref, ...]
    tags: tuple[Ref, ...]
    head: Commit  # the latest commit added
    created_at: float
    gated: bool
    token: str | None
    unhashed: frozenset[str] = frozenset()  # paths ModelScope lists with an empty Sha256 (set_unhashed)

    def resolve(self, revision: str) -> Commit:
        """Branch, then tag, then full sha, then a unique sha prefix of at least 7 hex digits."""
        for ref in (*self.branches, *self.tags):
            if ref.name == revision:
                return self.commits[ref.commit]
        rev = revision.lower()
        if rev in self.commits:
            return self.commits[rev]
        if 7 <= len(rev) < 40 and all(c in "0123456789abcdef" for c in rev):
            found = [c for sha, c in self.commits.items() if sha.startswith(rev)]
            if len(found) == 1:
                return found[0]
        raise RevisionNotFound(f"{self.repo_id} has no revision {revision!r}")

    def default(self, preferred: str) -> Commit:
        """The protocol's default branch (HF main, ModelScope master), else the latest commit."""
        try:
            return self.resolve(preferred)
        except RevisionNotFound:
            return self.head

    def last_change(self, commit: Commit, path: str) -> Commit:
        """The oldest ancestor of `commit` whose chain up to `commit` left `path` unchanged."""
        oid = commit.oid(path)
        while commit.parent is not None:
            parent = self.commits[commit.parent]
            if parent.oid(path) != oid:
                break
            commit = parent
        return commit


@dataclass
class _Repo:
    """Mutable per-repo state; only touched under RepoStore._lock."""

    repo_type: str
    created_at: float
    head: Commit
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, Ref] = field(default_factory=dict)
    tags: dict[str, Ref] = field(default_factory=dict)


class RepoStore:
    """Every repo the hub serves; thread-safe, so commits can be added while a server is running."""

    def __init__(self, lfs_threshold: int = 1 << 20) -> None:
        self.lfs_threshold = lfs_threshold
        self._lock = threading.Lock()
        self._repos: dict[str, _Repo] = {}
        self._blobs: dict[str, ServedFile] = {}
        self._gated: set[str] = set()
        self._tokens: dict[str, str] = {}
        self._unhashed: dict[str, frozenset[str]] = {}
        self._tmp: Path | None = None

    def __enter__(self) -> RepoStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the bytes written by add_files."""
        with self._lock:
            tmp, self._tmp = self._tmp, None
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    def is_lfs(self, path: str, size: int) -> bool:
        return size >= self.lfs_threshold or PurePosixPath(path).suffix.lower() in LFS_SUFFIXES

    def add_folder(
        self,
        repo_id: str,
        folder: Path,
        *,
        branches: Iterable[str] = DEFAULT_BRANCHES,
        tags: Iterable[str] = (),
        repo_type: str = "model",
        message: str = "Upload folder",
        created_at: float | None = None,
    ) -> Commit:
        """Serve `folder` as a new commit whose files are exactly the folder's (git/HF metadata skipped)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise NotADirectoryError(folder)
        sources = {p.relative_to(folder).as_posix(): p for p in _walk(folder)}
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            hashes = dict(zip(sources, pool.map(hash_file, sources.values()), strict=True))
        files = [self._served(path, src, *hashes[path]) for path, src in sources.items()]
        return self._commit(repo_id, repo_type, files, None, branches, tags, message, created_at)

    def add_files(
        self,
        repo_id: str,
        files: Mapping[str, bytes],
        *,
        branches: Iterable[str] = DEFAULT_BRANCHES,
        tags: Iterable[str] = (),
        repo_type: str = "model",
        remove: Iterable[str] = (),
        message: str = "Upload files",
        created_at: float | None = None,
    ) -> Commit:
        """Commit `files` on top of the repo's latest commit: they add or replace paths, `remove` deletes."""
        served = []
        for path, data in files.items():
            path = _clean_path(path)
            sha256, git_sha1 = hash_bytes(data)
            source = self._tmp_dir() / sha256
            if not source.exists():
                source.write_bytes(data)
            served.append(self._served(path, source, len(data), sha256, git_sha1))
        drop = {_clean_path(p) for p in remove}
        return self._commit(repo_id, repo_type, served, drop, branches, tags, message, created_at)

    def set_gated(self, repo_id: str) -> None:
        """Downloads of the repo answer 401 GatedRepo (metadata stays readable, as on the real hub)."""
        with self._lock:
            self._gated.add(repo_id)

    def require_token(self, repo_id: str, token: str) -> None:
        """Every request for the repo must carry this token (Bearer header or ModelScope session cookie)."""
        with self._lock:
            self._tokens[repo_id] = token

    def set_unhashed(self, repo_id: str, paths: Iterable[str]) -> None:
        """ModelScope listings give these paths an empty `Sha256` (as the live hub may, e.g. for files still
        in review); their bytes then carry their hash only in the storage's `X-Linked-ETag`."""
        with self._lock:
            self._unhashed[repo_id] = frozenset(paths)

    def repo(self, repo_id: str, repo_type: str | None = None) -> RepoView:
        with self._lock:
            repo = self._repos.get(repo_id)
            if repo is None or (repo_type and repo.repo_type != repo_type):
                raise RepoNotFound(f"no {repo_type or 'repo'} {repo_id!r}")
            return RepoView(
                repo_id=repo_id,
                repo_type=repo.repo_type,
                commits=dict(repo.commits),
                branches=tuple(repo.branches.values()),
                tags=tuple(repo.tags.values()),
                head=repo.head,
                created_at=repo.created_at,
                gated=repo_id in self._gated,
                token=self._tokens.get(repo_id),
                unhashed=self._unhashed.get(repo_id, frozenset()),
            )

    def resolve(self, repo_id: str, revision: str, repo_type: str | None = None) -> Commit:
        return self.repo(repo_id, repo_type).resolve(revision)

    def blob(self, sha256: str) -> ServedFile | None:
        """Any served file with this content, for the content-addressed CDN origin."""
        with self._lock:
            return self._blobs.get(sha256)

    def _served(self, path: str, source: Path, size: int, sha256: str, git_sha1: str) -> ServedFile:
        pointer_sha1 = git_object_sha1("blob", lfs_pointer(sha256, size))
        return ServedFile(path, size, sha256, git_sha1, self.is_lfs(path, size), pointer_sha1, source)

    def _tmp_dir(self) -> Path:
        with self._lock:
            if self._tmp is None:
                self._tmp = Path(tempfile.mkdtemp(prefix="hubctl-hub-"))
            return self._tmp

    def _commit(
        self,
        repo_id: str,
        repo_type: str,
        files: list[ServedFile],
        remove: set[str] | None,
        branches: Iterable[str],
        tags: Iterable[str],
        message: str,
        created_at: float | None,
    ) -> Commit:
        """Commit `files` as a child of the head and move the refs. The head's files are kept, minus
        `remove`; remove=None starts from an empty tree (a folder snapshot)."""
        _check_repo(repo_id, repo_type)
        now = time.time() if created_at is None else created_at
        with self._lock:
            repo = self._repos.get(repo_id)
            if repo is not None and repo.repo_type != repo_type:
                raise ValueError(f"{repo_id} is a {repo.repo_type} repo, not a {repo_type}")
            parent = repo.head.sha if repo else None
            keep = repo.head.files if repo and remove is not None else ()
            tree = {f.path: f for f in keep if f.path not in (remove or ())}
            tree.update((f.path, f) for f in files)
            ordered = tuple(sorted(tree.values(), key=lambda f: f.path))
            commit = Commit(_commit_sha(_tree_ids(ordered)[""], parent, message), parent, ordered, message, now)
            if repo is None:
                repo = self._repos[repo_id] = _Repo(repo_type, now, commit)
            repo.head = commit
            repo.commits[commit.sha] = commit
            for name in branches:
                repo.branches[name] = Ref(name, commit.sha, now)
            for name in tags:
                repo.tags[name] = Ref(name, commit.sha, now)
            for f in ordered:
                self._blobs.setdefault(f.sha256, f)
        return commit


def _check_repo(repo_id: str, repo_type: str) -> None:
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts) or any(p in (".", "..") for p in parts):
        raise ValueError(f"repo id must be 'owner/name', got {repo_id!r}")
    if repo_type not in REPO_TYPES:
        raise ValueError(f"repo_type must be one of {REPO_TYPES}, got {repo_type!r}")


def _clean_path(path: str) -> str:
    parts = path.split("/")
    if not path or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a relative repo path: {path!r}")
    return path


def _walk(folder: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):  # symlinked files are served, symlinked dirs not
        rel = Path(dirpath).relative_to(folder).as_posix()
        dirnames[:] = sorted(d for d in dirnames if (d if rel == "." else f"{rel}/{d}") not in _SKIPPED_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_file():
                yield path


def _tree_ids(files: Iterable[ServedFile]) -> dict[str, str]:
    """Git tree sha1 of every directory, computed bottom-up from blob ids like `git write-tree`."""
    children: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    dirs = {""}
    for f in files:
        parent, _, name = f.path.rpartition("/")
        children[parent].append(("100644", name, f.blob_id))
        while parent:
            dirs.add(parent)
            parent = parent.rpartition("/")[0]
    ids: dict[str, str] = {}
    for d in sorted(dirs, key=lambda d: d.count("/") + 1 if d else 0, reverse=True):
        # git orders entries by name, with a tree's name compared as if it ended in "/".
        entries = sorted(children[d], key=lambda e: e[1] + ("/" if e[0] == "40000" else ""))
        payload = b"".join(f"{mode} {name}".encode() + b"\0" + bytes.fromhex(oid) for mode, name, oid in entries)
        ids[d] = git_object_sha1("tree", payload)
        if d:
            parent, _, name = d.rpartition("/")
            children[parent].append(("40000", name, ids[d]))
    return ids


def _commit_sha(tree: str, parent: str | None, message: str) -> str:
    who = f"hubctl <hubctl@localhost> {_COMMIT_EPOCH} +0000"
    header = f"tree {tree}\n" + (f"parent {parent}\n" if parent else "")
    return git_object_sha1("commit", f"{header}author {who}\ncommitter {who}\n\n{message}\n".encode())
