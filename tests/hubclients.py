"""Run the official clients (huggingface_hub, modelscope) against the loopback hub, each in a fresh process.

HF_ENDPOINT is read at import time and modelscope keeps a process-wide config singleton, so every run
needs its own interpreter and environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Protocol


class HasEndpoint(Protocol):
    endpoint: str


def client_env(hub: HasEndpoint, tmp: Path, **extra: str) -> dict[str, str]:
    """The spec's "recommended environment for tests", isolated under tmp."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "MODELSCOPE_"))}
    env |= {
        "HF_ENDPOINT": hub.endpoint,
        "HF_HOME": str(tmp / "hf"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "MODELSCOPE_ENDPOINT": hub.endpoint,
        "MODELSCOPE_CACHE": str(tmp / "ms" / "cache"),
        "MODELSCOPE_HOME": str(tmp / "ms" / "home"),
        "MODELSCOPE_DOWNLOAD_INTRA_CLOUD": "false",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    return env | extra


def run_client(code: str, env: dict[str, str], cwd: Path) -> dict:
    """Run a client script; it prints one JSON object as its last stdout line."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
