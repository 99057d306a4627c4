"""An embedded loopback hub speaking the Hugging Face and ModelScope HTTP protocols.

The official clients download from it unmodified, which makes it the test double for hubctl's suite,
the host of the demo model, the benchmark server, and an air-gapped mirror (`hubctl serve`).

This file is the server's public API (the one package __init__ that is not empty, tests/test_boundaries.py):
importing it costs only the server, which imports nothing from the client side it is the double of.
"""

from __future__ import annotations

from pathlib import Path

from hubctl.server.app import HubServer, RequestRecord
from hubctl.server.faults import Fault
from hubctl.server.store import (
    Commit,
    RepoNotFound,
    RepoStore,
    RevisionNotFound,
    ServedDir,
    ServedFile,
)

__all__ = [
    "Commit",
    "Fault",
    "HubServer",
    "RepoNotFound",
    "RepoStore",
    "RequestRecord",
    "RevisionNotFound",
    "ServedDir",
    "ServedFile",
    "serve_folders",
]


def serve_folders(folders: list[tuple[str, Path]], host: str, port: int, *, control: bool = False) -> HubServer:
    """Serve each folder as one commit (branches main and master) and return the running server.

    A repo id written `datasets/owner/name` is served as a dataset, mirroring the hub's URL scheme.
    The blob origin listens on port+1, or on a free port when port is 0.
    """
    store = RepoStore()
    for repo_id, folder in folders:
        dataset = repo_id.startswith("datasets/")
        store.add_folder(repo_id.removeprefix("datasets/"), Path(folder), repo_type="dataset" if dataset else "model")
    return HubServer(store, host, port, control=control)
