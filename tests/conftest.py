"""Shared fixtures: the loopback hub with the spec's fixture repos (hub-protocols.md section 5)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace

import pytest

from hubctl.server import HubServer, RepoStore
from hubctl.settings import Settings, current, overridden

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


#: Retries and timeouts small enough for fault tests; multipart kicks in at 4 MiB with 1 MiB pieces.
FAST = Settings(
    retries=3,
    backoff_base=0.01,
    backoff_max=0.05,
    stall_timeout=1.0,
    connect_timeout=1.0,
    multipart_threshold=4 << 20,
    piece_size=1 << 20,
    lock_stale=2.0,
    disk_margin=0,
)


@pytest.fixture
def fast() -> Iterator[Settings]:
    """The process's settings are FAST for the test (what `hubctl.settings.current()` returns)."""
    with overridden(FAST) as settings:
        yield settings


@pytest.fixture
def fast_upstream() -> Iterator[Settings]:
    """An in-process mirror gives up on a dead upstream in well under its clients' 2 s stall timeout."""
    quick = replace(current(), retries=2, backoff_base=0.01, backoff_max=0.05, connect_timeout=1.0)
    with overridden(quick) as settings:
        yield settings
