"""Download one file so that its final name only ever holds verified bytes.

Per file: resume the partial (if any), fetch the missing byte ranges (in parallel pieces for large files),
hash in file order while bytes arrive, and rename into place only when the hash the listing gave matches.
Endpoints are tried in order; an endpoint that fails (after retries), serves an HTML page, the wrong size
or wrong bytes hands the file to the next one. Any endpoint's bytes are fine when the hash matches.

Each file is resolved once per endpoint (`_Locator`): the hub's resolve URL is requested without following
its redirect, and the storage URL it points at is reused for every piece and retry until it expires or the
storage refuses it, because hubs count resolves against a rate limit (HF: 3,000-12,000 per 5 minutes).
Every body request carries `Range` (`bytes=0-` for a whole file), since Xet's CDN refuses unranged GETs
of very large objects; a body slower than the settings' min_speed over speed_window is abandoned and resumed.
"""

from __future__ import annotations

import errno
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from hubctl.constants import BUFFER_SIZE
from hubctl.download.http import (
    REDIRECTS,
    HttpError,
    ProtocolError,
    RateLimited,
    Response,
    Session,
    TransientError,
    check_status,
    header_int,
    notice,
    origin,
    redirect_target,
    retry_delay,
    with_retries,
)
from hubctl.download.partial import PartialFile, PartialNames, Piece, partial_path, stale_partials
from hubctl.download.sources.api import cdn_error, hub_error
from hubctl.download.sources.base import RemoteFile
from hubctl.errors import HubctlError, IntegrityError, LocalIOError, NetworkError, most_telling
from hubctl.integrity.hashing import SHA256_HEX as _SHA256
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


class TooSlow(TransientError):
    """The body arrived slower than the settings' min_speed: abandoned, and counted as a failed attempt even
    though it made progress (a 1 byte/s server must not be retried forever)."""


class RangeIgnored(Exception):
    """The server answered a ranged request with the whole file (200) or refused the range (416)."""


class EndpointFailed(Exception):
    """This endpoint cannot deliver the file; `error` is the hubctl error it amounts to."""

    def __init__(self, error: HubctlError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class Options:
    """Per-pull transfer options. `connections` is the command line's (default: the settings'); the pieces, the
    multipart threshold and the retries are the settings' own (hubctl.settings.current() unless given)."""

    connections: int = field(default_factory=lambda: current().connections)
    fsync: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)
    settings: Settings = field(default_factory=current)  # pieces, retries, backoff and Retry-After limits
    partials: PartialNames = field(default_factory=PartialNames)  # each folder listed once per pull

    @property
    def multipart_threshold(self) -> int:
        return self.settings.multipart_threshold

    @property
    def piece_size(self) -> int:
        return self.settings.piece_size

    @property
    def retries(self) -> int:
        return self.settings.retries


_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_REFRESH = frozenset({400, 401, 403, 404, 410})  # a cached storage URL answering these is resolved again


