"""Map a hub's HTTP error answer to hubctl's error classes (one exit code each)."""

from __future__ import annotations

from ..errors import AuthError, HubctlError, NotFoundError
from ..http import HttpError


def hub_error(err: HttpError, what: str, endpoint: str) -> HubctlError:
    """A one-line error for `what` (e.g. "repo acme/x") that `endpoint` refused."""
    code = f" ({err.code})" if err.code else ""
    detail = f": {err.hub_message}" if err.hub_message else ""
    if err.status in (401, 403):
        hint = "the repo is gated or private; pass --token or set the hub's token variable"
        return AuthError(f"{what}: access refused by {endpoint}{code}{detail}; {hint}")
    if err.status == 404:
        return NotFoundError(f"{what}: not found on {endpoint}{code}{detail}")
    return HubctlError(f"{what}: HTTP {err.status} from {endpoint}{code}{detail}")
