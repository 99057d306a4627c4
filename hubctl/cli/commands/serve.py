"""`hubctl serve`: local folders over the Hugging Face and ModelScope protocols, or (--upstream) a verified
pull-through mirror of the hubs (hubctl.mirror), until SIGTERM or Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hubctl.errors import UsageError

app = typer.Typer()


@app.command()
def serve(
    folders: Annotated[
        list[Path] | None,
        typer.Argument(help="Model folders to serve, each as one repo (none with --upstream).", show_default=False),
    ] = None,
    repo: Annotated[
        list[str] | None,
        typer.Option(help="Repo id for each folder, in order (default: local/<folder name>).", show_default=False),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="API port; LFS files are served from port+1 (0: any free ports).")] = 8080,
    test_control: Annotated[
        bool, typer.Option("--test-control", hidden=True, help="Enable fault-injection routes (tests only).")
    ] = False,
    upstream: Annotated[
        list[str] | None,
        typer.Option(help="Mirror a hub: hf=URL or ms=URL (repeatable; tried in order).", show_default=False),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option(help="The mirror's cache folder (with --upstream or --offline).", show_default=False)
    ] = None,
    refs_ttl: Annotated[float, typer.Option(min=0, help="Seconds a branch/tag resolution is reused.")] = 300.0,
    offline: Annotated[
        bool, typer.Option("--offline", help="Serve only what --cache holds; refs resolve to the last known commit.")
    ] = False,
    max_size: Annotated[
        int | None,
        typer.Option(min=1, help="Mirror cache limit in bytes (LRU eviction of whole files).", show_default=False),
    ] = None,
    prefetch: Annotated[
        list[str] | None,
        typer.Option(help="Warm the mirror: [hf:|ms:]REPO[@REV] (repeatable).", show_default=False),
    ] = None,
) -> None:
    """Serve local folders over the Hugging Face and ModelScope protocols (a local hub), or mirror the hubs."""
    if upstream or offline:
        from hubctl.mirror.cli import serve_mirror

        serve_mirror(
            folders,
            list(upstream or ()),
            cache,
            host,
            port,
            refs_ttl,
            offline,
            test_control,
            max_size,
            list(prefetch or ()),
        )
        return
    from hubctl.download.sources.registry import HF, MODELSCOPE
    from hubctl.server import serve_folders
    from hubctl.server.app import run_until_stopped

    if not folders:
        raise UsageError("give folders to serve, or --upstream hf=URL / ms=URL to mirror a hub")
    if repo and len(repo) != len(folders):
        raise UsageError(f"{len(repo)} --repo ids for {len(folders)} folders: give one per folder or none")
    pairs = []
    for i, folder in enumerate(folders):
        if not folder.is_dir():
            raise UsageError(f"not a folder: {folder}")
        pairs.append((repo[i] if repo else f"local/{folder.resolve().name}", folder))
    server = serve_folders(pairs, host, port, control=test_control)
    for repo_id, folder in pairs:
        print(f"serving {repo_id} from {folder}")
    print(
        f"{HF.endpoint_variable}={server.endpoint}  {MODELSCOPE.endpoint_variable}={server.endpoint}"
        f"  (LFS: {server.cdn_endpoint})",
        flush=True,
    )
    run_until_stopped(server)