class _Locator:
    """Where one file's bytes are on one endpoint, resolved once and shared by its pieces and retries.

    The first request goes to the hub's URL without following redirects; the URL that finally answers with
    bytes (a signed CDN or OSS URL) is cached until its signature expires (`X-Amz-Date` + `X-Amz-Expires`,
    or an `Expires` epoch; RESOLVE_TTL when it carries neither, 60 s early in every case). A cached URL that
    the storage refuses is resolved once more. `linked_sha256` keeps the hub's `X-Linked-Etag` when it is a
    sha256 (the hash of Xet-only entries and of ModelScope entries listed without one)."""

    def __init__(self, session: Session, url: str) -> None:
        self.session = session
        self.url = url
        self.resolves = 0
        self.linked_sha256: str | None = None
        self._lock = threading.Lock()
        self._resolving = threading.Lock()
        self._cached: str | None = None
        self._expires = 0.0

    def open(self, headers: dict[str, str]) -> Response:
        """The first non-redirect response for a GET of the file's bytes with `headers`. Pieces starting
        together wait for one resolve (single flight) instead of each resolving."""
        cached = self._current()
        if cached is not None:
            response = self.session.request("GET", cached, headers, follow_redirects=False)
            if response.status not in _REFRESH and response.status not in REDIRECTS:
                return response
            response.abort()
            with self._lock:
                if self._cached == cached:
                    self._cached = None
        with self._resolving:
            cached = self._current()
            if cached is None:
                return self._resolve(headers)
        return self.session.request("GET", cached, headers, follow_redirects=False)

    def _current(self) -> str | None:
        with self._lock:
            return self._cached if time.monotonic() < self._expires else None

    def _resolve(self, headers: dict[str, str]) -> Response:
        url = self.url
        for _ in range(10):
            response = self.session.request("GET", url, headers, follow_redirects=False)
            if url == self.url:
                with self._lock:
                    self.resolves += 1
            self._note_linked_etag(response)
            if response.status not in REDIRECTS:
                if url != self.url and 200 <= response.status < 300:
                    self._remember(url)
                return response
            url = redirect_target(response)
        raise TransientError(f"too many redirects resolving {self.url.partition('?')[0]}")

    def _note_linked_etag(self, response: Response) -> None:
        value = (response.header("X-Linked-Etag") or "").strip().removeprefix("W/").strip('"').lower()
        if _SHA256.match(value):
            with self._lock:
                self.linked_sha256 = self.linked_sha256 or value

    def _remember(self, url: str) -> None:
        lifetime = _signed_lifetime(url, self.session.settings.resolve_ttl)
        with self._lock:
            self._cached = url
            self._expires = time.monotonic() + max(0.0, lifetime - 60.0)


def _signed_lifetime(url: str, default: float | None = None) -> float:
    """Seconds a signed storage URL stays valid: S3's X-Amz-Date + X-Amz-Expires, OSS/CloudFront's `Expires`
    epoch, else `default` (the settings' resolve_ttl). Any unreadable value falls back to the default, never an
    error."""
    query = {k.lower(): v for k, v in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)}
    now = time.time()
    try:
        if "x-amz-expires" in query:
            expires = float(int(query["x-amz-expires"]))
            if "x-amz-date" in query:
                signed = time.mktime(time.strptime(query["x-amz-date"], _AMZ_DATE)) - time.timezone
                expires -= max(0.0, now - signed)
            return max(0.0, min(expires, 7 * 86400.0))
        if "expires" in query:
            return max(0.0, min(float(int(query["expires"])) - now, 7 * 86400.0))
    except (ValueError, OverflowError):
        pass
    return current().resolve_ttl if default is None else default


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


