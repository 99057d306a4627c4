"""HTTP values shared by both protocols' routes: requests, responses, byte ranges and the signed CDN origin.

Routes are pure functions from a Request to a Response; only app.py touches sockets, so faults can
reshape any response before a byte is written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.message import Message
from pathlib import Path
from urllib.parse import quote, urlencode

from hubctl.server.store import RepoStore, ServedFile

_SIGNING_KEY = b"hubctl-loopback-hub"
_OCTET = "application/octet-stream"


@dataclass(frozen=True)
class Request:
    origin: str  # "api" (hub + API) or "cdn" (signed blob origin)
    method: str
    target: str  # raw path + query, as sent
    segments: tuple[str, ...]  # path split on "/" first, then each segment percent-decoded
    query: Mapping[str, list[str]]
    headers: Message
    body: bytes
    base_url: str  # this origin as the client addressed it, for absolute links
    cdn_url: str  # the blob origin on the same host name

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def flag(self, name: str) -> bool:
        """A boolean query parameter, spelled the ways the clients spell it (true, True, 1)."""
        return (self.param(name) or "").lower() in ("1", "true")

    def credentials(self) -> set[str]:
        """Tokens the request presents: `Authorization: Bearer` and ModelScope's `m_session_id` cookie."""
        found = set()
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            found.add(auth[7:].strip())
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "m_session_id":
                found.add(value)
        return found


@dataclass(frozen=True)
class FileSlice:
    """Bytes [offset, offset+length) of `source`, followed by `padding` filler bytes (a wrong_size fault)."""

    source: Path
    offset: int
    length: int
    total: int
    padding: int = 0


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    file: FileSlice | None = None

    @property
    def content_length(self) -> int:
        return self.file.length + self.file.padding if self.file else len(self.body)

    def with_header(self, name: str, value: str | None) -> Response:
        """A copy with header `name` replaced by `value`, or removed when value is None."""
        kept = tuple((k, v) for k, v in self.headers if k.lower() != name.lower())
        return replace(self, headers=kept if value is None else (*kept, (name, value)))


class Reject(Exception):
    """Raised by a route to answer with an error response from deep inside its lookups."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, (("Content-Type", "application/json; charset=utf-8"), *headers), body)


def text_response(
    status: int, text: str, content_type: str = "text/plain; charset=utf-8", headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    return Response(status, (("Content-Type", content_type), *headers), text.encode())


def redirect(status: int, location: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return text_response(status, f"Found. Redirecting to {location}", headers=(("Location", location), *headers))


def iso(ts: float) -> str:
    """The hub's date format, the only one huggingface_hub's parse_datetime accepts."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Inclusive (start, end) of a single `bytes=` range; None means serve it all. Raises ValueError if
    the range starts past the end (416). Malformed and multi-part ranges are ignored, as RFC 9110 allows."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, sep, last = header[6:].strip().partition("-")
    if not sep or not (first or last) or not all(p.isdigit() for p in (first, last) if p):
        return None
    if not first:  # suffix range: the last N bytes
        return (max(size - int(last), 0), size - 1) if size and int(last) else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size and size > 0:
        raise ValueError(start)
    return (start, end) if start <= end else None


def file_response(file: ServedFile, range_header: str | None, headers: tuple[tuple[str, str], ...]) -> Response:
    """200 with the whole file, 206 for a satisfiable range, 416 for one past the end."""
    base = (("Content-Type", _OCTET), ("Accept-Ranges", "bytes"), *headers)
    try:
        span = parse_range(range_header, file.size)
    except ValueError:
        return text_response(
            416, "Requested Range Not Satisfiable", headers=(("Content-Range", f"bytes */{file.size}"), *headers)
        )
    if span is None:
        return Response(200, base, file=FileSlice(file.source, 0, file.size, file.size))
    start, end = span
    return Response(
        206,
        (*base, ("Content-Range", f"bytes {start}-{end}/{file.size}")),
        file=FileSlice(file.source, start, end - start + 1, file.size),
    )


def sign(sha256: str) -> str:
    return hmac.new(_SIGNING_KEY, sha256.encode(), hashlib.sha256).hexdigest()[:40]


def blob_location(req: Request, kind: str, repo_id: str, file: ServedFile) -> str:
    """Signed URL of a file on the blob origin: `cdn` like HF's S3/CloudFront, `oss` like ModelScope's OSS.

    The repo id and path ride along in the query (as the real content-disposition does for the name) so a
    fault matching a file name also hits the blob request that carries the file's bytes."""
    if kind == "cdn":
        params = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Expires": "3600", "X-Amz-Signature": sign(file.sha256)}
    else:
        expires = str(int(time.time()) + 3600)
        params = {"Expires": expires, "OSSAccessKeyId": "LTAI-loopback", "Signature": sign(file.sha256)}
    params |= {"X-Hub-Repo": repo_id, "X-Hub-File": file.path}
    return f"{req.cdn_url}/{kind}/{file.sha256}?{urlencode(params, quote_via=quote, safe='/')}"


def blob_route(req: Request, store: RepoStore) -> Response:
    """Origin B: `/cdn/<sha256>` and `/oss/<sha256>`, unauthenticated but signed, with ranges."""
    seg = req.segments
    if req.method not in ("GET", "HEAD") or len(seg) != 2 or seg[0] not in ("cdn", "oss"):
        return s3_error(404, "NoSuchKey")
    file = store.blob(seg[1])
    if file is None:
        return s3_error(404, "NoSuchKey")
    given = req.param("X-Amz-Signature" if seg[0] == "cdn" else "Signature") or ""
    if not hmac.compare_digest(given, sign(file.sha256)):
        return s3_error(403, "AccessDenied")
    tag = f'"{file.sha256}"'
    return file_response(file, req.headers.get("Range"), (("ETag", tag), ("X-Linked-ETag", tag)))


def s3_error(status: int, code: str) -> Response:
    return text_response(
        status, f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code></Error>", "application/xml"
    )
