"""Shared helpers for pull tests: a served repo with known bytes, fast retry settings, subprocess CLI runs."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rng_bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


#: A repo with small git files, an 11 KB LFS file, a 3 MiB LFS file and a 9 MiB one (multipart in tests).
REPO_FILES = {
    ".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n",
    "README.md": b"# tiny\nA test repo.\n",
    "config.json": b'{"hidden_size": 8, "model_type": "llama"}\n',
    "model.safetensors": rng_bytes(1, 11_000),
    "sub/dir/notes.txt": "notes with unicode: 模型\n".encode(),
    "sub/dir/weights.bin": rng_bytes(2, 3 << 20),
    "big/shard.bin": rng_bytes(3, 9 << 20),
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every regular file under root, minus the tools' bookkeeping (.hubctl/, .cache/, *.incomplete)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not {".hubctl", ".cache"} & set(rel.parts) and not path.name.endswith(".incomplete"):
            out[rel.as_posix()] = path.read_bytes()
    return out


FAST_ENV = {
    "HUBCTL_RETRIES": "3",
    "HUBCTL_BACKOFF_BASE": "0.01",
    "HUBCTL_BACKOFF_MAX": "0.05",
    "HUBCTL_STALL_TIMEOUT": "2",
    "HUBCTL_CONNECT_TIMEOUT": "1",
    "HUBCTL_MULTIPART_THRESHOLD": str(4 << 20),
    "HUBCTL_PIECE_SIZE": str(1 << 20),
    "HUBCTL_LOCK_STALE": "2",
    "HUBCTL_DISK_MARGIN": "0",
    "NO_PROXY": "127.0.0.1,localhost",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
}


def cli(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    """Run `python -m hubctl ARGS` with fast retry settings."""
    full_env = {**os.environ, **FAST_ENV, **(env or {})}
    full_env.pop("HF_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "hubctl", *args], env=full_env, capture_output=True, text=True, **kw)


def cli_popen(*args: str, env: dict | None = None) -> subprocess.Popen:
    full_env = {**os.environ, **FAST_ENV, **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "hubctl", *args], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
