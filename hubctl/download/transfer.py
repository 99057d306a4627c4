"""Download one file so that its final name only ever holds verified bytes.

Per file: resume the partial (if any), fetch the missing byte ranges (in parallel pieces for large files),
hash in file order while bytes arrive, and rename into place only when the hash the listing gave matches.
Endpoints are tried in order; an endpoint that fails (after retries), serves an HTML page, the wrong size
or wrong bytes hands the file to the next one. Any endpoint's bytes are fine when the hash matches.
"""

from __future__ import annotations

import errno
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hubctl.constants import BUFFER_SIZE
from hubctl.download.http import HttpError, Response, Session, TransientError, backoff, check_status
from hubctl.download.partial import PartialFile, Piece, partial_path, stale_partials
from hubctl.download.sources.api import hub_error
from hubctl.download.sources.base import RemoteFile
from hubctl.errors import HubctlError, IntegrityError, LocalIOError, NetworkError, most_telling
from hubctl.integrity.hashing import Digests, StreamHasher, hash_range
from hubctl.settings import Settings, current

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


@dataclass(frozen=True)
class Candidate:
    """One endpoint's URL for the file."""

    endpoint: str
    url: str


@dataclass(frozen=True)
class FileResult:
    """What happened to one file, for the report."""

    path: str
    size: int
    sha256: str
    git_sha1: str | None
    endpoint: str | None
    status: str  # "downloaded", "resumed" or "present"
    bytes_fetched: int
    failures: tuple[str, ...] = ()


class Cancelled(Exception):
    """The pull was interrupted; the partial is kept for resume."""


class BadBytes(Exception):
    """The endpoint answered with something that is not the file (HTML, wrong size, wrong hash)."""


class RangeIgnored(Exception):
    """The server answered a ranged request with the whole file (200) or refused the range (416)."""


class EndpointFailed(Exception):
    """This endpoint cannot deliver the file; `error` is the hubctl error it amounts to."""

    def __init__(self, error: HubctlError) -> None:
        super().__init__(error.message)
        self.error = error


def _setting(name: str):
    return field(default_factory=lambda: getattr(current(), name.lower()))


@dataclass
class Options:
    """Per-pull transfer settings; defaults come from hubctl.settings.current() (HUBCTL_* variables) at creation."""

    connections: int = _setting("CONNECTIONS")
    multipart_threshold: int = _setting("MULTIPART_THRESHOLD")
    piece_size: int = _setting("PIECE_SIZE")
    retries: int = _setting("RETRIES")
    fsync: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)
    settings: Settings = field(default_factory=current)  # backoff and Retry-After limits


class _Frontier:
    """Hashes the file in order as pieces complete, so verification ends when the last byte lands.

    Whoever wrote the bytes right at the frontier hashes them from memory; bytes of later pieces are
    read back from the page cache once the frontier reaches them. One thread hashes at a time.
    """

    def __init__(self, partial: PartialFile, hasher: StreamHasher) -> None:
        self.partial = partial
        self.hasher = hasher
        self.hashed = 0
        self._role = threading.Lock()

    def _contiguous_end(self) -> int:
        end = 0
        for piece in self.partial.pieces:
            end = piece.start + piece.done
            if not piece.complete:
                break
        return end

    def advance(self, data: memoryview | None = None, offset: int = -1) -> None:
        if not self._role.acquire(blocking=data is None):
            return
        try:
            if data is not None and offset == self.hashed:
                self.hasher.update(data)
                self.hashed += len(data)
            while True:
                end = self._contiguous_end()
                if end <= self.hashed:
                    break
                hash_range(self.partial.fd, self.hasher, self.hashed, end)
                self.hashed = end
        finally:
            self._role.release()


def _check_response(response: Response, piece: Piece, remote: RemoteFile, ranged: bool) -> int:
    """Validate status and headers for a request of piece bytes; return how many bytes the body holds."""
    start = piece.start + piece.done
    if response.status == 416:
        response.close()
        raise RangeIgnored(f"server refused the range from byte {start} (stale partial)")
    check_status(response)
    ctype = (response.header("Content-Type") or "").lower()
    if "text/html" in ctype and not remote.path.lower().endswith((".html", ".htm")):
        response.close()
        raise BadBytes(f"served an HTML page instead of {remote.path}")
    length = response.header("Content-Length")
    if response.status == 206:
        match = _CONTENT_RANGE.match(response.header("Content-Range") or "")
        if match and match.group(3) != "*" and int(match.group(3)) != remote.size:
            response.close()
            raise BadBytes(f"server says the file has {match.group(3)} bytes, the listing {remote.size}")
        if not match or int(match.group(1)) != start or int(match.group(2)) >= piece.end:
            response.close()  # ranges from this server cannot be trusted: fetch the file as one stream
            raise RangeIgnored(f"wrong Content-Range {response.header('Content-Range')!r} for bytes {start}-")
        body = int(match.group(2)) - start + 1
    else:
        if ranged:
            response.close()
            raise RangeIgnored("server ignored the Range header (200)")
        body = remote.size
        if length is not None and int(length) != remote.size:
            response.close()
            raise BadBytes(f"server sends {length} bytes, the listing says {remote.size}")
    if length is not None and int(length) != body:
        response.close()
        raise BadBytes(f"Content-Length {length} does not match the range ({body} bytes)")
    if body == 0 and remote.size > 0:
        response.close()
        raise BadBytes("empty body")
    return body


