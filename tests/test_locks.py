"""Leases: exclusive, taken over from dead owners and from owners whose heartbeat stopped, never stolen live."""

import json
import os
import subprocess
import sys
import time

from hubctl.download.locks import HOST, Lease


def test_exclusive_until_released(tmp_path):
    a, b = Lease(tmp_path / "l.lock"), Lease(tmp_path / "l.lock")
    assert a.try_acquire()
    assert not b.try_acquire()
    assert f"pid {os.getpid()}" in b.describe_holder()
    a.release()
    assert b.try_acquire()
    b.release()
    assert not (tmp_path / "l.lock").exists()


def test_lock_of_a_dead_process_on_this_host_is_taken_over_at_once(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock = tmp_path / "l.lock"
    lock.write_text(json.dumps({"host": HOST, "pid": int(dead.stdout), "token": "old"}))
    lease = Lease(lock)
    assert lease.try_acquire()
    assert lease.still_held()
    lease.release()


def test_lock_from_another_host_is_stale_only_after_its_heartbeat_stops(tmp_path):
    lock = tmp_path / "l.lock"
    lock.write_text(json.dumps({"host": "other-node", "pid": 1, "token": "remote"}))
    lease = Lease(lock, stale_after=0.3)
    assert not lease.try_acquire()  # first sighting starts the clock (our clock, not theirs)
    time.sleep(0.15)
    os.utime(lock)  # the remote owner is alive: heartbeat
    os.utime(lock, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert not lease.try_acquire()
    time.sleep(0.4)  # no heartbeat for longer than stale_after
    assert lease.try_acquire()
    lease.release()


def test_release_never_removes_a_lock_taken_over_by_someone_else(tmp_path):
    lock = tmp_path / "l.lock"
    a = Lease(lock)
    assert a.try_acquire()
    lock.write_text(json.dumps({"host": HOST, "pid": os.getpid(), "token": "someone-else"}))
    a.release()
    assert lock.exists()
