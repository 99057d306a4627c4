"""`hubctl serve --upstream ...`: the mirror's command body, kept here so the CLI's edit stays one call."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from hubctl.errors import UsageError
from hubctl.mirror import open_mirror, parse_upstreams


def serve_mirror(
    folders: list[Path] | None,
    upstream: list[str],
    cache: Path | None,
    host: str,
    port: int,
    refs_ttl: float,
    offline: bool,
    control: bool = False,
) -> None:
    """Run a mirror until SIGTERM or Ctrl-C."""
    if folders:
        raise UsageError("a mirror serves its upstreams: give either folders or --upstream/--offline, not both")
    if cache is None:
        raise UsageError("a mirror needs --cache DIR")
    try:
        upstreams = parse_upstreams(upstream)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if not upstreams and not offline:
        raise UsageError("give --upstream hf=URL and/or --upstream ms=URL, or --offline")
    server = open_mirror(upstreams, cache, host, port, refs_ttl=refs_ttl, offline=offline, control=control)
    for hub, urls in upstreams.items():
        print(f"mirroring {hub} from {', '.join(urls)}")
    mode = " (offline: cached content only)" if server.offline else ""
    print(f"HF_ENDPOINT={server.endpoint}  MODELSCOPE_ENDPOINT={server.endpoint}  (LFS: {server.cdn_endpoint}){mode}",
          flush=True)
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        server.stop()
