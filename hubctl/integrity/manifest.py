"""The manifest (lockfile): exactly what a snapshot is, provable offline.

Round-trip property: `Manifest.from_json(m.to_json()) == m`, and `to_json` is canonical (sorted files,
fixed key order), so a manifest committed to git diffs cleanly. `files_digest` covers only the file list
(path, size, sha256), so the same content pulled from Hugging Face, a mirror or ModelScope has the same
digest; it detects edits and truncation of the list, it is not a signature. No token is ever stored.

A manifest is untrusted input (a lockfile in a pull request, a folder anyone could write): `from_json` takes
only a JSON object of exactly the documented shape (types, hash lengths, safe relative paths, no file that
is also a folder of another, http(s) endpoints), and anything else is one ManifestError (exit 9), never a
traceback. Its endpoints are hints, not trust: `files_digest` does not cover them, and hubctl never sends a
token to an endpoint because a lockfile names it (see download/auth.py), so editing them can cost
availability but cannot leak a credential or change a verified byte.

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
from hubctl.errors import HubctlError, LocalIOError, ManifestError
from hubctl.integrity.safepath import check_remote_path, check_tree, read_regular

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
HEX = frozenset("0123456789abcdef")
#: A manifest larger than this is not a lockfile (a million files take about 200 MB).
MAX_BYTES = 1 << 30


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
    def from_json(cls, text: str, origin: str = "manifest") -> Manifest:
        """Parse and check a manifest; any problem is a ManifestError naming what is wrong."""
        try:
            data = json.loads(text)
        except ValueError as err:
            raise ManifestError(f"{origin}: not valid JSON ({err})") from err
        except RecursionError as err:
            raise ManifestError(f"{origin}: not a manifest (JSON nested too deeply)") from err
        if not isinstance(data, dict):
            raise ManifestError(f"{origin}: not a JSON object")
        version = data.get("schema_version")
        if type(version) is not int or version != SCHEMA_VERSION:
            raise ManifestError(
                f"{origin}: unsupported schema_version {_shown(version)} (this hubctl reads {SCHEMA_VERSION})"
            )
        manifest = cls(
            source=_text(data, "source", origin, {"hf", "modelscope", "local"}),
            repo=_optional_text(data, "repo", origin),
            revision=_optional_text(data, "revision", origin),
            commit=_optional_text(data, "commit", origin),
            files=_files(data, origin),
            endpoints=_endpoints(data, origin),
            include=_texts(data, "include", origin),
            exclude=_texts(data, "exclude", origin),
            tool=str(data.get("tool", "")),
            created=str(data.get("created", "")),
            provenance=_provenance(data, origin),
            repo_type=_repo_type(data.get("repo_type"), origin),
            commit_not_pinned=_optional_text(data, "commit_not_pinned", origin),
        )
        if data.get("files_digest") != manifest.digest:
            raise ManifestError(f"{origin}: files_digest does not match the file list (edited or corrupted manifest)")
        return manifest


def _text(data: dict, key: str, origin: str, allowed: set[str] | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str) or (allowed is not None and value not in allowed):
        want = " or ".join(sorted(allowed)) if allowed else "a string"
        raise ManifestError(f"{origin}: {key!r} must be {want}, got {_shown(value)}")
    return value


def _optional_text(data: dict, key: str, origin: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ManifestError(f"{origin}: {key!r} must be a string or null, got {_shown(value)}")
    return value


def _texts(data: dict, key: str, origin: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestError(f"{origin}: {key!r} must be a list of strings, got {_shown(value)}")
    return tuple(value)


def _endpoints(data: dict, origin: str) -> tuple[str, ...]:
    endpoints = _texts(data, "endpoints", origin)
    for url in endpoints:
        try:
            parts = urllib.parse.urlsplit(url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0
        except ValueError:  # a port over 65535, a malformed IPv6 host
            ok = False
        if not ok:
            raise ManifestError(f"{origin}: endpoint {_shown(url)} is not an http(s) URL")
    return endpoints


def _provenance(data: dict, origin: str) -> dict | None:
    value = data.get("provenance")
    if value is not None and not isinstance(value, dict):
        raise ManifestError(f"{origin}: 'provenance' must be an object, got {_shown(value)}")
    return value


def _hex(value: object, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and HEX.issuperset(value)


def _files(data: dict, origin: str) -> tuple[ManifestFile, ...]:
    """Every entry checked: a safe relative path, a non-negative integer size, hashes of the right form."""
    entries = data.get("files")
    if not isinstance(entries, list):
        raise ManifestError(f"{origin}: malformed: 'files' must be a list, got {_shown(entries)}")
    files = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ManifestError(f"{origin}: files[{i}] is not an object")
        path, size, sha256, git_sha1 = (entry.get(k) for k in ("path", "size", "sha256", "git_sha1"))
        if not isinstance(path, str):
            raise ManifestError(f"{origin}: files[{i}] has no path string")
        try:
            check_remote_path(path)
        except HubctlError as err:
            raise ManifestError(f"{origin}: {err.message}") from err
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ManifestError(f"{origin}: malformed entry for {path!r}: size {_shown(size)} is not a byte count")
        sha256 = sha256.lower() if isinstance(sha256, str) else sha256
        if not _hex(sha256, 64) or (git_sha1 is not None and not _hex(git_sha1, 40)):
            raise ManifestError(f"{origin}: malformed entry for {path!r}: sha256 must be 64 hex, git_sha1 40 hex")
        files.append(ManifestFile(path, size, sha256, git_sha1, _hash_source(entry.get("hash_source"), origin)))
    if len({f.path for f in files}) != len(files):
        raise ManifestError(f"{origin}: duplicate file paths")
    check_tree((f.path for f in files), ManifestError)
    return tuple(files)


def _shown(value: object) -> str:
    """A short, printable picture of an unexpected value (never the whole of a hostile document)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _repo_type(value: object, origin: str) -> str:
    if value is None:
        return "model"
    if value not in ("model", "dataset"):
        raise ManifestError(f"{origin}: repo_type {value!r} is neither model nor dataset")
    return str(value)


def _hash_source(value: object, origin: str) -> str | None:
    if value is not None and value not in ("listing", "server-header", "local"):
        raise ManifestError(f"{origin}: hash_source {value!r} is not listing, server-header or local")
    return value  # type: ignore[return-value]


def default_path(dest: Path) -> Path:
    return dest / STATE_DIR / MANIFEST_NAME


def write_manifest(manifest: Manifest, path: Path) -> None:
    """Atomic write: readers see the old manifest or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "is a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(manifest.to_json(), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True) if not tmp.is_dir() else None  # no temp file left behind
        raise LocalIOError(f"cannot write manifest {path}: {err.strerror or err}") from err


def read_manifest(path: Path) -> Manifest:
    """The manifest at path (a regular file: a FIFO or device is refused, never read); exit 9 if it is not one."""
    try:
        raw = read_regular(path, MAX_BYTES, follow=True)
    except OSError as err:
        raise ManifestError(f"cannot read manifest {path}: {err.strerror or err}") from err
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ManifestError(f"{path}: not UTF-8 text (byte {err.start})") from err
    return Manifest.from_json(text, str(path))
