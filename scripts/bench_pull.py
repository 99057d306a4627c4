#!/usr/bin/env python3
"""Benchmark `hubctl pull` against the official clients and a curl ceiling on a ~2 GB repo on `hubctl serve`.

The repo (one ~1 GB file, four ~200 MB files, 200 small ones) is generated once, deterministically, under
.bench/. The hub runs in its own process, like a real hub; each client runs in its own process into a fresh,
empty folder, and every run's bytes are checked (sha256 of every file) outside the timed region, so a fast
but wrong client cannot win. Median of --runs runs per tool.

    python scripts/bench_pull.py [--scale 1.0] [--runs 3] [--tools hubctl,hf,ms,curl] [--json OUT]
                                 [--workers N] [--connections N]   (HUBCTL_* variables pass through)
                                 [--throttle-mbps N] [--doc FILE | --no-doc]
    python scripts/bench_pull.py --case small [--small-counts 1000,3000]   (many small files, one run each)

The small case serves N files of 2 KB in one folder (datasets, tokenizer collections, sharded checkpoints).
Each count gets its own repo and hub; comparing the counts shows the marginal per-file cost (CPU and wall),
which must not grow with the number of files.

The table, with date, commit and machine, replaces the `pull` section of docs/benchmarks.md (`pull-throttle-N`
with --throttle-mbps N), through scripts/benchdoc.py.

Timing: hubctl and curl are timed as whole processes (interpreter start included). The Python clients are
timed around the `snapshot_download` call only, because `import modelscope` alone takes seconds; this favours
them (the ratios are conservative for hubctl). Their whole-process time is reported too.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import benchdoc  # scripts/benchdoc.py, beside this script

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / ".bench"
REPO_ID = "bench/model"
SEED = 20240601
BLOCK = 16 << 20
MIB = 1 << 20
SMALL_FILES = 200
SMALL_CASE_SIZE = 2 << 10  # bytes per file in the many-small-files case
SERVER_START_TIMEOUT = 300.0  # the hub hashes the whole repo before it listens
TOOLS = ("hubctl", "hf", "ms", "curl")
LABELS = {
    "hubctl": "hubctl pull",
    "hf": "huggingface_hub.snapshot_download",
    "ms": "modelscope.snapshot_download",
    "curl": "curl --parallel (ceiling)",
}
# Env of every client run (docs/hub-protocols.md, "Recommended environment for tests").
CLIENT_ENV = {
    "HF_HUB_DISABLE_XET": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "MODELSCOPE_DOWNLOAD_INTRA_CLOUD": "false",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}
# The Python clients print the time of the download call alone as their last stdout line.
PY_CLIENT = """
import sys, time
from {module} import snapshot_download
t = time.perf_counter()
snapshot_download({repo!r}, local_dir=sys.argv[1])
print(time.perf_counter() - t)
"""


# ---------------------------------------------------------------- the repo


def repo_layout(scale: float) -> list[tuple[str, int]]:
    """(path, size) of every file: sizes of large files scale, the 200 small ones (1 KiB..256 KiB) do not."""
    rng = random.Random(SEED)
    large = [("model-00001-of-00005.safetensors", int(1024 * MIB * scale))]
    large += [(f"model-0000{i}-of-00005.safetensors", int(200 * MIB * scale)) for i in range(2, 6)]
    small = []
    for i in range(SMALL_FILES):
        path = f"extra/blob-{i:03d}.bin" if i % 4 == 0 else f"configs/part-{i // 50}/config-{i:03d}.json"
        small.append((path, rng.randint(1 << 10, 256 << 10)))
    return large + small


def small_layout(count: int) -> list[tuple[str, int]]:
    """The many-small-files case: `count` files of 2 KB in one folder."""
    return [(f"data/part-{i:05d}.json", SMALL_CASE_SIZE) for i in range(count)]


def write_file(path: Path, size: int) -> str:
    """Write `size` pseudo-random bytes seeded by the file name (incompressible, reproducible); return sha256."""
    rng = random.Random(f"{SEED}/{path.name}")
    digest = hashlib.sha256()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        left = size
        while left:
            block = rng.randbytes(min(BLOCK, left))
            fh.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def build_repo(folder: Path, scale: float, layout: list[tuple[str, int]] | None = None) -> dict[str, tuple[int, str]]:
    """Return {path: (size, sha256)}, reusing a previous build when its stamp and file sizes still match."""
    layout = repo_layout(scale) if layout is None else layout
    stamp = folder.with_name(folder.name + ".stamp.json")  # outside the folder, so it is not served
    if stamp.is_file():
        expected = {p: (s, h) for p, s, h in json.loads(stamp.read_text())}
        if [(p, s) for p, (s, _) in expected.items()] == layout and all(
            (folder / p).is_file() and (folder / p).stat().st_size == s for p, s in layout
        ):
            return expected
    print(f"building {folder} ({sum(s for _, s in layout) / 1e9:.2f} GB, {len(layout)} files)...", flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    expected = {p: (s, write_file(folder / p, s)) for p, s in layout}
    stamp.write_text(json.dumps([[p, s, h] for p, (s, h) in expected.items()]))
    return expected


def verify(dest: Path, expected: dict[str, tuple[int, str]]) -> str | None:
    """Check size and sha256 of every file; return what is wrong, or None."""

    def check(item: tuple[str, tuple[int, str]]) -> str | None:
        path, (size, sha256) = item
        target = dest / path
        if not target.is_file():
            return f"{path}: missing"
        if target.stat().st_size != size:
            return f"{path}: {target.stat().st_size} bytes, expected {size}"
        with open(target, "rb") as fh:
            if hashlib.file_digest(fh, "sha256").hexdigest() != sha256:
                return f"{path}: sha256 mismatch"
        return None

    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        problems = [p for p in pool.map(check, sorted(expected.items(), key=lambda kv: -kv[1][0])) if p]
    return "; ".join(problems[:3]) or None


# ---------------------------------------------------------------- the hub


@contextmanager
def hub(folder: Path, throttle_mbps: float | None) -> Iterator[str]:
    """Run `hubctl serve` in its own process (and session, so Ctrl-C reaches it only through us); yield the endpoint.

    With `throttle_mbps`, every response is paced to that many MB/s per connection (the server's `slow`
    fault, through its test-control route), like a CDN or proxy that caps single connections.
    """
    argv = [sys.executable, "-m", "hubctl", "serve", str(folder), "--repo", REPO_ID, "--port", "0"]
    argv += ["--test-control"] if throttle_mbps else []
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"hubctl serve exited ({proc.wait()}) before printing its endpoint")
            if line.startswith("HF_ENDPOINT="):
                endpoint = line.split()[0].removeprefix("HF_ENDPOINT=")
                if throttle_mbps:
                    pace = [{"kind": "slow", "match": "", "times": -1, "delay": (64 << 10) / (throttle_mbps * 1e6)}]
                    urllib.request.urlopen(
                        urllib.request.Request(f"{endpoint}/__faults", data=json.dumps(pace).encode(), method="POST"),
                        timeout=30,
                    ).close()
                yield endpoint
                return
        raise RuntimeError("hubctl serve printed no endpoint in time")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def repo_commit(endpoint: str) -> str:
    """The served commit, for curl's immutable resolve URLs."""
    with urllib.request.urlopen(f"{endpoint}/api/models/{REPO_ID}", timeout=30) as resp:
        return json.load(resp)["sha"]


