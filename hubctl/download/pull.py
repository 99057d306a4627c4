"""`hubctl pull`: list a revision on the first endpoint that answers, fetch every selected file through the
verified download path, and write the manifest last, only when every file is verified.

Safe for several processes pulling into one folder (CI jobs, nodes on shared storage): a per-file lease
means each file is fetched once; busy files are retried after the others, with a bounded wait. A holder
that loses its lease (paused past the stale limit) stops at its next write or before its final rename
(partial.py's fence) and retries the file like a busy one, so it never replaces what its successor verified.

The listing (or lockfile) is untrusted: before the first byte is written, every name is checked (safe,
relative, fits the file system), the same path listed twice is merged when the content is the same and
refused (exit 6) when not, a file that is also another's folder is refused, and a file without a valid hash
is failed without touching the disk: unhashed bytes are never accepted, present or downloaded.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import os
import shutil
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hubctl.constants import STATE_DIR
from hubctl.download.auth import check_token_to, credentials, find_token, note_withheld
from hubctl.download.http import Session, TransientError
from hubctl.download.locks import Lease
from hubctl.download.partial import LeaseLost, partial_path, set_fence
from hubctl.download.patterns import select
from hubctl.download.sources.base import HubSource, RemoteFile, Snapshot, get_source
from hubctl.download.transfer import Cancelled, Candidate, FileResult, Options, download
from hubctl.errors import (
    HubctlError,
    IntegrityError,
    LocalIOError,
    LockTimeoutError,
    NetworkError,
    NotFoundError,
    most_telling,
)
from hubctl.integrity.hashing import is_git_sha1, is_sha256
from hubctl.integrity.manifest import (
    Manifest,
    ManifestFile,
    default_path,
    write_manifest,
)
from hubctl.integrity.safepath import (
    check_fits,
    check_remote_path,
    check_state,
    check_tree,
    local_path,
)
from hubctl.integrity.scan import hash_path
from hubctl.integrity.stamps import Stamp, StampLog, read_index, valid_stamp
from hubctl.progress import Progress, Silent, human_size
from hubctl.redact import clean, redact_url
from hubctl.settings import Settings, current


@dataclass(frozen=True)
class PullRequest:
    repo: str
    source: str
    dest: Path
    endpoints: tuple[str, ...]
    revision: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    token: str | None = None
    workers: int = field(default_factory=lambda: current().workers)
    connections: int = field(default_factory=lambda: current().connections)
    lock_wait: float = field(default_factory=lambda: current().lock_wait)
    manifest_out: Path | None = None
    fsync: bool = False
    token_to: tuple[str, ...] = ()  # origins the user allows to receive the token besides the hub's own (auth.py)
    repo_type: str = "model"  # or "dataset"
    settings: Settings = field(default_factory=current)


@dataclass(frozen=True)
class FailedFile:
    path: str
    size: int
    error: HubctlError


@dataclass(frozen=True)
class PullReport:
    repo: str
    source: str
    revision: str
    commit: str
    dest: Path
    listing_endpoint: str
    files: tuple[FileResult, ...]
    failed: tuple[FailedFile, ...]
    seconds: float
    manifest: Path | None

    @property
    def bytes_fetched(self) -> int:
        return sum(f.bytes_fetched for f in self.files)

    def bytes_by_endpoint(self) -> dict[str, int]:
        """Body bytes each endpoint delivered (issue 20: shows which files a mirror served)."""
        out: dict[str, int] = {}
        for f in self.files:
            if f.endpoint and f.bytes_fetched:
                name = redact_url(f.endpoint)
                out[name] = out.get(name, 0) + f.bytes_fetched
        return out

    @property
    def ok(self) -> bool:
        return not self.failed

    def error(self) -> HubctlError | None:
        """The pull's exit reason: the most telling per-file failure, with a count."""
        if not self.failed:
            return None
        worst = most_telling([f.error for f in self.failed])  # messages already clean (errors.py)
        more = (
            f" ({len(self.failed)} of {len(self.files) + len(self.failed)} files failed)"
            if len(self.failed) > 1
            else ""
        )
        return type(worst)(worst.message + more)

    def to_dict(self) -> dict:
        failed = [
            {
                "path": f.path,
                "size": f.size,
                "status": "failed",
                "exit_code": int(f.error.exit_code),
                "error": f.error.message,
            }
            for f in self.failed
        ]
        files = [
            {
                "path": f.path,
                "size": f.size,
                "sha256": f.sha256,
                "endpoint": redact_url(f.endpoint) if f.endpoint else None,
                "status": f.status,
                "bytes_fetched": f.bytes_fetched,
                **({"recovered_from": [clean(x) for x in f.failures]} if f.failures else {}),
            }
            for f in self.files
        ]
        return {
            "ok": self.ok,
            "repo": self.repo,
            "source": self.source,
            "revision": self.revision,
            "commit": self.commit,
            "dest": str(self.dest),
            "listing_endpoint": redact_url(self.listing_endpoint) if self.listing_endpoint else None,
            "manifest": str(self.manifest) if self.manifest else None,
            "files": sorted(files + failed, key=lambda f: f["path"]),
            "bytes_fetched": self.bytes_fetched,
            "bytes_by_endpoint": self.bytes_by_endpoint(),
            "seconds": round(self.seconds, 3),
        }


