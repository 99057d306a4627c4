"""Leases: exclusive locks that work on shared storage and cannot be held forever by a dead process.

flock/fcntl are unreliable on NFS, Lustre and GPFS (they can silently "succeed" for two nodes), so a lease is
a lock file created with O_EXCL (atomic on NFSv3+), holding the owner's host, pid and a random token. The
owner touches it every few seconds. A waiter takes it over when the owner is a dead pid on this host, or
when the file's mtime has not changed for `stale_after` seconds *as measured by the waiter's own clock*,
which is immune to clock skew between nodes. Breaking is itself serialised by a short-lived `.break` lease.

The waiter's observation (mtime seen, when first seen) belongs to the lock file, not to one Lease object:
a pull retries a busy file with a fresh Lease each time, and a per-object clock restarted on every attempt,
so a stale lock was never taken over. Each takeover writes generation = old + 1. A holder checks
`still_held()` (its token is still the file's) before every write burst and before the final rename (see
partial.py's fence), so a holder that was paused past `stale_after` and wakes up stops instead of
overwriting a file its successor already verified.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time
from pathlib import Path

from hubctl.integrity.safepath import read_regular
from hubctl.settings import Settings, current

HOST = socket.gethostname()
#: Per lock file: (mtime_ns last seen, this process's monotonic time when first seen with that mtime).
_OBSERVED: dict[str, tuple[int, float]] = {}
_OBSERVED_LOCK = threading.Lock()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Heartbeat:
    """One daemon thread that refreshes the mtime of every lease this process holds."""

    def __init__(self) -> None:
        self._held: set[Path] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, path: Path) -> None:
        with self._lock:
            self._held.add(path)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hubctl-lease", daemon=True)
                self._thread.start()

    def discard(self, path: Path) -> None:
        with self._lock:
            self._held.discard(path)

    def _run(self) -> None:
        while True:
            time.sleep(max(0.2, current().lock_stale / 6))
            with self._lock:
                held = list(self._held)
            for path in held:
                try:
                    os.utime(path)
                except OSError:
                    pass


_HEARTBEAT = _Heartbeat()


class Lease:
    """An exclusive lease on `path` (a lock file)."""

    def __init__(self, path: Path, stale_after: float | None = None, settings: Settings | None = None) -> None:
        self.path = path
        self.stale_after = (settings or current()).lock_stale if stale_after is None else stale_after
        self.token = secrets.token_hex(8)
        self.generation = 1

    def try_acquire(self) -> bool:
        """Take the lease if free or stale; never blocks for long."""
        for _ in range(2):
            if self._create(self.path, self.token, self.generation):
                _HEARTBEAT.add(self.path)
                return True
            if not self._break_if_stale():
                return False
        return False

    def _create(self, path: Path, token: str, generation: int = 1) -> bool:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            try:
                fd = os.open(path, flags, 0o644)
            except FileNotFoundError:  # the locks folder is made by the first lease that needs it, not per lease
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, flags, 0o644)
        except FileExistsError:
            return False
        data = json.dumps(
            {"host": HOST, "pid": os.getpid(), "token": token, "generation": generation, "since": time.time()}
        ).encode()
        try:
            view = memoryview(data)
            while view:  # a few dozen bytes into a new file: os.write, no buffered file object per lease
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        return True

    def holder(self) -> dict:
        """The lock file's content ({} if unreadable, gone, not a regular file or not an object)."""
        try:
            data = json.loads(read_regular(self.path, 1 << 16))
        except (OSError, ValueError, RecursionError):
            return {}
        return data if isinstance(data, dict) else {}

    def describe_holder(self) -> str:
        info = self.holder()
        return f"pid {info.get('pid', '?')!s:.20} on {info.get('host', '?')!s:.64}" if info else "another process"

    def _is_stale(self, info: dict) -> bool:
        if info.get("host") == HOST and isinstance(info.get("pid"), int) and not _pid_alive(info["pid"]):
            return True
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            return True
        now = time.monotonic()
        key = str(self.path)
        with _OBSERVED_LOCK:
            seen = _OBSERVED.get(key)
            if seen is None or seen[0] != mtime:
                _OBSERVED[key] = (mtime, now)
                return False
        return now - seen[1] >= self.stale_after

    def _break_if_stale(self) -> bool:
        info = self.holder()
        if not info and not self.path.exists():
            return True
        if not self._is_stale(info):
            return False
        breaker = self.path.with_name(self.path.name + ".break")
        if not self._create(breaker, self.token, 0):
            try:  # a breaker that died mid-break is itself stale after a while
                if time.time() - os.stat(breaker).st_mtime > max(10.0, self.stale_after):
                    breaker.unlink(missing_ok=True)
            except FileNotFoundError:
                pass
            return False
        try:
            if self.holder().get("token") == info.get("token"):
                self.path.unlink(missing_ok=True)
                with _OBSERVED_LOCK:
                    _OBSERVED.pop(str(self.path), None)
                previous = info.get("generation")
                self.generation = (previous if isinstance(previous, int) and previous > 0 else 1) + 1
            return True
        finally:
            breaker.unlink(missing_ok=True)

    def release(self) -> None:
        """Remove the lock file, but only if it is still ours (it may have been taken over)."""
        _HEARTBEAT.discard(self.path)
        if self.holder().get("token") == self.token:
            self.path.unlink(missing_ok=True)

    def still_held(self) -> bool:
        return self.holder().get("token") == self.token
