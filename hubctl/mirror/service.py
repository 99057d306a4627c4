"""A site mirror: `hubctl serve --upstream`, verified pull-through caching of the Hugging Face and ModelScope hubs.

The mirror serves both hub protocols with server/'s routes over stores that list upstream on demand
(store.py), fetches each file once through hubctl's verified download path (upstream.py) into one
content-addressed cache shared by both protocols (cache.py), and serves a body only from a verified file
(app.py). server/ knows nothing of this package; this package depends on server/, download/ and integrity/.
This module wires them into a running mirror (`open_mirror`).
"""

from __future__ import annotations

from pathlib import Path

from hubctl.mirror.app import MirrorServer
from hubctl.mirror.cache import BlobCache
from hubctl.mirror.store import MirrorStore
from hubctl.mirror.upstream import Upstream


def open_mirror(
    upstreams: dict[str, tuple[str, ...]],
    cache_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    refs_ttl: float = 300.0,
    offline: bool = False,
    max_size: int | None = None,
    **kwargs,
) -> MirrorServer:
    """Start a mirror of `upstreams` ({"hf": (url, ...), "modelscope": (url, ...)}) caching under `cache_dir`."""
    cache_dir = Path(cache_dir)
    cache = BlobCache(cache_dir, max_size=max_size)
    stores = {
        hub: MirrorStore(
            hub,
            Upstream(hub, upstreams[hub]) if upstreams.get(hub) else None,
            cache,
            cache_dir / "state",
            refs_ttl,
            offline,
        )
        for hub in ("hf", "modelscope")
    }
    return MirrorServer(stores["hf"], stores["modelscope"], cache, host, port, **kwargs)
