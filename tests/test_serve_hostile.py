"""`hubctl serve` against hostile clients, on raw sockets: every request field is attacker-chosen.

Each exchange is bounded (socket timeouts and a total deadline), so a server that hangs fails the test instead
of hanging the suite. The invariants asserted: no request byte reaches a response header line, every answer
starts with a well-formed status line, a refused request closes its connection, and one hostile client never
stops the server from answering the next one.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from conftest import build_fixture_store

from hubctl.server import HubServer, RepoStore
from hubctl.server.guard import unsafe_header
from hubctl.server.wire import Response

_DEADLINE = 15.0  # seconds any one exchange may take, however the server behaves


@pytest.fixture
def hub() -> Iterator[HubServer]:
    """The fixture hub, plus a file with a non-ASCII name; a short request clock for the slow-client tests."""
    store = build_fixture_store()
    store.add_files("acme/names", {"données/é €.txt": b"unicode name\n"})
    server = HubServer(store, head_timeout=1.0)
    try:
        yield server
    finally:
        server.stop()
        store.close()


def exchange(port: int, data: bytes, deadline: float = _DEADLINE) -> bytes:
    """Send `data`, read until the server closes (or the deadline passes: then fail)."""
    end = time.monotonic() + deadline
    with socket.create_connection(("127.0.0.1", port), timeout=deadline) as sock:
        sock.sendall(data)
        received = b""
        while time.monotonic() < end:
            sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                return received
            if not chunk:
                return received
            received += chunk
    pytest.fail(f"the server neither answered nor closed within {deadline} s: {received[:200]!r}")


def head_of(answer: bytes) -> tuple[int, list[str]]:
    """Status and header lines of the first response; asserts the framing is intact."""
    head, sep, _ = answer.partition(b"\r\n\r\n")
    assert sep, f"no complete response head: {answer[:300]!r}"
    lines = head.decode("latin-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    assert status_line[0] == "HTTP/1.1" and status_line[1].isdigit(), lines[0]
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        assert colon and not unsafe_header(name, value.strip()), f"malformed header line {line!r}"
    return int(status_line[1]), lines[1:]


def get(path: str, *headers: str, method: str = "GET") -> bytes:
    extra = "".join(f"{h}\r\n" for h in headers)
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n".encode("latin-1")


def still_serving(hub: HubServer, repo: str = "acme/tiny") -> None:
    status, _ = head_of(exchange(hub.port, get(f"/api/models/{repo}")))
    assert status == 200


# --- header injection through the path and the query ------------------------------------------------------

_PAYLOADS = ["%0d%0aX-Evil:%201", "%0aX-Evil:1", "x%0d", "x%00y", "x%7f", "x%c2%85X-Evil:1", "%0d%0a%0d%0a<html>"]
_ROUTES = [
    "/api/models/acme/tiny/revision/{}",
    "/api/models/acme/tiny/tree/{}",
    "/api/models/acme/tiny/tree/main/{}",
    "/acme/tiny/resolve/{}/config.json",
    "/acme/tiny/resolve/main/{}",
    "/api/resolve-cache/models/acme/tiny/{}/config.json",
    "/api/datasets/acme/data/revision/{}",
    "/api/v1/models/acme/tiny/repo?Revision={}&FilePath=config.json",
    "/api/v1/models/acme/tiny/repo?Revision=master&FilePath={}",
    "/api/v1/models/acme/tiny/repo/files?Revision={}&Recursive=true",
    "/api/models/acme/tiny/tree/main?cursor={}",
    "/api/models/{}/tiny",
]


@pytest.mark.parametrize("route", _ROUTES)
@pytest.mark.parametrize("payload", _PAYLOADS)
def test_control_characters_in_any_path_segment_or_query_field_are_refused(
    hub: HubServer, route: str, payload: str
) -> None:
    answer = exchange(hub.port, get(route.format(payload)))
    status, headers = head_of(answer)
    assert status == 400
    assert not any(h.lower().startswith("x-evil") for h in headers)
    assert b"X-Evil" not in answer.partition(b"\r\n\r\n")[0]
    assert "Connection: close" in headers


def test_a_revision_is_still_echoed_when_it_is_harmless(hub: HubServer) -> None:
    status, headers = head_of(exchange(hub.port, get("/api/models/acme/tiny/revision/no%20such%20rev")))
    assert status == 404
    assert "X-Error-Message: Invalid rev id: no such rev" in headers


def test_percent_encoded_unicode_names_are_served(hub: HubServer) -> None:
    answer = exchange(hub.port, get("/acme/names/resolve/main/donn%C3%A9es/%C3%A9%20%E2%82%AC.txt"))
    status, _ = head_of(answer)
    assert status == 307  # a branch: redirected to the commit-pinned route, like the real hub
    location = next(h for h in head_of(answer)[1] if h.startswith("Location: ")).removeprefix("Location: ")
    status, _ = head_of(answer := exchange(hub.port, get(location)))
    assert status == 200 and answer.endswith(b"unicode name\n")


@pytest.mark.parametrize(
    "host",
    ["evil.example/x", "a b", "a@b", "[::1", "a:b:c", "x" * 300, "a\tb", "é.example"],
)
def test_a_malformed_host_header_is_refused_before_it_reaches_a_link_or_location(hub: HubServer, host: str) -> None:
    raw = f"GET /acme/tiny/resolve/main/model.safetensors HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    status, headers = head_of(exchange(hub.port, raw.encode("utf-8")))
    assert status == 400
    assert not any(h.startswith("Location") for h in headers)


def test_two_host_headers_are_refused(hub: HubServer) -> None:
    raw = b"GET /api/models/acme/tiny HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"
    assert head_of(exchange(hub.port, raw))[0] == 400


def test_a_good_host_header_names_the_redirect_origin(hub: HubServer) -> None:
    raw = get("/acme/tiny/resolve/main/model.safetensors").replace(b"Host: 127.0.0.1", b"Host: localhost:1")
    status, headers = head_of(exchange(hub.port, raw))
    assert status == 302
    assert any(h.startswith(f"Location: http://localhost:{hub.cdn_port}/cdn/") for h in headers)


# --- request line, sizes, framing ---------------------------------------------------------------------------


def test_an_overlong_path_is_414_and_the_server_carries_on(hub: HubServer) -> None:
    for length in (9000, 70000):
        status, _ = head_of(exchange(hub.port, get("/" + "a" * length)))
        assert status == 414
    still_serving(hub)


def test_huge_and_numerous_headers_are_refused(hub: HubServer) -> None:
    one_huge = get("/api/models/acme/tiny", "X-Big: " + "b" * 70000)
    assert head_of(exchange(hub.port, one_huge))[0] == 431
    many = get("/api/models/acme/tiny", *(f"X-H{i}: v" for i in range(200)))
    assert head_of(exchange(hub.port, many))[0] == 431
    still_serving(hub)


@pytest.mark.parametrize(
    "request_line",
    [
        b"BREW /api/models/acme/tiny HTTP/1.1",
        b"get /api/models/acme/tiny HTTP/1.1",
        b"G\x00T / HTTP/1.1",
        b"TRACE / HTTP/1.1",
        b"CONNECT 127.0.0.1:1 HTTP/1.1",
        b"GET / HTTP/1.1\x00<script>",
        b"GET / HTTP/9.9",
        b"GET / HTTP/1.1 extra",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    ],
)
def test_odd_request_lines_get_a_clean_status_line_with_no_request_data(hub: HubServer, request_line: bytes) -> None:
    answer = exchange(hub.port, request_line + b"\r\nHost: a\r\n\r\n")
    status, headers = head_of(answer)
    assert 400 <= status < 600
    first = answer.split(b"\r\n", 1)[0]
    assert b"<script>" not in first and b"BREW" not in first and b"\x00" not in first
    assert "Connection: close" in headers


def test_an_absolute_form_target_is_not_proxied(hub: HubServer) -> None:
    raw = b"GET http://127.0.0.1:1/secret HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    assert head_of(exchange(hub.port, raw))[0] == 400


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (["Transfer-Encoding: chunked"], 501),
        (["Content-Length: 12abc"], 400),
        (["Content-Length: -1"], 400),
        (["Content-Length: 1", "Content-Length: 2"], 400),
        (["Content-Length: \u00b2"], 400),  # superscript two (latin-1): str.isdigit() says yes, HTTP says no
        (["Content-Length: 99999999999999"], 413),
    ],
)
def test_body_framing_that_could_smuggle_a_request_is_refused(hub: HubServer, headers: list[str], status: int) -> None:
    raw = get("/api/models/acme/tiny/paths-info/main", *headers, method="POST").replace(b"Connection: close\r\n", b"")
    smuggled = b"GET /api/models/acme/tiny HTTP/1.1\r\nHost: a\r\n\r\n"
    answer = exchange(hub.port, raw + b"0\r\n\r\n" + smuggled)
    assert head_of(answer)[0] == status
    assert answer.count(b"HTTP/1.1 ") == 1  # the connection closed: the smuggled request was never answered


def test_a_route_header_with_a_control_character_is_never_written(hub: HubServer, monkeypatch) -> None:
    bad = Response(200, (("X-Echo", "a\r\nX-Evil: 1"),), b"{}")
    monkeypatch.setattr(hub, "respond", lambda req: bad)
    answer = exchange(hub.port, get("/anything"))
    status, headers = head_of(answer)
    assert status == 500
    assert b"X-Evil" not in answer


# --- slow and idle clients ------------------------------------------------------------------------------------


def _trickle(port: int, data: bytes, gap: float, stop: threading.Event) -> tuple[float, bool]:
    """Send one byte per `gap` seconds; return (seconds until the server cut us off, whether it did)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=_DEADLINE) as sock:
        for byte in data:
            if stop.is_set() or time.monotonic() - start > _DEADLINE:
                return time.monotonic() - start, False
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return time.monotonic() - start, True
            sock.settimeout(gap)
            try:
                if sock.recv(65536) == b"":
                    return time.monotonic() - start, True
            except TimeoutError:
                continue
            except OSError:
                return time.monotonic() - start, True
    return time.monotonic() - start, False


