"""Options shared by several commands, each declared once as an `Annotated` alias (as huggingface_hub's
cli/_cli_utils.py does), so `--json` or `--endpoint` has one spelling, one type and one help text everywhere.

A command takes one by naming it in its signature with its default: `as_json: JsonOpt = False`. An option only
one command has stays in that command's module. Importing this module costs typer only: no hubctl library code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FolderArg = Annotated[Path, typer.Argument(help="The model folder.", show_default=False)]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout (errors too).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output (errors are still printed).")]
SourceOpt = Annotated[
    str | None,
    typer.Option("--source", help="hf (default; also huggingface) or modelscope (also ms).", show_default=False),
]
EndpointOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--endpoint",
        help="Hub base URL; repeat for a fallback list tried in order. Default: the manifest's, else HF_ENDPOINT / "
        "MODELSCOPE_ENDPOINT, else the official host.",
        show_default=False,
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        help="Access token. Default: HF_TOKEN or the stored HF token; MODELSCOPE_API_TOKEN.",
        show_default=False,
    ),
]
TokenToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--token-to",
        help="Also send the token to this mirror URL (repeatable). Default: only the hub's own origins and "
        "HF_ENDPOINT / MODELSCOPE_ENDPOINT; never a lockfile's endpoints.",
        show_default=False,
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        show_default=False,
        help="Files handled in parallel. Default: HUBCTL_WORKERS (8) to download, the CPU count to hash.",
    ),
]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto (CUDA when present), cpu or cuda.")]


def endpoints(values: list[str] | None) -> tuple[str, ...]:
    """--endpoint values as given, without a trailing slash (URLs are built as endpoint + '/api/...')."""
    return tuple(value.rstrip("/") for value in values or ())
