"""HubServer: the two loopback listeners, dispatch to the protocol routes, faults, the request log, sendfile.

Origin A serves the hub and API routes of both protocols; origin B (another port, hence another origin)
serves signed blobs, so huggingface_hub stops its HEAD at the LFS redirect and drops Authorization on
the GET, exactly as with the real hub's CDN. File bodies go out with os.sendfile so the server is never
the bottleneck of a benchmark; only faults that alter bytes read them into user space.
"""

from __future__ import annotations

import contextlib
import io
import os
import select
import signal
import socket
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Collection
from dataclasses import asdict, dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from hubctl.server import hf_routes, ms_routes
from hubctl.server.faults import Fault, FaultBook, reshape
from hubctl.server.guard import Refusal, check_fields, check_headers, check_target, unsafe_header
from hubctl.server.store import RepoStore
from hubctl.server.wire import FileSlice, Reject, Request, Response, blob_route, json_response

_CORRUPT_CHUNK = 1 << 20
_SLOW_CHUNK = 64 << 10
_LOG_LIMIT = 100_000  # newest records kept, so a long-running mirror's log stays bounded
_IDLE_TIMEOUT = 300.0  # seconds a keep-alive connection may sit idle (or a client may stop reading)
_HEAD_TIMEOUT = 20.0  # seconds from a request's first byte to the end of its body: a trickling client is cut
_MORE = getattr(socket, "MSG_MORE", 0)
_CONTROL_ROUTES = {(("__faults",), "POST"), (("__reset",), "POST"), (("__log",), "GET")}


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it, for tests to assert on what a client actually sent."""

    origin: str  # "api" | "cdn"
    method: str
    path: str  # path + query, raw
    range: str | None
    authorization: str | None
    cookie: str | None
    status: int  # 0 when a `drop` fault closed the connection without answering
    bytes_sent: int  # body bytes written
    fault: str | None
    x_hf_download_counter: str | None
    host: str | None
    accept_encoding: str | None


class HubServer:
    """A running loopback hub over a RepoStore; listening and serving as soon as it is constructed."""

    def __init__(
        self,
        store: RepoStore,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        control: bool = False,
        tree_page_size: int | None = None,
        cdn_port: int | None = None,
        head_timeout: float = _HEAD_TIMEOUT,
    ) -> None:
        """`cdn_port` defaults to port+1 for a fixed port and to a free port for port 0; `head_timeout` bounds
        the time from a request's first byte to its last (slow-loris clients)."""
        self.store = store
        self.head_timeout = head_timeout
        self.control = control
        self.tree_page_size = tree_page_size
        self.hf = hf_routes.HfEmulation()  # huggingface.co's quirks and mirror modes; tests adjust its fields
        self._faults = FaultBook()
        self._log: deque[RequestRecord] = deque(maxlen=_LOG_LIMIT)
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._api = _Listener(host, port, self, "api")
        try:
            self._cdn = _Listener(host, (port + 1 if port else 0) if cdn_port is None else cdn_port, self, "cdn")
        except OSError:
            self._api.server_close()
            raise
        self._threads = [
            threading.Thread(
                target=lst.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name=f"hubctl-hub-{lst.origin}"
            )
            for lst in (self._api, self._cdn)
        ]
        for thread in self._threads:
            thread.start()

    def __enter__(self) -> HubServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._api.server_address[1]

    @property
    def cdn_port(self) -> int:
        return self._cdn.server_address[1]

    @property
    def endpoint(self) -> str:
        return f"http://{self._api.display_host}:{self.port}"

    @property
    def cdn_endpoint(self) -> str:
        return f"http://{self._cdn.display_host}:{self.cdn_port}"

    def add_fault(self, fault: Fault) -> None:
        self._faults.add(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    def log(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def stop(self) -> None:
        """Stop both listeners and cut open connections (idle keep-alives, stalled bodies)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        for listener in (self._api, self._cdn):
            listener.shutdown()
            listener.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join()

    def respond(self, req: Request) -> Response:
        """Route a request on either origin (faults are applied by the caller)."""
        try:
            if req.origin == "cdn":
                return hf_routes.cdn_guard(req, self.store, self.hf) or blob_route(req, self.store)
            found = ms_routes.route(req, self.store) or hf_routes.route(req, self.store, self.tree_page_size, self.hf)
            return found or json_response(404, {"error": "Not Found"})
        except Reject as rejected:
            return rejected.response

    def is_control(self, req: Request) -> bool:
        """Control routes exist only with control=True; otherwise those paths are ordinary 404s."""
        return self.control and req.origin == "api" and (req.segments, req.method) in _CONTROL_ROUTES

    def control_response(self, req: Request) -> Response:
        if req.segments == ("__faults",):
            try:
                added = self._faults.add_json(req.body)
            except (ValueError, TypeError) as exc:
                return json_response(400, {"error": str(exc)})
            return json_response(200, {"added": added})
        if req.segments == ("__reset",):
            self.clear_faults()
            self.reset_log()
            return json_response(200, {})
        return json_response(200, [asdict(r) for r in self.log()])

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    def _track(self, conn: socket.socket, open_: bool) -> None:
        with self._lock:
            (self._conns.add if open_ else self._conns.discard)(conn)

    def _pause(self, seconds: float) -> None:
        """Sleep for a slow/stall fault, cut short by stop()."""
        self._stopping.wait(seconds)


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() cuts connections itself; never wait on a stalled handler

    def __init__(self, host: str, port: int, hub: HubServer, origin: str) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.hub = hub
        self.origin = origin
        wildcard = host in ("", "0.0.0.0", "::")
        name = ("::1" if ":" in host else "127.0.0.1") if wildcard else host
        self.display_host = f"[{name}]" if ":" in name else name
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-response is normal for a download server; anything else is a bug."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hubctl-hub"
    sys_version = ""
    timeout = _IDLE_TIMEOUT
    server: _Listener
    _sent = 0  # body bytes written for the current request, kept current for the log on a hang-up

    def setup(self) -> None:
        super().setup()
        # Each response leaves in as few segments as possible (see _write); without NODELAY, Nagle holds back
        # the next response's first segment until the client's delayed ACK (~40 ms per request on keep-alive).
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._clock = _RequestClock(self.connection, _IDLE_TIMEOUT, self.server.hub.head_timeout)
        self.rfile = io.BufferedReader(self._clock)
        self.server.hub._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.hub._track(self.connection, False)

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def handle_one_request(self) -> None:
        self._clock.expect_request()
        super().handle_one_request()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (bad request line, 414, 431, 501): the reason phrase is always the standard
        one, because the library's messages quote request data; the detail goes, HTML-escaped, into the body."""
        if not getattr(self, "request_version", "").startswith("HTTP/1."):
            self.request_version = "HTTP/1.0"  # HTTP/0.9 is not spoken: every answer has a status line
        super().send_error(code, None, message)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log is kept in memory (HubServer.log)."""

    def _serve(self) -> None:
        hub = self.server.hub
        self._sent = 0
        try:
            req = self._request()
        except Refusal as refused:
            self._refuse(refused)
            return
        if hub.is_control(req):  # neither faulted nor logged
            self._write(req.method, hub.control_response(req), None)
            return
        try:
            response = hub.respond(req)
        except Exception:  # a bug in a route: answer 500 rather than drop the connection
            traceback.print_exc()
            response = json_response(500, {"error": "internal error in the loopback hub"})
        is_body = req.method == "GET" and response.file is not None and response.status in (200, 206)
        fault = hub._faults.take(req.method, req.target, body=is_body, ranged=is_body and response.status == 206)
        status = 0
        try:
            if fault and fault.kind == "drop":
                self.close_connection = True
                return
            if fault:
                response = reshape(fault, response)
            status = response.status
            self._write(req.method, response, fault)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        finally:
            hub._record(
                RequestRecord(
                    origin=req.origin,
                    method=req.method,
                    path=req.target,
                    range=req.headers.get("Range"),
                    authorization=req.headers.get("Authorization"),
                    cookie=req.headers.get("Cookie"),
                    status=status,
                    bytes_sent=self._sent,
                    fault=fault.kind if fault else None,
                    x_hf_download_counter=req.headers.get("X-HF-Download-Counter"),
                    host=req.headers.get("Host"),
                    accept_encoding=req.headers.get("Accept-Encoding"),
                )
            )

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def _request(self) -> Request:
        """The request as routes see it, once every field has passed the guard (Refusal otherwise)."""
        check_target(self.path)
        length = check_headers(self.headers)
        path, _, query_text = self.path.partition("?")
        segments = tuple(unquote(s) for s in path.split("/") if s)  # split first: refs%2Fpr%2F1 is one segment
        query = parse_qs(query_text, keep_blank_values=True)
        check_fields(segments, query)
        body = self.rfile.read(length) if length else b""
        self._clock.request_read()
        base, cdn = self._urls()
        return Request(
            origin=self.server.origin,
            method=self.command,
            target=self.path,
            segments=segments,
            query=query,
            headers=self.headers,
            body=body,
            base_url=base,
            cdn_url=cdn,
        )

    def _refuse(self, refused: Refusal) -> None:
        """Answer a refused request with a fixed message and close: its body (if any) was never read."""
        self.close_connection = True
        status = 0
        try:
            self._write(self.command, json_response(refused.status, {"error": refused.reason}), None)
            status = refused.status
        except (ConnectionError, TimeoutError):
            pass
        finally:
            self.server.hub._record(_bare_record(self.server.origin, self.command, self.path, status))

    def _urls(self) -> tuple[str, str]:
        """This origin and the blob origin under the host name the client used (mirrors on 0.0.0.0)."""
        hub = self.server.hub
        own = hub.endpoint if self.server.origin == "api" else hub.cdn_endpoint
        host = self.headers.get("Host")
        try:
            name = urlsplit(f"//{host}").hostname if host else None
        except ValueError:
            name = None
        if not name:
            return own, hub.cdn_endpoint
        name = f"[{name}]" if ":" in name else name
        return f"http://{host}", f"http://{name}:{hub.cdn_port}"

    def _write(self, method: str, response: Response, fault: Fault | None) -> None:
        if any(unsafe_header(k, v) for k, v in response.headers):
            # A route echoed something the guard let through: a bug, but never a split header block.
            print("hubctl-hub: a response header with a control character was refused", file=sys.stderr)
            self.close_connection = True
            response = json_response(500, {"error": "internal error in the loopback hub"})
            fault = None
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = ""
        lines = [
            f"HTTP/1.1 {response.status} {phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
        ]
        lines += [f"{k}: {v}" for k, v in response.headers]
        lines.append(f"Content-Length: {response.content_length}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        slow = fault is not None and fault.kind == "slow"
        if method == "HEAD" or response.file is None:
            body = b"" if method == "HEAD" or slow else response.body
            self.connection.sendall(head + body)  # one write: a response never waits on the client's ACK
            self._sent += len(body)
            if slow:
                self.server.hub._pause(_delay(fault, 0.5))
                if method != "HEAD":
                    self.connection.sendall(response.body)
                    self._sent += len(response.body)
            return
        # Held back to leave in one segment with the body's first bytes (only when body bytes follow at once).
        more = _MORE if response.content_length and (fault is None or fault.kind not in ("slow", "stall")) else 0
        self.connection.sendall(head, more)
        self._send_file(response.file, fault)

    def _send_file(self, part: FileSlice, fault: Fault | None) -> None:
        if fault is None or fault.kind not in ("slow", "corrupt", "truncate", "stall"):
            self._sendfile(part.source, part.offset, part.length)
        elif fault.kind == "slow":
            self._stream(part, _SLOW_CHUNK, delay=_delay(fault, 0.5))
        elif fault.kind == "corrupt":  # same length, first and middle byte flipped
            self._stream(part, _CORRUPT_CHUNK, flip={0, part.length // 2})
        else:  # truncate, stall: part of the body, then (after a pause for stall) hang up
            self._sendfile(part.source, part.offset, fault.cut(part.length))
            if fault.kind == "stall":
                self.server.hub._pause(_delay(fault, 30.0))
            self.close_connection = True
            return
        if part.padding:
            self.wfile.write(b"\0" * part.padding)
            self._sent += part.padding

    def _sendfile(self, source: Path, offset: int, count: int) -> None:
        sock = self.connection
        with open(source, "rb") as fh:
            done = 0
            while done < count:
                try:
                    n = os.sendfile(sock.fileno(), fh.fileno(), offset + done, count - done)
                except BlockingIOError:  # the socket has a timeout, so it is non-blocking underneath
                    self._wait_writable()
                    continue
                if n == 0:
                    raise ConnectionAbortedError(f"{source} is shorter than the size being served")
                done += n
                self._sent += n

    def _wait_writable(self) -> None:
        poller = select.poll()
        poller.register(self.connection, select.POLLOUT)
        if not poller.poll(_IDLE_TIMEOUT * 1000):
            raise TimeoutError("client stopped reading")

    def _stream(self, part: FileSlice, chunk: int, *, delay: float = 0.0, flip: Collection[int] = ()) -> None:
        """Send through user space: for faults that pace or alter the bytes."""
        with open(part.source, "rb") as fh:
            fh.seek(part.offset)
            pos = 0
            while pos < part.length:
                data = bytearray(fh.read(min(chunk, part.length - pos)))
                if not data:
                    raise ConnectionAbortedError(f"{part.source} is shorter than the size being served")
                for at in flip:
                    if pos <= at < pos + len(data):
                        data[at - pos] ^= 0xFF
                self.connection.sendall(data)
                pos += len(data)
                self._sent += len(data)
                if delay and pos < part.length:
                    self.server.hub._pause(delay)


class _RequestClock(io.RawIOBase):
    """The connection's reads, with a deadline from a request's first byte to its last.

    The idle timeout alone is per read, so a client sending one byte every few seconds would hold its thread
    forever; here the deadline starts at the first byte of a request and ends when the request is read."""

    def __init__(self, sock: socket.socket, idle: float, head: float) -> None:
        super().__init__()
        self._sock = sock
        self._idle = idle
        self._head = head
        self._waiting = False
        self._deadline: float | None = None

    def readable(self) -> bool:
        return True

    def expect_request(self) -> None:
        """The next bytes start a request: wait for them up to the idle timeout, then start the clock."""
        self._waiting, self._deadline = True, None

    def request_read(self) -> None:
        """The request is in: back to the idle timeout for the response and the next request."""
        if self._deadline is not None:
            self._sock.settimeout(self._idle)
        self._waiting, self._deadline = False, None

    def readinto(self, buffer: Any) -> int:
        if self._deadline is not None:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("request not received in time")
            self._sock.settimeout(min(self._idle, left))
        n = self._sock.recv_into(buffer)
        if n and self._waiting and self._deadline is None:
            self._deadline = time.monotonic() + self._head
        return n


def _bare_record(origin: str, method: str, path: str, status: int) -> RequestRecord:
    return RequestRecord(origin, method, path, None, None, None, status, 0, None, None, None, None)


def _delay(fault: Fault, default: float) -> float:
    return default if fault.delay is None else fault.delay


def run_until_stopped(server: HubServer) -> None:
    """Block until SIGTERM (or Ctrl-C, which the CLI reports), then stop `server`: no thread keeps serving."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        server.stop()