# ---------------------------------------------------------------- the clients


@dataclass(frozen=True)
class Setup:
    """What every client run needs to know."""

    endpoint: str
    commit: str
    paths: list[str]
    workers: int | None
    connections: int | None


def client_command(tool: str, setup: Setup, dest: Path, home: Path) -> tuple[list[str], dict[str, str]]:
    """argv and env of one run; every run gets fresh cache/config homes under `home`."""
    env = {
        **os.environ,
        **CLIENT_ENV,
        "HF_HOME": str(home / "hf"),
        "MODELSCOPE_CACHE": str(home / "ms-cache"),
        "MODELSCOPE_HOME": str(home / "ms-home"),
    }
    if tool == "hubctl":
        argv = [
            sys.executable,
            "-m",
            "hubctl",
            "pull",
            f"hf:{REPO_ID}",
            "--endpoint",
            setup.endpoint,
            "--dest",
            str(dest),
            "--quiet",
        ]
        argv += ["--workers", str(setup.workers)] if setup.workers else []
        argv += ["--connections", str(setup.connections)] if setup.connections else []
        return argv, env
    if tool in ("hf", "ms"):
        module = "huggingface_hub" if tool == "hf" else "modelscope"
        env["HF_ENDPOINT" if tool == "hf" else "MODELSCOPE_ENDPOINT"] = setup.endpoint
        return [sys.executable, "-c", PY_CLIENT.format(module=module, repo=REPO_ID), str(dest)], env
    # The URLs go in a config file: thousands of them would not fit on a command line.
    config = home / "curl.conf"
    base = f"{setup.endpoint}/{REPO_ID}/resolve/{setup.commit}"
    config.write_text("".join(f'url = "{base}/{urllib.parse.quote(p)}"\noutput = "{dest / p}"\n' for p in setup.paths))
    return ["curl", "--parallel", "--parallel-max", "8", "-sS", "-L", "--fail", "--create-dirs", "-K", str(config)], env


