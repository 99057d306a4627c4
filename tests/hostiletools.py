"""Shared tools for the hostile-input tests: a tiny Hugging Face-protocol hub that says whatever a test wants
(duplicate paths, no hashes, hostile names, echoed tokens), a sandbox that notices any read or write outside
DEST, and one runner of `python -m hubctl` that checks the invariants every hostile test shares.

Reads are observed with a Python audit hook in the child process (the "open" event fires for open() and
os.open()), so "nothing outside DEST was read" is an assertion on every path hubctl opened, not a guess.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pulltools import FAST_ENV

ROOT = Path(__file__).resolve().parent.parent
COMMIT = "c0ffee" + "0" * 34
#: Every hubctl run in these tests is killed after this many seconds: no test can hang.
RUN_TIMEOUT = 90

_AUDITED_MAIN = r"""
import os, runpy, sys
_log = open(os.environ["HUBCTL_TEST_OPENS"], "a", buffering=1)
def _hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        try:
            _log.write(os.path.abspath(os.fsdecode(args[0])) + "\n")
        except Exception:
            pass
sys.addaudithook(_hook)
sys.argv[0] = "hubctl"
runpy.run_module("hubctl", run_name="__main__", alter_sys=True)
"""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_entry(path: str, data: bytes, **override) -> dict:
    """A tree entry as the HF API lists an LFS file."""
    entry = {
        "type": "file",
        "path": path,
        "size": len(data),
        "oid": git_sha1(data),
        "lfs": {"oid": sha256(data), "size": len(data), "pointerSize": 134},
    }
    entry.update(override)
    return entry


def git_entry(path: str, data: bytes, **override) -> dict:
    """A tree entry as the HF API lists a small (non-LFS) file: only its git blob sha1."""
    entry = {"type": "file", "path": path, "size": len(data), "oid": git_sha1(data)}
    entry.update(override)
    return entry


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None


@dataclass
class HostileHub:
    """An HF-protocol hub on 127.0.0.1 that lists `entries` verbatim and serves `blobs` by path; with `error`
    (status, headers, body) it answers every request with that instead."""

    entries: list = field(default_factory=list)
    blobs: dict = field(default_factory=dict)
    error: tuple[int, dict, bytes] | None = None
    seen: list = field(default_factory=list)

    def __enter__(self) -> HostileHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                hub.seen.append(Seen("GET", self.path, self.headers.get("Authorization")))
                status, headers, body = hub.answer(self.path, self.headers.get("Range"))
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, target: str, byte_range: str | None) -> tuple[int, dict, bytes]:
        if self.error is not None:
            return self.error
        path = urllib.parse.urlsplit(target).path
        if "/revision/" in path:
            return _json({"sha": COMMIT})
        if "/tree/" in path:
            return _json(self.entries)
        if "/resolve/" in path:
            name = urllib.parse.unquote(path.split(f"/resolve/{COMMIT}/", 1)[-1])
            data = self.blobs.get(name)
            if data is None:
                return 404, {"X-Error-Code": "EntryNotFound"}, b""
            if byte_range:
                start, _, end = byte_range.removeprefix("bytes=").partition("-")
                first, last = int(start), min(int(end or len(data) - 1), len(data) - 1)
                return (
                    206,
                    {"Content-Range": f"bytes {first}-{last}/{len(data)}", "Content-Type": "application/octet-stream"},
                    data[first : last + 1],
                )
            return 200, {"Content-Type": "application/octet-stream"}, data
        return 404, {}, b""

    def authorizations(self) -> list[str | None]:
        return [s.authorization for s in self.seen]


def _json(data: object) -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(data).encode()


class Sandbox:
    """tmp/dest (where hubctl may write) and tmp/outside (a sentinel tree it must never open or change)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dest = root / "dest"
        self.outside = root / "outside"
        self.outside.mkdir(parents=True)
        self.secret = self.outside / "secret.txt"
        self.secret.write_bytes(b"outside DEST: never read, never written\n")
        self.opens = root / "opens.log"
        self._before = self.picture()

    def picture(self) -> dict[str, tuple[int, bytes | None]]:
        """Every entry outside DEST (and outside the open log): kind and, for files, content."""
        out = {}
        for path in sorted(self.root.rglob("*")):
            if path == self.opens or path == self.dest or self.dest in path.parents:
                continue
            rel = str(path.relative_to(self.root))
            st = path.lstat()
            out[rel] = (st.st_mode, path.read_bytes() if path.is_file() and not path.is_symlink() else None)
        return out

    def opened(self) -> list[str]:
        return self.opens.read_text().splitlines() if self.opens.exists() else []

    def assert_outside_untouched(self, allowed_new: tuple[Path, ...] = ()) -> None:
        outside = str(self.outside)
        read = [p for p in self.opened() if p == outside or p.startswith(outside + os.sep)]
        assert not read, f"hubctl opened paths outside DEST: {read}"
        after = self.picture()
        for path in allowed_new:
            after.pop(str(path.relative_to(self.root)), None)
        assert after == self._before, "something outside DEST was created, changed or removed"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def hubctl(
    box: Sandbox, *args: str, env: dict | None = None, timeout: float = RUN_TIMEOUT, wrap: tuple[str, ...] = ()
) -> Run:
    """Run `python -m hubctl ARGS` (audited) with fast retry settings and no ambient token."""
    full = {**os.environ, **FAST_ENV, "PYTHONPATH": str(ROOT), "HUBCTL_TEST_OPENS": str(box.opens)}
    for name in ("HF_TOKEN", "HF_ENDPOINT", "MODELSCOPE_ENDPOINT", "MODELSCOPE_DOMAIN", "MODELSCOPE_API_TOKEN"):
        full.pop(name, None)
    full.update(env or {})
    proc = subprocess.run(
        [*wrap, sys.executable, "-c", _AUDITED_MAIN, *args],
        check=False,
        env=full,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        cwd=box.root,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def assert_one_line_error(run: Run, code: int, *, secrets: tuple[str, ...] = (), contains: str = "") -> str:
    """The documented exit code, stderr exactly one `hubctl: error:` line, no traceback, no secret."""
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.code == code, (run.code, run.stderr[-2000:])
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("hubctl: error: "), run.stderr[-2000:]
    assert_no_secret(run, secrets)
    assert contains in lines[0], lines[0]
    return lines[0]


def assert_no_secret(run: Run, secrets: tuple[str, ...]) -> None:
    for secret in secrets:
        assert secret not in run.stdout and secret not in run.stderr, f"secret {secret!r} printed"


def assert_no_wrong_bytes(dest: Path, expected: dict[str, bytes]) -> None:
    """Every file under a final name in DEST holds exactly the bytes it should, and no other name exists
    (partials and hubctl's state aside)."""
    if not dest.exists():
        return
    for path in dest.rglob("*"):
        rel = path.relative_to(dest).as_posix()
        if rel.split("/")[0] == ".hubctl" or "hubctl-partial" in path.name or path.is_dir():
            continue
        assert rel in expected, f"unexpected final file {rel!r}"
        assert path.read_bytes() == expected[rel], f"wrong bytes under final name {rel!r}"


def hubctl_popen(box: Sandbox, *args: str, env: dict | None = None) -> subprocess.Popen:
    """`python -m hubctl ARGS` (audited, like `hubctl`) as a background process, for signals and races."""
    full = {**os.environ, **FAST_ENV, "PYTHONPATH": str(ROOT), "HUBCTL_TEST_OPENS": str(box.opens)}
    for name in ("HF_TOKEN", "HF_ENDPOINT", "MODELSCOPE_ENDPOINT", "MODELSCOPE_DOMAIN", "MODELSCOPE_API_TOKEN"):
        full.pop(name, None)
    full.update(env or {})
    return subprocess.Popen(
        [sys.executable, "-c", _AUDITED_MAIN, *args],
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        cwd=box.root,
    )
