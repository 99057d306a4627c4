#!/usr/bin/env python3
"""`hubctl serve`'s foundation (http.server, a thread per connection) vs h11 on asyncio, same routes, same store.

The alternative is the only well-kept HTTP engine in the project's environment (h11; no uvicorn, aiohttp or
hypercorn is installed): a minimal asyncio server that parses with h11, routes through the very same
hf_routes / ms_routes / blob_route functions, and sends file bodies with loop.sendfile (zero-copy). It lives here,
in the benchmark, because it is a measurement, not a replacement.

Each server runs in its own process; load comes from other processes; CPU is the server process's (from
/proc/PID/stat). Workloads:
  api      requests/s on an API route (model info) from P client processes, one kept-alive connection each
  idle     N idle kept-alive connections held, then the latency of fresh requests and the server's memory
  body     one client downloading a large file: GB/s and server CPU per GB
  slow     S clients trickling request headers (slow-loris) and R slow readers of the large file, while one
           client measures API latency

    python scripts/bench_server.py [--seconds 3] [--idle 500] [--size-mb 512] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from email.message import Message
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

REPO = "bench/server"
TICK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- the h11 server (the alternative)


def run_h11(folder: str, ready: multiprocessing.Queue) -> None:
    import h11

    from hubctl.server import hf_routes, ms_routes
    from hubctl.server.guard import Refusal, check_fields, check_headers, check_target
    from hubctl.server.store import RepoStore
    from hubctl.server.wire import Reject, Request, blob_route, json_response

    store = RepoStore()
    store.add_folder(REPO, Path(folder))
    ports: dict[str, int] = {}

    class Passthrough:
        """A file slice h11 counts by its length but never copies: it is sent with loop.sendfile."""

        def __init__(self, fh, offset: int, length: int) -> None:
            self.fh, self.offset, self.length = fh, offset, length

        def __len__(self) -> int:
            return self.length

    def respond(req: Request):
        try:
            if req.origin == "cdn":
                return blob_route(req, store)
            found = ms_routes.route(req, store) or hf_routes.route(req, store, None)
            return found or json_response(404, {"error": "Not Found"})
        except Reject as rejected:
            return rejected.response

    async def next_event(conn, reader, timeout: float):
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await asyncio.wait_for(reader.read(65536), timeout)
                conn.receive_data(data)
                continue
            return event

    async def serve(reader, writer, origin: str) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 << 10)
        loop = asyncio.get_running_loop()
        try:
            while True:
                event = await next_event(conn, reader, 300.0)
                if not isinstance(event, h11.Request):
                    return
                head_deadline = 20.0
                body = b""
                while True:
                    part = await next_event(conn, reader, head_deadline)
                    if isinstance(part, h11.Data):
                        body += part.data
                    elif isinstance(part, h11.EndOfMessage):
                        break
                    else:
                        return
                headers = Message()
                for name, value in event.headers:
                    headers[name.decode("latin-1")] = value.decode("latin-1")
                target = event.target.decode("latin-1")
                try:
                    check_target(target)
                    check_headers(headers)
                    path, _, query_text = target.partition("?")
                    segments = tuple(unquote(s) for s in path.split("/") if s)
                    query = parse_qs(query_text, keep_blank_values=True)
                    check_fields(segments, query)
                    host = headers.get("Host") or f"127.0.0.1:{ports[origin]}"
                    name = urlsplit(f"//{host}").hostname or "127.0.0.1"
                    req = Request(
                        origin,
                        event.method.decode(),
                        target,
                        segments,
                        query,
                        headers,
                        body,
                        f"http://{host}",
                        f"http://{name}:{ports['cdn']}",
                    )
                    response = respond(req)
                except Refusal as refused:
                    response = json_response(refused.status, {"error": refused.reason})
                out = [(k.encode(), v.encode("latin-1", "replace")) for k, v in response.headers]
                out.append((b"Content-Length", str(response.content_length).encode()))
                writer.write(conn.send(h11.Response(status_code=response.status, headers=out)))
                if event.method != b"HEAD":
                    if response.file is not None:
                        part = response.file
                        with open(part.source, "rb") as fh:
                            conn.send_with_data_passthrough(h11.Data(data=Passthrough(fh, part.offset, part.length)))
                            await writer.drain()
                            await loop.sendfile(writer.transport, fh, part.offset, part.length)
                    elif response.body:
                        writer.write(conn.send(h11.Data(data=response.body)))
                writer.write(conn.send(h11.EndOfMessage()))
                await writer.drain()
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except (asyncio.TimeoutError, ConnectionError, h11.ProtocolError):
            return
        finally:
            writer.close()

    async def main() -> None:
        api = await asyncio.start_server(lambda r, w: serve(r, w, "api"), "127.0.0.1", 0, backlog=1024)
        cdn = await asyncio.start_server(lambda r, w: serve(r, w, "cdn"), "127.0.0.1", 0, backlog=1024)
        ports["api"] = api.sockets[0].getsockname()[1]
        ports["cdn"] = cdn.sockets[0].getsockname()[1]
        ready.put((os.getpid(), ports["api"]))
        await asyncio.Event().wait()

    asyncio.run(main())


def run_stdlib(folder: str, ready: multiprocessing.Queue) -> None:
    from hubctl.server import serve_folders

    server = serve_folders([(REPO, Path(folder))], "127.0.0.1", 0)
    server._api.request_queue_size = 1024
    ready.put((os.getpid(), server.port))
    time.sleep(10**6)


# ---------------------------------------------------------------- load


def cpu_of(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_and_threads(pid: int) -> tuple[float, int]:
    rss, threads = 0.0, 0
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


def get(sock_file, sock: socket.socket, path: str) -> int:
    """One GET on a kept-alive raw socket; returns the body length."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    length = 0
    while True:
        line = sock_file.readline()
        if not line:
            raise ConnectionError("closed")
        if line in (b"\r\n", b"\n"):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    left = length
    while left:
        left -= len(sock_file.read(min(left, 1 << 20)))
    return length


