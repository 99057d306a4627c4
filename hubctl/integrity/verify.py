"""`hubctl verify`: prove offline that a folder is exactly what its manifest says.

Default is a full re-hash of every file (parallel, flat memory). `quick` trusts a file whose
(size, mtime, ctime, inode) still match the stamp hubctl wrote when it last hashed that file; that proves
the file was not written since, not that the disk kept its bytes. A full verify refreshes the stamps.

The manifest is untrusted (manifest.py checks its paths), and so is the folder: before any entry is
stat'ed or opened, its parent folders must be real folders inside FOLDER (no symlink in any component,
checked once per folder), the entry itself is lstat'ed (a symlink or FIFO is "not_a_file", never opened), and
`.hubctl/` must not be a symlink. So verify never reads or reports on anything outside FOLDER. With --quick the
stamps come from the folder's own `.hubctl/`: whoever can write the folder can forge them (see stamps.py).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from hubctl.integrity.listing import list_files
from hubctl.integrity.manifest import Manifest, ManifestFile, default_path, read_manifest
from hubctl.integrity.safepath import check_parents, check_state
from hubctl.integrity.stamps import Stamp, fresh_stamp, read_index, valid_stamp, write_index

OK, MISSING, SIZE, HASH, EXTRA, NOT_FILE, UNREADABLE, UNSAFE = (
    "ok",
    "missing",
    "size_mismatch",
    "hash_mismatch",
    "extra",
    "not_a_file",
    "unreadable",
    "unsafe_path",
)


class FileCheck(NamedTuple):
    """The verdict on one path."""

    path: str
    status: str
    expected_size: int | None = None
    actual_size: int | None = None
    expected_sha256: str | None = None
    actual_sha256: str | None = None
    stamped: bool = False  # accepted by --quick from its stamp, not re-hashed

    def to_dict(self) -> dict:
        return {k: v for k, v in self._asdict().items() if v is not None and v is not False}

    def describe(self) -> str:
        """One printable line: the path with its control characters escaped (names come from anywhere)."""
        from hubctl.redact import escape_controls

        path = escape_controls(self.path)
        if self.status == SIZE:
            return f"{path}: size {self.actual_size}, expected {self.expected_size}"
        if self.status == HASH:
            return f"{path}: sha256 {self.actual_sha256[:16]}…, expected {self.expected_sha256[:16]}…"
        if self.status == UNSAFE:
            return f"{path}: a parent folder is a symlink (not followed)"
        return f"{path}: {self.status.replace('_', ' ')}"


class VerifyReport(NamedTuple):
    folder: Path
    manifest_path: Path
    manifest: Manifest
    checks: tuple[FileCheck, ...]
    strict: bool
    quick: bool
    bytes_hashed: int
    seconds: float
    repaired: tuple[str, ...] = ()

    @property
    def problems(self) -> tuple[FileCheck, ...]:
        return tuple(c for c in self.checks if c.status != OK and (c.status != EXTRA or self.strict))

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for check in self.checks:
            out[check.status] = out.get(check.status, 0) + 1
        return out

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "folder": str(self.folder),
            "manifest": str(self.manifest_path),
            "repo": self.manifest.repo,
            "commit": self.manifest.commit,
            "files_digest": self.manifest.digest,
            "strict": self.strict,
            "quick": self.quick,
            "counts": self.counts(),
            "bytes_hashed": self.bytes_hashed,
            "seconds": round(self.seconds, 3),
            "repaired": list(self.repaired),
            "files": [c.to_dict() for c in self.checks],
        }


def _precheck(
    folder: Path, entry: ManifestFile, index: dict[str, Stamp] | None, real_dirs: set[str]
) -> FileCheck | Stamp | os.stat_result:
    """A verdict without hashing (missing, wrong size, not a file, a symlinked parent); with --quick's stamps
    (index given), the file's still-valid stamp; else the file's stat: hash it."""
    if "/" in entry.path and check_parents(folder, entry.path, real_dirs) is not None:
        return FileCheck(entry.path, UNSAFE, entry.size, None, entry.sha256)
    try:
        st = os.lstat(os.path.join(folder, entry.path))  # one syscall per file: --quick must stay fast
    except FileNotFoundError:
        return FileCheck(entry.path, MISSING, entry.size, None, entry.sha256)
    except OSError:
        return FileCheck(entry.path, UNREADABLE, entry.size, None, entry.sha256)
    if not stat.S_ISREG(st.st_mode):  # a symlink or anything else that is not a plain file
        return FileCheck(entry.path, NOT_FILE, entry.size, None, entry.sha256)
    if st.st_size != entry.size:
        return FileCheck(entry.path, SIZE, entry.size, st.st_size, entry.sha256)
    if index is not None:
        stamp = valid_stamp(folder, entry.path, st, index)
        if stamp is not None and stamp.sha256 == entry.sha256:
            return stamp
    return st


class _Pass:
    """One verify's working state: verdicts so far, valid stamps (the next index), files left to hash."""

    def __init__(self) -> None:
        self.checks: dict[str, FileCheck] = {}
        self.stamps: dict[str, Stamp] = {}
        self.to_hash: dict[str, tuple[ManifestFile, os.stat_result]] = {}
        self.real_dirs: set[str] = set()  # folders already found to be real folders, not symlinks

    def sort_out(self, folder: Path, manifest: Manifest, index: dict[str, Stamp] | None) -> None:
        for entry in manifest.files:
            verdict = _precheck(folder, entry, index, self.real_dirs)
            if isinstance(verdict, FileCheck):
                self.checks[entry.path] = verdict
            elif isinstance(verdict, Stamp):
                self.stamps[entry.path] = verdict
                self.checks[entry.path] = FileCheck(
                    entry.path, OK, entry.size, entry.size, entry.sha256, verdict.sha256, stamped=True
                )
            else:
                self.to_hash[entry.path] = (entry, verdict)

    def hash(self, folder: Path, workers: int | None, progress: Callable[[int], None] | None) -> None:
        if not self.to_hash:
            return
        from hubctl.integrity.scan import hash_many  # threads and buffers: not loaded by a --quick with nothing to hash

        for path, result in hash_many(folder, self.to_hash, workers=workers, progress=progress).items():
            entry, st = self.to_hash[path]
            if isinstance(result, OSError):
                self.checks[path] = FileCheck(path, UNREADABLE, entry.size, None, entry.sha256)
            elif result.sha256 != entry.sha256:
                self.checks[path] = FileCheck(path, HASH, entry.size, result.size, entry.sha256, result.sha256)
            else:
                self.checks[path] = FileCheck(path, OK, entry.size, result.size, entry.sha256, result.sha256)
                _restamp(folder, entry, st, self.stamps)

    def add_extras(self, folder: Path, manifest: Manifest) -> None:
        present, others = list_files(folder)
        listed = {e.path for e in manifest.files}
        for path in set(present + others) - listed:
            self.checks[path] = FileCheck(path, EXTRA)


