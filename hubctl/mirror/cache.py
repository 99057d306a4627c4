"""The mirror's content-addressed store: one file per sha256, entered only after its bytes were verified.

Invariant: `objects/<sha256>` only ever holds bytes whose hash matched the upstream listing. It holds because
the only writer is `transfer.download` (hubctl's verified download path), which renames a partial into its
final name (`partials/<key>`) only once the listing's hash matches, and the final is then renamed into
`objects/` (same filesystem, atomic). A kill -9 leaves at most a partial (resumed on the next fetch of the
same key) or a verified final not yet moved (moved on the next fetch); neither is ever served.

A file is named by its listing's key before it is fetched: its sha256 when the listing gives one, else
`g<git sha1>` (Hugging Face lists small files by git sha1 only). Once fetched, a git key becomes an alias of
the sha256 it turned out to have, so both protocols share one copy of the same content (dedup across hubs,
repos and revisions).

Coalescing: one fetch per key at a time. Requests for a key in flight wait (bounded by `wait`) for the
verified file; a fetch runs in its own thread, so a client that hangs up never cancels it and completed work
is never thrown away.

Eviction (`max_size`): whole objects, least recently served first, never one pinned by a response being
sent (ensure() pins, release() unpins when the response has ended).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hubctl.errors import AuthError, HubctlError, NotFoundError

KEY = re.compile(r"^([0-9a-f]{64}|g[0-9a-f]{40})$")
_SHA256_NAME = re.compile(r"^[0-9a-f]{64}$")
_BLOCK = 8 << 20

#: Fetches a key's bytes into the given final path (verified) and returns (sha256, upstream bytes).
Fetcher = Callable[[Path], tuple[str, int]]


class FetchFailed(Exception):
    """A file could not be delivered: `status` is the HTTP status the mirror answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    path: Path | None = None
    error: FetchFailed | None = None
    waiters: int = 0  # requests waiting on this fetch
    held: bool = False  # the fetched object is pinned until every waiter has pinned it itself


@dataclass
class Counters:
    hits: int = 0  # requests answered from objects/ at once
    misses: int = 0  # requests that started an upstream fetch
    coalesced: int = 0  # requests that waited on a fetch already in flight
    failures: int = 0  # fetches that ended without a verified file
    upstream_bytes: int = 0  # body bytes received from upstreams for content
    evictions: int = 0  # objects deleted to stay under max_size


def key_for(sha256: str | None, git_sha1: str | None) -> str | None:
    """The cache key of a listed file, or None when the listing gives no hash the mirror can check."""
    if sha256:
        return sha256
    return f"g{git_sha1}" if git_sha1 else None