def api_client(port: int, seconds: float, out: multiprocessing.Queue) -> None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    fh = sock.makefile("rb")
    count, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        get(fh, sock, f"/api/models/{REPO}")
        count += 1
    out.put(count)


def latency(port: int, n: int = 20) -> float:
    """Median ms of a fresh connection + one API request."""
    times = []
    for _ in range(n):
        began = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            get(sock.makefile("rb"), sock, f"/api/models/{REPO}")
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def blob_path(port: int) -> tuple[int, str]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET /{REPO}/resolve/main/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = sock.recv(65536).decode("latin-1")
    location = next(line.split(": ", 1)[1] for line in head.split("\r\n") if line.lower().startswith("location:"))
    parts = urlsplit(location)
    return parts.port, parts.path + "?" + parts.query


def body_client(port: int, path: str, rate: float | None, out: multiprocessing.Queue | None) -> None:
    """Download the body; with `rate` (bytes/s), read it that slowly."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        if rate:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
        fh = sock.makefile("rb")
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        buf = bytearray(1 << 20 if not rate else 16 << 10)
        got = 0
        began = time.perf_counter()
        try:
            while n := fh.readinto(buf):
                got += n
                if rate:
                    time.sleep(n / rate)
        except OSError:
            pass
        if out is not None:
            out.put((got, time.perf_counter() - began))


def trickle(port: int, seconds: float) -> None:
    """A slow-loris client: one header byte per second."""
    end = time.monotonic() + seconds
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=seconds + 5) as sock:
            data = f"GET /api/models/{REPO} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "x" * 1000
            for ch in data.encode():
                if time.monotonic() > end:
                    return
                sock.sendall(bytes([ch]))
                time.sleep(1.0)
    except OSError:
        return


def bench(kind: str, folder: str, args: argparse.Namespace) -> dict[str, object]:
    ctx = multiprocessing.get_context("fork")  # load processes start fast; nothing heavy is imported here
    ready = ctx.Queue()
    server = ctx.Process(target=run_h11 if kind == "h11" else run_stdlib, args=(folder, ready), daemon=True)
    server.start()
    pid, port = ready.get(timeout=300)
    result: dict[str, object] = {}
    try:
        latency(port, 5)  # warm up
        # api
        out = ctx.Queue()
        cpu0 = cpu_of(pid)
        clients = [ctx.Process(target=api_client, args=(port, args.seconds, out)) for _ in range(args.clients)]
        for c in clients:
            c.start()
        total = sum(out.get(timeout=args.seconds + 120) for _ in clients)
        for c in clients:
            c.join()
        result["api_req_per_s"] = total / args.seconds
        result["api_server_cpu_ms_per_req"] = 1000 * (cpu_of(pid) - cpu0) / max(total, 1)
        # idle
        base_rss, _ = rss_and_threads(pid)
        idle = []
        for _ in range(args.idle):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            get(sock.makefile("rb"), sock, f"/api/models/{REPO}")
            idle.append(sock)
        rss, threads = rss_and_threads(pid)
        result["idle_held"] = len(idle)
        result["idle_rss_mb_added"] = rss - base_rss
        result["idle_threads"] = threads
        result["latency_ms_with_idle"] = latency(port)
        for sock in idle:
            sock.close()
        # body
        cdn_port, path = blob_path(port)
        out = ctx.Queue()
        cpu0 = cpu_of(pid)
        body_client(cdn_port, path, None, out)
        got, seconds = out.get()
        result["body_gb_per_s"] = got / 1e9 / seconds
        result["body_server_cpu_s_per_gb"] = (cpu_of(pid) - cpu0) / (got / 1e9)
        # slow clients
        slow = [ctx.Process(target=trickle, args=(port, args.seconds + 2)) for _ in range(args.slowloris)]
        slow += [ctx.Process(target=body_client, args=(cdn_port, path, 256 << 10, None)) for _ in range(args.readers)]
        for p in slow:
            p.start()
        time.sleep(3.0)  # every slow client connected and stuck
        result["latency_ms_with_slow_clients"] = latency(port)
        result["threads_with_slow_clients"] = rss_and_threads(pid)[1]
        for p in slow:
            p.terminate()
            p.join()
    finally:
        server.kill()
        server.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=4, help="API client processes")
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--slowloris", type=int, default=50)
    parser.add_argument("--readers", type=int, default=8, help="slow readers of the large file (256 KB/s each)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        folder = Path(tmp) / "repo"
        folder.mkdir()
        (folder / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n")
        (folder / "config.json").write_text('{"model_type": "llama"}\n')
        with open(folder / "big.bin", "wb") as fh:
            for _ in range(args.size_mb):
                fh.write(os.urandom(1 << 20))
        report = {kind: bench(kind, str(folder), args) for kind in ("http.server", "h11")}
    print(f"loopback, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} (shared: absolute numbers are noisy)")
    keys = list(report["http.server"])
    print(f"{'metric':<32} {'http.server':>12} {'h11+asyncio':>12}")
    for key in keys:
        a, b = report["http.server"][key], report["h11"][key]
        print(f"{key:<32} {a:>12.2f} {b:>12.2f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
