"""A small HTTP/1.1 client on http.client: keep-alive per thread, redirects that never carry credentials
to another origin, environment proxies, and the retry rules (which statuses and errors are transient).

Why not httpx/requests: body throughput. Reading into one reused buffer with `readinto` avoids a copy per
chunk, which matters when a 2-core node must also hash every byte; and resume needs full control of
`Range` and `Content-Range`, which neither library validates.

Every value a server sends (status, headers, redirect targets) is hostile input: it is parsed here with
total functions (`header_int`, `retry_after`, `rate_limit`, `checked_url`) that return None or raise one of
this module's exceptions, never a ValueError, so no header can crash a pull.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import json
import random
import re
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import TypeVar

from hubctl import __version__
from hubctl.download import proxy
from hubctl.settings import Settings, current

USER_AGENT = f"hubctl/{__version__}"
_REDIRECTS = {301, 302, 303, 307, 308}
REDIRECTS = frozenset(_REDIRECTS)
_TRANSIENT_STATUS = {408, 425, 429}
_NETWORK_ERRORS = (OSError, http.client.HTTPException, ssl.SSLError)


class TransientError(Exception):
    """A failure worth retrying on the same endpoint (connection, timeout, 408/429/5xx)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """HTTP 429 whose `RateLimit` header says the bucket is empty (`r=0`): wait `retry_after` for the reset."""


class ProtocolError(Exception):
    """The server broke HTTP itself (a redirect to file://, a port over 65535, a malformed header or URL)."""


class HttpError(Exception):
    """A definitive HTTP error answer (4xx other than 408/429), with the hub's error code if any.

    `authorized` says whether the request carried credentials (a 401 then means "refused", not "who are you")."""

    def __init__(self, status: int, url: str, code: str, message: str, authorized: bool = False) -> None:
        detail = f" {code}" if code else ""
        super().__init__(f"HTTP {status}{detail} for {redact(url)}{': ' + message if message else ''}")
        self.status = status
        self.url = url
        self.code = code
        self.hub_message = message
        self.authorized = authorized


