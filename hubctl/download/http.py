"""A small HTTP/1.1 client on http.client: keep-alive per thread, redirects that never carry credentials
to another origin, environment proxies, and the retry rules (which statuses and errors are transient).

Why not httpx/requests: body throughput. Reading into one reused buffer with `readinto` avoids a copy per
chunk, which matters when a 2-core node must also hash every byte; and resume needs full control of
`Range` and `Content-Range`, which neither library validates.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import random
import re
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from typing import Callable, TypeVar

from hubctl import __version__
from hubctl.settings import Settings, current

USER_AGENT = f"hubctl/{__version__}"
_REDIRECTS = {301, 302, 303, 307, 308}
_TRANSIENT_STATUS = {408, 425, 429}
_NETWORK_ERRORS = (OSError, http.client.HTTPException, ssl.SSLError)


class TransientError(Exception):
    """A failure worth retrying on the same endpoint (connection, timeout, 408/429/5xx)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class HttpError(Exception):
    """A definitive HTTP error answer (4xx other than 408/429), with the hub's error code if any."""

    def __init__(self, status: int, url: str, code: str, message: str) -> None:
        detail = f" {code}" if code else ""
        super().__init__(f"HTTP {status}{detail} for {redact(url)}{': ' + message if message else ''}")
        self.status = status
        self.code = code
        self.hub_message = message


def origin(url: str) -> str:
    """scheme://host:port, the unit of trust for credentials (as browsers and huggingface_hub use it)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def redact(url: str) -> str:
    """Drop the query (signed CDN URLs carry credentials in it) for messages and reports."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def retry_after(headers: Message) -> float | None:
    """Seconds from Retry-After (delta or HTTP date) or the IETF RateLimit header (`t=N`)."""
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        when = email.utils.parsedate_to_datetime(value) if value else None
        if when is not None:
            return max(0.0, when.timestamp() - time.time())
    limit = headers.get("RateLimit")
    match = re.search(r"\bt=(\d+)", limit or "")
    return float(match.group(1)) if match else None


def backoff(attempt: int, settings: Settings | None = None) -> float:
    """Exponential backoff with jitter: base*2^(attempt-1), capped, scaled by a random 0.5..1."""
    settings = settings or current()
    delay = min(settings.backoff_max, settings.backoff_base * (2 ** max(0, attempt - 1)))
    return delay * random.uniform(0.5, 1.0)


T = TypeVar("T")


def with_retries(call: Callable[[], T], what: str, retries: int | None = None, settings: Settings | None = None) -> T:
    """Run `call`, retrying TransientError with backoff (honouring Retry-After); re-raise the last one."""
    settings = settings or current()
    attempts = retries if retries is not None else settings.retries
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except TransientError as err:
            if attempt == attempts:
                raise TransientError(f"{what}: {err} (after {attempts} attempts)", err.retry_after) from err
            delay = err.retry_after if err.retry_after is not None else backoff(attempt, settings)
            if delay > settings.retry_after_max:
                raise TransientError(f"{what}: {err}; server asks to wait {delay:.0f} s", delay) from err
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
    settings: Settings = field(default_factory=current)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def readinto(self, buffer: memoryview) -> int:
        try:
            return self._raw.readinto(buffer)
        except _NETWORK_ERRORS as err:
            raise TransientError(_describe(err, self.settings)) from err

    def read(self, limit: int = 64 << 20) -> bytes:
        try:
            data = self._raw.read(limit + 1)
        except _NETWORK_ERRORS as err:
            raise TransientError(_describe(err, self.settings)) from err
        if len(data) > limit:
            raise TransientError(f"response body over {limit} bytes from {redact(self.url)}")
        return data

    def json(self) -> object:
        try:
            return json.loads(self.read())
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
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


class Session:
    """Thread-safe HTTP client: one keep-alive connection per (thread, origin).

    `credentials` maps an origin to headers (Authorization, Cookie) sent only to that exact origin,
    so a redirect to a CDN or any other host never receives a token.
    """

    def __init__(self, credentials: dict[str, dict[str, str]] | None = None, settings: Settings | None = None) -> None:
        self.credentials = dict(credentials or {})
        self.settings = settings or current()
        self._local = threading.local()
        self._ssl = ssl.create_default_context()

    def _pool(self) -> dict[str, http.client.HTTPConnection]:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        return pool

    def _connect(self, url: str) -> tuple[http.client.HTTPConnection, bool]:
        parts = urllib.parse.urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        proxy = urllib.request.getproxies().get(parts.scheme)
        if proxy and urllib.request.proxy_bypass(host):
            proxy = None
        timeout = min(self.settings.connect_timeout, self.settings.stall_timeout)
        if proxy:
            pp = urllib.parse.urlsplit(proxy if "://" in proxy else "http://" + proxy)
            if parts.scheme == "https":
                conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                    pp.hostname, pp.port or 8080, timeout=timeout, context=self._ssl
                )
                conn.set_tunnel(host, port)
                return conn, False
            return http.client.HTTPConnection(pp.hostname, pp.port or 8080, timeout=timeout), True
        if parts.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=self._ssl), False
        if parts.scheme == "http":
            return http.client.HTTPConnection(host, port, timeout=timeout), False
        raise HttpError(0, url, "", f"unsupported URL scheme {parts.scheme!r}")

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

        def release(reusable: bool) -> None:
            if reusable and not raw.will_close:
                pool[key] = conn
            else:
                conn.close()

        return Response(raw.status, raw.headers, url, raw, release, self.settings)

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
            location = response.header("Location")
            response.read()
            response.close()
            if not location:
                raise TransientError(f"redirect without Location from {redact(url)}")
            url = urllib.parse.urljoin(url, location)
            if response.status == 303:
                method = "GET"
        raise TransientError(f"too many redirects from {redact(url)}")


def check_status(response: Response) -> Response:
    """Raise TransientError for retryable statuses and HttpError for other errors; pass 2xx through."""
    status = response.status
    if 200 <= status < 300:
        return response
    wait = retry_after(response.headers)
    code = response.header("X-Error-Code") or ""
    message = response.header("X-Error-Message") or ""
    try:
        body = response.read(1 << 16)
    except TransientError:
        body = b""
    response.close()
    if not message and body:
        message = _error_text(body)
    if status in _TRANSIENT_STATUS or status >= 500:
        raise TransientError(f"HTTP {status} from {redact(response.url)}", wait)
    raise HttpError(status, response.url, code, message)


def _error_text(body: bytes) -> str:
    """The hub's error message from a JSON body (HF `error`, ModelScope `Message`), one line."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if isinstance(data, dict):
        text = data.get("error") or data.get("Message") or data.get("message") or ""
        return " ".join(str(text).split())[:300]
    return ""
