#!/usr/bin/env python3
"""Benchmark the site mirror (issue 20): upstream bytes per snapshot and aggregate client throughput.

For N = 1, 4, 16 concurrent `hubctl pull` clients (each its own process, fresh folder) of one snapshot, three
set-ups, each from cold caches:
- direct:  every client pulls from the upstream hub (the baseline: N x snapshot bytes upstream);
- mirror:  clients pull from `hubctl serve --upstream` in front of the upstream;
- nginx:   clients pull from nginx (deploy/nginx/hubctl-mirror.conf) in front of the mirror (if nginx is installed).

Reported per run: upstream content bytes / snapshot bytes (the mirror's target is 1.00 for every N), wall
time, and aggregate client throughput (N x snapshot bytes / wall). Every client's files are checked (sha256)
after the timed region. The upstream is `hubctl serve` in its own process; its request log (test-control
route) counts the content bytes it sent. `--throttle-mbps` caps every upstream connection (a CDN's limit).

    python scripts/bench_mirror.py [--size-mb 24] [--counts 1,4,16] [--throttle-mbps N] [--json OUT]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPO_ID = "bench/mirror"
START_TIMEOUT = 60.0
CLIENT_TIMEOUT = 600.0


def make_snapshot(folder: Path, size_mb: float) -> dict[str, str]:
    """One large LFS file, a few medium ones and small config files; returns path -> sha256."""
    rng = random.Random(20)
    big = int(size_mb * (1 << 20) * 0.6)
    files = {
        "config.json": b'{"model_type": "llama"}\n',
        "tokenizer.json": rng.randbytes(300_000),
        "model-00001.safetensors": rng.randbytes(big),
    }
    rest = int(size_mb * (1 << 20)) - sum(len(v) for v in files.values())
    for i in range(4):
        files[f"shards/part-{i}.safetensors"] = rng.randbytes(max(rest // 4, 1))
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}


@contextmanager
def process(argv: list[str]) -> Iterator[str]:
    """Run a `hubctl serve` process until it prints its endpoint; yield the endpoint."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line:
                raise RuntimeError(f"{argv[3]} exited ({proc.wait()}) before printing its endpoint")
            if line.startswith("HF_ENDPOINT="):
                yield line.split()[0].removeprefix("HF_ENDPOINT=")
                return
        raise RuntimeError("no endpoint in time")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def control(endpoint: str, route: str, payload: object | None = None) -> object:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(f"{endpoint}/{route}", data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def content_bytes(upstream: str) -> int:
    log = control(upstream, "__log")
    assert isinstance(log, list)
    return sum(
        r["bytes_sent"]
        for r in log
        if r["method"] == "GET"
        and r["status"] in (200, 206)
        and (r["origin"] == "cdn" or "/resolve/" in r["path"] or "/repo?" in r["path"])
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def nginx(mirror: str, mirror_cdn_port: int, prefix: Path) -> Iterator[str]:
    """nginx with the shipped config in front of the mirror; yields its API endpoint."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    api, cdn = free_port(), free_port()
    site = (ROOT / "deploy" / "nginx" / "hubctl-mirror.conf").read_text()
    values = {
        "@CACHE_DIR@": str(prefix / "cache"),
        "@MIRROR_HOST@": "127.0.0.1",
        "@MIRROR_API@": mirror.rsplit(":", 1)[1],
        "@MIRROR_CDN@": str(mirror_cdn_port),
        "@LISTEN_ADDR@": "127.0.0.1",
        "@LISTEN_API@": str(api),
        "@LISTEN_CDN@": str(cdn),
    }
    for token, value in values.items():
        site = site.replace(token, value)
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "site.conf").write_text(site)
    temp = " ".join(f"{n}_temp_path {prefix / n};" for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (prefix / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 2;\nerror_log {prefix / 'error.log'} warn;\npid {prefix / 'nginx.pid'};\n"
        + f"events {{ worker_connections 1024; }}\nhttp {{ access_log off; {temp} include {prefix / 'site.conf'}; }}\n"
    )
    proc = subprocess.Popen(
        [
            binary,
            "-p",
            str(prefix),
            "-e",
            str(prefix / "error.log"),
            "-c",
            str(prefix / "nginx.conf"),
            "-g",
            "daemon off;",
        ]
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", api), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("nginx did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{api}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def wave(endpoint: str, n: int, work: Path, expected: dict[str, str]) -> float:
    """N clients at once; the wall time of the slowest. Bytes are checked after the clock stops."""
    env = {**os.environ, "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1", "NO_PROXY": "127.0.0.1,localhost"}
    dests = [work / f"client{i}" for i in range(n)]
    start = time.monotonic()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hubctl",
                "pull",
                f"hf:{REPO_ID}",
                "--endpoint",
                endpoint,
                "--dest",
                str(d),
                "--quiet",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for d in dests
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=CLIENT_TIMEOUT)
        if proc.returncode:
            raise RuntimeError(f"a client failed: {err.decode()[-500:]}")
    wall = time.monotonic() - start
    for dest in dests:
        for path, digest in expected.items():
            if hashlib.sha256((dest / path).read_bytes()).hexdigest() != digest:
                raise RuntimeError(f"{dest / path}: wrong bytes")
        shutil.rmtree(dest)
    return wall


def run(args: argparse.Namespace) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="hubctl-bench-mirror-"))
    rows = []
    try:
        folder = tmp / "repo"
        folder.mkdir()
        expected = make_snapshot(folder, args.size_mb)
        snapshot = sum((folder / p).stat().st_size for p in expected)
        serve = [sys.executable, "-m", "hubctl", "serve"]
        with process([*serve, str(folder), "--repo", REPO_ID, "--port", "0", "--test-control"]) as upstream:
            if args.throttle_mbps:
                pace = [{"kind": "slow", "match": "", "times": -1, "delay": (64 << 10) / (args.throttle_mbps * 1e6)}]
                control(upstream, "__faults", pace)
            for n in args.counts:
                for setup in args.setups:
                    urllib.request.urlopen(
                        urllib.request.Request(f"{upstream}/__reset", data=b"", method="POST"), timeout=30
                    ).close()
                    if args.throttle_mbps:
                        control(upstream, "__faults", pace)
                    run_dir = tmp / f"{setup}-{n}"
                    wall = one(setup, n, upstream, run_dir, expected, serve)
                    got = content_bytes(upstream)
                    rows.append(
                        {
                            "setup": setup,
                            "clients": n,
                            "snapshot_bytes": snapshot,
                            "upstream_bytes": got,
                            "upstream_ratio": round(got / snapshot, 2),
                            "wall_s": round(wall, 2),
                            "aggregate_MBps": round(n * snapshot / wall / 1e6, 1),
                        }
                    )
                    print(json.dumps(rows[-1]), flush=True)
                    shutil.rmtree(run_dir, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def one(setup: str, n: int, upstream: str, run_dir: Path, expected: dict[str, str], serve: list[str]) -> float:
    run_dir.mkdir(parents=True)
    if setup == "direct":
        return wave(upstream, n, run_dir, expected)
    mirror_argv = [*serve, "--upstream", f"hf={upstream}", "--cache", str(run_dir / "cache"), "--port", "0"]
    with process(mirror_argv) as mirror:
        if setup == "mirror":
            return wave(mirror, n, run_dir, expected)
        with urllib.request.urlopen(f"{mirror}/api/models/{REPO_ID}", timeout=30) as resp:
            resp.read()
        cdn_port = mirror_cdn_port(mirror)
        with nginx(mirror, cdn_port, run_dir / "nginx") as front:
            return wave(front, n, run_dir, expected)


def mirror_cdn_port(mirror: str) -> int:
    """The mirror's blob port, read from where its LFS redirect points."""
    with urllib.request.urlopen(f"{mirror}/api/models/{REPO_ID}/tree/main", timeout=30) as resp:
        entries = json.loads(resp.read())
    lfs = next(e["path"] for e in entries if e.get("lfs"))

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(f"{mirror}/{REPO_ID}/resolve/main/{lfs}", method="HEAD"), timeout=30)
    except urllib.error.HTTPError as redirect:
        location = redirect.headers["Location"]
        return int(location.split("/")[2].rsplit(":", 1)[1])
    raise RuntimeError("the mirror did not redirect an LFS file")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=24.0, help="snapshot size in MiB (default 24)")
    parser.add_argument("--counts", default="1,4,16", help="client counts (default 1,4,16)")
    parser.add_argument("--throttle-mbps", type=float, help="cap every upstream connection at this many MB/s")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    args.counts = [int(c) for c in args.counts.split(",") if c.strip()]
    has_nginx = shutil.which("nginx") or Path("/usr/sbin/nginx").exists()
    args.setups = ["direct", "mirror"] + (["nginx"] if has_nginx else [])
    rows = run(args)
    print(f"\n{'setup':8} {'N':>3} {'upstream/snapshot':>18} {'wall s':>8} {'aggregate MB/s':>15}")
    for r in rows:
        print(
            f"{r['setup']:8} {r['clients']:>3} {r['upstream_ratio']:>18.2f} {r['wall_s']:>8.2f}"
            f" {r['aggregate_MBps']:>15.1f}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