def curl_has_parallel() -> bool:
    if not shutil.which("curl"):
        return False
    helptext = subprocess.run(["curl", "--help", "all"], capture_output=True, text=True).stdout
    return "--parallel-max" in helptext


@dataclass
class Result:
    """Per-tool runs: `seconds` is what the ratios use, `wall` the whole process, `cpu` its user+sys seconds.

    CPU seconds matter on a small shared machine: the hub and other jobs compete for the same cores.
    """

    tool: str
    seconds: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds and not self.errors else None


def fresh(scratch: Path) -> tuple[Path, Path]:
    """Empty the scratch folder and flush dirty pages, so no run pays for the previous run's writeback."""
    shutil.rmtree(scratch, ignore_errors=True)
    os.sync()
    (scratch / "home").mkdir(parents=True)
    return scratch / "dest", scratch / "home"


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the hub is reaped only at the end: clients only
    return usage.ru_utime + usage.ru_stime


def run_once(tool: str, setup: Setup, scratch: Path, expected: dict[str, tuple[int, str]], result: Result) -> None:
    dest, home = fresh(scratch)
    argv, env = client_command(tool, setup, dest, home)
    cpu = cpu_of_children()
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    cpu = cpu_of_children() - cpu
    if proc.returncode != 0:
        result.errors.append(f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
        return
    problem = verify(dest, expected)
    if problem:
        result.errors.append(f"wrong bytes: {problem}")
        return
    result.wall.append(wall)
    result.cpu.append(cpu)
    result.seconds.append(float(proc.stdout.split()[-1]) if tool in ("hf", "ms") else wall)
    print(
        f"  {LABELS[tool]:<36} {result.seconds[-1]:7.2f} s (process {wall:.2f} s, cpu {cpu:.2f} s, "
        f"load {os.getloadavg()[0]:.1f}), verified",
        flush=True,
    )


# ---------------------------------------------------------------- report


def machine() -> dict[str, object]:
    with open("/proc/meminfo") as fh:
        mem_kib = int(fh.readline().split()[1])
    versions = {}
    for dist in ("hubctl", "huggingface_hub", "modelscope"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    if shutil.which("curl"):
        versions["curl"] = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()[1]
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kib / 1e6, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "versions": versions,
    }


def hubctl_settings(setup: Setup) -> dict[str, int]:
    """The settings hubctl pull ran with: our flags, else its defaults (HUBCTL_* variables included)."""
    from hubctl.settings import current

    settings = current()
    return {
        "workers": setup.workers or settings.workers,
        "connections": setup.connections or settings.connections,
        "piece_size": settings.piece_size,
        "multipart_threshold": settings.multipart_threshold,
    }


def summary(results: dict[str, Result], total: int) -> dict[str, object]:
    base = results["hubctl"].median if "hubctl" in results else None
    tools = {}
    for tool, res in results.items():
        med = res.median
        tools[tool] = {
            "label": LABELS[tool],
            "runs_s": res.seconds,
            "process_s": res.wall,
            "cpu_s": res.cpu,
            "errors": res.errors,
            "median_s": med,
            "gb_per_s": total / 1e9 / med if med else None,
            "median_process_s": statistics.median(res.wall) if med else None,
            "median_cpu_s": statistics.median(res.cpu) if med else None,
            "vs_hubctl": med / base if med and base else None,
        }
    official = [tools[t] for t in ("hf", "ms") if t in tools and tools[t]["median_s"]]
    curl = results["curl"].median if "curl" in results else None
    base_process = tools["hubctl"]["median_process_s"] if base else None
    return {
        "tools": tools,
        "faster_official_over_hubctl": min(t["median_s"] for t in official) / base if official and base else None,
        "faster_official_over_hubctl_process": (
            min(t["median_process_s"] for t in official) / base_process if official and base else None
        ),
        "hubctl_over_curl": base / curl if base and curl else None,
    }


def print_report(report: dict[str, object]) -> None:
    m, repo, s = report["machine"], report["repo"], report["summary"]
    print(
        f"\nrepo: {repo['files']} files, {repo['bytes'] / 1e9:.2f} GB (scale {repo['scale']}), "
        f"median of {report['runs']} runs; hubctl settings {report['hubctl_settings']}"
    )
    print(f"{'tool':<36} {'median s':>9} {'GB/s':>6} {'x hubctl':>9} {'process s':>10} {'cpu s':>6}  runs (s)")
    for t in s["tools"].values():
        if t["median_s"] is None:
            print(f"{t['label']:<36} {'FAILED':>9}  {t['errors'][0] if t['errors'] else 'no runs'}")
            continue
        runs = " ".join(f"{x:.2f}" for x in t["runs_s"])
        ratio = f"{t['vs_hubctl']:.2f}" if t["vs_hubctl"] else "-"
        print(
            f"{t['label']:<36} {t['median_s']:>9.2f} {t['gb_per_s']:>6.2f} {ratio:>9} "
            f"{t['median_process_s']:>10.2f} {t['median_cpu_s']:>6.2f}  {runs}"
        )
    for key, text, target, ok in (
        ("faster_official_over_hubctl", "faster official client / hubctl", ">= 1.5", lambda r: r >= 1.5),
        ("faster_official_over_hubctl_process", "  same, whole processes", ">= 1.5", lambda r: r >= 1.5),
        ("hubctl_over_curl", "hubctl / curl ceiling", "<= 1.3", lambda r: r <= 1.3),
    ):
        value = s[key]
        verdict = f"target {target}: {'met' if value and ok(value) else 'NOT met'}"
        print(f"{text:<36} {f'{value:.3f}' if value else 'n/a':>9}  ({verdict})")
    print(f"machine: {m['cores']} cores, {m['ram_gb']} GB RAM, {m['platform']}, Python {m['python']}, {m['date']}")
    print(f"versions: {m['versions']}")
    print(f"note: {report['note']}")


# ---------------------------------------------------------------- the many-small-files case


def run_small(args: argparse.Namespace, tools: list[str]) -> int:
    """Every tool at the largest count, hubctl also at the smaller ones; one hub process per count."""
    rows: dict[int, dict[str, Result]] = {}
    for count in args.small_counts:
        folder = BENCH_DIR / f"small-{count}"
        expected = build_repo(folder, 1.0, small_layout(count))
        scratch = args.scratch
        here = tools if count == args.small_counts[-1] else [t for t in tools if t == "hubctl"]
        rows[count] = {tool: Result(tool) for tool in here}
        try:
            with hub(folder, None) as endpoint:
                setup = Setup(endpoint, repo_commit(endpoint), sorted(expected), args.workers, args.connections)
                print(f"{count} files of {SMALL_CASE_SIZE} B: hub at {endpoint}", flush=True)
                for _ in range(args.runs):
                    for tool in here:
                        run_once(tool, setup, scratch, expected, rows[count][tool])
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    report = {
        "machine": machine(),
        "case": "small",
        "file_size": SMALL_CASE_SIZE,
        "runs": args.runs,
        "summary": small_summary(rows),
    }
    print_small_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    benchdoc.publish(args, "pull-small", small_doc_table(report), small_doc_notes(report, args))
    return 1 if any(r.errors for results in rows.values() for r in results.values()) else 0


def small_summary(rows: dict[int, dict[str, Result]]) -> dict[str, object]:
    """Per count and tool: seconds, CPU, ms per file; hubctl's marginal per-file cost between counts."""
    table = []
    for count, results in rows.items():
        for tool, res in results.items():
            med = res.median
            cpu = statistics.median(res.cpu) if med else None
            table.append(
                {
                    "files": count,
                    "tool": tool,
                    "label": LABELS[tool],
                    "median_s": med,
                    "median_cpu_s": cpu,
                    "files_per_s": count / med if med else None,
                    "ms_per_file": 1000 * med / count if med else None,
                    "cpu_ms_per_file": 1000 * cpu / count if cpu else None,
                    "errors": res.errors,
                }
            )
    ours = [(r["files"], r["median_s"], r["median_cpu_s"]) for r in table if r["tool"] == "hubctl" and r["median_s"]]
    marginal = [
        {
            "from": a[0],
            "to": b[0],
            "wall_ms_per_file": 1000 * (b[1] - a[1]) / (b[0] - a[0]),
            "cpu_ms_per_file": 1000 * (b[2] - a[2]) / (b[0] - a[0]),
        }
        for a, b in zip(ours, ours[1:])
    ]
    last = ours[-1] if ours else None
    return {
        "table": table,
        "hubctl_marginal": marginal,
        "hubctl_seconds_at_3000": last[1] * 3000 / last[0] if last else None,
        "hubctl_growth": marginal[-1]["wall_ms_per_file"] / marginal[0]["wall_ms_per_file"]
        if len(marginal) > 1 and marginal[0]["wall_ms_per_file"] > 0
        else None,
    }


def print_small_report(report: dict[str, object]) -> None:
    s, m = report["summary"], report["machine"]
    print(f"\nmany small files ({report['file_size']} B each, one folder), median of {report['runs']} run(s)")
    print(f"{'files':>6} {'tool':<36} {'s':>7} {'cpu s':>6} {'files/s':>8} {'ms/file':>8} {'cpu ms/file':>11}")
    for r in s["table"]:
        if r["median_s"] is None:
            print(f"{r['files']:>6} {r['label']:<36} FAILED  {r['errors'][0] if r['errors'] else 'no runs'}")
            continue
        print(
            f"{r['files']:>6} {r['label']:<36} {r['median_s']:>7.2f} {r['median_cpu_s']:>6.2f} "
            f"{r['files_per_s']:>8.0f} {r['ms_per_file']:>8.3f} {r['cpu_ms_per_file']:>11.3f}"
        )
    for mg in s["hubctl_marginal"]:
        print(
            f"hubctl marginal, {mg['from']} -> {mg['to']} files: {mg['wall_ms_per_file']:.3f} ms wall, "
            f"{mg['cpu_ms_per_file']:.3f} ms CPU per file"
        )
    checks = (
        ("hubctl seconds for 3,000 files", s["hubctl_seconds_at_3000"], "< 2.0", lambda v: v < 2.0),
        (
            "hubctl marginal CPU ms per file",
            s["hubctl_marginal"][-1]["cpu_ms_per_file"] if s["hubctl_marginal"] else None,
            "< 0.5",
            lambda v: v < 0.5,
        ),
        ("per-file growth (last / first marginal)", s["hubctl_growth"], "<= 1.25", lambda v: v <= 1.25),
    )
    for text, value, target, ok in checks:
        verdict = "n/a" if value is None else ("met" if ok(value) else "NOT met")
        print(f"{text:<40} {f'{value:.3f}' if value is not None else 'n/a':>8}  (target {target}: {verdict})")
    print(
        f"machine: {m['cores']} cores, {m['platform']}, Python {m['python']}, {m['date']}; load "
        f"{os.getloadavg()[0]:.1f} (shared machine: wall times are noisy, CPU seconds less so)"
    )


def small_doc_table(report: dict[str, object]) -> str:
    """docs/benchmarks.md's many-small-files table: one row per (count, tool)."""
    rows = []
    for r in report["summary"]["table"]:
        if r["median_s"] is None:
            why = r["errors"][0] if r["errors"] else "no runs"
            rows.append([r["files"], r["label"], f"failed: {why}", "", "", ""])
            continue
        rows.append(
            [
                r["files"],
                r["label"],
                f"{r['median_s']:.2f}",
                f"{r['median_cpu_s']:.2f}",
                f"{r['files_per_s']:.0f}",
                f"{r['cpu_ms_per_file']:.3f}",
            ]
        )
    return benchdoc.table(["files", "tool", "s", "CPU s", "files/s", "CPU ms/file"], rows)


def small_doc_notes(report: dict[str, object], args: argparse.Namespace) -> list[str]:
    """hubctl's marginal per-file cost between counts, the targets, and where the destinations were."""
    s = report["summary"]
    margins = "; ".join(
        f"{m['from']} -> {m['to']} files: {m['wall_ms_per_file']:.3f} ms wall, {m['cpu_ms_per_file']:.3f} ms CPU"
        for m in s["hubctl_marginal"]
    )
    at_3000 = f"{s['hubctl_seconds_at_3000']:.2f} s" if s["hubctl_seconds_at_3000"] else "n/a"
    return [
        f"hubctl's marginal cost per file: {margins or 'n/a (one count)'}. Targets: 3,000 files in under 2 s "
        f"(hubctl, scaled to 3,000: {at_3000}), under 0.5 ms CPU per file, no growth with the count.",
        f"{report['file_size']} B per file, one folder, median of {report['runs']} run(s); destinations in "
        f"{args.scratch}; load average {os.getloadavg()[0]:.1f} at the end (a shared machine: wall times are noisy, "
        "CPU seconds less so).",
    ]


def doc_section(report: dict[str, object]) -> str:
    """docs/benchmarks.md's section for this run: uncapped runs and each cap have their own."""
    cap = report["throttle_mbps_per_connection"]
    return f"pull-throttle-{cap:g}".replace(".", "-") if cap else "pull"


def doc_table(report: dict[str, object]) -> str:
    """One row per tool: median, rate, ratio to hubctl, whole process and CPU seconds (or why it failed)."""
    rows = []
    for t in report["summary"]["tools"].values():
        if t["median_s"] is None:
            rows.append([t["label"], "failed: " + (t["errors"][0] if t["errors"] else "no runs"), "", "", "", ""])
            continue
        rows.append(
            [
                t["label"],
                f"{t['median_s']:.2f}",
                f"{t['gb_per_s']:.2f}",
                f"{t['vs_hubctl']:.2f}",
                f"{t['median_process_s']:.2f}",
                f"{t['median_cpu_s']:.2f}",
            ]
        )
    return benchdoc.table(["tool", "median s", "GB/s", "× hubctl", "process s", "CPU s"], rows)


def doc_notes(report: dict[str, object]) -> list[str]:
    """The ratios against the targets, the repo and the versions."""
    s, repo, m = report["summary"], report["repo"], report["machine"]
    settings = ", ".join(
        f"{k.replace('_', ' ')} {v >> 20 if v >= 1 << 20 else v}{' MiB' * (v >= 1 << 20)}"
        for k, v in report["hubctl_settings"].items()
    )

    def ratio(key: str) -> str:
        return f"{s[key]:.2f}" if s[key] else "n/a"

    return [
        f"Ratios: faster official client / hubctl = {ratio('faster_official_over_hubctl')} "
        f"({ratio('faster_official_over_hubctl_process')} as whole processes; target ≥ 1.5); "
        f"hubctl / curl = {ratio('hubctl_over_curl')} (target ≤ 1.3).",
        f"Repo: {repo['files']} files, {repo['bytes'] / 1e9:.2f} GB (scale {repo['scale']:g}); median of "
        f"{report['runs']} runs; hubctl: {settings}. {report['note']} Versions: "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + ".",
    ]


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size factor of the large files (1.0 = ~2 GB)")
    parser.add_argument(
        "--case",
        choices=("large", "small"),
        default="large",
        help="large: the ~2 GB repo; small: many 2 KB files in one folder",
    )
    parser.add_argument(
        "--small-counts",
        default="300,1000,3000",
        help="small case: file counts; hubctl runs at each (per-file growth), the others at the last",
    )
    parser.add_argument("--runs", type=int, help="runs per tool, the median is reported (default: 3 large, 1 small)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    parser.add_argument("--workers", type=int, help="hubctl pull --workers (default: hubctl's)")
    parser.add_argument("--connections", type=int, help="hubctl pull --connections (default: hubctl's)")
    parser.add_argument(
        "--throttle-mbps",
        type=float,
        help="cap every connection at this many MB/s (a CDN's per-connection limit); default: none",
    )
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    benchdoc.add_arguments(parser)
    parser.add_argument(
        "--scratch",
        type=Path,
        default=BENCH_DIR / "run",
        help="where the clients' destinations go (e.g. on tmpfs, to take the disk out of a run)",
    )
    args = parser.parse_args()
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    args.small_counts = sorted({int(c) for c in args.small_counts.split(",") if c.strip()})
    args.runs = args.runs or (3 if args.case == "large" else 1)
    if unknown := set(args.tools) - set(TOOLS):
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    return args


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: stop the hub
    tools = list(args.tools)
    if "curl" in tools and not curl_has_parallel():
        print("curl with --parallel not found: skipping the curl ceiling", file=sys.stderr)
        tools.remove("curl")
    if args.case == "small":
        return run_small(args, tools)
    folder = BENCH_DIR / ("repo-2g" if args.scale == 1.0 else f"repo-2g-x{args.scale:g}")
    expected = build_repo(folder, args.scale)
    total = sum(size for size, _ in expected.values())
    scratch = args.scratch
    results = {tool: Result(tool) for tool in tools}
    try:
        with hub(folder, args.throttle_mbps) as endpoint:
            setup = Setup(endpoint, repo_commit(endpoint), sorted(expected), args.workers, args.connections)
            print(f"hub at {endpoint}, commit {setup.commit[:12]}", flush=True)
            for i in range(args.runs):  # round-robin, so drift over time hits every tool alike
                print(f"run {i + 1}/{args.runs}", flush=True)
                for tool in tools:
                    run_once(tool, setup, scratch, expected, results[tool])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = {
        "machine": machine(),
        "repo": {"files": len(expected), "bytes": total, "scale": args.scale},
        "runs": args.runs,
        "hubctl_settings": hubctl_settings(setup),
        "summary": summary(results, total),
        "throttle_mbps_per_connection": args.throttle_mbps,
        "note": "hub and clients share the machine (loopback); the source repo is in the page cache "
        "(the hub hashes it at start); destinations start empty with no dirty pages (os.sync)."
        + (f" Every connection capped at {args.throttle_mbps:g} MB/s." if args.throttle_mbps else ""),
    }
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    benchdoc.publish(args, doc_section(report), doc_table(report), doc_notes(report))
    return 1 if any(r.errors for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