def list_snapshot(
    source: HubSource, session: Session, endpoints: tuple[str, ...], repo: str, revision: str
) -> tuple[Snapshot, str]:
    """The snapshot from the first endpoint that can list it, and that endpoint."""
    errors: list[HubctlError] = []
    for endpoint in endpoints:
        try:
            return source.snapshot(session, endpoint, repo, revision), endpoint
        except TransientError as err:
            errors.append(NetworkError(f"{repo}: {err}"))
        except HubctlError as err:  # a mirror may lack the repo, or refuse: try the next one
            errors.append(err)
    raise most_telling(errors)


class _Health:
    """Endpoints that exhausted their retries go to the back of the line for the following files."""

    def __init__(self, endpoints: tuple[str, ...]) -> None:
        self.endpoints = endpoints
        self.down: set[str] = set()

    def ranked(self) -> list[str]:
        return sorted(self.endpoints, key=lambda e: e in self.down)

    def record(self, endpoint: str, error: HubctlError) -> None:
        if isinstance(error, NetworkError):
            self.down.add(endpoint)


class _Scheduler:
    """Work queue that lets a file locked by another process come back later, after the free ones."""

    def __init__(self, files: list[RemoteFile]) -> None:
        self._heap = [(0.0, i, f) for i, f in enumerate(files)]
        self._count = itertools.count(len(files))
        self._inflight = 0
        self._cv = threading.Condition()
        self.stopped = False

    def get(self) -> RemoteFile | None:
        with self._cv:
            while not self.stopped:
                if self._heap:
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        self._inflight += 1
                        return heapq.heappop(self._heap)[2]
                    self._cv.wait(wait)
                elif self._inflight == 0:
                    return None
                else:
                    self._cv.wait()
            return None

    def done(self, retry: RemoteFile | None = None, delay: float = 0.0) -> None:
        with self._cv:
            self._inflight -= 1
            if retry is not None:
                heapq.heappush(self._heap, (time.monotonic() + delay, next(self._count), retry))
            self._cv.notify_all()

    def stop(self) -> None:
        with self._cv:
            self.stopped = True
            self._cv.notify_all()


def _lock_path(dest: Path, path: str) -> Path:
    return dest / STATE_DIR / "locks" / (hashlib.sha256(path.encode()).hexdigest()[:32] + ".lock")


def present(dest: Path, remote: RemoteFile, index: dict[str, Stamp], stamps: StampLog) -> FileResult | None:
    """The file under its final name, if it already has the expected content: a stamp still valid (in the
    folder's `index` with the pull logs, or an older per-file stamp), or else a re-hash (recorded in `stamps`)."""
    if not _has_valid_hash(remote):
        return None  # nothing to check the bytes against: never accepted
    final = dest / remote.path
    try:
        st = os.lstat(final)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size != remote.size:
        return None
    stamp = valid_stamp(dest, remote.path, st, index)
    if stamp is None:
        digests = hash_path(final, git_sha1=remote.git_sha1 is not None)
        if (remote.sha256 and digests.sha256 != remote.sha256) or (
            remote.git_sha1 and digests.git_sha1 != remote.git_sha1
        ):
            return None
        stamps.record(remote.path, digests.sha256, digests.git_sha1 or None)
        sha256, git_sha1 = digests.sha256, digests.git_sha1 or None
    else:
        if (remote.sha256 and stamp.sha256 != remote.sha256) or (remote.git_sha1 and stamp.git_sha1 != remote.git_sha1):
            return None
        sha256, git_sha1 = stamp.sha256, stamp.git_sha1
    return FileResult(remote.path, remote.size, sha256, git_sha1, None, "present", 0)