def checked_url(url: str) -> urllib.parse.SplitResult:
    """The parts of an http(s) URL with a host and a valid port; ProtocolError for anything else."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as err:  # "Port out of range", "Invalid IPv6 URL"
        raise ProtocolError(f"malformed URL {_shown(url)}: {err}") from None
    if parts.scheme not in ("http", "https"):
        raise ProtocolError(f"not an http(s) URL: {_shown(url)}")
    if not parts.hostname or port == 0 or any(c in url for c in "\r\n\t "):
        raise ProtocolError(f"malformed URL {_shown(url)}")
    return parts


def origin(url: str) -> str:
    """scheme://host:port, the unit of trust for credentials (as browsers and huggingface_hub use it)."""
    parts = checked_url(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def redact(url: str) -> str:
    """Drop the query (signed CDN URLs carry credentials in it) for messages and reports."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return _shown(url.partition("?")[0])
    return _shown(urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")))


def _shown(text: str, limit: int = 200) -> str:
    """A server-supplied string made safe for a one-line message: control characters escaped, length capped."""
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit] + "…"


_DIGITS = re.compile(r"^\d{1,18}$")
_SECONDS = re.compile(r"^\d{1,9}(\.\d{1,6})?$")
_RATELIMIT_FIELD = re.compile(r"(?:^|;)\s*([rt])\s*=\s*(\d{1,9})\s*(?=;|,|$)")


def header_int(headers: Message, name: str) -> int | None:
    """A non-negative integer header (Content-Length), or None when absent; ProtocolError when malformed."""
    value = headers.get(name)
    if value is None:
        return None
    if not _DIGITS.match(value.strip()):
        raise ProtocolError(f"malformed {name} header {_shown(value)!r}")
    return int(value.strip())


def retry_after(headers: Message) -> float | None:
    """Seconds from Retry-After: a delta (`120`, also `1.5`) or an HTTP date; None for anything else
    (`soon`, `-5`), as huggingface_hub ignores what it cannot read rather than failing on it."""
    value = (headers.get("Retry-After") or "").strip()
    if _SECONDS.match(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def rate_limit(headers: Message) -> tuple[int, int] | None:
    """(remaining, reset seconds) from the IETF `RateLimit: "resolvers";r=0;t=120` header; None if absent or
    unreadable."""
    fields = dict(_RATELIMIT_FIELD.findall((headers.get("RateLimit") or "")[:500]))
    if "r" not in fields or "t" not in fields:
        return None
    return int(fields["r"]), int(fields["t"])


_notice_lock = threading.Lock()


def notice(text: str) -> None:
    """A line on stderr for a long wait the user must not mistake for a hang (rate limits)."""
    with _notice_lock:
        sys.stderr.write(f"hubctl: {text}\n")
        sys.stderr.flush()


def backoff(attempt: int, settings: Settings | None = None) -> float:
    """Exponential backoff with jitter: base*2^(attempt-1), capped, scaled by a random 0.5..1."""
    settings = settings or current()
    delay = min(settings.backoff_max, settings.backoff_base * (2 ** max(0, attempt - 1)))
    return delay * random.uniform(0.5, 1.0)


T = TypeVar("T")


def retry_delay(
    err: TransientError, attempt: int, can_wait_reset: bool, settings: Settings | None = None
) -> float | None:
    """How long to sleep before the next attempt, or None to give up on this endpoint now.

    A rate-limit reset (429, r=0) is waited out up to rate_limit_wait_max (HF windows are 300 s) when no
    other endpoint could serve instead; any other Retry-After up to retry_after_max; else backoff."""
    settings = settings or current()
    if isinstance(err, RateLimited) and err.retry_after is not None:
        limit = settings.rate_limit_wait_max if can_wait_reset else settings.retry_after_max
        return err.retry_after if err.retry_after <= limit else None
    delay = err.retry_after if err.retry_after is not None else backoff(attempt, settings)
    return delay if delay <= settings.retry_after_max else None


def with_retries(
    call: Callable[[], T],
    what: str,
    retries: int | None = None,
    deadline: float | None = None,
    settings: Settings | None = None,
) -> T:
    """Run `call`, retrying TransientError with backoff (honouring Retry-After and rate-limit resets);
    re-raise the last one. `deadline` (time.monotonic) bounds the whole exchange, waits included."""
    settings = settings or current()
    attempts = retries if retries is not None else settings.retries
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except TransientError as err:
            if attempt == attempts:
                raise TransientError(f"{what}: {err} (after {attempts} attempts)", err.retry_after) from err
            delay = retry_delay(err, attempt, can_wait_reset=True, settings=settings)
            if delay is None:
                wait = err.retry_after or 0
                raise TransientError(f"{what}: {err}; server asks to wait {wait:.0f} s", err.retry_after) from err
            if deadline is not None and time.monotonic() + delay > deadline:
                raise TransientError(f"{what}: {err}; no time left before the deadline", err.retry_after) from err
            if isinstance(err, RateLimited):
                notice(f"{what}: rate limit reached; waiting {delay:.0f} s for the hub's window to reset")
            time.sleep(delay)
    raise AssertionError("unreachable")


@dataclass
class Response:
    """An HTTP response whose body is read by the caller; `close()` returns the connection to the pool."""

    status: int
    headers: Message
    url: str
    _raw: http.client.HTTPResponse
    _release: Callable[[bool], None]
    authorized: bool = False  # the request carried credentials
    settings: Settings = field(default_factory=current)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def readinto(self, buffer: memoryview) -> int:
        """Bytes from at most one socket read: a body trickling 1 byte/s returns here each second, so the
        caller's throughput watchdog sees it (http.client's own readinto blocks until the buffer is full)."""
        raw = self._raw
        try:
            if raw.chunked or raw.length is None or raw.fp is None:
                return raw.readinto(buffer)
            n = raw.fp.readinto1(buffer[: raw.length]) if raw.length else 0
            raw.length -= n
            if raw.length == 0:
                raw.readinto(memoryview(bytearray(0)))  # lets http.client close the exchange
            return n
        except _NETWORK_ERRORS as err:
            raise TransientError(_describe(err, self.settings)) from err

    def read(self, limit: int = 64 << 20, deadline: float | None = None) -> bytes:
        """The whole body, at most `limit` bytes, by `deadline` (time.monotonic) if given."""
        data = bytearray()
        chunk = bytearray(1 << 16)
        view = memoryview(chunk)
        while True:
            if deadline is not None and time.monotonic() > deadline:
                raise TransientError(f"answer from {redact(self.url)} too slow: {len(data)} bytes by the deadline")
            n = self.readinto(view)
            if n == 0:
                break
            data += view[:n]
            if len(data) > limit:
                raise TransientError(f"response body over {limit} bytes from {redact(self.url)}")
        if self._raw.length:  # Content-Length promised more than arrived
            raise TransientError(f"connection closed early ({len(data)} bytes) by {redact(self.url)}")
        return bytes(data)

    def json(self, deadline: float | None = None) -> object:
        """The body as JSON; ProtocolError for JSON nested too deep to parse (a hostile answer)."""
        body = self.read(deadline=deadline)
        try:
            return json.loads(body)
        except RecursionError:
            raise ProtocolError(f"JSON from {redact(self.url)} is nested too deeply to be a hub answer") from None
        except ValueError as err:
            raise TransientError(f"invalid JSON from {redact(self.url)}: {err}") from err

    def abort(self) -> None:
        """Drop the connection: an unread body cannot be skipped on a keep-alive connection."""
        self._release(False)

    def close(self) -> None:
        """Keep the connection only if the body was consumed completely."""
        self._release(self._raw.isclosed() or self._raw.length == 0)


def _describe(err: BaseException, settings: Settings) -> str:
    if isinstance(err, (socket.timeout, TimeoutError)):
        return f"stalled: no data for {settings.stall_timeout:g} s"
    if isinstance(err, http.client.IncompleteRead):
        return f"connection closed early ({len(err.partial)} bytes of the last read)"
    return f"{type(err).__name__}: {_shown(str(err))}" if str(err) else type(err).__name__  # may quote the server


class Session:
    """Thread-safe HTTP client: one keep-alive connection per (thread, origin).

    `credentials` maps an origin to headers (Authorization, Cookie) sent only to that exact origin,
    so a redirect to a CDN or any other host never receives a token.
    """

    def __init__(self, credentials: dict[str, dict[str, str]] | None = None, settings: Settings | None = None) -> None:
        self.credentials = dict(credentials or {})
        self.settings = settings or current()
        self._local = threading.local()
        self._ssl = proxy.ssl_context()  # the environment's CA bundles, else the system store

    def _pool(self) -> dict[str, http.client.HTTPConnection]:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        return pool

    def _connect(self, url: str) -> tuple[http.client.HTTPConnection, bool]:
        parts = checked_url(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        timeout = min(self.settings.connect_timeout, self.settings.stall_timeout)
        via_proxy = proxy.connection(url, timeout, self._ssl)  # environment proxies: see proxy.py
        if via_proxy is not None:
            return via_proxy, False
        if parts.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=self._ssl), False
        return http.client.HTTPConnection(host, port, timeout=timeout), False

    def _send(self, method: str, url: str, headers: dict[str, str]) -> Response:
        key = origin(url)
        pool = self._pool()
        conn = pool.pop(key, None)
        absolute = False
        if conn is None:
            conn, absolute = self._connect(url)
        parts = urllib.parse.urlsplit(url)
        target = url if absolute else urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        try:
            if conn.sock is None:
                conn.connect()
                conn.sock.settimeout(self.settings.stall_timeout)
            conn.request(method, target, headers=headers)
            raw = conn.getresponse()
        except _NETWORK_ERRORS as err:
            conn.close()
            raise TransientError(f"{_describe(err, self.settings)} ({redact(url)})") from err
        except ValueError as err:  # a host or target http.client cannot encode (IDNA, non-latin-1)
            conn.close()
            raise ProtocolError(f"cannot request {redact(url)}: {_shown(str(err))}") from None

        def release(reusable: bool) -> None:
            if reusable and not raw.will_close:
                pool[key] = conn
            else:
                conn.close()

        return Response(
            raw.status, raw.headers, url, raw, release, "Authorization" in headers or "Cookie" in headers, self.settings
        )

    def request(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        *,
        follow_redirects: bool = True,
    ) -> Response:
        """Send a request; follow redirects (credentials only ever go to their own origin)."""
        for _ in range(10):
            sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {})}
            sent.update(self.credentials.get(origin(url), {}))
            response = self._send(method, url, sent)
            if not follow_redirects or response.status not in _REDIRECTS:
                return response
            url = redirect_target(response)
            if response.status == 303:
                method = "GET"
        raise TransientError(f"too many redirects from {redact(url)}")


def redirect_target(response: Response) -> str:
    """The absolute http(s) URL a redirect points at (the redirect's body is drained); ProtocolError for
    file://, ftp://, a port over 65535 or a malformed host; TransientError when Location is missing."""
    location = response.header("Location")
    with contextlib.suppress(TransientError):
        response.read(1 << 16, deadline=time.monotonic() + response.settings.stall_timeout)
    response.close()
    if not location:
        raise TransientError(f"redirect without Location from {redact(response.url)}")
    try:
        target = urllib.parse.urljoin(response.url, location.strip())
    except ValueError as err:
        raise ProtocolError(f"malformed redirect {_shown(location)} from {redact(response.url)}: {err}") from None
    checked_url(target)
    return target


def check_status(response: Response) -> Response:
    """Raise TransientError for retryable statuses and HttpError for other errors; pass 2xx through."""
    status = response.status
    if 200 <= status < 300:
        return response
    wait = retry_after(response.headers)
    limit = rate_limit(response.headers)
    code = _shown(response.header("X-Error-Code") or "", 60)
    message = _shown(response.header("X-Error-Message") or "", 300)
    try:
        body = response.read(1 << 16, deadline=time.monotonic() + response.settings.stall_timeout)
    except (TransientError, ProtocolError):
        body = b""
    response.close()
    if not message and body:
        message = _error_text(body)
    if status == 429 and limit is not None and limit[0] == 0:
        # The header is on every response; only a 429 with the bucket empty says when to come back.
        raise RateLimited(f"HTTP 429 from {redact(response.url)} (rate limit reached)", float(limit[1]) + 1.0)
    if status in _TRANSIENT_STATUS or status >= 500:
        raise TransientError(f"HTTP {status} from {redact(response.url)}", wait)
    raise HttpError(status, response.url, code, message, response.authorized)


_S3_CODE = re.compile(rb"<Error>\s*<Code>([A-Za-z0-9._-]{1,60})</Code>")


def _error_text(body: bytes) -> str:
    """The hub's error message from a JSON body (HF `error`, ModelScope `Message`), one line."""
    xml = _S3_CODE.search(body[:4096])
    if xml:  # S3/OSS: <Error><Code>AccessDenied</Code>…
        return _shown(xml.group(1).decode("ascii", "replace"), 60)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    if isinstance(data, dict):
        text = data.get("error") or data.get("Message") or data.get("message") or ""
        return _shown(" ".join(str(text).split()), 300) if isinstance(text, (str, int, float)) else ""
    return ""
