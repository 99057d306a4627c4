"""Talking to a hub's JSON API: GET with retries under a deadline, and a hub's refusal mapped to hubctl's
error classes.

The hub's own `X-Error-Code` decides the class before the status does: huggingface.co answers 401 (not
404) for a repo that does not exist when the caller is anonymous, so the status alone would send users
hunting for a token when they mistyped a name.
"""

from __future__ import annotations

import time

from hubctl.download.http import HttpError, ProtocolError, Session, check_status, with_retries
from hubctl.errors import AuthError, HubctlError, IntegrityError, NetworkError, NotFoundError

_NOT_FOUND_CODES = frozenset({"RepoNotFound", "RevisionNotFound", "EntryNotFound"})
_AUTH_CODES = frozenset({"GatedRepo"})
_TOKEN_HINT = "pass --token or set the hub's token variable (HF_TOKEN, MODELSCOPE_API_TOKEN)"


def get_json(session: Session, url: str, what: str, endpoint: str) -> tuple[object, str | None]:
    """The JSON body and the Link header (pagination) of an API GET; transient failures are retried,
    all within the settings' api_deadline (a server trickling its answer cannot hold a pull forever)."""
    deadline = time.monotonic() + session.settings.api_deadline

    def call() -> tuple[object, str | None]:
        response = check_status(session.request("GET", url, {"Accept": "application/json"}))
        link = response.header("Link")
        data = response.json(deadline=deadline)
        response.close()
        return data, link

    try:
        return with_retries(call, f"{what} on {endpoint}", deadline=deadline, settings=session.settings)
    except HttpError as err:
        raise hub_error(err, what, endpoint) from err
    except ProtocolError as err:
        raise IntegrityError(f"{what}: {endpoint} broke the protocol: {err}") from err


def hub_error(err: HttpError, what: str, endpoint: str) -> HubctlError:
    """A one-line error for `what` (e.g. "repo acme/x") that `endpoint` refused: by X-Error-Code first
    (RepoNotFound, RevisionNotFound, EntryNotFound -> 3; GatedRepo -> 4), then by status."""
    code = f" ({err.code})" if err.code else ""
    detail = f": {err.hub_message}" if err.hub_message else ""
    if err.code in _NOT_FOUND_CODES:
        if err.status == 401 and not err.authorized:
            return NotFoundError(f"{what}: not found on {endpoint}{code}, or private/gated: {_TOKEN_HINT}")
        return NotFoundError(f"{what}: not found on {endpoint}{code}{detail}")
    if err.code in _AUTH_CODES or err.status in (401, 403):
        if err.status == 401 and not err.authorized:
            hint = f"not found, or private/gated: {_TOKEN_HINT}"
            return AuthError(f"{what}: {endpoint} asks for a token{code}{detail}; {hint}")
        hint = "the repo is gated or private, or the token lacks access"
        return AuthError(f"{what}: access refused by {endpoint}{code}{detail}; {hint}")
    if err.status == 404:
        return NotFoundError(f"{what}: not found on {endpoint}{code}{detail}")
    return NetworkError(f"{what}: HTTP {err.status} from {endpoint}{code}{detail}")


def cdn_error(err: HttpError, what: str, endpoint: str) -> HubctlError:
    """A refusal from the storage origin a hub redirected to (a CDN, OSS): never a token problem of the
    hub's, so a network failure that names the status and the storage's reason."""
    detail = f": {err.hub_message}" if err.hub_message else ""
    return NetworkError(f"{what}: storage for {endpoint} answered HTTP {err.status}{detail}")
