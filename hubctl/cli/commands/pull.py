"""`hubctl pull`: download a snapshot (or exactly what a lockfile pins), verifying every byte.

The command line is turned into one `PullRequest` here (repo prefix, endpoints, settings defaults); all the
work and every rule about bytes is in hubctl.download.pull, imported when the command runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hubctl.cli.options import EndpointOpt, JsonOpt, QuietOpt, SourceOpt, TokenOpt, TokenToOpt, WorkersOpt, endpoints
from hubctl.cli.output import Reported, progress_for
from hubctl.errors import UsageError

if TYPE_CHECKING:
    from hubctl.download.pull import PullReport

app = typer.Typer()


@app.command()
def pull(
    repo: Annotated[
        str | None,
        typer.Argument(
            help="owner/name, optionally prefixed hf: or ms: (default with --manifest: the lockfile's)",
            show_default=False,
        ),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            help="Pull exactly what this lockfile pins (commit and files); any endpoint whose bytes match will do.",
            show_default=False,
        ),
    ] = None,
    source: SourceOpt = None,
    repo_type: Annotated[
        str | None,
        typer.Option(
            help="model (default) or dataset; also written datasets/owner/name (hf:datasets/..., ms:datasets/...).",
            show_default=False,
        ),
    ] = None,
    endpoint: EndpointOpt = None,
    revision: Annotated[
        str | None,
        typer.Option(
            help="Branch, tag or commit (full or short). Default: main (HF), master (ModelScope).", show_default=False
        ),
    ] = None,
    include: Annotated[
        list[str] | None, typer.Option(help="Glob of files to pull (repeatable; * crosses /).", show_default=False)
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Glob of files to skip (repeatable).", show_default=False)
    ] = None,
    dest: Annotated[
        Path | None, typer.Option(help="Target folder. Default: ./models/<name>.", show_default=False)
    ] = None,
    workers: WorkersOpt = None,
    connections: Annotated[
        int | None,
        typer.Option(
            min=1, help="Parallel byte ranges per large file. Default: HUBCTL_CONNECTIONS (4).", show_default=False
        ),
    ] = None,
    token: TokenOpt = None,
    token_to: TokenToOpt = None,
    manifest_out: Annotated[
        Path | None, typer.Option(help="Also write the manifest (lockfile) here.", show_default=False)
    ] = None,
    lock_timeout: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds to wait for files another process is downloading. Default: HUBCTL_LOCK_WAIT (1800).",
            show_default=False,
        ),
    ] = None,
    fsync: Annotated[
        bool, typer.Option("--fsync", help="fsync each file before it gets its final name (power-loss safety, slower).")
    ] = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Download a snapshot, verifying every byte, and write its manifest."""
    from hubctl.download.pull import PullRequest
    from hubctl.download.pull import pull as fetch
    from hubctl.download.sources.endpoints import normalize_endpoint
    from hubctl.download.sources.registry import HUBS, default_endpoints, parse_repo, parse_repo_type
    from hubctl.integrity.manifest import read_manifest
    from hubctl.settings import current

    pinned = read_manifest(manifest) if manifest else None
    if pinned is None and repo is None:
        raise UsageError("give a REPO, or --manifest FILE to pull what a lockfile pins")
    if pinned is not None and repo is None and (pinned.source not in HUBS or not pinned.repo):
        raise UsageError(
            "this lockfile was made from a local folder: give REPO (with hf: or ms:) to pull it from a hub"
        )
    if pinned is not None and (include or exclude):
        raise UsageError("--include/--exclude do not apply to --manifest: the lockfile lists the files")
    typed, kind = parse_repo_type(repo or pinned.repo, repo_type)
    kind = kind or (pinned.repo_type if pinned is not None else "model")
    name, repo_id = parse_repo(typed, source) if repo else parse_repo(typed, source or pinned.source)
    urls = tuple(normalize_endpoint(name, e) for e in endpoints(endpoint))
    if not urls and pinned is not None and name == pinned.source:
        urls = tuple(pinned.endpoints)
    settings = current()
    request = PullRequest(
        repo=repo_id,
        source=name,
        dest=dest or Path("models") / repo_id.split("/")[1],
        endpoints=urls or default_endpoints(name),
        revision=revision,
        include=tuple(include or ()),
        exclude=tuple(exclude or ()),
        token=token,
        workers=workers or settings.workers,
        connections=connections or settings.connections,
        lock_wait=settings.lock_wait if lock_timeout is None else lock_timeout,
        manifest_out=manifest_out,
        fsync=fsync,
        token_to=tuple(token_to or ()),
        repo_type=kind,
        settings=settings,
    )
    report = fetch(request, progress_for(quiet or as_json), pinned)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    error = report.error()
    if error is not None:
        raise Reported(error)
    if not quiet and not as_json:
        _print_summary(report)


def _print_summary(report: PullReport) -> None:
    from hubctl.progress import human_size

    size = sum(f.size for f in report.files)
    print(
        f"pulled {report.source}:{report.repo}@{report.commit[:12]} ({len(report.files)} files, {human_size(size)};"
        f" fetched {human_size(report.bytes_fetched)} in {report.seconds:.1f} s) into {report.dest}"
    )
    print(f"manifest: {report.manifest}")
