"""MirrorServer: the loopback hub's listeners and protocol routes, over stores that list upstream on demand.

Invariant: a response body leaves only from a verified object. Routes answer from placeholders
(MirrorStore); `respond` swaps a body's placeholder for `BlobCache.ensure(key)`, which returns only a file
in `objects/` (verified before it was moved there). A GET for a file in flight waits for the verified file,
then is served whole or by Range; HEAD needs no body and answers at once from the listing.

Both protocols' routes run over their own store (HF names from the hf upstream, ModelScope names from the
ms upstream) but share one BlobCache, so content fetched through one is served to the other.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from hubctl.mirror.cache import BlobCache, FetchFailed
from hubctl.mirror.store import MirrorStore
from hubctl.server import hf_routes, ms_routes
from hubctl.server.app import HubServer, RequestRecord
from hubctl.server.store import ServedFile
from hubctl.server.wire import (
    Reject,
    Request,
    Response,
    blob_route,
    json_response,
    text_response,
)

OFFLINE_HEADER = "X-Hubctl-Mirror"


class _Blobs:
    """The blob origin's view: a sha256 listed by either protocol."""

    def __init__(self, *stores: MirrorStore) -> None:
        self._stores = stores

    def blob(self, sha256: str) -> ServedFile | None:
        for store in self._stores:
            found = store.blob(sha256)
            if found is not None:
                return found
        return None


class MirrorServer(HubServer):
    """A hub that serves what its upstreams list, each file fetched once and verified before it is served."""

    def __init__(
        self, hf: MirrorStore, ms: MirrorStore, cache: BlobCache, host: str = "127.0.0.1", port: int = 0, **kwargs
    ) -> None:
        self.hf_store, self.ms_store, self.cache = hf, ms, cache
        self.offline = hf.offline and ms.offline
        self._blobs = _Blobs(hf, ms)
        self._sending = threading.local()
        super().__init__(hf, host, port, **kwargs)
        # The hub's rate limits protect the hub; the mirror exists so that a site's nodes need not be limited.
        self.hf.resolver_budget = self.hf.api_budget = 1 << 62

    def respond(self, req: Request) -> Response:
        admin = self._admin(req)
        if admin is not None:
            return admin
        try:
            if req.origin == "cdn":
                response = blob_route(req, self._blobs)  # type: ignore[arg-type]  # blob() is all it uses
            else:
                response = (
                    ms_routes.route(req, self.ms_store)
                    or hf_routes.route(req, self.hf_store, self.tree_page_size, self.hf)
                    or json_response(404, {"error": "Not Found"})
                )
            response = self._materialize(req, response)
        except Reject as rejected:
            response = rejected.response
        return response.with_header(OFFLINE_HEADER, "offline") if self.offline else response

    def _materialize(self, req: Request, response: Response) -> Response:
        """Swap a body's placeholder for the verified object (fetched once, waited for by every other asker)."""
        part = response.file
        key = self.cache.key_of(part.source) if part is not None else None
        if part is None or key is None or req.method == "HEAD":
            return response
        try:
            path = self.cache.ensure(key)
        except FetchFailed as failed:
            return json_response(failed.status, {"error": failed.message}, (("X-Error-Message", failed.message),))
        self._sending.path = path  # pinned by ensure(); released when this request is logged (sent or cut)
        return replace(response, file=replace(part, source=path))

    def _record(self, record: RequestRecord) -> None:
        """Every request is recorded once its response has ended, in the thread that sent it: unpin its object."""
        path = getattr(self._sending, "path", None)
        if path is not None:
            self._sending.path = None
            self.cache.release(path)
        super()._record(record)

    def stats(self) -> dict:
        c = self.cache.counters
        return {
            "offline": self.offline,
            "hits": c.hits,
            "misses": c.misses,
            "coalesced": c.coalesced,
            "failures": c.failures,
            "upstream_bytes": c.upstream_bytes,
            "evictions": c.evictions,
            "serving": self.cache.pinned(),
            "max_size": self.cache.max_size,
        }

    def _admin(self, req: Request) -> Response | None:
        if req.origin != "api" or req.method != "GET":
            return None
        if req.segments == ("api", "mirror", "cache"):
            entries = self.cache.entries()
            body = self.stats() | {"files": entries, "bytes": sum(e["size"] for e in entries)}
            return json_response(200, body)
        if req.segments == ("metrics",):
            return text_response(200, self._metrics(), "text/plain; version=0.0.4; charset=utf-8")
        return None

    def _metrics(self) -> str:
        stats = self.stats()
        entries = self.cache.entries()
        rows = [
            ("hubctl_mirror_hits_total", "counter", "File requests served from the cache at once.", stats["hits"]),
            ("hubctl_mirror_misses_total", "counter", "File requests that started an upstream fetch.", stats["misses"]),
            (
                "hubctl_mirror_coalesced_total",
                "counter",
                "File requests that waited on a fetch in flight.",
                stats["coalesced"],
            ),
            (
                "hubctl_mirror_fetch_failures_total",
                "counter",
                "Upstream fetches without a verified file.",
                stats["failures"],
            ),
            (
                "hubctl_mirror_upstream_bytes_total",
                "counter",
                "Content bytes received from upstreams.",
                stats["upstream_bytes"],
            ),
            (
                "hubctl_mirror_evictions_total",
                "counter",
                "Objects evicted to stay under --max-size.",
                stats["evictions"],
            ),
            ("hubctl_mirror_cached_files", "gauge", "Verified files held.", len(entries)),
            ("hubctl_mirror_cached_bytes", "gauge", "Bytes of verified files held.", sum(e["size"] for e in entries)),
        ]
        return "".join(f"# HELP {n} {h}\n# TYPE {n} {t}\n{n} {v}\n" for n, t, h, v in rows)