class _Fetch:
    """One attempt to complete a partial from one endpoint."""

    def __init__(
        self,
        session: Session,
        candidate: Candidate,
        remote: RemoteFile,
        partial: PartialFile,
        frontier: _Frontier,
        options: Options,
        progress: Callable[[int], None],
    ) -> None:
        self.session = session
        self.candidate = candidate
        self.remote = remote
        self.partial = partial
        self.frontier = frontier
        self.options = options
        self.progress = progress
        self.fetched = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def run(self) -> None:
        todo = [p for p in self.partial.pieces if not p.complete]
        if self.partial.multipart and len(todo) > 1:
            queue = iter(todo)
            lock = threading.Lock()

            def worker() -> None:
                while not self._stop.is_set():
                    with lock:
                        piece = next(queue, None)
                    if piece is None:
                        return
                    self._piece_with_retries(piece)

            threads = min(self.options.connections, len(todo))
            with ThreadPoolExecutor(threads, thread_name_prefix="hubctl-piece") as pool:
                futures = [pool.submit(worker) for _ in range(threads)]
                errors = []
                for future in futures:
                    try:
                        future.result()
                    except BaseException as err:  # first error stops the others, then re-raise it
                        self._stop.set()
                        errors.append(err)
                if errors:
                    raise errors[0]
        else:
            for piece in todo:
                self._piece_with_retries(piece)

    def _piece_with_retries(self, piece: Piece) -> None:
        failures = 0
        while not piece.complete:
            if self.options.cancel.is_set():
                raise Cancelled()
            if self._stop.is_set():
                return
            before = piece.done
            try:
                self._piece_once(piece)
            except TransientError as err:
                failures = 0 if piece.done > before else failures + 1
                if failures >= self.options.retries:
                    raise NetworkError(f"{self.remote.path}: {err} ({failures} attempts on {self.candidate.endpoint})")
                delay = err.retry_after if err.retry_after is not None else backoff(failures, self.options.settings)
                if delay > self.options.settings.retry_after_max:
                    raise NetworkError(f"{self.remote.path}: {self.candidate.endpoint} asks to wait {delay:.0f} s")
                if self.options.cancel.wait(delay):
                    raise Cancelled()

    def _piece_once(self, piece: Piece) -> None:
        start = piece.start + piece.done
        ranged = start > 0 or piece.end < self.remote.size
        headers = {"Range": f"bytes={start}-{piece.end - 1}"} if ranged else {}
        response = self.session.request("GET", self.candidate.url, headers)
        expected = _check_response(response, piece, self.remote, ranged)
        buffer = bytearray(BUFFER_SIZE)
        view = memoryview(buffer)
        remaining = expected
        try:
            while remaining > 0:
                if self.options.cancel.is_set():
                    raise Cancelled()
                n = response.readinto(view[: min(len(buffer), remaining)])
                if n == 0:
                    raise TransientError(f"connection closed after {expected - remaining} of {expected} bytes")
                offset = piece.start + piece.done
                try:
                    self.partial.write(piece, view[:n])
                except OSError as err:
                    raise _local_error(err, self.partial.path) from err
                remaining -= n
                self.frontier.advance(view[:n], offset)
                with self._lock:
                    self.fetched += n
                self.progress(n)
        finally:
            response.close() if remaining == 0 else response.abort()


def _local_error(err: OSError, path: Path) -> LocalIOError:
    if err.errno == errno.ENOSPC:
        return LocalIOError(f"no space left on device writing {path} (partial kept; free space and rerun to resume)")
    return LocalIOError(f"cannot write {path}: {err.strerror or err}")


