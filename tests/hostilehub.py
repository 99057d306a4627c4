"""A hostile HF-protocol server on loopback for tests: each route's raw HTTP answer is scripted by the test,
so it can send what no well-behaved server (nor the loopback hub) would: malformed headers, lying lengths,
redirects to file://, trickling bodies, pagination loops, JSON nested 200,000 levels deep.

Repo `h/x` at commit SHA lists one git file `a.txt` (CONTENT) unless the test scripts the tree; every route
left unscripted answers like a minimal honest hub. Every connection is closed after one answer, and every
handler is bounded in time (a trickle stops when the server stops).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SHA = "1" * 40
CONTENT = b"hello from a hostile hub\n"
REPO = "h/x"

Script = Callable[["Handler"], None]


def raw(status_line: str, headers: list[tuple[str, str]], body: bytes = b"", *, length: bool = True) -> bytes:
    """An HTTP/1.1 answer exactly as given (no header is validated or added except Content-Length)."""
    lines = [f"HTTP/1.1 {status_line}", *(f"{k}: {v}" for k, v in headers), "Connection: close"]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def json_answer(payload: object, *headers: tuple[str, str], status: str = "200 OK") -> bytes:
    return raw(status, [("Content-Type", "application/json"), *headers], json.dumps(payload).encode())


def file_entry(path: str = "a.txt", data: bytes = CONTENT) -> dict:
    oid = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    return {"type": "file", "oid": oid, "size": len(data), "path": path}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_raw(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        self.close_connection = True

    def trickle(self, head: bytes, body: bytes, every: float) -> None:
        """Send `head`, then the body one byte at a time, `every` seconds apart, until done or stopped."""
        self.wfile.write(head)
        self.wfile.flush()
        for i in range(len(body)):
            if self.server.stopping.wait(every):
                break
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()
        self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        hub = self.server
        with hub.lock:
            hub.requests.append(self.path)
        path = self.path.partition("?")[0]
        for prefix, script in hub.scripts.items():
            if path.startswith(prefix) or self.path.startswith(prefix):
                try:
                    script(self)
                except (ConnectionError, TimeoutError, OSError):
                    self.close_connection = True
                return
        if path == f"/api/models/{REPO}/revision/main":
            self.send_raw(json_answer({"sha": SHA}))
        elif path.startswith(f"/api/models/{REPO}/tree/"):
            self.send_raw(json_answer([file_entry()]))
        elif path == f"/{REPO}/resolve/{SHA}/a.txt":
            self.send_raw(raw("200 OK", [("Content-Type", "text/plain")], CONTENT))
        else:
            missing = json_answer({"error": "not found"}, ("X-Error-Code", "EntryNotFound"), status="404 Not Found")
            self.send_raw(missing)


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.scripts: dict[str, Script] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def count(self, fragment: str) -> int:
        with self.lock:
            return sum(fragment in r for r in self.requests)

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
