"""nginx in front of the mirror with the shipped config (deploy/nginx/hubctl-mirror.conf), on loopback.

The test starts nginx itself: its own prefix and config in a tmp folder, free ports, no daemon, pid file in tmp.
Skipped when nginx is not installed (`.ci/run` installs Debian's package).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hubclients import client_env
from pulltools import ROOT, cli, rng_bytes, tree_bytes
from test_mirror import FILES as SMALL_FILES
from test_mirror import content_requests, settled

from hubctl.mirror.service import open_mirror
from hubctl.server import HubServer, RepoStore

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install -y nginx)")

FILES = {**SMALL_FILES, "big.safetensors": rng_bytes(21, (9 << 20) + 12345)}  # two 8 MiB slices
SNAPSHOT_BYTES = sum(len(b) for b in FILES.values())


class Front:
    """nginx's two listeners, named like a hub for the client helpers."""

    def __init__(self, api: int, cdn: int) -> None:
        self.endpoint = f"http://127.0.0.1:{api}"
        self.cdn_endpoint = f"http://127.0.0.1:{cdn}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(mirror: HubServer, prefix: Path, api: int, cdn: int) -> Path:
    """The shipped config with this test's values, wrapped in a minimal nginx.conf of its own."""
    site = (ROOT / "deploy" / "nginx" / "hubctl-mirror.conf").read_text()
    for token, value in {
        "@CACHE_DIR@": str(prefix / "cache"),
        "@MIRROR_HOST@": "127.0.0.1",
        "@MIRROR_API@": str(mirror.port),
        "@MIRROR_CDN@": str(mirror.cdn_port),
        "@LISTEN_ADDR@": "127.0.0.1",
        "@LISTEN_API@": str(api),
        "@LISTEN_CDN@": str(cdn),
    }.items():
        site = site.replace(token, value)
    assert "@" not in "".join(line.partition("#")[0] for line in site.splitlines())
    (prefix / "hubctl-mirror.conf").write_text(site)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = " ".join(f"{name}_temp_path {prefix / name};" for name in kinds)
    conf = prefix / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\nerror_log {prefix / 'error.log'} warn;\npid {prefix / 'nginx.pid'};\n"
        + "events { worker_connections 512; }\n"
        + f"http {{\n  access_log {prefix / 'access.log'};\n  {temp}\n  include {prefix / 'hubctl-mirror.conf'};\n}}\n"
    )
    return conf


pytestmark = pytest.mark.usefixtures("fast_upstream")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[HubServer, HubServer, Front]]:
    store = RepoStore()
    store.add_files("org/m", FILES)
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    with (
        HubServer(store) as upstream,
        open_mirror({"hf": (upstream.endpoint,), "modelscope": (upstream.endpoint,)}, tmp_path / "mirror") as mirror,
    ):
        api, cdn = _free_port(), _free_port()
        conf = render(mirror, prefix, api, cdn)
        argv = [NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf), "-g", "daemon off;"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            _wait_listening(api, proc, prefix)
            yield upstream, mirror, Front(api, cdn)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


def _wait_listening(port: int, proc: subprocess.Popen, prefix: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (prefix / "error.log").read_text() if (prefix / "error.log").exists() else ""
            raise AssertionError(f"nginx exited: {proc.stdout.read() if proc.stdout else ''} {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nginx did not listen in time")


def _pull(front: Front, dest: Path) -> subprocess.Popen:
    from pulltools import cli_popen

    return cli_popen("pull", "hf:org/m", "--endpoint", front.endpoint, "--dest", str(dest), "--json")


def test_nginx_caches_immutable_content_and_the_mirror_fetches_each_file_once(
    stack: tuple[HubServer, HubServer, Front], tmp_path: Path
) -> None:
    upstream, mirror, front = stack
    procs = [(tmp_path / f"c{i}", _pull(front, tmp_path / f"c{i}")) for i in range(4)]
    hf_dest = tmp_path / "hf" / "out"
    (tmp_path / "hf").mkdir()
    code = f"from huggingface_hub import snapshot_download as s; s('org/m', local_dir={str(hf_dest)!r})"
    hf = subprocess.Popen(
        [sys.executable, "-c", code],
        env=client_env(front, tmp_path / "hf"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for dest, proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-2000:]
        assert tree_bytes(dest) == FILES
    _, err = hf.communicate(timeout=240)
    assert hf.returncode == 0, err[-2000:]
    assert tree_bytes(hf_dest) == FILES
    served = settled(upstream, len(FILES))
    assert sum(r.bytes_sent for r in served) == SNAPSHOT_BYTES  # upstream bytes / snapshot bytes = 1.00
    assert len(served) == len(FILES)

    # A second wave is served by nginx alone: no content request reaches the mirror.
    time.sleep(0.5)
    mirror.reset_log()
    report = json.loads(
        cli(
            "pull", "hf:org/m", "--endpoint", front.endpoint, "--dest", str(tmp_path / "again"), "--json", timeout=120
        ).stdout
    )
    assert report["ok"] and tree_bytes(tmp_path / "again") == FILES
    assert content_requests(mirror) == []

    commit = report["commit"]
    status = _cache_status(f"{front.endpoint}/org/m/resolve/{commit}/config.json")
    assert status == "HIT"
    # Branch resolves and API answers pass through uncached.
    assert _cache_status(f"{front.endpoint}/api/models/org/m/revision/main") == "BYPASS"
    # A blob through the LFS redirect, whatever signature the redirect carries: cached by sha256.
    with urllib.request.urlopen(f"{front.endpoint}/org/m/resolve/{commit}/big.safetensors", timeout=60) as resp:
        assert resp.url.startswith(front.cdn_endpoint + "/cdn/")
        assert resp.headers["X-Cache-Status"] == "HIT"
        assert resp.read() == FILES["big.safetensors"]


def _cache_status(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as resp:
        resp.read()
        return resp.headers.get("X-Cache-Status", "")
