"""Hostile folders and crashed or paused processes, liveness class: no wait is unbounded, a stale lock is
taken over, a paused holder that wakes up never overwrites what another pull verified, and no special file
blocks a read (issue 17, points 12 and 15).

Real `python -m hubctl pull` processes are paused (SIGSTOP/SIGCONT) and killed (SIGKILL); every process and
wait is bounded (RUN_TIMEOUT), and each test checks exit codes, clean stderr and the final bytes.
"""

from __future__ import annotations

import json
import os
import signal
import time
from types import SimpleNamespace

import pytest
from hostiletools import (
    RUN_TIMEOUT,
    HostileHub,
    Sandbox,
    assert_no_wrong_bytes,
    assert_one_line_error,
    git_entry,
    hubctl,
    hubctl_popen,
    lfs_entry,
    sha256,
)
from pulltools import REPO_FILES

from hubctl.download.pull import _lock_path
from hubctl.server import Fault, HubServer, RepoStore

BIG = REPO_FILES["sub/dir/weights.bin"]  # 3 MiB: one stream with --connections 1
NAME = "sub/dir/weights.bin"


@pytest.fixture
def box(tmp_path):
    return Sandbox(tmp_path)


@pytest.fixture
def hub():
    store = RepoStore()
    commit = store.add_files("acme/tiny", REPO_FILES)
    with HubServer(store) as srv:
        yield SimpleNamespace(srv=srv, commit=commit)
    store.close()


def pull_args(hub, box: Sandbox) -> tuple[str, ...]:
    return (
        "pull",
        "acme/tiny",
        "--endpoint",
        hub.srv.endpoint,
        "--dest",
        str(box.dest),
        "--quiet",
        "--include",
        NAME,
        "--connections",
        "1",
        "--lock-timeout",
        "120",
    )


def wait_for(predicate, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def finish(proc, limit: float = RUN_TIMEOUT) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=limit)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, out, err


# 12. Stale locks are taken over; a woken holder is fenced off


def test_a_paused_holder_is_taken_over_and_never_overwrites_the_verified_file(hub, box):
    hub.srv.add_fault(Fault("slow", sha256(BIG), times=1, delay=0.25))  # A's stream: 64 KiB per 0.25 s
    lock = _lock_path(box.dest, NAME)
    holder = hubctl_popen(box, *[a for a in pull_args(hub, box) if a != "--quiet"])
    try:
        wait_for(lambda: lock.exists())
        time.sleep(1.0)  # A has written some bytes
        holder.send_signal(signal.SIGSTOP)  # Ctrl-Z, a hung NFS client
        started = time.monotonic()
        taker = hubctl(box, *pull_args(hub, box))
        took = time.monotonic() - started
        assert taker.code == 0, taker.stderr
        assert took < 60, f"stale lock taken over only after {took:.0f} s"
        final = box.dest / NAME
        verified = os.stat(final)
        assert final.read_bytes() == BIG
    finally:
        holder.send_signal(signal.SIGCONT)
    code, _, err = finish(holder)
    assert code == 0 and "Traceback" not in err, err
    assert "lease taken over" in err and "present" in err  # fenced off, then found the verified file
    after = os.stat(box.dest / NAME)
    assert (after.st_ino, after.st_mtime_ns, after.st_ctime_ns) == (
        verified.st_ino,
        verified.st_mtime_ns,
        verified.st_ctime_ns,
    )
    assert_no_wrong_bytes(box.dest, {NAME: BIG})
    assert hubctl(box, "verify", str(box.dest), "-q").code == 0
    box.assert_outside_untouched()


def test_a_killed_holder_is_taken_over_and_its_bytes_resumed(hub, box):
    hub.srv.add_fault(Fault("slow", sha256(BIG), times=1, delay=0.25))
    lock = _lock_path(box.dest, NAME)
    holder = hubctl_popen(box, *pull_args(hub, box))
    wait_for(lambda: lock.exists())
    time.sleep(1.0)
    holder.send_signal(signal.SIGKILL)
    finish(holder)
    assert lock.exists()  # left behind by the dead process
    started = time.monotonic()
    run = hubctl(box, *pull_args(hub, box))
    assert run.code == 0, run.stderr
    assert time.monotonic() - started < 60
    assert_no_wrong_bytes(box.dest, {NAME: BIG})
    box.assert_outside_untouched()


