"""Every request field is hostile: checks that run before routing, and the last check before a header is written.

Invariant: no byte a client sent reaches a response header line unless it passed `check_request`, and no header
line leaves the server with a control character in it (`unsafe_header`). The two checks are independent on
purpose: the first gives the client a clear 400, the second holds even if a route echoes something that the
first did not think of (a revision in `X-Error-Message`, a Host in `Location` or `Link`).

Why a control character is refused rather than escaped: a path or query is percent-decoded before a route sees
it, so `%0d%0a` becomes a real CR LF; no hub file name, repo id or revision contains one, so refusing costs
nothing legitimate and leaves no decoding layer to get wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from email.message import Message

MAX_TARGET = 8192  # bytes of path + query; longer is 414 (the real hubs' front ends cut near here too)
MAX_BODY = 1 << 20  # request bodies are small forms (paths-info, fault JSON); larger is 413
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1 controls
_RAW_CONTROL = re.compile(r"[\x00-\x20\x7f]")  # in the raw target, which arrives as latin-1 (UTF-8 bytes allowed)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token, for header names
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


class Refusal(Exception):
    """A request refused before routing: `status` and a fixed reason (never request data)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def check_target(target: str) -> None:
    """The raw request target: bounded, origin-form, no space or C0 control (decoded ones: check_fields)."""
    if len(target) > MAX_TARGET:
        raise Refusal(414, "request target too long")
    if not target.startswith("/") or _RAW_CONTROL.search(target):
        raise Refusal(400, "malformed request target")


def check_fields(segments: Iterable[str], query: Mapping[str, list[str]]) -> None:
    """Decoded path segments and query fields: no control characters (`%0d%0a`, `%00`, ...)."""
    for segment in segments:
        if has_control(segment):
            raise Refusal(400, "control character in the request path")
    for name, values in query.items():
        if has_control(name) or any(has_control(v) for v in values):
            raise Refusal(400, "control character in the query string")


def check_headers(headers: Message) -> int:
    """Host and the body framing; returns the body length to read. Chunked request bodies are not accepted
    (no route needs them), so a body can never be mistaken for the next request on a kept-alive connection."""
    hosts = headers.get_all("Host") or []
    if len(hosts) > 1 or (hosts and not _HOST.fullmatch(hosts[0].strip())):
        raise Refusal(400, "malformed Host header")
    if headers.get("Transfer-Encoding") is not None:
        raise Refusal(501, "Transfer-Encoding in a request is not supported")
    lengths = headers.get_all("Content-Length") or []
    if not lengths:
        return 0
    if len(set(lengths)) > 1 or not lengths[0].strip().isdigit() or not lengths[0].strip().isascii():
        raise Refusal(400, "malformed Content-Length")
    length = int(lengths[0].strip())
    if length > MAX_BODY:
        raise Refusal(413, "request body too large")
    return length


def unsafe_header(name: str, value: str) -> bool:
    """True if writing `name: value` could split the header block or smuggle a line (HTAB is allowed)."""
    return not _TOKEN.fullmatch(name) or has_control(value.replace("\t", " "))
