"""`hubctl serve --upstream ...`: the mirror's command body, kept here so the CLI's edit stays one call."""

from __future__ import annotations

import threading
from pathlib import Path

from hubctl.download.sources.registry import HF, MODELSCOPE
from hubctl.errors import UsageError
from hubctl.mirror.app import MirrorServer
from hubctl.mirror.prefetch import parse_spec, prefetch
from hubctl.mirror.service import open_mirror
from hubctl.mirror.upstream import parse_upstreams
from hubctl.server.app import run_until_stopped


def serve_mirror(
    folders: list[Path] | None,
    upstream: list[str],
    cache: Path | None,
    host: str,
    port: int,
    refs_ttl: float,
    offline: bool,
    control: bool = False,
    max_size: int | None = None,
    prefetch_specs: list[str] | None = None,
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
    for spec in prefetch_specs or ():
        try:
            parse_spec(spec)
        except ValueError as err:
            raise UsageError(str(err)) from None
    server = open_mirror(
        upstreams, cache, host, port, refs_ttl=refs_ttl, offline=offline, max_size=max_size, control=control
    )
    for hub, urls in upstreams.items():
        print(f"mirroring {hub} from {', '.join(urls)}")
    mode = " (offline: cached content only)" if server.offline else ""
    print(
        f"{HF.endpoint_variable}={server.endpoint}  {MODELSCOPE.endpoint_variable}={server.endpoint}"
        f"  (LFS: {server.cdn_endpoint}){mode}",
        flush=True,
    )
    if prefetch_specs:
        threading.Thread(target=_warm, args=(server, prefetch_specs), daemon=True, name="mirror-prefetch").start()
    run_until_stopped(server)


def _warm(server: MirrorServer, specs: list[str]) -> None:
    for spec in specs:
        result = prefetch(server, spec)
        state = f"{len(result.failed)} failed: {result.failed[0]}" if result.failed else "all cached"
        print(f"prefetch {spec}: {result.files} files at {result.commit or '?'}, {state}", flush=True)