def test_a_lock_left_by_a_crashed_node_is_taken_over_after_the_stale_limit(hub, box):
    """A lock from another host (its pid cannot be checked) whose heartbeat stopped: taken over after
    HUBCTL_LOCK_STALE (2 s here) of unchanged mtime, not after --lock-timeout."""
    lock = _lock_path(box.dest, NAME)
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"host": "node-that-crashed", "pid": 1, "token": "gone", "generation": 4}))
    started = time.monotonic()
    run = hubctl(box, *pull_args(hub, box))
    took = time.monotonic() - started
    assert run.code == 0, run.stderr
    assert 1.5 < took < 45, took
    assert not lock.exists()
    assert_no_wrong_bytes(box.dest, {NAME: BIG})


def test_a_lock_held_past_the_wait_limit_is_exit_8_in_one_line(hub, box):
    lock = _lock_path(box.dest, NAME)
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"host": "busy-node", "pid": 1, "token": "alive"}))
    stop = time.monotonic() + 30

    def heartbeat() -> None:  # another node keeps refreshing its lease
        while time.monotonic() < stop and lock.exists():
            os.utime(lock)
            time.sleep(0.2)

    import threading

    beat = threading.Thread(target=heartbeat, daemon=True)
    beat.start()
    run = hubctl(
        box,
        "pull",
        "acme/tiny",
        "--endpoint",
        hub.srv.endpoint,
        "--dest",
        str(box.dest),
        "-q",
        "--include",
        NAME,
        "--lock-timeout",
        "3",
    )
    stop = 0
    assert_one_line_error(run, 8, contains="locked by")
    assert not (box.dest / NAME).exists()


# 15. FIFOs and other special files never block


def fifo(path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


@pytest.mark.parametrize("state, code", [("manifest.json", 9), ("stamps.json", 0)])
def test_a_fifo_as_hubctl_state_never_blocks_verify(box, state, code):
    """A FIFO manifest is unreadable (exit 9); a FIFO stamp index is ignored (files are re-hashed) and replaced."""
    box.dest.mkdir()
    (box.dest / "a.txt").write_bytes(b"a")
    assert hubctl(box, "manifest", str(box.dest), "-q").code == 0
    target = box.dest / ".hubctl" / state
    target.unlink(missing_ok=True)
    fifo(target)
    for quick in ((), ("--quick",)):
        run = hubctl(box, "verify", str(box.dest), "-q", *quick, timeout=30)
        if code:
            assert_one_line_error(run, code, contains="not a regular file")
        else:
            assert run.code == 0 and run.stderr == "", run.stderr
    assert code or target.is_file()


def test_a_fifo_as_an_explicit_manifest_is_exit_9(box):
    box.dest.mkdir()
    fifo(box.root / "lock.json")
    run = hubctl(box, "verify", str(box.dest), "--manifest", str(box.root / "lock.json"), timeout=30)
    assert_one_line_error(run, 9, contains="not a regular file")


def test_a_fifo_as_a_listed_file_never_blocks(box):
    files = {"a.txt": b"a\n", "w.bin": os.urandom(5000)}
    with HostileHub([git_entry("a.txt", files["a.txt"]), lfs_entry("w.bin", files["w.bin"])], files) as hub:
        args = ("pull", "acme/tiny", "--endpoint", hub.endpoint, "--dest", str(box.dest), "-q")
        assert hubctl(box, *args).code == 0
        (box.dest / "w.bin").unlink()
        fifo(box.dest / "w.bin")
        verify = hubctl(box, "verify", str(box.dest), "--json", timeout=30)
        assert_one_line_error(verify, 6, contains="not a file")
        repaired = hubctl(box, *args, timeout=30)  # pull replaces the FIFO with verified bytes
    assert repaired.code == 0, repaired.stderr
    assert_no_wrong_bytes(box.dest, files)


def test_fifos_as_a_stamp_or_a_lock_never_block_pull(box):
    files = {"w.bin": os.urandom(5000)}
    with HostileHub([lfs_entry("w.bin", files["w.bin"])], files) as hub:
        args = ("pull", "acme/tiny", "--endpoint", hub.endpoint, "--dest", str(box.dest), "-q")
        assert hubctl(box, *args).code == 0
        for stamp in (box.dest / ".hubctl" / "stamps").iterdir():
            stamp.unlink()
            fifo(stamp)
        (box.dest / ".hubctl" / "stamps.json").unlink(missing_ok=True)
        fifo(_lock_path(box.dest, "w.bin"))
        run = hubctl(box, *args, timeout=45)
    assert run.code == 0, run.stderr
    assert_no_wrong_bytes(box.dest, files)