def _partial_bytes(dest: Path, remote: RemoteFile) -> int:
    ppath = partial_path(dest / remote.path, remote.sha256 or remote.git_sha1 or "")
    try:
        st = ppath.stat()
    except OSError:
        return 0
    return min(st.st_blocks * 512, st.st_size, remote.size)


def check_space(dest: Path, todo: list[RemoteFile], margin: int) -> None:
    """Fail before the first byte if the snapshot cannot fit (partials already on disk count as fetched)."""
    needed = sum(f.size - _partial_bytes(dest, f) for f in todo)
    probe = dest
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if needed + margin > free:
        raise LocalIOError(
            f"not enough disk space in {dest}: {human_size(needed)} still to download"
            f" (+{human_size(margin)} margin), {human_size(free)} free"
        )


@dataclass
class _Run:
    request: PullRequest
    source: HubSource
    session: Session
    snapshot: Snapshot
    progress: Progress
    options: Options
    health: _Health
    results: list[FileResult] = field(default_factory=list)
    failed: list[FailedFile] = field(default_factory=list)
    fatal: list[HubctlError] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    index: dict[str, Stamp] = field(default_factory=dict)  # the folder's stamp index, read once
    stamps: StampLog | None = None  # this pull's stamp log (stamps.py), folded into the index at the end

    def candidates(self, remote: RemoteFile) -> list[Candidate]:
        return [Candidate(e, self.source.file_url(e, self.snapshot, remote.path)) for e in self.health.ranked()]

    def fetch_one(self, remote: RemoteFile, waited: dict[str, float]) -> float | None:
        """Download one file under its lease; return a retry delay if another process holds it."""
        dest = self.request.dest
        final = local_path(dest, remote.path)
        lease = Lease(_lock_path(dest, remote.path), settings=self.request.settings)
        if not lease.try_acquire():
            first = waited.setdefault(remote.path, time.monotonic())
            waiting = time.monotonic() - first
            if waiting > self.request.lock_wait:
                raise LockTimeoutError(
                    f"{remote.path}: still locked by {lease.describe_holder()} after {waiting:.0f} s"
                    " (HUBCTL_LOCK_WAIT / --lock-timeout)"
                )
            if int(waiting) // 10 != int(waiting + 0.5) // 10:  # report about every 10 s of waiting
                self.progress.note(f"waiting for {remote.path}: locked by {lease.describe_holder()} ({waiting:.0f} s)")
            return 0.5
        ppath = partial_path(final, remote.sha256 or remote.git_sha1 or "")
        set_fence(ppath, lease.still_held)
        try:
            result = present(dest, remote, self.index, self.stamps)
            if result is None:
                self.progress.file_started(remote.path)
                result = download(  # the partial creates the file's folder if it is missing
                    self.session,
                    remote,
                    final,
                    self.candidates(remote),
                    self.options,
                    self.progress.advance,
                    self.health.record,
                )
                self.stamps.record(remote.path, result.sha256, result.git_sha1)
            else:
                self.progress.advance(remote.size)
        except LeaseLost:
            self.progress.file_done(remote.path)
            self.progress.note(f"{remote.path}: lease taken over by {lease.describe_holder()}; will check it again")
            return 1.0
        finally:
            set_fence(ppath, None)
            lease.release()
        with self.lock:
            self.results.append(result)
        self.progress.file_done(remote.path, result)
        return None


def pinned_files(
    pinned: Manifest, source: HubSource, session: Session, request: PullRequest
) -> tuple[Snapshot, str, list[RemoteFile]]:
    """What a lockfile pins, and where to fetch it.

    Same hub and no --revision: exactly the pinned commit (file URLs need no listing). Otherwise (the other
    hub, a mirror with its own commits, a local `hubctl serve`): list the given revision there and refuse
    early any file that copy lacks or lists with other content; bytes are checked against the lockfile anyway.
    """
    wanted = [
        RemoteFile(f.path, f.size, f.sha256, f.git_sha1, lfs=False, hash_source=f.hash_source) for f in pinned.files
    ]
    if request.revision is None and request.source == pinned.source and pinned.commit:
        return Snapshot(source.name, request.repo, pinned.commit, pinned.commit, ()), request.endpoints[0], wanted
    same_hub = request.source == pinned.source
    revision = request.revision or (pinned.revision if same_hub else None) or source.default_revision
    snapshot, listed_on = list_snapshot(source, session, request.endpoints, request.repo, revision)
    listed = {f.path: f for f in snapshot.files}
    problems: list[HubctlError] = []
    for want in wanted:
        have = listed.get(want.path)
        if have is None:
            problems.append(NotFoundError(f"{want.path}: not in {request.repo}@{snapshot.commit[:12]} on {listed_on}"))
        elif have.size != want.size or (have.sha256 and have.sha256 != want.sha256):
            problems.append(IntegrityError(f"{want.path}: {listed_on} lists other content than the lockfile pins"))
    if problems:
        worst = most_telling(problems)
        more = f" ({len(problems)} files differ or are missing)" if len(problems) > 1 else ""
        raise type(worst)(worst.message + more)
    return snapshot, listed_on, wanted


