"""The served model for `hubctl chat --serve` tests: the real SmolLM2 fixture with a manifest, in-process servers."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from chattools import real_model
from pulltools import cli


def locked_copy(dest: Path) -> Path:
    """The fixture model under `dest` with a hubctl manifest (hard links, so no 270 MB copy), ready to verify."""
    source = real_model()
    dest.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_file() and not item.name.startswith("."):
            try:
                os.link(item, dest / item.name)
            except OSError:  # another filesystem: copy
                shutil.copy2(item, dest / item.name)
    result = cli("manifest", str(dest), "--quiet")
    assert result.returncode == 0, result.stderr
    return dest


def load_verified(folder: Path):
    from hubctl.model.loading import LoadOptions, eager_torch, load

    eager_torch()
    return load(folder, LoadOptions(dtype="fp32", device="cpu", verify=True))


@contextlib.contextmanager
def running(loaded, **options) -> Iterator:
    """A ChatServer on a free loopback port, serving in a thread; stopped (generations too) on exit."""
    from hubctl.chat.server import ChatServer, ServeOptions

    logs: list[str] = []
    server = ChatServer(loaded, ServeOptions(port=0, **options), log=logs.append)
    server.logs = logs
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop_all()
        server.shutdown()
        server.idle(30)
        server.server_close()
        server.close_connections(30)
        thread.join(10)