def _check_response(response: Response, piece: Piece, remote: RemoteFile) -> int:
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
    encoding = (response.header("Content-Encoding") or "").strip().lower()
    if encoding not in ("", "identity"):
        response.abort()
        raise BadBytes(
            f"served with Content-Encoding: {encoding[:40]!r} although hubctl asked for identity"
            " (a proxy or mirror compressed the file)"
        )
    try:
        length = header_int(response.headers, "Content-Length")
    except ProtocolError:
        response.abort()
        raise
    if response.status == 206:
        match = _CONTENT_RANGE.match(response.header("Content-Range") or "")
        if match and match.group(3) != "*" and int(match.group(3)) != remote.size:
            response.close()
            raise BadBytes(f"server says the file has {match.group(3)} bytes, the listing {remote.size}")
        if not match or int(match.group(1)) != start or int(match.group(2)) >= piece.end:
            response.close()  # ranges from this server cannot be trusted: fetch the file as one stream
            raise RangeIgnored(f"wrong Content-Range {response.header('Content-Range')!r:.80} for bytes {start}-")
        body = int(match.group(2)) - start + 1
    else:
        if start > 0 or piece.end < remote.size:  # a 200 is the whole file: right only for a whole-file request
            response.close()
            raise RangeIgnored("server ignored the Range header (200)")
        body = remote.size
        if length is not None and length != remote.size:
            response.close()
            raise BadBytes(f"server sends {length} bytes, the listing says {remote.size}")
    if length is not None and length != body:
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
        locator: _Locator,
        last_endpoint: bool,
        unranged: bool = False,
    ) -> None:
        self.session = session
        self.unranged = unranged
        self.locator = locator
        self.last_endpoint = last_endpoint
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
                failures = 0 if piece.done > before and not isinstance(err, TooSlow) else failures + 1
                if failures >= self.options.retries:
                    where = f"{failures} attempts on {self.candidate.endpoint}"
                    raise NetworkError(f"{self.remote.path}: {err} ({where})") from err
                delay = retry_delay(err, failures, can_wait_reset=self.last_endpoint, settings=self.options.settings)
                if delay is None:
                    wait = err.retry_after or 0
                    raise NetworkError(
                        f"{self.remote.path}: {self.candidate.endpoint} asks to wait {wait:.0f} s"
                    ) from err
                if isinstance(err, RateLimited):
                    where = f"{self.remote.path}: {self.candidate.endpoint}"
                    notice(f"{where} rate limit reached; waiting {delay:.0f} s for its window to reset")
                if self.options.cancel.wait(delay):
                    raise Cancelled() from err

    def _piece_once(self, piece: Piece) -> None:
        start = piece.start + piece.done
        last = "" if start == 0 and piece.end == self.remote.size else str(piece.end - 1)  # `bytes=0-`: whole file
        # Ranged even from byte 0 (Xet's CDN answers 400 to an unranged GET of a large object), except for an
        # empty file and for the one-stream fallback after a server answered ranges wrongly.
        ranged = self.remote.size > 0 and not (self.unranged and start == 0)
        headers = {"Range": f"bytes={start}-{last}"} if ranged else {}
        response = self.locator.open(headers)
        expected = _check_response(response, piece, self.remote)
        buffer = bytearray(min(BUFFER_SIZE, max(1, expected)))  # a 2 KB file needs no zeroed 1 MiB buffer
        view = memoryview(buffer)
        remaining = expected
        window_start, window_bytes = time.monotonic(), 0
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
                window_bytes += n
                elapsed = time.monotonic() - window_start
                if elapsed >= self.options.settings.speed_window:
                    if window_bytes < self.options.settings.min_speed * elapsed:
                        speed = window_bytes / elapsed
                        raise TooSlow(f"too slow: {speed:.0f} B/s over {elapsed:.0f} s (HUBCTL_MIN_SPEED)")
                    window_start, window_bytes = time.monotonic(), 0
        finally:
            response.close() if remaining == 0 else response.abort()


def _local_error(err: OSError, path: Path) -> LocalIOError:
    if err.errno == errno.ENOSPC:
        return LocalIOError(f"no space left on device writing {path} (partial kept; free space and rerun to resume)")
    return LocalIOError(f"cannot write {path}: {err.strerror or err}")


def _expected(remote: RemoteFile) -> str | None:
    """The hash the bytes must match; None when the listing has none (the hub's X-Linked-Etag may give it)."""
    return remote.sha256 or remote.git_sha1