class BlobCache:
    """Verified files by sha256, shared by every repo and both hub protocols."""

    def __init__(self, root: Path, wait: float = 900.0, max_size: int | None = None) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.aliases = self.root / "aliases"
        self.partials = self.root / "partials"
        self.pending = self.root / "pending"  # never created: the placeholder folder of files not fetched yet
        for folder in (self.objects, self.aliases, self.partials):
            folder.mkdir(parents=True, exist_ok=True)
        self.wait = wait
        self.counters = Counters()
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        self._fetchers: dict[str, Fetcher] = {}
        self._hits: dict[str, int] = {}
        self.max_size = max_size
        self._pins: dict[str, int] = {}  # sha256 -> responses being sent from it: never evicted meanwhile
        self._used: dict[str, float] = {}  # sha256 -> last served (monotonic), for least-recently-used eviction
        self._sizes: dict[str, int] | None = None  # sha256 -> size of every object, once max_size needs it

    def placeholder(self, key: str) -> Path:
        """Where a listed file points until served: ensure() swaps it for the verified object."""
        return self.pending / key

    def key_of(self, source: Path) -> str | None:
        """The key a placeholder names, or None for any other path."""
        return source.name if source.parent == self.pending and KEY.match(source.name) else None

    def want(self, key: str, fetch: Fetcher) -> None:
        """Remember how to fetch `key` (the latest listing naming it wins)."""
        with self._lock:
            self._fetchers[key] = fetch

    def local(self, key: str) -> Path | None:
        """The verified object for `key`, if held."""
        if not KEY.match(key):
            return None
        sha256 = key
        if key.startswith("g"):
            try:
                sha256 = (self.aliases / key).read_text().strip()
            except OSError:
                return None
            if not KEY.match(sha256) or sha256.startswith("g"):
                return None
        path = self.objects / sha256
        return path if path.is_file() else None

    def ensure(self, key: str) -> Path:
        """The verified object for `key`, fetching it once however many callers ask (FetchFailed otherwise)."""
        with self._lock:
            # Checked under the lock: a fetch ending between this check and taking the lock would otherwise start
            # a second fetch of a file already held.
            path = self.local(key)
            if path is not None:
                self.counters.hits += 1
                self._hits[path.name] = self._hits.get(path.name, 0) + 1
                self._touch_pin(path.name)
                return path
            flight = self._flights.get(key)
            if flight is None:
                fetch = self._fetchers.get(key)
                if fetch is None:
                    raise FetchFailed(404, "no listing names this file: list its revision first")
                flight = self._flights[key] = _Flight()
                self.counters.misses += 1
                threading.Thread(target=self._run, args=(key, fetch, flight), daemon=True, name="mirror-fetch").start()
            else:
                self.counters.coalesced += 1
            flight.waiters += 1
        done = flight.done.wait(self.wait)
        with self._lock:
            flight.waiters -= 1
            if done and flight.path is not None:
                self._touch_pin(flight.path.name)
            if flight.held and flight.waiters == 0:
                # The fetch's own pin kept the file for its waiters until each took its own.
                flight.held = False
                self._unpin(flight.path.name if flight.path else "")
        if not done:
            raise FetchFailed(504, "the file is still being fetched from upstream; retry later")
        if flight.error is not None:
            raise flight.error
        assert flight.path is not None
        return flight.path

    def release(self, path: Path) -> None:
        """A response sent from `path` (returned by ensure) has ended: it may be evicted again."""
        with self._lock:
            self._unpin(path.name)
        self.evict()  # files pinned when the last fetch ended may go now

    def _unpin(self, name: str) -> None:
        left = self._pins.get(name, 0) - 1
        if left > 0:
            self._pins[name] = left
        else:
            self._pins.pop(name, None)

    def pinned(self) -> int:
        """Objects some response is being sent from right now."""
        with self._lock:
            return len(self._pins)

    def evict(self) -> list[str]:
        """Delete least-recently-used whole objects not being served until the cache fits max_size."""
        if self.max_size is None:
            return []
        with self._lock:
            if self._sizes is None:  # scanned once; kept current by _fetch and here
                self._sizes = {p.name: p.stat().st_size for p in self.objects.iterdir() if _SHA256_NAME.match(p.name)}
            sizes = self._sizes
            total = sum(sizes.values())
            if total <= self.max_size:
                return []
            gone = []
            for name in sorted(sizes, key=lambda n: self._used.get(n, 0.0)):
                if total <= self.max_size:
                    break
                if self._pins.get(name):
                    continue
                (self.objects / name).unlink(missing_ok=True)
                total -= sizes.pop(name)
                gone.append(name)
                self._used.pop(name, None)
            self.counters.evictions += len(gone)
        return gone

    def _touch_pin(self, name: str) -> None:
        """Under the lock: mark an object served now, and pinned until release()."""
        self._used[name] = time.monotonic()
        self._pins[name] = self._pins.get(name, 0) + 1

    def entries(self) -> list[dict]:
        """What is cached: each object's sha256, size and hits since start."""
        with self._lock:
            hits = dict(self._hits)
        out = []
        for path in sorted(self.objects.iterdir()):
            if KEY.match(path.name) and not path.name.startswith("g"):
                out.append({"sha256": path.name, "size": path.stat().st_size, "hits": hits.get(path.name, 0)})
        return out

    def _run(self, key: str, fetch: Fetcher, flight: _Flight) -> None:
        try:
            flight.path = self._fetch(key, fetch)
            flight.held = True
        except FetchFailed as err:
            flight.error = err
        except HubctlError as err:
            flight.error = FetchFailed(_status(err), f"upstream: {err.message}")
        except Exception as err:  # noqa: BLE001  a bug must still release the waiters with an answer
            flight.error = FetchFailed(500, f"internal error while fetching: {type(err).__name__}")
        finally:
            with self._lock:
                if flight.error is not None:
                    self.counters.failures += 1
                if flight.held and flight.waiters == 0 and flight.path is not None:  # every waiter gave up
                    flight.held = False
                    self._unpin(flight.path.name)
                self._flights.pop(key, None)
            flight.done.set()

    def _fetch(self, key: str, fetch: Fetcher) -> Path:
        final = self.partials / key
        if final.is_file():  # verified by a fetch that was killed before it moved it into objects/
            sha256, fetched = _sha256_of(final), 0
        else:
            sha256, fetched = fetch(final)
        with self._lock:
            self.counters.upstream_bytes += fetched
        dest = self.objects / sha256
        if dest.is_file():
            final.unlink(missing_ok=True)  # the same content arrived under another key: keep one copy
        else:
            os.replace(final, dest)
        if key != sha256:
            _write_atomic(self.aliases / key, sha256)
        with self._lock:
            if self._sizes is not None:
                self._sizes[sha256] = dest.stat().st_size
            self._used[sha256] = time.monotonic()
            self._pins[sha256] = self._pins.get(sha256, 0) + 1  # held for the waiters (see ensure)
        self.evict()
        return dest


def _status(err: HubctlError) -> int:
    if isinstance(err, NotFoundError):
        return 404
    if isinstance(err, AuthError):
        return 403
    return 502  # network, integrity (bytes not matching the listing), local IO: the mirror cannot deliver


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
