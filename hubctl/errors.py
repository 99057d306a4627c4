"""Error classes, one base class per exit code, each carrying the process exit code the CLI returns.

CI pipelines branch on the exit code, so every failure a user can hit is an instance of exactly one class
here (or of a subclass defined next to the code that raises it), and its message is one line that says what
failed and what to do. `MEANINGS` is the README's exit-code table, word for word (tests/test_errors.py).
"""

from __future__ import annotations

from enum import IntEnum

from hubctl.redact import clean


class ExitCode(IntEnum):
    """Documented exit codes (README, "Exit codes")."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    AUTH = 4
    NETWORK = 5
    INTEGRITY = 6
    LOCAL_IO = 7
    LOCK_TIMEOUT = 8
    MANIFEST = 9
    SMOKE = 10
    INTERRUPTED = 130


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success: every selected file is verified and the manifest is written",
    ExitCode.ERROR: "unexpected error (a bug: please report it; `HUBCTL_DEBUG=1` shows the traceback)",
    ExitCode.USAGE: "usage: bad arguments or options, a malformed `HUBCTL_*` value, or a folder that is not a "
    "loadable model (`chat`, `quantize`)",
    ExitCode.NOT_FOUND: "not found: repo, revision or file does not exist (on any endpoint), or no file matches "
    "the patterns",
    ExitCode.AUTH: "auth: 401/403, gated or private repo, missing or refused token",
    ExitCode.NETWORK: "network: every endpoint failed after retries (unreachable, 5xx, 429, stalls)",
    ExitCode.INTEGRITY: "integrity: bytes do not match the listed hash on any endpoint (also: HTML/empty/wrong-size "
    "or compressed bodies, malformed listings, pagination loops, unsafe file names from the hub)",
    ExitCode.LOCAL_IO: "local I/O: not enough disk space, no space left mid-file (partial kept), permission, a "
    "symlink inside dest",
    ExitCode.LOCK_TIMEOUT: "lock timeout: another process held a file's lock longer than `--lock-timeout`",
    ExitCode.MANIFEST: "manifest unreadable, invalid or tampered (`verify`, `pull --manifest`)",
    ExitCode.SMOKE: "smoke test failed (`chat --smoke`): empty, NaN/inf, degenerate, or an `--expect` text missing",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); partial files are kept, rerun to resume",
}


class HubctlError(Exception):
    """Base class: a failure with a one-line message and an exit code (1, a bug, unless a subclass says)."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        message = clean(message)  # one line, no secret: messages carry server-supplied strings (redact.py)
        super().__init__(message)
        self.message = message


class UsageError(HubctlError):
    """Bad arguments, options or HUBCTL_* values; a folder that is not a model (see model.loading)."""

    exit_code = ExitCode.USAGE


class NotFoundError(HubctlError):
    exit_code = ExitCode.NOT_FOUND


class AuthError(HubctlError):
    exit_code = ExitCode.AUTH


class NetworkError(HubctlError):
    exit_code = ExitCode.NETWORK


class IntegrityError(HubctlError):
    exit_code = ExitCode.INTEGRITY


class LocalIOError(HubctlError):
    exit_code = ExitCode.LOCAL_IO


class LockTimeoutError(HubctlError):
    exit_code = ExitCode.LOCK_TIMEOUT


class ManifestError(HubctlError):
    exit_code = ExitCode.MANIFEST


class SmokeError(HubctlError):
    """The model loaded but did not generate acceptable text."""

    exit_code = ExitCode.SMOKE


def most_telling(errors: list[HubctlError]) -> HubctlError:
    """Of several failures for one thing (one per endpoint), the one that best explains it:
    wrong bytes, then refused access, then network, then not found (a mirror may lack a repo)."""
    for kind in (IntegrityError, AuthError, NetworkError, NotFoundError):
        found = [e for e in errors if isinstance(e, kind)]
        if found:
            return found[0]
    return errors[0] if errors else NetworkError("no endpoint configured")
