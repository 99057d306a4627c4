"""The site mirror (issue 20): an upstream loopback hub with a request log, a mirror in front, clients of
both protocols.

Every test is bounded: client processes run under subprocess timeouts, the mirror under a bounded wait.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hubclients import client_env
from pulltools import FAST_ENV, cli, cli_popen, rng_bytes, sha256, tree_bytes

from hubctl.mirror.service import open_mirror
from hubctl.server import Fault, HubServer, RepoStore

FILES = {
    ".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
    "config.json": b'{"model_type": "llama", "hidden_size": 8}\n',
    "model.safetensors": rng_bytes(7, 1 << 20),
    "tokenizer.json": rng_bytes(8, 40_000),
    "sub/notes.txt": "notes: 模型\n".encode(),
}
SNAPSHOT_BYTES = sum(len(b) for b in FILES.values())
CLIENT_TIMEOUT = 240


pytestmark = pytest.mark.usefixtures("fast_upstream")


@pytest.fixture
def upstream() -> Iterator[HubServer]:
    store = RepoStore()
    store.add_files("org/m", FILES)
    with HubServer(store) as hub:
        yield hub


@pytest.fixture
def mirror(upstream: HubServer, tmp_path: Path) -> Iterator[HubServer]:
    hubs = {"hf": (upstream.endpoint,), "modelscope": (upstream.endpoint,)}
    with open_mirror(hubs, tmp_path / "cache") as server:
        yield server


def content_requests(hub: HubServer) -> list:
    """Requests that carried file bytes (the blob origin, HF resolve, ModelScope downloads), not listings."""
    return [
        r
        for r in hub.log()
        if r.method == "GET"
        and r.status in (200, 206)
        and r.bytes_sent
        and (r.origin == "cdn" or "/resolve/" in r.path or "/repo?" in r.path)
    ]


def settled(hub: HubServer, count: int) -> list:
    """The content requests once `count` are logged: a server logs a request just after its last byte left, so
    a client can finish before the record is in (bounded wait)."""
    deadline = time.monotonic() + 30
    while len(content_requests(hub)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return content_requests(hub)


def _client(kind: str, mirror: HubServer, work: Path) -> subprocess.Popen:
    dest = work / "out"
    if kind == "hubctl":
        return cli_popen(
            "pull", "hf:org/m", "--endpoint", mirror.endpoint, "--dest", str(dest), "--json", env={"HOME": str(work)}
        )
    code = {
        "hf": f"from huggingface_hub import snapshot_download as s; s('org/m', local_dir={str(dest)!r})",
        "ms": f"from modelscope import snapshot_download as s; s('org/m', local_dir={str(dest)!r})",
    }[kind]
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=client_env(mirror, work),
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wave(kinds: list[str], mirror: HubServer, root: Path) -> None:
    """Start every client at once; each must end with the snapshot byte-exact."""
    procs = []
    for i, kind in enumerate(kinds):
        work = root / f"{kind}{i}"
        work.mkdir(parents=True)
        procs.append((kind, work, _client(kind, mirror, work)))
    for kind, work, proc in procs:
        _, err = proc.communicate(timeout=CLIENT_TIMEOUT)
        assert proc.returncode == 0, f"{kind}: {err[-2000:]}"
        got = {k: v for k, v in tree_bytes(work / "out").items() if not k.startswith((".msc", ".mv", "._"))}
        assert got == FILES, kind


def _mix(n: int) -> list[str]:
    """Mostly hubctl (light processes), with huggingface_hub and modelscope clients in every wave."""
    if n == 1:
        return ["hubctl"]
    kinds = ["hf", "ms"] * max(1, n // 8)
    return kinds + ["hubctl"] * (n - len(kinds))


@pytest.mark.parametrize("n", [1, 4, 16])
def test_n_clients_one_upstream_fetch_per_file(upstream: HubServer, mirror: HubServer, tmp_path: Path, n: int) -> None:
    _wave(_mix(n), mirror, tmp_path / "wave1")
    served = settled(upstream, len(FILES))
    assert sum(r.bytes_sent for r in served) == SNAPSHOT_BYTES  # upstream bytes / snapshot bytes = 1.00
    assert len(served) == len(FILES)  # each file once in total, whatever the number of clients
    upstream.reset_log()
    _wave(_mix(min(n, 4)), mirror, tmp_path / "wave2")
    assert content_requests(upstream) == []  # the second wave is served from the cache alone


def test_one_cache_serves_both_protocols(upstream: HubServer, mirror: HubServer, tmp_path: Path) -> None:
    out = tmp_path / "hf"
    assert cli("pull", "hf:org/m", "--endpoint", mirror.endpoint, "--dest", str(out), timeout=120).returncode == 0
    settled(upstream, len(FILES))
    upstream.reset_log()
    out_ms = tmp_path / "ms"
    proc = cli("pull", "ms:org/m", "--endpoint", mirror.endpoint, "--dest", str(out_ms), "--json", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert tree_bytes(out_ms) == FILES
    assert content_requests(upstream) == []  # listed on ModelScope, served from what HF brought in
    report = json.loads(proc.stdout)
    assert report["bytes_by_endpoint"] == {mirror.endpoint: SNAPSHOT_BYTES}


def test_corrupt_upstream_caches_nothing_and_no_client_gets_wrong_bytes(
    upstream: HubServer, mirror: HubServer, tmp_path: Path
) -> None:
    upstream.add_fault(Fault("corrupt", "tokenizer.json", times=-1))
    proc = cli("pull", "hf:org/m", "--endpoint", mirror.endpoint, "--dest", str(tmp_path / "out"), timeout=120)
    assert proc.returncode != 0
    assert not (tmp_path / "out" / "tokenizer.json").exists()
    cached = json.loads(_get(mirror.endpoint + "/api/mirror/cache"))
    assert sha256(FILES["tokenizer.json"]) not in {f["sha256"] for f in cached["files"]}
    assert cached["failures"] >= 1
    upstream.clear_faults()
    proc = cli("pull", "hf:org/m", "--endpoint", mirror.endpoint, "--dest", str(tmp_path / "out"), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert tree_bytes(tmp_path / "out") == FILES


def test_upstream_down_cached_served_uncached_fails_clearly(upstream: HubServer, tmp_path: Path) -> None:
    hubs = {"hf": (upstream.endpoint,), "modelscope": (upstream.endpoint,)}
    with open_mirror(hubs, tmp_path / "cache", refs_ttl=0) as mirror:
        args = ("--endpoint", mirror.endpoint, "--include", "config.json", "--include", "sub/*")
        assert cli("pull", "hf:org/m", *args, "--dest", str(tmp_path / "a"), timeout=120).returncode == 0
        upstream.stop()
        # refs expired (ttl 0) and upstream down: the last known commit stands in; cached files still served
        assert cli("pull", "hf:org/m", *args, "--dest", str(tmp_path / "b"), timeout=120).returncode == 0
        assert tree_bytes(tmp_path / "b") == {k: v for k, v in FILES.items() if k in ("config.json", "sub/notes.txt")}
        proc = cli("pull", "hf:org/m", "--endpoint", mirror.endpoint, "--dest", str(tmp_path / "c"), timeout=180)
        assert proc.returncode == 5, proc.stderr  # uncached files: a network error, never wrong bytes
        assert not (tmp_path / "c" / "model.safetensors").exists()
    with open_mirror({}, tmp_path / "cache", offline=True) as offline:
        with urllib.request.urlopen(offline.endpoint + "/org/m/resolve/main/config.json", timeout=30) as resp:
            assert resp.read() == FILES["config.json"]
            assert resp.headers["X-Hubctl-Mirror"] == "offline"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(offline.endpoint + "/org/m/resolve/main/model.safetensors", timeout=30)
        assert err.value.code == 503 and "not cached" in err.value.read().decode()
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(offline.endpoint + "/api/models/org/other", timeout=30)
        assert err.value.code == 503


def test_branch_resolution_cached_for_refs_ttl(upstream: HubServer, tmp_path: Path) -> None:
    hubs = {"hf": (upstream.endpoint,)}
    with open_mirror(hubs, tmp_path / "cache", refs_ttl=3600) as mirror:
        first = json.loads(_get(mirror.endpoint + "/api/models/org/m/revision/main"))["sha"]
        upstream.store.add_files("org/m", {"config.json": b"{}\n"})
        assert json.loads(_get(mirror.endpoint + "/api/models/org/m/revision/main"))["sha"] == first
        assert json.loads(_get(mirror.endpoint + f"/api/models/org/m/revision/{first}"))["sha"] == first
    with open_mirror(hubs, tmp_path / "cache", refs_ttl=0) as mirror:
        assert json.loads(_get(mirror.endpoint + "/api/models/org/m/revision/main"))["sha"] != first


def test_admin_listing_and_metrics(upstream: HubServer, mirror: HubServer, tmp_path: Path) -> None:
    proc = cli("pull", "hf:org/m", "--endpoint", mirror.endpoint, "--dest", str(tmp_path / "o"), timeout=120)
    assert proc.returncode == 0, proc.stderr
    cached = json.loads(_get(mirror.endpoint + "/api/mirror/cache"))
    assert cached["upstream_bytes"] == SNAPSHOT_BYTES and cached["bytes"] == SNAPSHOT_BYTES
    assert cached["misses"] == len(FILES)
    metrics = _get(mirror.endpoint + "/metrics")
    assert f"hubctl_mirror_upstream_bytes_total {SNAPSHOT_BYTES}\n" in metrics
    assert "# TYPE hubctl_mirror_hits_total counter" in metrics


def test_kill9_mid_fetch_resumes_and_never_serves_half(upstream: HubServer, tmp_path: Path) -> None:
    big = rng_bytes(9, 6 << 20)
    upstream.store.add_files("org/big", {"w.safetensors": big})
    upstream.add_fault(Fault("slow", "/cdn/", times=-1, delay=0.05))  # ~1.3 MB/s: the kill lands mid-body
    cache = tmp_path / "cache"
    env = {**os.environ, **FAST_ENV, "HUBCTL_MULTIPART_THRESHOLD": str(1 << 40)}
    argv = [
        sys.executable,
        "-m",
        "hubctl",
        "serve",
        "--upstream",
        f"hf={upstream.endpoint}",
        "--cache",
        str(cache),
        "--port",
        "0",
    ]
    first = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    try:
        endpoint = _endpoint_of(first)
        client = cli_popen("pull", "hf:org/big", "--endpoint", endpoint, "--dest", str(tmp_path / "x"))
        deadline = time.monotonic() + 60
        while not any((cache / "partials").glob("*.hubctl-partial")):
            assert time.monotonic() < deadline, "the mirror never started the fetch"
            time.sleep(0.1)
        time.sleep(1.5)  # about 2 MB of the 6 MB in
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        client.kill()
        client.communicate(timeout=30)
    finally:
        first.kill()
    assert not any((cache / "objects").iterdir())  # nothing half-written under a final name
    deadline = time.monotonic() + 30
    while not any(r.origin == "cdn" for r in upstream.log()):  # the killed fetch's request is logged once cut
        assert time.monotonic() < deadline, "the upstream never saw the killed fetch end"
        time.sleep(0.1)
    upstream.clear_faults()
    upstream.reset_log()
    second = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    try:
        endpoint = _endpoint_of(second)
        proc = cli("pull", "hf:org/big", "--endpoint", endpoint, "--dest", str(tmp_path / "y"), timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / "y" / "w.safetensors").read_bytes() == big
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    resumed = content_requests(upstream)
    assert sum(r.bytes_sent for r in resumed) < len(big)  # the partial was resumed, not fetched again
    assert all(r.range and not r.range.startswith("bytes=0-") for r in resumed)


def _endpoint_of(proc: subprocess.Popen) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("HF_ENDPOINT="):
            return line.split()[0].partition("=")[2]
        assert line, "the mirror exited before it listened"
    raise AssertionError("the mirror did not start in time")


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read().decode()


def test_max_size_evicts_lru_but_never_a_file_being_served(upstream: HubServer, tmp_path: Path) -> None:
    big, a, b = rng_bytes(10, 8 << 20), rng_bytes(11, 1 << 20), rng_bytes(12, 1 << 20)
    upstream.store.add_files("org/e", {"big.bin": big, "a.bin": a, "b.bin": b})
    hubs = {"hf": (upstream.endpoint,)}
    with open_mirror(hubs, tmp_path / "cache", max_size=9 << 20) as mirror:
        objects = tmp_path / "cache" / "objects"
        # A client that reads a little of big.bin and stops: its response is still being sent.
        slow = urllib.request.urlopen(mirror.endpoint + "/org/e/resolve/main/big.bin", timeout=60)
        assert slow.read(1000) == big[:1000]
        args = ("--endpoint", mirror.endpoint, "--include", "*.bin", "--exclude", "big.bin")
        assert cli("pull", "hf:org/e", *args, "--dest", str(tmp_path / "ab"), timeout=120).returncode == 0
        assert (objects / sha256(big)).is_file()  # pinned by the response in flight
        deadline = time.monotonic() + 30
        while json.loads(_get(mirror.endpoint + "/api/mirror/cache"))["evictions"] < 1:  # on the last unpin
            assert time.monotonic() < deadline, "nothing was evicted"
            time.sleep(0.05)
        assert json.loads(_get(mirror.endpoint + "/api/mirror/cache"))["evictions"] == 1
        gone = [(name, data) for name, data in (("a.bin", a), ("b.bin", b)) if not (objects / sha256(data)).exists()]
        assert len(gone) == 1  # the least recently used of the files not being served (both fetched at once)
        assert big[1000:] == slow.read()
        slow.close()
        deadline = time.monotonic() + 30
        while json.loads(_get(mirror.endpoint + "/api/mirror/cache"))["serving"]:  # unpinned once logged
            assert time.monotonic() < deadline, "the ended response never released its file"
            time.sleep(0.05)
        name, data = gone[0]
        assert _get_bytes(f"{mirror.endpoint}/org/e/resolve/main/{name}") == data  # fetched again: big.bin goes now
        assert not (objects / sha256(big)).exists()
        assert sum(p.stat().st_size for p in objects.iterdir()) <= 9 << 20


def test_prefetch_warms_the_cache(upstream: HubServer, mirror: HubServer, tmp_path: Path) -> None:
    from hubctl.mirror.prefetch import prefetch

    result = prefetch(mirror, "hf:org/m@main")
    assert result.failed == () and result.files == len(FILES)
    settled(upstream, len(FILES))
    upstream.reset_log()
    proc = cli("pull", "ms:org/m", "--endpoint", mirror.endpoint, "--dest", str(tmp_path / "o"), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert content_requests(upstream) == []
    assert prefetch(mirror, "hf:org/nothing").failed


def _get_bytes(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as resp:
        return resp.read()


def test_gated_and_private_repos_are_not_served(upstream: HubServer, mirror: HubServer, tmp_path: Path) -> None:
    upstream.store.add_files("org/gated", {"w.safetensors": rng_bytes(13, 5000)})
    upstream.store.set_gated("org/gated")
    upstream.store.add_files("org/private", {"w.safetensors": rng_bytes(14, 5000)})
    upstream.store.require_token("org/private", "hf_secret")
    for repo, code in (("org/gated", 4), ("org/private", 3)):
        proc = cli("pull", f"hf:{repo}", "--endpoint", mirror.endpoint, "--dest", str(tmp_path / repo), timeout=120)
        assert proc.returncode == code, proc.stderr
        assert not (tmp_path / repo / "w.safetensors").exists()
    assert json.loads(_get(mirror.endpoint + "/api/mirror/cache"))["files"] == []
    assert not any(r.authorization for r in upstream.log())  # the mirror sends no token upstream


def test_a_mirror_is_the_upstream_of_another_mirror(upstream: HubServer, mirror: HubServer, tmp_path: Path) -> None:
    hubs = {"hf": (mirror.endpoint,), "modelscope": (mirror.endpoint,)}
    with open_mirror(hubs, tmp_path / "site") as site:
        proc = cli("pull", "ms:org/m", "--endpoint", site.endpoint, "--dest", str(tmp_path / "o"), timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert tree_bytes(tmp_path / "o") == FILES
        assert sum(r.bytes_sent for r in settled(upstream, len(FILES))) == SNAPSHOT_BYTES
        assert len(content_requests(mirror)) == len(FILES)  # each tier fetched each file once


def test_concurrent_misses_of_a_ref_make_one_upstream_listing(upstream: HubServer, mirror: HubServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        shas = set(
            pool.map(lambda _: json.loads(_get(mirror.endpoint + "/api/models/org/m/revision/main"))["sha"], range(8))
        )
    assert len(shas) == 1
    listings = [r for r in upstream.log() if "/tree/" in r.path]
    assert len(listings) == 1


def test_a_hostile_listing_is_refused_whole(tmp_path: Path) -> None:
    from hostilehub import REPO, HostileServer, file_entry, json_answer

    with HostileServer() as hostile:
        escape = [file_entry(), file_entry("../escape.txt")]
        hostile.scripts[f"/api/models/{REPO}/tree/"] = lambda h: h.send_raw(json_answer(escape))
        with open_mirror({"hf": (hostile.endpoint,)}, tmp_path / "cache") as mirror:
            with pytest.raises(urllib.error.HTTPError) as err:
                _get(f"{mirror.endpoint}/api/models/{REPO}/revision/main")
            assert err.value.code == 502 and "escape" in err.value.read().decode()
            assert json.loads(_get(mirror.endpoint + "/api/mirror/cache"))["files"] == []
            assert hostile.count("/resolve/") == 0  # nothing of that listing was fetched