def _with_linked_hash(session: Session, remote: RemoteFile, candidates: list[Candidate]) -> tuple[RemoteFile, dict]:
    """`remote` with the sha256 the first answering endpoint gives in X-Linked-Etag (as the official clients
    take it for Xet-only HF entries and ModelScope entries listed without Sha256), and the locators used, whose
    resolve the body requests then reuse."""
    locators: dict[str, _Locator] = {}
    errors: list[HubctlError] = []
    for candidate in candidates:
        locator = locators[candidate.url] = _Locator(session, candidate.url)

        def probe(locator: _Locator = locator) -> None:
            response = locator.open({"Range": "bytes=0-0"} if remote.size else {})
            if locator.linked_sha256 is None:
                check_status(response)
            response.abort()

        try:
            with_retries(probe, f"{remote.path} on {candidate.endpoint}")
        except (TransientError, ProtocolError) as err:
            errors.append(NetworkError(f"{remote.path}: {err}"))
            continue
        except HttpError as err:
            errors.append(_refusal(err, remote.path, candidate))
            continue
        if locator.linked_sha256:
            return replace(remote, sha256=locator.linked_sha256), locators
        errors.append(
            IntegrityError(
                f"{remote.path}: the listing gives no hash (an Xet-only entry, or none listed) and {candidate.endpoint}"
                " sent no sha256 in X-Linked-Etag, so its bytes cannot be verified"
            )
        )
    raise most_telling(errors) if errors else NetworkError(f"{remote.path}: no endpoint to download from")


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
    locators: dict[str, _Locator] = {}
    if _expected(remote) is None:
        remote, locators = _with_linked_hash(session, remote, candidates)
    content_id = _expected(remote) or ""
    ppath = partial_path(final, content_id)
    for stale in stale_partials(final, ppath, options.partials):
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
            locator = locators.get(candidate.url) or _Locator(session, candidate.url)
            last = candidate is candidates[-1]
            while True:
                frontier = _Frontier(partial, StreamHasher(remote.size, git_sha1=remote.git_sha1 is not None))
                fetch = _Fetch(
                    session, candidate, remote, partial, frontier, options, progress, locator, last, range_refused
                )
                try:
                    frontier.advance()
                    fetch.run()
                    frontier.advance()
                    digests = frontier.hasher.digests()
                    _verify(remote, digests)
                except RangeIgnored as err:
                    fetched += fetch.fetched
                    if range_refused:  # a whole-file request cannot be refused twice; the server is broken
                        errors.append(_failed(on_failure, candidate.endpoint, NetworkError(f"{remote.path}: {err}")))
                        break
                    range_refused = True
                    partial = restart(None)  # ranges do not work here: one stream from byte 0
                    continue
                except (BadBytes, IntegrityError) as err:
                    fetched += fetch.fetched
                    failures.append(f"{candidate.endpoint}: {err}")
                    wrong = IntegrityError(f"{remote.path}: {err} (from {candidate.endpoint})")
                    errors.append(_failed(on_failure, candidate.endpoint, wrong))
                    partial = restart(piece_size)
                    bad_bytes += 1
                    if bad_bytes < 2:  # one clean retry: a flaky proxy, not necessarily a bad mirror
                        continue
                    break
                except (NetworkError, TransientError, ProtocolError) as err:
                    fetched += fetch.fetched
                    failures.append(f"{candidate.endpoint}: {err}")
                    network = err if isinstance(err, NetworkError) else NetworkError(f"{remote.path}: {err}")
                    errors.append(_failed(on_failure, candidate.endpoint, network))
                    break
                except HttpError as err:
                    fetched += fetch.fetched
                    failures.append(f"{candidate.endpoint}: {err}")
                    errors.append(_failed(on_failure, candidate.endpoint, _refusal(err, remote.path, candidate)))
                    break
                except Cancelled:
                    raise
                fetched += fetch.fetched
                try:
                    partial.finish(final, options.fsync)
                except OSError as err:
                    raise _local_error(err, final) from err
                return FileResult(
                    remote.path,
                    remote.size,
                    digests.sha256,
                    digests.git_sha1 or None,
                    candidate.endpoint,
                    "resumed" if resumed else "downloaded",
                    fetched,
                    tuple(failures),
                )
        raise most_telling(errors) if errors else NetworkError(f"{remote.path}: no endpoint to download from")
    finally:
        partial.close()


def _refusal(err: HttpError, path: str, candidate: Candidate) -> HubctlError:
    """A 4xx from the hub itself is classified by its X-Error-Code; one from the storage it redirected to
    (a CDN, OSS) is a network failure with the storage's reason, never a token problem."""
    try:
        same = origin(err.url) == origin(candidate.url)
    except ProtocolError:
        same = False
    return hub_error(err, path, candidate.endpoint) if same else cdn_error(err, path, candidate.endpoint)


def _failed(on_failure: Callable[[str, HubctlError], None], endpoint: str, error: HubctlError) -> HubctlError:
    on_failure(endpoint, error)
    return error


def _verify(remote: RemoteFile, digests: Digests) -> None:
    if digests.size != remote.size:
        raise BadBytes(f"got {digests.size} bytes, expected {remote.size}")
    if remote.sha256 and digests.sha256 != remote.sha256:
        raise IntegrityError(f"sha256 mismatch: got {digests.sha256[:16]}…, expected {remote.sha256[:16]}…")
    if remote.git_sha1 and digests.git_sha1 != remote.git_sha1:
        raise IntegrityError(f"git sha1 mismatch: got {digests.git_sha1[:12]}…, expected {remote.git_sha1[:12]}…")