def pull(request: PullRequest, progress: Progress | None = None, pinned: Manifest | None = None) -> PullReport:
    """Pull a snapshot (or exactly what the `pinned` lockfile lists) into request.dest.

    Per-file failures are in the report; fatal ones (nothing listed, local I/O, lock timeout) raise.
    """
    progress = progress or Silent()
    started = time.monotonic()
    source = get_source(request.source, request.repo_type)
    check_token_to(request.token_to)
    token = find_token(request.source, request.token)
    note_withheld(request.source, token, list(request.endpoints), request.token_to)
    session = Session(credentials(request.source, token, list(request.endpoints), request.token_to), request.settings)
    if pinned is None:
        revision = request.revision or source.default_revision
        snapshot, listed_on = list_snapshot(source, session, request.endpoints, request.repo, revision)
        files = select(snapshot.files, lambda f: f.path, request.include, request.exclude)
        if not files:
            raise NotFoundError(
                f"{request.repo}@{snapshot.commit[:12]}: no file matches the --include/--exclude patterns"
            )
    else:
        snapshot, listed_on, files = pinned_files(pinned, source, session, request)
        revision = snapshot.revision
    if snapshot.unpinned_reason:
        progress.note(f"hubctl: warning: {snapshot.unpinned_reason}")
    files = checked_listing(files)  # only what this pull writes: an odd name elsewhere must not block it
    dest = request.dest
    for remote in files:
        check_fits(dest, remote.path)
    prepare_dest(dest)
    for remote in files:
        local_path(dest, remote.path)
    unhashed = [f for f in files if not (_has_valid_hash(f) or _hash_from_server(f))]
    files = [f for f in files if _has_valid_hash(f) or _hash_from_server(f)]

    index = read_index(dest)
    stamps = StampLog(dest)
    # Only names already on disk are worth a thread (a re-hash); a fresh folder's 3,000 absent names are checked
    # here, since handing each lstat to a pool costs more than the lstat.
    on_disk = [f for f in files if os.path.lexists(dest / f.path)]
    with ThreadPoolExecutor(max(1, request.workers), thread_name_prefix="hubctl-check") as pool:
        checked = list(pool.map(lambda f: (f, present(dest, f, index, stamps)), on_disk))
    listed_on_disk = {id(f) for f in on_disk}
    checked += [(f, None) for f in files if id(f) not in listed_on_disk]
    done = [r for _, r in checked if r is not None]
    # Largest first: the biggest file is the long pole, and small files fill the other workers around it.
    todo = sorted((f for f, r in checked if r is None), key=lambda f: -f.size)
    check_space(dest, todo, request.settings.disk_margin)

    options = Options(connections=max(1, request.connections), fsync=request.fsync, settings=request.settings)
    run = _Run(
        request,
        source,
        session,
        snapshot,
        progress,
        options,
        _Health(request.endpoints),
        results=list(done),
        index=index,
        stamps=stamps,
        failed=[_unhashed(f) for f in unhashed],
    )
    total = sum(f.size for f in files)
    progress.start(total, total - sum(f.size - _partial_bytes(dest, f) for f in todo), len(files))
    try:
        _download_all(run, todo)
    finally:
        progress.close()
        stamps.close()  # one index write per pull, not a stamp file per file

    manifest_path = None
    if not run.failed:
        hash_sources = {f.path: f.hash_source for f in files}
        files_done = tuple(
            ManifestFile(r.path, r.size, r.sha256, r.git_sha1, hash_sources.get(r.path)) for r in run.results
        )
        if pinned is None:
            manifest = Manifest(
                source=request.source,
                repo=request.repo,
                revision=revision,
                commit=snapshot.commit or None,
                files=files_done,
                endpoints=request.endpoints,
                include=request.include,
                exclude=request.exclude,
                repo_type=request.repo_type,
                commit_not_pinned=snapshot.unpinned_reason,
            )
        else:  # the folder is now exactly what the lockfile pins, wherever the bytes came from
            manifest = pinned._replace(files=files_done, endpoints=request.endpoints, created=Manifest.now())
        manifest_path = default_path(dest)
        check_state(dest)
        write_manifest(manifest, manifest_path)
        if request.manifest_out:
            write_manifest(manifest, request.manifest_out)
    return PullReport(
        repo=request.repo,
        source=request.source,
        revision=revision,
        commit=snapshot.commit,
        dest=dest,
        listing_endpoint=listed_on,
        files=tuple(sorted(run.results, key=lambda r: r.path)),
        failed=tuple(sorted(run.failed, key=lambda f: f.path)),
        seconds=time.monotonic() - started,
        manifest=manifest_path,
    )


