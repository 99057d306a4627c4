"""Shared fixtures: the loopback hub with the spec's fixture repos (hub-protocols.md section 5)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from hubctl import constants
from hubctl.server import HubServer, RepoStore

GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n"
BIG_SIZE = 25 * 1024 * 1024 + 12345  # > 2 of huggingface_hub's 10 MiB chunks, not a multiple of them


def build_fixture_store() -> RepoStore:
    """The fixture repos, byte-for-byte the same on every run and machine (seeded RNG), so commit shas are stable.

    acme/tiny: C1 (tag v1.0) and C2 (main, master; only config.json differs) with two LFS files.
    acme/big: one 25 MiB LFS file. acme/gated: downloads answer 401 GatedRepo.
    acme/private: needs token hf_secret. acme/data: a small dataset repo.
    """
    rng = random.Random(20261122)
    store = RepoStore()
    store.add_files(
        "acme/tiny",
        {
            ".gitattributes": GITATTRIBUTES,
            "README.md": b"# tiny\n\nA fixture model for hubctl's loopback hub.\n",
            "config.json": b'{"model_type": "tiny", "hidden_size": 8, "revision": 1}\n',
            "model.safetensors": rng.randbytes(11 * 1024),
            "sub/dir/notes.txt": b"notes for the nested directory\n",
            "sub/dir/weights.bin": rng.randbytes(3 * 1024 * 1024),
        },
        branches=(),
        tags=("v1.0",),
        message="C1",
    )
    store.add_files(
        "acme/tiny",
        {"config.json": b'{"model_type": "tiny", "hidden_size": 8, "revision": 2}\n'},
        message="C2",
    )
    store.add_files("acme/big", {"big.safetensors": rng.randbytes(BIG_SIZE)}, message="big")
    store.add_files("acme/gated", {"config.json": b'{"gated": true}\n', "model.safetensors": rng.randbytes(2048)})
    store.set_gated("acme/gated")
    store.add_files("acme/private", {"config.json": b'{"private": true}\n'})
    store.require_token("acme/private", "hf_secret")
    store.add_files(
        "acme/data",
        {"README.md": b"# data\n", "data/train.csv": b"a,b\n1,2\n", "data/test.parquet": rng.randbytes(4096)},
        repo_type="dataset",
    )
    return store


@pytest.fixture
def hub() -> Iterator[HubServer]:
    """A running loopback hub over a fresh fixture store (faults and log start empty)."""
    store = build_fixture_store()
    server = HubServer(store)
    try:
        yield server
    finally:
        server.stop()
        store.close()


@pytest.fixture
def fast(monkeypatch):
    """Retries and timeouts small enough for fault tests; multipart kicks in at 4 MiB with 1 MiB pieces."""
    for name, value in {
        "RETRIES": 3, "BACKOFF_BASE": 0.01, "BACKOFF_MAX": 0.05, "STALL_TIMEOUT": 1.0,
        "CONNECT_TIMEOUT": 1.0, "MULTIPART_THRESHOLD": 4 << 20, "PIECE_SIZE": 1 << 20,
        "LOCK_STALE": 2.0, "DISK_MARGIN": 0,
    }.items():
        monkeypatch.setattr(constants, name, value)
