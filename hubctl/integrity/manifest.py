"""The manifest (lockfile): exactly what a snapshot is, provable offline.

Round-trip property: `Manifest.from_json(m.to_json()) == m`, and `to_json` is canonical (sorted files,
fixed key order), so a manifest committed to git diffs cleanly. `files_digest` covers only the file list
(path, size, sha256), so the same content pulled from Hugging Face, a mirror or ModelScope has the same
digest; it detects edits and truncation of the list, it is not a signature. No token is ever stored.

The records here, and the others `verify` loads, are immutable NamedTuples rather than frozen dataclasses:
`verify --quick` is timed as a whole process, and `import dataclasses` alone costs it ~10 ms.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.parse
from pathlib import Path
from typing import Any, NamedTuple

from hubctl import __version__
from hubctl.constants import STATE_DIR
from hubctl.errors import ManifestError

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
HEX = frozenset("0123456789abcdef")


class ManifestFile(NamedTuple):
    path: str
    size: int
    sha256: str
    git_sha1: str | None = None
    hash_source: str | None = None  # where the expected sha256 came from: "listing" or "server-header"

    def to_dict(self) -> dict:
        data: dict = {"path": self.path, "size": self.size, "sha256": self.sha256}
        if self.git_sha1:
            data["git_sha1"] = self.git_sha1
        if self.hash_source:
            data["hash_source"] = self.hash_source
        return data


def files_digest(files: tuple[ManifestFile, ...]) -> str:
    """sha256 over the canonical JSON of [[path, size, sha256], ...] sorted by path."""
    rows = [[f.path, f.size, f.sha256] for f in sorted(files, key=lambda f: f.path)]
    canonical = json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode()
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def public_url(url: str) -> str:
    """An endpoint URL without user:password, as it may be written to a file."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


class _Fields(NamedTuple):
    source: str  # "hf", "modelscope" or "local"
    repo: str | None
    revision: str | None
    commit: str | None
    files: tuple[ManifestFile, ...]
    endpoints: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    tool: str = f"hubctl {__version__}"
    created: str = ""  # empty: now
    schema_version: int = SCHEMA_VERSION
    provenance: dict | None = None  # how the files were made (e.g. quantized from which source, with what)
    repo_type: str = "model"  # "model" or "dataset"
    commit_not_pinned: str | None = None  # why the files were fetched by branch name, not by commit


class Manifest(_Fields):
    """A snapshot's lockfile; `files` is always sorted by path (so `to_json` is canonical)."""

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Manifest:
        given = _Fields(*args, **kwargs)
        files = tuple(sorted(given.files, key=lambda f: f.path))
        return tuple.__new__(cls, given._replace(files=files, created=given.created or cls.now()))

    def _replace(self, **changes: Any) -> Manifest:
        """A copy with some fields changed, built (and so sorted) like a new manifest."""
        return Manifest(**{**self._asdict(), **changes})

    @staticmethod
    def now() -> str:
        """UTC now, to the second, as manifests record it."""
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    @property
    def digest(self) -> str:
        return files_digest(self.files)

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict:
        return {
            "schema_version": self.schema_version,
            "tool": self.tool,
            "created": self.created,
            "source": self.source,
            "repo": self.repo,
            "repo_type": self.repo_type,
            "revision": self.revision,
            "commit": self.commit,
            "endpoints": [public_url(e) for e in self.endpoints],
            "include": list(self.include),
            "exclude": list(self.exclude),
            "file_count": len(self.files),
            "total_size": self.total_size,
            "files_digest": self.digest,
            "files": [f.to_dict() for f in self.files],
            **({"provenance": self.provenance} if self.provenance else {}),
            **({"commit_not_pinned": self.commit_not_pinned} if self.commit_not_pinned else {}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, origin: str = "manifest") -> "Manifest":
        """Parse and check a manifest; any problem is a ManifestError naming what is wrong."""
        try:
            data = json.loads(text)
        except ValueError as err:
            raise ManifestError(f"{origin}: not valid JSON ({err})") from err
        if not isinstance(data, dict):
            raise ManifestError(f"{origin}: not a JSON object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ManifestError(f"{origin}: unsupported schema_version {version!r} (this hubctl reads {SCHEMA_VERSION})")
        try:
            files = tuple(
                ManifestFile(str(f["path"]), int(f["size"]), str(f["sha256"]).lower(), f.get("git_sha1"),
                             _hash_source(f.get("hash_source")))
                for f in data["files"]
            )
            manifest = cls(
                source=str(data["source"]),
                repo=data.get("repo"),
                revision=data.get("revision"),
                commit=data.get("commit"),
                files=files,
                endpoints=tuple(data.get("endpoints") or ()),
                include=tuple(data.get("include") or ()),
                exclude=tuple(data.get("exclude") or ()),
                tool=str(data.get("tool", "")),
                created=str(data.get("created", "")),
                provenance=data.get("provenance"),
                repo_type=_repo_type(data.get("repo_type")),
                commit_not_pinned=_optional_text(data.get("commit_not_pinned")),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ManifestError(f"{origin}: malformed ({type(err).__name__}: {err})") from err
        for f in manifest.files:
            if len(f.sha256) != 64 or not HEX.issuperset(f.sha256) or f.size < 0:
                raise ManifestError(f"{origin}: malformed entry for {f.path!r}")
        if len({f.path for f in manifest.files}) != len(manifest.files):
            raise ManifestError(f"{origin}: duplicate file paths")
        if data.get("files_digest") != manifest.digest:
            raise ManifestError(f"{origin}: files_digest does not match the file list (edited or corrupted manifest)")
        return manifest


def _repo_type(value: object) -> str:
    if value is None:
        return "model"
    if value not in ("model", "dataset"):
        raise ValueError(f"repo_type {value!r} is neither model nor dataset")
    return str(value)


def _hash_source(value: object) -> str | None:
    if value is not None and value not in ("listing", "server-header", "local"):
        raise ValueError(f"hash_source {value!r} is not listing, server-header or local")
    return value  # type: ignore[return-value]


def _optional_text(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError("commit_not_pinned is not a string")
    return value


def default_path(dest: Path) -> Path:
    return dest / STATE_DIR / MANIFEST_NAME


def write_manifest(manifest: Manifest, path: Path) -> None:
    """Atomic write: readers see the old manifest or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(path: Path) -> Manifest:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ManifestError(f"cannot read manifest {path}: {err.strerror or err}") from err
    return Manifest.from_json(text, str(path))
