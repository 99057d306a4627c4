"""`hubctl verify`: prove offline that a folder is exactly what its manifest says.

Default is a full re-hash of every file (parallel, flat memory). `quick` trusts a file whose
(size, mtime, ctime, inode) still match the stamp hubctl wrote when it last hashed that file; that proves
the file was not written since, not that the disk kept its bytes. A full verify refreshes the stamps.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .manifest import Manifest, ManifestFile, default_path, read_manifest
from .scan import hash_many, list_files
from .stamps import read_stamp, write_stamp

OK, MISSING, SIZE, HASH, EXTRA, NOT_FILE, UNREADABLE = (
    "ok", "missing", "size_mismatch", "hash_mismatch", "extra", "not_a_file", "unreadable"
)


@dataclass(frozen=True)
class FileCheck:
    """The verdict on one path."""

    path: str
    status: str
    expected_size: int | None = None
    actual_size: int | None = None
    expected_sha256: str | None = None
    actual_sha256: str | None = None
    stamped: bool = False  # accepted by --quick from its stamp, not re-hashed

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None and v is not False}

    def describe(self) -> str:
        if self.status == SIZE:
            return f"{self.path}: size {self.actual_size}, expected {self.expected_size}"
        if self.status == HASH:
            return f"{self.path}: sha256 {self.actual_sha256[:16]}…, expected {self.expected_sha256[:16]}…"
        return f"{self.path}: {self.status.replace('_', ' ')}"


@dataclass(frozen=True)
class VerifyReport:
    folder: Path
    manifest_path: Path
    manifest: Manifest
    checks: tuple[FileCheck, ...]
    strict: bool
    quick: bool
    bytes_hashed: int
    seconds: float
    repaired: tuple[str, ...] = field(default=())

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


def _precheck(folder: Path, entry: ManifestFile, quick: bool) -> FileCheck | None:
    """A verdict without hashing (missing, wrong size, stamp still valid), or None: hash it."""
    try:
        st = os.lstat(folder / entry.path)  # one syscall per file: --quick must stay fast at 1,000s of files
    except FileNotFoundError:
        return FileCheck(entry.path, MISSING, entry.size, None, entry.sha256)
    except OSError:
        return FileCheck(entry.path, UNREADABLE, entry.size, None, entry.sha256)
    if not stat.S_ISREG(st.st_mode):  # a symlink or anything else that is not a plain file
        return FileCheck(entry.path, NOT_FILE, entry.size, None, entry.sha256)
    if st.st_size != entry.size:
        return FileCheck(entry.path, SIZE, entry.size, st.st_size, entry.sha256)
    if quick:
        stamp = read_stamp(folder, entry.path, st)
        if stamp is not None and stamp.sha256 == entry.sha256:
            return FileCheck(entry.path, OK, entry.size, entry.size, entry.sha256, stamp.sha256, stamped=True)
    return None


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
    manifest_path = manifest_path or default_path(folder)
    manifest = read_manifest(manifest_path)
    if not folder.is_dir():
        from .errors import LocalIOError

        raise LocalIOError(f"not a folder: {folder}")
    checks: dict[str, FileCheck] = {}
    to_hash: dict[str, ManifestFile] = {}
    for entry in manifest.files:
        verdict = _precheck(folder, entry, quick)
        if verdict is None:
            to_hash[entry.path] = entry
        else:
            checks[entry.path] = verdict
    if on_total:
        on_total(sum(e.size for e in to_hash.values()))
    for path, result in hash_many(folder, to_hash, workers=workers, progress=progress).items():
        entry = to_hash[path]
        if isinstance(result, OSError):
            checks[path] = FileCheck(path, UNREADABLE, entry.size, None, entry.sha256)
        elif result.sha256 != entry.sha256:
            checks[path] = FileCheck(path, HASH, entry.size, result.size, entry.sha256, result.sha256)
        else:
            checks[path] = FileCheck(path, OK, entry.size, result.size, entry.sha256, result.sha256)
            _restamp(folder, path, result.sha256, entry.git_sha1)
    present, others = list_files(folder)
    listed = {e.path for e in manifest.files}
    for path in sorted(set(present + others) - listed):
        checks[path] = FileCheck(path, EXTRA)
    return VerifyReport(
        folder=folder,
        manifest_path=manifest_path,
        manifest=manifest,
        checks=tuple(sorted(checks.values(), key=lambda c: c.path)),
        strict=strict,
        quick=quick,
        bytes_hashed=sum(e.size for e in to_hash.values()),
        seconds=time.monotonic() - started,
    )


def _restamp(folder: Path, path: str, sha256: str, git_sha1: str | None) -> None:
    """Record the verification for --quick; a read-only folder simply gets no stamps."""
    try:
        write_stamp(folder, path, sha256, git_sha1)
    except OSError:
        pass