def _has_valid_hash(remote: RemoteFile) -> bool:
    """A sha256 of 64 hex digits or a git sha1 of 40: anything else cannot prove a byte (and must not name a file)."""
    sha256_ok, sha1_ok = is_sha256(remote.sha256), is_git_sha1(remote.git_sha1)
    bad = (remote.sha256 is not None and not sha256_ok) or (remote.git_sha1 is not None and not sha1_ok)
    return (sha256_ok or sha1_ok) and not bad


def _hash_from_server(remote: RemoteFile) -> bool:
    """An LFS entry listed with no hash at all (Hugging Face's xet-only entries): transfer.py takes its sha256
    from the hub's X-Linked-Etag before the first byte, or fails the file; it is never present() without one."""
    return remote.lfs and remote.sha256 is None and remote.git_sha1 is None


def _unhashed(remote: RemoteFile) -> FailedFile:
    reason = "gives no hash" if remote.sha256 is None and remote.git_sha1 is None else "gives a malformed hash"
    error = IntegrityError(f"{remote.path}: the listing {reason}, so its bytes cannot be verified (not downloaded)")
    return FailedFile(remote.path, remote.size, error)


def checked_listing(files) -> tuple[RemoteFile, ...]:
    """The listing with safe names, each path once: the same path with the same content is merged, with
    other content refused (which one is right?), and a file that is also another's folder is refused."""
    by_path: dict[str, RemoteFile] = {}
    for remote in files:
        check_remote_path(remote.path)
        seen = by_path.setdefault(remote.path, remote)
        if (seen.size, seen.sha256, seen.git_sha1) != (remote.size, remote.sha256, remote.git_sha1):
            raise IntegrityError(f"the listing names {remote.path!r} twice with different content; refusing it")
    check_tree(by_path)
    return tuple(by_path.values())


def prepare_dest(dest: Path) -> None:
    """Create dest and its `.hubctl/` state folder, refusing state reached through a symlink (exit 7)."""
    try:
        dest.mkdir(parents=True, exist_ok=True)
        check_state(dest)
        (dest / STATE_DIR).mkdir(exist_ok=True)
        check_state(dest)
    except OSError as err:
        raise LocalIOError(f"cannot write in {dest}: {err.strerror or err}") from err


def _os_error(path: str, err: OSError) -> LocalIOError:
    where = err.filename or path
    return LocalIOError(f"{path}: cannot write {where}: {err.strerror or err}")


def _download_all(run: _Run, todo: list[RemoteFile]) -> None:
    """Fetch files on a worker pool; local I/O errors stop everything, others fail only their file."""
    scheduler = _Scheduler(todo)
    waited: dict[str, float] = {}

    def worker() -> None:
        while (remote := scheduler.get()) is not None:
            retry = None
            try:
                retry = run.fetch_one(remote, waited)
            except Cancelled:
                pass
            except (LocalIOError, LockTimeoutError) as err:
                run.fatal.append(err)
                run.options.cancel.set()
                scheduler.stop()
            except OSError as err:  # the local file system refused (permissions, a name too long, ...)
                run.fatal.append(_os_error(remote.path, err))
                run.options.cancel.set()
                scheduler.stop()
            except HubctlError as err:
                with run.lock:
                    run.failed.append(FailedFile(remote.path, remote.size, err))
                run.progress.file_done(remote.path)
                run.progress.note(f"    failed  {remote.path}: {err.message}")
            except Exception as err:  # a bug must not hang the other workers
                run.fatal.append(err)  # type: ignore[arg-type]
                run.options.cancel.set()
                scheduler.stop()
            finally:
                scheduler.done(remote if retry is not None else None, retry or 0.0)

    threads = [
        threading.Thread(target=worker, name=f"hubctl-file-{i}", daemon=True)
        for i in range(max(1, run.request.workers))
    ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except KeyboardInterrupt:
        run.options.cancel.set()
        scheduler.stop()
        for t in threads:
            t.join()
        raise
    if run.fatal:
        raise run.fatal[0]
