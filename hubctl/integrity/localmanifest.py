"""`hubctl manifest`: a lockfile for a local model folder (a fine-tune, a quantized output), and its in-toto export.

The lockfile is the same schema as a pulled one, with source "local", so `hubctl verify DIR` works on it.
A lockfile must describe bytes inside the folder, so symlinks and special files are refused, never followed,
and so are names that pull and verify would refuse in a lockfile (a backslash, hubctl's partial suffix), and
a `.hubctl/` state that is a symlink (the lockfile would be written wherever it points).

The in-toto export is an unsigned Statement v1 whose predicate is the one OpenSSF model_signing 1.1.1 signs
(`model_signing._signing.signing.Payload`), so a team can sign it or compare it with `model_signing` output:
- resources: one `{name, algorithm: sha256, digest}` per file, in model_signing's order (path components
  compared one by one, as `pathlib.PurePosixPath` sorts, which is not plain string order: "a/b" < "a-b");
- subject digest: sha256 over the concatenated raw 32-byte file digests (not their hex) in that order;
- serialization: method "files", no symlinks, and the paths model_signing's default config ignores (git
  metadata) plus `.hubctl`, hubctl's own state; files under ignored paths are left out of the resources,
  so `model_signing.hashing.Config().set_ignored_paths(paths=[".hubctl"]).hash(DIR)` yields the same manifest.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from hubctl.constants import STATE_DIR
from hubctl.errors import HubctlError, LocalIOError, UsageError
from hubctl.integrity.listing import list_files
from hubctl.integrity.manifest import Manifest, ManifestFile
from hubctl.integrity.safepath import check_remote_path, check_state
from hubctl.integrity.scan import hash_many

IN_TOTO_STATEMENT = "https://in-toto.io/Statement/v1"
MODEL_SIGNING_PREDICATE = "https://model_signing/signature/v1.0"
#: What model_signing's default hashing config skips (hashing.Config ignore_git_paths=True).
GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")


def manifest_for_folder(
    folder: Path,
    name: str | None = None,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> Manifest:
    """Hash every regular file under folder (except .hubctl/) into a local manifest; name goes in `repo`.

    Raises LocalIOError for a missing folder, an unreadable directory or file, or any symlink or special
    entry (a lockfile must not point outside the folder); UsageError for a folder with no files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LocalIOError(f"not a folder: {folder}")
    check_state(folder)
    _check_walkable(folder)
    files, others = list_files(folder)
    _check_names(folder, files)
    if others:
        more = f" (and {len(others) - 1} more)" if len(others) > 1 else ""
        raise LocalIOError(
            f"{folder / others[0]}{more}: a symlink or not a regular file; a lockfile must not point outside "
            "the folder, so replace it with a copy of the file or remove it"
        )
    if not files:
        raise UsageError(f"no files under {folder} (besides {STATE_DIR}/): nothing to lock")
    if on_total:
        on_total(sum(_size(folder / p) for p in files))
    entries = []
    for path, result in sorted(hash_many(folder, files, workers=workers, progress=progress).items()):
        if isinstance(result, OSError):
            raise LocalIOError(f"cannot read {folder / path}: {result.strerror or result}")
        entries.append(ManifestFile(path, result.size, result.sha256))
    return Manifest(source="local", repo=name, revision=None, commit=None, files=tuple(entries))


def _check_names(folder: Path, files: list[str]) -> None:
    """Every name must be one a lockfile may hold (the rules pull and verify apply to each entry)."""
    for path in files:
        try:
            check_remote_path(path)
        except HubctlError as err:
            raise LocalIOError(f"{folder}: cannot lock this folder: {err.message}") from err


def _check_walkable(folder: Path) -> None:
    """Fail on a directory that cannot be read: list_files (os.scandir) skips it, and a lockfile must not miss files."""

    def fail(err: OSError) -> None:
        raise LocalIOError(f"cannot list {err.filename or folder}: {err.strerror or err}")

    for dirpath, dirnames, _ in os.walk(folder, onerror=fail):
        if Path(dirpath) == folder:
            dirnames[:] = [d for d in dirnames if d != STATE_DIR]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _components(path: str) -> tuple[str, ...]:
    """Sort key equal to model_signing's (PurePosixPath ordering compares path parts)."""
    return tuple(path.split("/"))


def _ignored(path: str, ignore: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in ignore)


def to_in_toto(manifest: Manifest, name: str, *, ignore_git_paths: bool = True) -> dict:
    """The manifest's sha256 digests as an unsigned in-toto Statement with model_signing's v1.0 predicate.

    name is the subject name (model_signing uses the folder name; it is informative only). With
    ignore_git_paths (model_signing's default), git metadata files are left out, as model_signing would.
    """
    ignore = (*GIT_PATHS, STATE_DIR) if ignore_git_paths else (STATE_DIR,)
    files = sorted((f for f in manifest.files if not _ignored(f.path, ignore)), key=lambda f: _components(f.path))
    root = hashlib.sha256()
    for f in files:
        root.update(bytes.fromhex(f.sha256))
    return {
        "_type": IN_TOTO_STATEMENT,
        "subject": [{"name": name, "digest": {"sha256": root.hexdigest()}}],
        "predicateType": MODEL_SIGNING_PREDICATE,
        "predicate": {
            "serialization": {
                "method": "files",
                "hash_type": "sha256",
                "allow_symlinks": False,
                "ignore_paths": sorted(ignore),
            },
            "resources": [{"name": f.path, "algorithm": "sha256", "digest": f.sha256} for f in files],
        },
    }
