"""What the CLI prints besides a command's own report: the one-line error, its JSON twin, and progress.

Invariant: stderr gets at most one `hubctl: ...` line per failure, printable and on one line whatever the
message holds (hub error texts and file names are hostile: a newline or an escape sequence in them must not
forge a second line or repaint the terminal), and stdout gets valid JSON or nothing when --json is given.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from hubctl.errors import ExitCode, HubctlError

if TYPE_CHECKING:
    from hubctl.progress import Progress

INTERRUPTED = "hubctl: interrupted; partial files are kept, rerun the same command to resume"


class Reported(Exception):
    """A failure whose report (human or JSON) is already printed: only the one-line reason is left to say."""

    def __init__(self, error: HubctlError) -> None:
        super().__init__(error.message)
        self.error = error


def one_line(text: str) -> str:
    """`text` with whitespace runs (newlines included) as one space and other unprintables escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(str(text).split()))


def error_object(code: int, kind: str, message: str) -> dict:
    return {"ok": False, "error": {"exit_code": int(code), "type": kind, "message": message}}


def report_error(err: HubctlError, as_json: bool) -> int:
    """Print a failure as one line (and as a JSON object on stdout with --json); return its exit code."""
    if as_json:
        print(json.dumps(error_object(err.exit_code, type(err).__name__, err.message)))
    print(f"hubctl: error: {one_line(err.message)}", file=sys.stderr)
    return int(err.exit_code)


def report_usage(message: str, as_json: bool) -> int:
    """A command line the parser refused (unknown option or command, bad value, missing argument)."""
    if as_json:
        print(json.dumps(error_object(ExitCode.USAGE, "UsageError", message)))
    print(f"hubctl: error: {one_line(message)}", file=sys.stderr)
    return int(ExitCode.USAGE)


def progress_for(silent: bool) -> Progress:
    """tqdm on a terminal, a line per event in logs, nothing with --quiet/--json."""
    from hubctl.progress import Bar, Lines, Silent

    return Silent() if silent else (Bar() if sys.stderr.isatty() else Lines())


def hash_bar(silent: bool) -> Progress:
    """Bytes hashed: a bar on a terminal, nothing in logs or with --quiet/--json."""
    from hubctl.progress import Bar, Silent

    return Silent() if silent or not sys.stderr.isatty() else Bar("hashing")