def _expected(remote: RemoteFile) -> str:
    if remote.sha256:
        return remote.sha256
    if remote.git_sha1:
        return remote.git_sha1
    raise IntegrityError(f"{remote.path}: the listing gives no hash, so its bytes cannot be verified")


def download(
    session: Session,
    remote: RemoteFile,
    final: Path,
    candidates: list[Candidate],
    options: Options,
    progress: Callable[[int], None] = lambda n: None,
    on_failure: Callable[[str, HubctlError], None] = lambda endpoint, error: None,
) -> FileResult:
    """Fetch `remote` into `final` from the first endpoint that delivers the right bytes.

    `on_failure(endpoint, error)` hears of each endpoint that failed this file, as it happens.
    """
    content_id = _expected(remote)
    ppath = partial_path(final, content_id)
    for stale in stale_partials(final, ppath):
        stale.unlink(missing_ok=True)
    piece_size = options.piece_size if remote.size >= options.multipart_threshold and options.connections > 1 else None

    def open_partial(pieces: int | None) -> PartialFile:
        try:
            return PartialFile(ppath, remote.size, pieces)
        except OSError as err:
            raise _local_error(err, ppath) from err

    partial = open_partial(piece_size)
    resumed = partial.bytes_present() > 0
    failures: list[str] = []
    errors: list[HubctlError] = []
    fetched = 0

    def restart(pieces: int | None) -> PartialFile:
        progress(-partial.bytes_present())
        partial.discard()
        return open_partial(pieces)

    try:
        for candidate in candidates:
            bad_bytes = 0
            range_refused = False
            while True:
                frontier = _Frontier(partial, StreamHasher(remote.size, git_sha1=remote.git_sha1 is not None))
                fetch = _Fetch(session, candidate, remote, partial, frontier, options, progress)
                try:
                    frontier.advance()
                    fetch.run()
                    frontier.advance()
                    digests = frontier.hasher.digests()
                    _verify(remote, digests)
                except RangeIgnored as err:
                    fetched += fetch.fetched
                    if range_refused:  # an unranged request cannot be refused twice; the server is broken
                        errors.append(_failed(on_failure, candidate.endpoint, NetworkError(f"{remote.path}: {err}")))
                        break
                    range_refused = True
                    partial = restart(None)  # ranges do not work here: one stream from byte 0
                    continue
                except (BadBytes, IntegrityError) as err:
                    fetched += fetch.fetched
                    failures.append(f"{candidate.endpoint}: {err}")
                    errors.append(_failed(on_failure, candidate.endpoint, IntegrityError(f"{remote.path}: {err} (from {candidate.endpoint})")))
                    partial = restart(piece_size)
                    bad_bytes += 1
                    if bad_bytes < 2:  # one clean retry: a flaky proxy, not necessarily a bad mirror
                        continue
                    break
                except (NetworkError, TransientError) as err:
                    fetched += fetch.fetched
                    failures.append(f"{candidate.endpoint}: {err}")
                    network = err if isinstance(err, NetworkError) else NetworkError(f"{remote.path}: {err}")
                    errors.append(_failed(on_failure, candidate.endpoint, network))
                    break
                except HttpError as err:
                    fetched += fetch.fetched
                    failures.append(f"{candidate.endpoint}: {err}")
                    errors.append(_failed(on_failure, candidate.endpoint, hub_error(err, remote.path, candidate.endpoint)))
                    break
                except Cancelled:
                    raise
                fetched += fetch.fetched
                try:
                    partial.finish(final, options.fsync)
                except OSError as err:
                    raise _local_error(err, final) from err
                return FileResult(
                    remote.path, remote.size, digests.sha256, digests.git_sha1 or None, candidate.endpoint,
                    "resumed" if resumed else "downloaded", fetched, tuple(failures),
                )
        raise most_telling(errors) if errors else NetworkError(f"{remote.path}: no endpoint to download from")
    finally:
        partial.close()


def _failed(
    on_failure: Callable[[str, HubctlError], None], endpoint: str, error: HubctlError
) -> HubctlError:
    on_failure(endpoint, error)
    return error


def _verify(remote: RemoteFile, digests: Digests) -> None:
    if digests.size != remote.size:
        raise BadBytes(f"got {digests.size} bytes, expected {remote.size}")
    if remote.sha256 and digests.sha256 != remote.sha256:
        raise IntegrityError(f"sha256 mismatch: got {digests.sha256[:16]}…, expected {remote.sha256[:16]}…")
    if remote.git_sha1 and digests.git_sha1 != remote.git_sha1:
        raise IntegrityError(f"git sha1 mismatch: got {digests.git_sha1[:12]}…, expected {remote.git_sha1[:12]}…")
