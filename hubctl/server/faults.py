"""Fault rules: the misbehaviour of real hubs, mirrors and proxies, injected on demand for tests.

A rule matches a substring of the request target and is used up after `times` hits. Kinds that alter a
file body only hit GET responses that carry file bytes, so a rule on "weights.bin" passes the HEAD and the
redirect and lands on the request that actually streams the file, whichever origin serves it.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, fields, replace
from urllib.parse import unquote_plus

from hubctl.server.wire import FileSlice, Response, json_response, text_response

ANY_ROUTE_KINDS = frozenset({"status", "drop", "slow"})
BODY_KINDS = frozenset({"truncate", "corrupt", "stall", "wrong_size", "html", "empty", "gzip"})
RANGE_KINDS = frozenset({"ignore_range", "bad_range"})  # only hit requests that got a 206
KINDS = ANY_ROUTE_KINDS | BODY_KINDS | RANGE_KINDS
WRONG_SIZE_EXTRA = 7
PORTAL_PAGE = "<!doctype html><html><head><title>Sign in</title></head><body>Network login required.</body></html>"


@dataclass(frozen=True)
class Fault:
    kind: str
    match: str  # substring of the raw or the percent-decoded path+query
    method: str | None = None
    times: int = 1  # -1: forever
    status: int | None = None  # kind "status": the code to answer (default 500)
    retry_after: int | str | None = None  # kind "status": sent verbatim, so hostile values (`1.5`, `soon`) too
    delay: float | None = None  # slow: between 64 KiB chunks (0.5); stall: before closing (30)
    at: int | None = None  # truncate/stall: body bytes sent first (default half)
    headers: dict[str, str] | None = None  # kind "status": extra headers (e.g. RateLimit on a 503)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(KINDS)}")
        if self.times == 0 or self.times < -1:
            raise ValueError("times must be positive or -1 (forever)")
        for name, value in (self.headers or {}).items():
            if not isinstance(name, str) or not isinstance(value, str) or any(c in name + value for c in "\r\n"):
                raise ValueError("fault headers must be single-line strings")

    @classmethod
    def from_dict(cls, data: dict) -> Fault:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        return cls(**data)

    def cut(self, length: int) -> int:
        """How many body bytes truncate/stall send before stopping."""
        return min(length, length // 2 if self.at is None else self.at)


class FaultBook:
    """Active rules and their remaining hits, shared by every handler thread of both listeners."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._left: list[int] = []  # hits left per rule, -1 forever

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)
            self._left.append(fault.times)

    def add_json(self, payload: bytes) -> int:
        """Add a JSON list of fault dicts (the control route); all or none are added."""
        items = json.loads(payload or b"[]")
        if not isinstance(items, list):
            raise ValueError("expected a JSON list of fault objects")
        faults = [Fault.from_dict(item) for item in items]
        for fault in faults:
            self.add(fault)
        return len(faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._left.clear()

    def take(self, method: str, target: str, *, body: bool, ranged: bool) -> Fault | None:
        """Consume one hit of the first live rule that matches and applies to this response."""
        decoded = unquote_plus(target)
        with self._lock:
            for i, fault in enumerate(self._faults):
                left = self._left[i]
                if left == 0 or (fault.method and fault.method.upper() != method):
                    continue
                if fault.match not in target and fault.match not in decoded:
                    continue
                if (fault.kind in BODY_KINDS and not body) or (fault.kind in RANGE_KINDS and not ranged):
                    continue
                if left > 0:
                    self._left[i] = left - 1
                return fault
        return None


def reshape(fault: Fault, response: Response) -> Response:
    """The response a fault replaces `response` with; byte-level faults (truncate, corrupt, slow, stall)
    keep the response and are applied while sending."""
    if fault.kind == "status":
        code = fault.status or 500
        headers = (("Retry-After", str(fault.retry_after)),) if fault.retry_after is not None else ()
        headers += tuple((fault.headers or {}).items())
        return json_response(code, {"error": f"injected fault: HTTP {code}"}, headers)
    if fault.kind == "html":
        return text_response(200, PORTAL_PAGE, "text/html; charset=utf-8")
    if fault.kind == "empty":
        return Response(200, (("Content-Type", "application/octet-stream"),))
    file = response.file
    if file is None:
        return response
    if fault.kind == "gzip":  # a proxy that compresses although the client asked for identity
        with open(file.source, "rb") as fh:
            fh.seek(file.offset)
            body = gzip.compress(fh.read(file.length))
        return replace(response, file=None, body=body).with_header("Content-Encoding", "gzip")
    if fault.kind == "ignore_range":
        return replace(response, status=200, file=replace(file, offset=0, length=file.total)).with_header(
            "Content-Range", None
        )
    if fault.kind == "bad_range":
        start = 0 if file.offset > 0 else min(1000, file.total - 1)
        wrong = FileSlice(file.source, start, file.total - start, file.total)
        content_range = f"bytes {start}-{file.total - 1}/{file.total}"
        return replace(response, file=wrong).with_header("Content-Range", content_range)
    if fault.kind == "wrong_size":
        padded = replace(file, padding=WRONG_SIZE_EXTRA)
        reshaped = replace(response, file=padded)
        if response.status == 206:
            end, total = file.offset + file.length - 1 + WRONG_SIZE_EXTRA, file.total + WRONG_SIZE_EXTRA
            reshaped = reshaped.with_header("Content-Range", f"bytes {file.offset}-{end}/{total}")
        return reshaped
    return response
