"""`hubctl chat DIR --serve`: the verified, loaded model behind an OpenAI-compatible API and a web page.

The model is loaded by the same path as `hubctl chat` (verify, remote-code gate, device, dtype) before
this module runs, so nothing is served that was not checked. It listens on loopback unless told
otherwise, and anything else requires an API key: check_exposure() runs before the model loads, so a
refused exposure costs nothing. Ctrl-C stops every running generation, waits a bounded time for the
device to be released, closes the listening socket, then ends every open connection and waits (bounded)
for its thread, so no thread outlives the server.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

from hubctl.chat.gate import Gate
from hubctl.chat.handler import Handler, stderr_log
from hubctl.errors import HubctlError, UsageError
from hubctl.model.conversation import DEFAULT_SYSTEM
from hubctl.model.loading import LoadedModel

PAGE = Path(__file__).with_name("static") / "index.html"
MAX_CONNECTIONS = 64  # open connections, each a thread; more are refused with 503
SHUTDOWN_WAIT_S = 10.0
MISSING_PAGE = (
    b"<!doctype html><title>hubctl chat</title><p>The chat page is not installed with this copy of hubctl "
    b"(hubctl/chat/static/index.html). The API at /v1/chat/completions works.</p>"
)


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    queue: int = 4  # requests waiting behind the running generation before 429
    queue_timeout: float = 300.0
    max_body: int = 1 << 20
    max_tokens: int = 256  # when a request sets none
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 50
    system: str | None = DEFAULT_SYSTEM  # when a request has no system message
    access_log: bool = True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, api_key: str | None) -> None:
    """Refuse to listen beyond this machine without an API key (anyone on the network could use the model)."""
    if api_key is not None and not api_key.strip():
        raise UsageError("--api-key is empty")
    if not is_loopback(host) and not api_key:
        raise UsageError(
            f"--host {host} exposes the model to the network: also pass --api-key "
            "(or set HUBCTL_API_KEY), or keep the default --host 127.0.0.1 and use a port-forward"
        )


def manifest_digest(folder: Path) -> str | None:
    """The files_digest of the folder's manifest (already verified by load), or None without one."""
    from hubctl.integrity.manifest import default_path, read_manifest

    path = default_path(folder)
    if not path.exists():
        return None
    try:
        return read_manifest(path).digest
    except (HubctlError, OSError):
        return None


def read_page(log: Callable[[str], None]) -> bytes:
    """The chat page; if the package was installed without its data file, the API still serves."""
    try:
        return PAGE.read_bytes()
    except OSError as err:
        log(f"hubctl chat: WARNING: the chat page is missing ({PAGE}: {err.strerror or err}); the API still works")
        return MISSING_PAGE


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, loaded: LoadedModel, options: ServeOptions, log: Callable[[str], None] = stderr_log) -> None:
        self.loaded, self.options, self.log = loaded, options, log
        self.model_id = loaded.folder.resolve().name or "model"
        self.digest = manifest_digest(loaded.folder)
        self.gate = Gate(options.queue, options.queue_timeout)
        self.stopping = threading.Event()
        self.page = read_page(log)
        self._running: set[threading.Event] = set()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._connections: set[socket.socket] = set()
        if ":" in options.host:
            self.address_family = socket.AF_INET6
        try:
            super().__init__((options.host, options.port), Handler)
        except OSError as err:
            raise UsageError(f"cannot listen on {options.host}:{options.port}: {err.strerror or err}") from None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    def model_card(self) -> dict:
        return {
            "id": self.model_id,
            "object": "model",
            "created": int(self.loaded.folder.stat().st_mtime),
            "owned_by": "hubctl",
            "hubctl": {
                "manifest_digest": self.digest,
                "context": self.loaded.context,
                "device": self.loaded.device,
                "dtype": self.loaded.dtype,
                "auth": bool(self.options.api_key),
            },
        }

    # ---- running generations, so that shutdown can stop them ----

    def track(self, stop: threading.Event) -> None:
        with self._lock:
            self._running.add(stop)

    def untrack(self, stop: threading.Event) -> None:
        with self._lock:
            self._running.discard(stop)

    def stop_all(self) -> None:
        self.stopping.set()
        with self._lock:
            for stop in self._running:
                stop.set()

    def idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._running:
                    return True
            time.sleep(0.05)
        return False

    # ---- a bounded number of connection threads ----

    def process_request(self, request: socket.socket, client_address: tuple) -> None:
        if not self._slots.acquire(blocking=False):
            try:
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: socket.socket, client_address: tuple) -> None:
        with self._lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._connections.discard(request)
            self._slots.release()

    def close_connections(self, timeout: float) -> bool:
        """End every open connection and wait for their threads: a daemon thread still writing its log line
        while the interpreter exits aborts the process (stderr's lock), so none may outlive serve()."""
        with self._lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)  # an idle keep-alive read returns at once
                except OSError:
                    pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._connections:
                    return True
            time.sleep(0.05)
        return False


def serve(loaded: LoadedModel, options: ServeOptions, say: Callable[[str], None] = stderr_log) -> None:
    """Serve until Ctrl-C (or SIGTERM); then stop running generations and close the socket."""
    check_exposure(options.host, options.api_key)
    server = ChatServer(loaded, options, say)
    say(
        f"hubctl chat: serving {server.model_id} ({loaded.device}, {loaded.dtype}, context {loaded.context}) "
        f"at {server.url} ; API at {server.url}v1 ; Ctrl-C to stop"
    )
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop is a Ctrl-C
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop_all()
        server.idle(SHUTDOWN_WAIT_S)
        server.server_close()
        server.close_connections(SHUTDOWN_WAIT_S)
    say("hubctl chat: server stopped")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
