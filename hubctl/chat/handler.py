"""HTTP requests of `hubctl chat --serve`: routing, the API key, bounded bodies, JSON and SSE responses.

Every request ends in exactly one response (or, for a stream, one closed event stream): refusals are an
OpenAI-style error object with a 4xx status, unexpected failures a 500 with one line, never a traceback,
and the handler thread goes back to serving. Request bodies are never logged: the access line holds the
client address, method, path (escaped), status and duration only.
"""

from __future__ import annotations

import hmac
import json
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hubctl.chat.api import ApiError, decode_body, parse_chat
from hubctl.chat.completion import Chunks, Prepared, completion, finish_reason, run, usage
from hubctl.chat.gate import ClientGone
from hubctl.model.conversation import PromptTooLong, fit

if TYPE_CHECKING:
    from hubctl.chat.server import ChatServer

CHAT_PATH = "/v1/chat/completions"


class Handler(BaseHTTPRequestHandler):
    server: ChatServer
    protocol_version = "HTTP/1.1"  # keep-alive for JSON responses; streams close their connection
    server_version = "hubctl-chat"
    sys_version = ""
    timeout = 60  # an idle or trickling client releases its thread

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each SSE chunk leaves at once
        self._started = time.monotonic()
        self._status = 0
        self._tokens: int | None = None

    # ---- routing ----

    def do_GET(self) -> None:
        self._dispatch({"/": self._page, "/health": self._health, "/v1/models": self._models})

    def do_POST(self) -> None:
        self._dispatch({CHAT_PATH: self._chat})

    def _dispatch(self, routes: dict) -> None:
        self._started, self._status, self._tokens = time.monotonic(), 0, None
        path = urlsplit(self.path).path
        route = routes.get(path)
        try:
            if route is None:
                known = any(path in r for r in ({"/", "/health", "/v1/models"}, {CHAT_PATH}))
                raise ApiError(
                    405 if known else 404,
                    f"{self.command} {path} is not a route of this server",
                    code="method_not_allowed" if known else "not_found",
                )
            if path.startswith("/v1/") and not self._authorized():
                raise ApiError(
                    401,
                    "missing or wrong API key: send 'Authorization: Bearer <key>'",
                    code="invalid_api_key",
                    kind="authentication_error",
                )
            route()
        except ApiError as err:
            self._send_json(err.status, err.body())
        except ClientGone:
            self.close_connection = True
        except Exception as err:  # a bug: one line for the client and the log, the server keeps serving
            self.server.log(f"hubctl chat: internal error: {type(err).__name__}: {_one_line(err)}")
            self._send_json(
                500,
                ApiError(
                    500, f"internal error: {type(err).__name__}", code="internal_error", kind="server_error"
                ).body(),
            )
        finally:
            self._access_log(path)

    def _authorized(self) -> bool:
        key = self.server.options.api_key
        if not key:
            return True
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        # compare_digest takes the same time wherever the first difference is
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode("utf-8", "replace"), key.encode("utf-8")
        )

    # ---- routes ----

    def _page(self) -> None:
        self._send(
            200,
            self.server.page,
            "text/html; charset=utf-8",
            {
                "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    def _health(self) -> None:
        self._send_json(200, {"status": "ok"})

    def _models(self) -> None:
        self._send_json(200, {"object": "list", "data": [self.server.model_card()]})

    def _chat(self) -> None:
        server = self.server
        data = decode_body(self._body())
        request = parse_chat(
            data,
            server.model_id,
            server.loaded.context,
            server.options.max_tokens,
            {"temperature": server.options.temperature, "top_p": server.options.top_p},
        )
        with server.gate.turn(gone=self._peer_closed):
            # the tokenizer is used under the gate too: fast tokenizers refuse concurrent use ("Already borrowed")
            try:
                ids, dropped = fit(
                    server.loaded.tokenizer,
                    request.conversation(server.options.system),
                    request.user,
                    server.loaded.context,
                    request.max_tokens,
                )
            except PromptTooLong as err:
                raise ApiError(400, err.message, param="messages", code="context_length_exceeded") from None
            prepared = Prepared(request, ids, dropped, server.loaded.context)
            if request.stream:
                self._stream(prepared)
            else:
                self._complete(prepared)

    # ---- generation ----

    def _stop_event(self) -> threading.Event:
        stop = threading.Event()
        if self.server.stopping.is_set():
            stop.set()
        self.server.track(stop)
        return stop

    def _complete(self, prepared: Prepared) -> None:
        stop, pieces = self._stop_event(), []

        def emit(text: str) -> None:
            pieces.append(text)
            if self._peer_closed():
                stop.set()

        try:
            reply, scanner = run(self.server.loaded, prepared, self.server.options.top_k, emit, stop)
        finally:
            self.server.untrack(stop)
        self._tokens = reply.tokens
        if self._peer_closed():
            raise ClientGone()
        self._send_json(200, completion(self.server.model_id, prepared, "".join(pieces), reply, scanner))

    def _stream(self, prepared: Prepared) -> None:
        stop, chunks, gone = self._stop_event(), Chunks(self.server.model_id), []
        self.close_connection = True  # the end of the stream is the end of the connection
        self._status = 200
        self.send_response(200)
        for name, value in (
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("Connection", "close"),
            ("X-Accel-Buffering", "no"),
        ):
            self.send_header(name, value)
        self.end_headers()

        def event(payload: Any) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
            try:
                self.wfile.write(f"data: {data}\n\n".encode())
            except OSError:  # the client went away: stop generating for it
                stop.set()
                raise ClientGone() from None

        def emit(text: str) -> None:
            if stop.is_set() and gone:
                return
            if self._peer_closed():
                gone.append(True)
                stop.set()
                return
            try:
                event(chunks.chunk({"content": text}))
            except ClientGone:
                gone.append(True)  # stop is set; generate() ends at its next step

        try:
            event(chunks.chunk({"role": "assistant", "content": ""}, hubctl=prepared.hubctl_info()))
            try:
                reply, scanner = run(self.server.loaded, prepared, self.server.options.top_k, emit, stop)
            except Exception as err:
                self.server.log(f"hubctl chat: generation failed: {type(err).__name__}: {_one_line(err)}")
                event(
                    {
                        "error": ApiError(
                            500, f"generation failed: {type(err).__name__}", code="internal_error", kind="server_error"
                        ).body()["error"]
                    }
                )
                return
            self._tokens = reply.tokens
            if gone or self._peer_closed():
                raise ClientGone()
            event(chunks.chunk({}, finish_reason(reply, scanner)))
            if prepared.request.include_usage:
                event(chunks.usage_chunk(usage(prepared, reply)))
            event("[DONE]")
        finally:
            self.server.untrack(stop)

    # ---- transport ----

    def _peer_closed(self) -> bool:
        """True once the client has closed its end (readable with nothing to read), without consuming input."""
        try:
            poller = select.poll()  # poll, not select: no FD_SETSIZE limit on busy servers
            poller.register(self.connection, select.POLLIN | select.POLLHUP | select.POLLERR)
            if not poller.poll(0):
                return False
            return self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except (OSError, ValueError):
            return True

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise ApiError(
                411, "send the body with a Content-Length (chunked transfer is not supported)", code="length_required"
            )
        raw = self.headers.get("Content-Length")
        if raw is None or not raw.strip().isdigit():
            self.close_connection = True
            raise ApiError(
                411 if raw is None else 400, "a valid Content-Length header is required", code="length_required"
            )
        length, limit = int(raw), self.server.options.max_body
        if length > limit:
            self.close_connection = True  # the unread body must not be parsed as the next request
            raise ApiError(413, f"the request body is {length} bytes; the limit is {limit}", code="body_too_large")
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            raise ClientGone()
        return body

    def _send_json(self, status: int, payload: dict) -> None:
        self._send(
            status,
            json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            "application/json",
            {"WWW-Authenticate": "Bearer"} if status == 401 else {},
        )

    def _send(self, status: int, body: bytes, content_type: str, headers: dict) -> None:
        self._status = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (bad request line, oversized headers) as JSON errors too."""
        self.close_connection = True
        self._send_json(code, ApiError(code, message or "bad request", code="bad_request").body())

    # ---- logging: never a body, never unescaped client text ----

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass  # one line per request is written by _access_log

    def log_message(self, format: str, *args: Any) -> None:
        self.server.log(ascii(format % args)[1:-1])

    def _access_log(self, path: str) -> None:
        if self.server.options.access_log:
            elapsed = time.monotonic() - self._started
            tokens = "" if self._tokens is None else f" {self._tokens} tokens"
            self.server.log(
                f"{self.client_address[0]} {self.command} {ascii(path)[1:-1][:200]} {self._status} "
                f"{elapsed:.2f}s{tokens}"
            )


def _one_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return ascii(lines[0][:300])[1:-1] if lines else ""


def stderr_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