def verify(
    folder: Path,
    manifest_path: Path | None = None,
    *,
    strict: bool = False,
    quick: bool = False,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Check every file of the manifest under folder; a bad manifest raises ManifestError."""
    started = time.monotonic()
    if not folder.is_dir():
        from hubctl.errors import LocalIOError

        raise LocalIOError(f"not a folder: {folder}")
    check_state(folder)
    manifest_path = manifest_path or default_path(folder)
    manifest = read_manifest(manifest_path)
    index = read_index(folder) if quick else None
    run = _Pass()
    run.sort_out(folder, manifest, index)
    bytes_hashed = sum(entry.size for entry, _ in run.to_hash.values())
    if on_total:
        on_total(bytes_hashed)
    run.hash(folder, workers, progress)
    if run.stamps != index:
        _save_index(folder, run.stamps)
    run.add_extras(folder, manifest)
    return VerifyReport(
        folder=folder,
        manifest_path=manifest_path,
        manifest=manifest,
        checks=tuple(sorted(run.checks.values(), key=lambda c: c.path)),
        strict=strict,
        quick=quick,
        bytes_hashed=bytes_hashed,
        seconds=time.monotonic() - started,
    )


def _restamp(folder: Path, entry: ManifestFile, hashed: os.stat_result, stamps: dict[str, Stamp]) -> None:
    """Record the verification for --quick (in the index that verify writes at the end)."""
    try:
        stamp = fresh_stamp(folder, entry.path, entry.sha256, entry.git_sha1, hashed)
    except OSError:
        return
    if stamp is not None:
        stamps[entry.path] = stamp


def _save_index(folder: Path, stamps: dict[str, Stamp]) -> None:
    """One index of every valid stamp, read in one go by the next --quick (skipped when read-only)."""
    try:
        write_index(folder, stamps)
    except OSError:
        pass
