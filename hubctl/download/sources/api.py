"""Talking to a hub's JSON API: GET with retries, and a hub's refusal mapped to hubctl's error classes."""

from __future__ import annotations

from hubctl.download.http import HttpError, Session, check_status, with_retries
from hubctl.errors import AuthError, HubctlError, NotFoundError


def get_json(session: Session, url: str, what: str, endpoint: str) -> tuple[object, str | None]:
    """The JSON body and the Link header (pagination) of an API GET; transient failures are retried."""

    def call() -> tuple[object, str | None]:
        response = check_status(session.request("GET", url, {"Accept": "application/json"}))
        link = response.header("Link")
        data = response.json()
        response.close()
        return data, link

    try:
        return with_retries(call, f"{what} on {endpoint}", settings=session.settings)
    except HttpError as err:
        raise hub_error(err, what, endpoint) from err


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
