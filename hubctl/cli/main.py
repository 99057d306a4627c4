"""The typer-free half of the CLI: the process entry point, error reporting, progress, and `verify`.

CI runs `hubctl verify --quick` on every job, and on an unchanged folder the check itself takes a few ms,
while importing typer (click, rich, pydantic) takes ~90 ms. So `main` runs a verify whose command line uses
only the plain options of `plain_verify` itself, and hands anything else (`--help`, `--repair`, an unknown
option, a malformed line) to the typer app in cli.py, which declares the same options and calls the same
`verify_command`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from hubctl.errors import ExitCode, HubctlError, IntegrityError, UsageError

if TYPE_CHECKING:
    from hubctl.integrity.verify import VerifyReport
    from hubctl.progress import Progress

SOURCES = {"hf": "hf", "huggingface": "hf", "ms": "modelscope", "modelscope": "modelscope"}


class Reported(Exception):
    """A failure whose report (human or JSON) is already printed: only the one-line reason is left to say."""

    def __init__(self, error: HubctlError) -> None:
        super().__init__(error.message)
        self.error = error


def report_error(err: HubctlError, as_json: bool) -> int:
    """Print a failure as one line (and as a JSON object on stdout with --json); return its exit code."""
    if as_json:
        error = {"exit_code": int(err.exit_code), "type": type(err).__name__, "message": err.message}
        print(json.dumps({"ok": False, "error": error}))
    print(f"hubctl: error: {err.message}", file=sys.stderr)
    return int(err.exit_code)


def run_command(call: Callable[[], None], as_json: bool = False) -> int:
    """Run a command's body; turn library errors into one-line messages and documented exit codes."""
    try:
        call()
    except Reported as done:
        return report_error(done.error, as_json=False)
    except HubctlError as err:
        return report_error(err, as_json)
    except KeyboardInterrupt:
        print("hubctl: interrupted; partial files are kept, rerun the same command to resume", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    return 0


def progress_for(silent: bool) -> Progress:
    """tqdm on a terminal, a line per event in logs, nothing with --quiet/--json."""
    from hubctl.progress import Bar, Lines, Silent

    return Silent() if silent else (Bar() if sys.stderr.isatty() else Lines())


def hash_bar(silent: bool) -> Progress:
    """Bytes hashed: a bar on a terminal, nothing in logs or with --quiet/--json."""
    from hubctl.progress import Bar, Silent

    return Silent() if silent or not sys.stderr.isatty() else Bar("hashing")


class VerifyArgs(NamedTuple):
    """`hubctl verify`'s options (help texts in cli.py)."""

    folder: Path
    manifest: Path | None = None
    strict: bool = False
    quick: bool = False
    repair: bool = False
    source: str | None = None
    repo: str | None = None
    endpoint: tuple[str, ...] = ()
    token: str | None = None
    workers: int | None = None
    quiet: bool = False
    as_json: bool = False
    token_to: tuple[str, ...] = ()


def verify_command(args: VerifyArgs) -> None:
    """Verify (and with --repair, repair) a folder; print the report; raise Reported if it does not check."""
    from hubctl.integrity.verify import verify

    bar = hash_bar(args.quiet or args.as_json)
    try:
        report = verify(args.folder, args.manifest, strict=args.strict, quick=args.quick, workers=args.workers,
                        progress=bar.advance, on_total=bar.start)
    finally:
        bar.close()
    if args.repair and not report.ok:
        report = _repair(report, args)
    if args.as_json:
        print(json.dumps(report.to_dict(), indent=2))
    elif not args.quiet:
        _print_verify(report, args.strict)
    if not report.ok:
        first = report.problems[0].describe()
        more = f" and {len(report.problems) - 1} more" if len(report.problems) > 1 else ""
        raise Reported(IntegrityError(f"{args.folder} does not match {report.manifest_path}: {first}{more}"))


def _repair(report: VerifyReport, args: VerifyArgs) -> VerifyReport:
    from hubctl.download.repair import repair, repair_request

    name = SOURCES.get(args.source) if args.source else None
    if args.source and name is None:
        raise UsageError(f"unknown source {args.source!r}: use hf or modelscope")
    request = repair_request(report, name, tuple(e.rstrip("/") for e in args.endpoint), args.token, args.repo,
                             token_to=args.token_to)
    return repair(report, request, progress_for(args.quiet or args.as_json))


def _print_verify(report: VerifyReport, strict: bool) -> None:
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
    print(f"verified {len(report.manifest.files)} files ({human_size(report.manifest.total_size)}, hashed "
          f"{human_size(report.bytes_hashed)}) in {report.seconds:.2f} s: {verdict}{note}")


_FLAGS = {"--strict": "strict", "--quick": "quick", "--quiet": "quiet", "-q": "quiet", "--json": "as_json"}
_VALUES = {"--manifest": "manifest", "--workers": "workers"}


def plain_verify(argv: list[str]) -> VerifyArgs | None:
    """`verify FOLDER` with only the flags above, --manifest FILE and --workers N, else None (let typer parse
    it: help, repair, mistakes). Anything unusual is declined, never guessed."""
    if not argv or argv[0] != "verify":
        return None
    options: dict[str, object] = {}
    folders: list[str] = []
    rest = iter(argv[1:])
    for token in rest:
        name, eq, value = token.partition("=")
        if token in _FLAGS:
            options[_FLAGS[token]] = True
        elif name in _VALUES:
            value = value if eq else next(rest, "")
            parsed = _option_value(_VALUES[name], value)
            if parsed is None:
                return None
            options[_VALUES[name]] = parsed
        elif token.startswith("-") or not token:
            return None
        else:
            folders.append(token)
    return VerifyArgs(Path(folders[0]), **options) if len(folders) == 1 else None


def _option_value(name: str, value: str) -> Path | int | None:
    if not value or value.startswith("-"):
        return None
    if name == "manifest":
        return Path(value)
    return int(value) if value.isascii() and value.isdigit() and int(value) >= 1 else None


def main() -> None:
    """Console script and `python -m hubctl`."""
    args = plain_verify(sys.argv[1:])
    if args is None:
        from hubctl.cli.app import main as typer_main

        typer_main()
    else:
        sys.exit(run_command(lambda: verify_command(args), args.as_json))
