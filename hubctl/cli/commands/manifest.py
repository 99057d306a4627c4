"""`hubctl manifest`: write a lockfile (or an unsigned in-toto statement) for a local folder.

The file appears under its final name only complete: it is written beside it and renamed into place.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from hubctl.cli.options import QuietOpt, WorkersOpt
from hubctl.cli.output import hash_bar
from hubctl.errors import LocalIOError, UsageError

FORMATS = ("hubctl", "in-toto")

app = typer.Typer()


@app.command()
def manifest(
    folder: Annotated[
        Path, typer.Argument(help="The local model folder (a fine-tune, a quantized output, ...).", show_default=False)
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write. Default: FOLDER/.hubctl/manifest.json (hubctl), stdout (in-toto).", show_default=False
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", help="hubctl (lockfile, source local) or in-toto (unsigned model_signing statement)."),
    ] = "hubctl",
    name: Annotated[
        str | None,
        typer.Option(
            help="Model name: the lockfile's repo (default: none), the in-toto subject (default: the folder's name).",
            show_default=False,
        ),
    ] = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write a manifest (lockfile) for a local folder: sha256 of every file, so `hubctl verify` can prove it later."""
    from hubctl.integrity.localmanifest import manifest_for_folder, to_in_toto
    from hubctl.integrity.manifest import default_path, write_manifest
    from hubctl.progress import human_size

    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}: use hubctl or in-toto")
    bar = hash_bar(quiet)
    try:
        result = manifest_for_folder(folder, name, workers=workers, progress=bar.advance, on_total=bar.start)
    finally:
        bar.close()
    target = out if out is not None or fmt == "in-toto" else default_path(folder)
    try:
        if fmt == "hubctl":
            write_manifest(result, target)
        else:
            _write_text(json.dumps(to_in_toto(result, name or folder.resolve().name), indent=2) + "\n", target)
    except OSError as err:
        raise LocalIOError(f"cannot write {target}: {err.strerror or err}") from err
    if not quiet:
        print(
            f"{fmt} manifest of {len(result.files)} files ({human_size(result.total_size)}), files_digest "
            f"{result.digest}: {target or 'stdout'}",
            file=sys.stderr if target is None else sys.stdout,
        )


def _write_text(text: str, target: Path | None) -> None:
    if target is None:
        sys.stdout.write(text)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
