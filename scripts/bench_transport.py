#!/usr/bin/env python3
"""http.client vs urllib3 for hubctl's transport pattern, on loopback against `hubctl serve` in its own process.

Three workloads, each on one kept-alive connection, the way hubctl's Session uses it:
  large   GET of one big file, read with `readinto` into one reused 1 MiB buffer (the single-stream path)
  ranges  the same file as 8 MiB `Range` requests one after another (the multipart path, one worker)
  small   N GETs of a 2 KB file (many small files: per-request overhead)

Measured in this process only (the hub is another process): wall seconds and CPU seconds (user+sys of this
process), median of --runs, variants interleaved so machine drift hits them alike. urllib3 is measured twice for
bodies: through its public `readinto` (which reads into a fresh bytes object and copies) and through the
http.client response underneath it (`resp._fp.readinto`, what a port would have to do to keep zero-copy reads).

    python scripts/bench_transport.py [--size-mb 512] [--small 2000] [--runs 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import urllib3

BUFFER = 1 << 20
PIECE = 8 << 20
REPO = "bench/transport"


def start_hub(folder: Path) -> tuple[subprocess.Popen, str]:
    argv = [sys.executable, "-m", "hubctl", "serve", str(folder), "--repo", REPO, "--port", "0"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("hubctl serve exited early")
        if line.startswith("HF_ENDPOINT="):
            return proc, line.split()[0].removeprefix("HF_ENDPOINT=")
    proc.kill()
    raise RuntimeError("hubctl serve printed no endpoint")


def urls(endpoint: str) -> tuple[str, str]:
    """(blob URL of big.bin on the CDN origin, direct URL of small.json at the commit)."""
    with urllib.request.urlopen(f"{endpoint}/api/models/{REPO}", timeout=30) as resp:
        commit = json.load(resp)["sha"]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(f"{endpoint}/{REPO}/resolve/{commit}/big.bin", timeout=30)
        raise RuntimeError("expected a redirect for the LFS file")
    except urllib.error.HTTPError as err:
        big = err.headers["Location"]
    return big, f"{endpoint}/{REPO}/resolve/{commit}/small.json"


# ---- http.client, as hubctl uses it


def hc_conn(url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60), target


def hc_get(conn: http.client.HTTPConnection, target: str, buf: memoryview, headers: dict[str, str]) -> int:
    conn.request("GET", target, headers=headers)
    resp = conn.getresponse()
    assert resp.status in (200, 206), resp.status
    got = 0
    while n := resp.readinto(buf):
        got += n
    return got


def hc_large(big: str, size: int, small: str, count: int) -> int:
    conn, target = hc_conn(big)
    got = hc_get(conn, target, memoryview(bytearray(BUFFER)), {"Accept-Encoding": "identity"})
    conn.close()
    return got


def hc_ranges(big: str, size: int, small: str, count: int) -> int:
    conn, target = hc_conn(big)
    buf = memoryview(bytearray(BUFFER))
    got = 0
    for start in range(0, size, PIECE):
        end = min(start + PIECE, size) - 1
        got += hc_get(conn, target, buf, {"Range": f"bytes={start}-{end}", "Accept-Encoding": "identity"})
    conn.close()
    return got


def hc_small(big: str, size: int, small: str, count: int) -> int:
    conn, target = hc_conn(small)
    buf = memoryview(bytearray(BUFFER))
    got = sum(hc_get(conn, target, buf, {"Accept-Encoding": "identity"}) for _ in range(count))
    conn.close()
    return got


# ---- urllib3


def u3_get(pool: urllib3.HTTPConnectionPool, target: str, buf: memoryview, headers: dict[str, str], raw: bool) -> int:
    resp = pool.urlopen(
        "GET", target, headers=headers, preload_content=False, redirect=False, retries=False, decode_content=False
    )
    assert resp.status in (200, 206), resp.status
    reader = resp._fp if raw else resp  # _fp: the http.client response underneath (zero-copy readinto)
    got = 0
    while n := reader.readinto(buf):
        got += n
    resp.release_conn()
    return got


def u3_pool(url: str) -> tuple[urllib3.HTTPConnectionPool, str]:
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return urllib3.HTTPConnectionPool(parts.hostname, parts.port, maxsize=1, timeout=60), target


def u3(raw: bool) -> dict[str, Callable[[str, int, str, int], int]]:
    def large(big: str, size: int, small: str, count: int) -> int:
        pool, target = u3_pool(big)
        got = u3_get(pool, target, memoryview(bytearray(BUFFER)), {"Accept-Encoding": "identity"}, raw)
        pool.close()
        return got

    def ranges(big: str, size: int, small: str, count: int) -> int:
        pool, target = u3_pool(big)
        buf = memoryview(bytearray(BUFFER))
        got = 0
        for start in range(0, size, PIECE):
            end = min(start + PIECE, size) - 1
            got += u3_get(pool, target, buf, {"Range": f"bytes={start}-{end}", "Accept-Encoding": "identity"}, raw)
        pool.close()
        return got

    def small_(big: str, size: int, small: str, count: int) -> int:
        pool, target = u3_pool(small)
        buf = memoryview(bytearray(BUFFER))
        got = sum(u3_get(pool, target, buf, {"Accept-Encoding": "identity"}, raw) for _ in range(count))
        pool.close()
        return got

    return {"large": large, "ranges": ranges, "small": small_}


VARIANTS = {
    "http.client": {"large": hc_large, "ranges": hc_ranges, "small": hc_small},
    "urllib3": u3(raw=False),
    "urllib3 (_fp.readinto)": u3(raw=True),
}


def measure(fn: Callable[[], int]) -> tuple[float, float, int]:
    cpu0, wall0 = time.process_time(), time.perf_counter()  # process_time: user+sys, ns resolution
    got = fn()
    return time.perf_counter() - wall0, time.process_time() - cpu0, got


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--small", type=int, default=2000, help="requests in the small workload")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    size = args.size_mb << 20
    with tempfile.TemporaryDirectory(prefix="bench-transport-") as tmp:
        folder = Path(tmp) / "repo"
        folder.mkdir()
        (folder / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n")
        with open(folder / "big.bin", "wb") as fh:
            for _ in range(size // BUFFER):
                fh.write(os.urandom(BUFFER))
        (folder / "small.json").write_bytes(b"{" + b"x" * 2046 + b"}")
        proc, endpoint = start_hub(folder)
        try:
            big, small = urls(endpoint)
            results: dict[str, dict[str, list[tuple[float, float]]]] = {v: {} for v in VARIANTS}
            for _ in range(args.runs):
                for workload in ("large", "ranges", "small"):
                    for name, fns in VARIANTS.items():
                        wall, cpu, got = measure(lambda f=fns[workload]: f(big, size, small, args.small))
                        expected = size if workload != "small" else 2048 * args.small
                        assert got == expected, (name, workload, got, expected)
                        results[name].setdefault(workload, []).append((wall, cpu))
        finally:
            proc.terminate()
            proc.wait(10)
    report = {}
    print(
        f"loopback, {args.size_mb} MiB body, {args.small} small requests, median of {args.runs} runs; "
        f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (client process CPU only)"
    )
    print(f"{'variant':<24} {'workload':<8} {'wall s':>7} {'cpu s':>7} {'GB/s | req/s':>13} {'cpu vs http.client':>19}")
    for workload in ("large", "ranges", "small"):
        base_cpu = statistics.median(c for _, c in results["http.client"][workload])
        for name in VARIANTS:
            wall = statistics.median(w for w, _ in results[name][workload])
            cpu = statistics.median(c for _, c in results[name][workload])
            rate = (args.small / wall) if workload == "small" else size / 1e9 / wall
            report.setdefault(name, {})[workload] = {
                "wall_s": wall,
                "cpu_s": cpu,
                "rate": rate,
                "cpu_ratio": cpu / base_cpu if base_cpu else None,
            }
            unit = "req/s" if workload == "small" else "GB/s"
            print(
                f"{name:<24} {workload:<8} {wall:>7.3f} {cpu:>7.3f} {rate:>8.2f} {unit:<5}"
                f" {cpu / base_cpu if base_cpu else 0:>18.2f}x"
            )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