def test_a_client_trickling_its_request_is_cut_off_and_others_are_served_meanwhile(hub: HubServer) -> None:
    stop = threading.Event()
    results: list[tuple[float, bool]] = []
    slow = threading.Thread(
        target=lambda: results.append(_trickle(hub.port, get("/api/models/acme/tiny") * 4, 0.2, stop))
    )
    slow.start()
    try:
        time.sleep(0.3)
        began = time.monotonic()
        still_serving(hub)
        assert time.monotonic() - began < 5.0
    finally:
        slow.join(_DEADLINE + 5)
        stop.set()
    assert results, "the trickling client did not finish"
    elapsed, cut = results[0]
    assert cut and elapsed < 8.0  # head_timeout is 1 s: generous bound for a loaded machine


def test_a_trickled_body_is_cut_off_too(hub: HubServer) -> None:
    head = b"POST /api/models/acme/tiny/paths-info/main HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n"
    began = time.monotonic()
    with socket.create_connection(("127.0.0.1", hub.port), timeout=_DEADLINE) as sock:
        sock.sendall(head)
        closed = False
        for _ in range(int(_DEADLINE / 0.2)):
            try:
                sock.sendall(b"p")
                sock.settimeout(0.2)
                if sock.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
    assert closed and time.monotonic() - began < 8.0


def test_idle_keep_alive_clients_do_not_stop_the_server(hub: HubServer) -> None:
    idle = [socket.create_connection(("127.0.0.1", hub.port), timeout=_DEADLINE) for _ in range(64)]
    try:
        began = time.monotonic()
        still_serving(hub)
        assert time.monotonic() - began < 5.0
    finally:
        for sock in idle:
            sock.close()


def test_a_client_that_stops_reading_a_body_does_not_block_others(tmp_path) -> None:
    store = RepoStore()
    store.add_files("acme/blob", {"big.bin": b"\0" * (32 << 20)})
    with HubServer(store) as hub:
        status, headers = head_of(exchange(hub.port, get("/acme/blob/resolve/main/big.bin")))
        location = next(h for h in headers if h.startswith("Location: ")).removeprefix("Location: ")
        path = location.split(str(hub.cdn_port), 1)[1]
        stalled = socket.create_connection(("127.0.0.1", hub.cdn_port), timeout=_DEADLINE)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            stalled.sendall(get(path))
            stalled.recv(100)  # the response started, then this client reads nothing more
            began = time.monotonic()
            still_serving(hub, "acme/blob")
            assert time.monotonic() - began < 5.0
        finally:
            stalled.close()
    store.close()
