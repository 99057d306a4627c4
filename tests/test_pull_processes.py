"""Whole-process behaviour: kill -9 then resume, concurrent pulls into one folder, lock waits, a full disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from types import SimpleNamespace

import pytest
from pulltools import REPO_FILES, cli, cli_popen, sha256, tree_bytes

from hubctl.constants import BUFFER_SIZE
from hubctl.download.locks import Lease
from hubctl.download.partial import PartialFile
from hubctl.download.pull import _lock_path
from hubctl.errors import ExitCode
from hubctl.server import Fault, HubServer, RepoStore

SMALL = REPO_FILES["sub/dir/weights.bin"]  # one stream
BIG = REPO_FILES["big/shard.bin"]  # 1 MiB pieces over 4 connections (FAST_ENV)
CONNECTIONS = 4


@pytest.fixture
def hub():
    store = RepoStore()
    commit = store.add_files("acme/tiny", REPO_FILES)
    with HubServer(store) as srv:
        yield SimpleNamespace(srv=srv, commit=commit)
    store.close()


def pull_args(hub, dest, *extra):
    return (
        "pull",
        "acme/tiny",
        "--endpoint",
        hub.srv.endpoint,
        "--dest",
        str(dest),
        "--quiet",
        "--connections",
        str(CONNECTIONS),
        *extra,
    )


def body_records(hub, data: bytes):
    digest = sha256(data)
    return [r for r in hub.srv.log() if r.method == "GET" and r.status in (200, 206) and digest in r.path]


def requested_bytes(record, size: int) -> int:
    if not record.range:
        return size
    start, _, end = record.range.removeprefix("bytes=").partition("-")
    return (int(end) if end else size - 1) - int(start) + 1


def settle(hub, seconds: float = 1.5) -> None:
    """Let the server finish logging connections the killed client left behind."""
    deadline = time.monotonic() + seconds
    count = -1
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = len(hub.srv.log())
        if now == count:
            return
        count = now


def test_kill_9_then_rerun_fetches_at_most_one_chunk_twice_per_stream(hub, tmp_path):
    dest = tmp_path / "m"
    for data in (SMALL, BIG):  # slow enough to be killed mid-file
        hub.srv.add_fault(Fault(kind="slow", match=sha256(data), times=-1, delay=0.03))
    proc = cli_popen(*pull_args(hub, dest))
    small_part = big_part = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        parts = {p.name.split(".")[0]: p for p in dest.rglob("*.hubctl-partial")} if dest.exists() else {}
        small_part, big_part = parts.get("weights"), parts.get("shard")
        journal = big_part and big_part.with_name(big_part.name + ".pieces")
        if small_part and small_part.stat().st_size > 256 << 10 and journal and journal.exists():
            pieces = PartialFile(big_part, len(BIG), None)
            done = sum(p.done for p in pieces.pieces)
            pieces.close()
            if done > 256 << 10:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    settle(hub)
    assert small_part is not None and big_part is not None, "pull finished before it could be killed"
    small_done = small_part.stat().st_size
    big = PartialFile(big_part, len(BIG), None)
    big_done = sum(p.done for p in big.pieces)
    big.close()
    sent_before = {id(d): sum(r.bytes_sent for r in body_records(hub, d)) for d in (SMALL, BIG)}
    assert 0 < small_done < len(SMALL) and 0 < big_done < len(BIG)

    hub.srv.clear_faults()
    hub.srv.reset_log()
    rerun = cli(*pull_args(hub, dest))
    assert rerun.returncode == 0, rerun.stderr
    assert tree_bytes(dest) == REPO_FILES
    assert not list(dest.rglob("*.hubctl-partial*"))

    small_again = body_records(hub, SMALL)
    assert [r.range for r in small_again] == [f"bytes={small_done}-{len(SMALL) - 1}"]  # resumed at its length
    big_requested = sum(requested_bytes(r, len(BIG)) for r in body_records(hub, BIG))
    assert big_requested == len(BIG) - big_done  # exactly what the journal did not claim
    # Bytes the server sent before the kill and again after: at most one read buffer per stream in flight.
    assert sent_before[id(SMALL)] + len(SMALL) - small_done - len(SMALL) <= BUFFER_SIZE
    assert sent_before[id(BIG)] + big_requested - len(BIG) <= CONNECTIONS * BUFFER_SIZE


def test_four_concurrent_pulls_into_one_folder_fetch_each_file_once(hub, tmp_path):
    dest = tmp_path / "shared"
    for data in (SMALL, BIG):  # long enough for the four processes to overlap
        hub.srv.add_fault(Fault(kind="slow", match=sha256(data), times=-1, delay=0.005))
    procs = [cli_popen(*pull_args(hub, dest, "--json")) for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert json.loads(out)["ok"]
    assert tree_bytes(dest) == REPO_FILES
    assert not list(dest.rglob("*.hubctl-partial*")) and not list((dest / ".hubctl" / "locks").glob("*.lock"))
    for path, data in REPO_FILES.items():
        served = [
            r
            for r in hub.srv.log()
            if r.method == "GET"
            and r.status in (200, 206)
            and (sha256(data) in r.path or r.path.split("?")[0].endswith("/" + path))
        ]
        assert sum(r.bytes_sent for r in served) == len(data), path
    statuses = [f["status"] for out, _ in outputs for f in json.loads(out)["files"]]
    assert statuses.count("downloaded") + statuses.count("resumed") == len(REPO_FILES)


def test_a_held_lock_is_waited_for_with_a_bound_and_reported(hub, tmp_path):
    dest = tmp_path / "m"
    lease = Lease(_lock_path(dest, "config.json"))
    assert lease.try_acquire()  # a live process (this one) holds config.json
    try:
        started = time.monotonic()
        result = cli(*pull_args(hub, dest, "--lock-timeout", "1"))
    finally:
        lease.release()
    assert result.returncode == ExitCode.LOCK_TIMEOUT, result.stderr
    assert f"pid {os.getpid()}" in result.stderr and "config.json" in result.stderr
    assert time.monotonic() - started < 20
    assert (dest / "model.safetensors").read_bytes() == REPO_FILES["model.safetensors"]  # others completed


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_mid_file_keeps_the_partial_and_resumes_after_space_is_freed(hub, small_disk):
    dest = small_disk / "m"
    args = pull_args(hub, dest, "--include", "sub/dir/weights.bin")
    full = cli(*args, env={"HUBCTL_DISK_MARGIN": str(-(1 << 40))})  # skip the precheck: hit ENOSPC for real
    assert full.returncode == ExitCode.LOCAL_IO, full.stderr
    assert "no space left" in full.stderr and full.stderr.count("\n") == 1
    assert not (dest / "sub/dir/weights.bin").exists()
    partial = next(dest.rglob("*.hubctl-partial"))
    kept = partial.stat().st_size
    assert kept > 0

    precheck = cli(*args)
    assert precheck.returncode == ExitCode.LOCAL_IO and "disk space" in precheck.stderr

    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    hub.srv.reset_log()
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert (dest / "sub/dir/weights.bin").read_bytes() == SMALL
    assert [r.range for r in body_records(hub, SMALL)] == [f"bytes={kept}-{len(SMALL) - 1}"]


def test_ctrl_c_exits_130_keeps_partials_and_the_rerun_resumes(hub, tmp_path):
    dest = tmp_path / "m"
    hub.srv.add_fault(Fault(kind="slow", match=sha256(BIG), times=-1, delay=0.05))
    proc = cli_popen(*pull_args(hub, dest))
    deadline = time.monotonic() + 20
    while not list(dest.rglob("shard.bin.*.hubctl-partial")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == ExitCode.INTERRUPTED and "rerun the same command to resume" in err
    assert list(dest.rglob("shard.bin.*.hubctl-partial")) and not (dest / "big/shard.bin").exists()
    hub.srv.clear_faults()
    rerun = cli(*pull_args(hub, dest, "--json"))
    assert rerun.returncode == 0, rerun.stderr
    statuses = {f["path"]: f["status"] for f in json.loads(rerun.stdout)["files"]}
    assert statuses["big/shard.bin"] == "resumed" and statuses["config.json"] == "present"
    assert tree_bytes(dest) == REPO_FILES


def test_a_terminal_gets_a_byte_progress_bar_with_the_files_in_flight(hub, tmp_path):
    import sys

    import pexpect
    from pulltools import FAST_ENV

    hub.srv.add_fault(Fault(kind="slow", match=sha256(BIG), times=-1, delay=0.01))
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hubctl", "pull", "acme/tiny", "--endpoint", hub.srv.endpoint, "--dest", str(tmp_path / "m")],
        env={**os.environ, **FAST_ENV},
        encoding="utf-8",
        timeout=60,
        dimensions=(24, 160),
    )
    child.expect(r"7 files:\s+\d+%\|")  # tqdm's bar, described with the file count
    child.expect(r"shard\.bin")  # the large file is in flight (largest first)
    child.expect(r"pulled hf:acme/tiny@")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert tree_bytes(tmp_path / "m") == REPO_FILES
