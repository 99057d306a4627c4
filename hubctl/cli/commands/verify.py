"""`hubctl verify`: prove offline that a folder is exactly what its manifest says; with --repair, fix it.

Runs in CI on every job, so this module imports only the parser and the integrity package up front; the
download stack is imported only when --repair has something to fetch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hubctl.cli.options import (
    EndpointOpt,
    FolderArg,
    JsonOpt,
    QuietOpt,
    SourceOpt,
    TokenOpt,
    TokenToOpt,
    WorkersOpt,
    endpoints,
)
from hubctl.cli.output import Reported, hash_bar, progress_for
from hubctl.errors import IntegrityError

if TYPE_CHECKING:
    from hubctl.integrity.verify import VerifyReport

app = typer.Typer()


@app.command()
def verify(
    folder: FolderArg,
    manifest: Annotated[
        Path | None,
        typer.Option(help="Trusted lockfile (default: FOLDER/.hubctl/manifest.json).", show_default=False),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Files not in the manifest are an error.")] = False,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="Trust files unchanged (size, mtime, ctime, inode) since hubctl last hashed them. The stamps live "
            "in FOLDER/.hubctl: anyone who can write FOLDER can forge them, even with a trusted --manifest; a plain "
            "verify re-hashes every byte.",
        ),
    ] = False,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair", help="Re-fetch only bad or missing files (from the manifest's source, or --endpoint)."
        ),
    ] = False,
    source: SourceOpt = None,
    repo: Annotated[
        str | None, typer.Option(help="With --repair: repo id on that hub, if it differs.", show_default=False)
    ] = None,
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    token_to: TokenToOpt = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Prove offline that FOLDER is exactly what its manifest says (sha256 of every file)."""
    from hubctl.integrity.verify import verify as check

    bar = hash_bar(quiet or as_json)
    try:
        report = check(
            folder, manifest, strict=strict, quick=quick, workers=workers, progress=bar.advance, on_total=bar.start
        )
    finally:
        bar.close()
    if repair and not report.ok:
        report = _repair(report, source, repo, endpoints(endpoint), token, tuple(token_to or ()), quiet or as_json)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    elif not quiet:
        _print_report(report, strict)
    if not report.ok:
        first = report.problems[0].describe()
        more = f" and {len(report.problems) - 1} more" if len(report.problems) > 1 else ""
        raise Reported(IntegrityError(f"{folder} does not match {report.manifest_path}: {first}{more}"))


def _repair(
    report: VerifyReport,
    source: str | None,
    repo: str | None,
    urls: tuple[str, ...],
    token: str | None,
    token_to: tuple[str, ...],
    silent: bool,
) -> VerifyReport:
    from hubctl.download.repair import repair, repair_request
    from hubctl.download.sources.registry import canonical

    request = repair_request(report, canonical(source) if source else None, urls, token, repo, token_to=token_to)
    return repair(report, request, progress_for(silent))


def _print_report(report: VerifyReport, strict: bool) -> None:
    from hubctl.progress import human_size
    from hubctl.redact import escape_controls

    for check in report.checks:
        if check.status != "ok" and (check.status != "extra" or not report.ok or strict):
            print(f"{check.status.upper():>14}  {check.describe()}")
    for path in report.repaired:
        print(f"{'REPAIRED':>14}  {escape_controls(path)}")
    verdict = "OK" if report.ok else f"{len(report.problems)} problem(s)"
    extras = report.counts().get("extra", 0)
    note = f"; {extras} extra file(s) not in the manifest" if extras and not strict else ""
    print(
        f"verified {len(report.manifest.files)} files ({human_size(report.manifest.total_size)}, hashed "
        f"{human_size(report.bytes_hashed)}) in {report.seconds:.2f} s: {verdict}{note}"
    )
