"""Error classes, one per failure class, each carrying the process exit code the CLI returns.

CI pipelines branch on the exit code, so every failure a user can hit maps to exactly one class here,
and the message is one line that says what failed and what to do.
"""

from __future__ import annotations

from enum import IntEnum

from hubctl.redact import clean


class ExitCode(IntEnum):
    """Documented exit codes (README, "Exit codes")."""

    OK = 0
    ERROR = 1  # unexpected failure (a bug): traceback with --debug
    USAGE = 2  # bad arguments or options
    NOT_FOUND = 3  # repo, revision or file does not exist on any endpoint
    AUTH = 4  # 401/403/gated: missing or refused token
    NETWORK = 5  # every endpoint failed after retries (unreachable, 5xx, 429, stalls)
    INTEGRITY = 6  # bytes do not match the expected hash (download or verify)
    LOCAL_IO = 7  # local disk: no space, permission, unsafe path on disk
    LOCK_TIMEOUT = 8  # another process held a lock past the wait limit
    MANIFEST = 9  # manifest unreadable, invalid or tampered
    SMOKE = 10  # the model loaded but did not generate acceptable text
    INTERRUPTED = 130  # Ctrl-C


class HubctlError(Exception):
    """Base class: a failure with a one-line message and an exit code."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        message = clean(message)  # one line, no secret: messages carry server-supplied strings (redact.py)
        super().__init__(message)
        self.message = message


class UsageError(HubctlError):
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


def most_telling(errors: list[HubctlError]) -> HubctlError:
    """Of several failures for one thing (one per endpoint), the one that best explains it:
    wrong bytes, then refused access, then network, then not found (a mirror may lack a repo)."""
    for kind in (IntegrityError, AuthError, NetworkError, NotFoundError):
        found = [e for e in errors if isinstance(e, kind)]
        if found:
            return found[0]
    return errors[0] if errors else NetworkError("no endpoint configured")
