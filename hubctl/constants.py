"""Environment-driven defaults, read once at import (like huggingface_hub.constants).

Each knob has a HUBCTL_* variable so CI jobs and cluster nodes can tune timeouts and retries without
changing command lines; the hub endpoint variables are the official clients' own.
"""

from __future__ import annotations

import os


def _float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


HF_DEFAULT_ENDPOINT = "https://huggingface.co"
MODELSCOPE_DEFAULT_ENDPOINT = "https://modelscope.cn"
HF_DEFAULT_REVISION = "main"
MODELSCOPE_DEFAULT_REVISION = "master"

#: Seconds to wait for a TCP connection.
CONNECT_TIMEOUT = _float("HUBCTL_CONNECT_TIMEOUT", 10.0)
#: Stall watchdog: a response that delivers no byte for this many seconds is abandoned and resumed.
STALL_TIMEOUT = _float("HUBCTL_STALL_TIMEOUT", 30.0)
#: Attempts per request on one endpoint (connection errors, 408, 429, 5xx, stalls), before the next endpoint.
RETRIES = _int("HUBCTL_RETRIES", 5)
#: Exponential backoff: first delay and cap, in seconds; each delay gets random jitter.
BACKOFF_BASE = _float("HUBCTL_BACKOFF_BASE", 0.5)
BACKOFF_MAX = _float("HUBCTL_BACKOFF_MAX", 20.0)
#: A Retry-After longer than this sends the file to the next endpoint instead of sleeping.
RETRY_AFTER_MAX = _float("HUBCTL_RETRY_AFTER_MAX", 120.0)
#: A 429 whose RateLimit header says the bucket is empty (r=0) is waited out up to this long when no other
#: endpoint can serve (HF's windows are 300 s; the official client sleeps until the reset).
RATE_LIMIT_WAIT_MAX = _float("HUBCTL_RATE_LIMIT_WAIT_MAX", 310.0)
#: Slow-loris rule: a file body that averages under MIN_SPEED bytes/s over SPEED_WINDOW seconds is abandoned
#: and resumed (after RETRIES such windows, the next endpoint gets the file).
MIN_SPEED = _int("HUBCTL_MIN_SPEED", 4096)
SPEED_WINDOW = _float("HUBCTL_SPEED_WINDOW", 60.0)
#: Longest time one API exchange (a listing page, a revision lookup) may take, retries included.
API_DEADLINE = _float("HUBCTL_API_DEADLINE", 300.0)
#: Most listing pages followed for one snapshot (HF pages hold 1,000 entries), so a pagination loop ends.
MAX_PAGES = _int("HUBCTL_MAX_PAGES", 10_000)
#: How long a resolved CDN URL is reused when it carries no expiry of its own (signed URLs give X-Amz-Expires).
RESOLVE_TTL = _float("HUBCTL_RESOLVE_TTL", 300.0)
#: Files downloaded in parallel, and connections used for one large file.
WORKERS = _int("HUBCTL_WORKERS", 8)
CONNECTIONS = _int("HUBCTL_CONNECTIONS", 4)
#: Files at least this large are fetched as parallel byte ranges of PIECE_SIZE.
MULTIPART_THRESHOLD = _int("HUBCTL_MULTIPART_THRESHOLD", 64 << 20)
PIECE_SIZE = _int("HUBCTL_PIECE_SIZE", 32 << 20)
#: Longest wait for another process's lock on a file, and the heartbeat age after which a lock is stale.
LOCK_WAIT = _float("HUBCTL_LOCK_WAIT", 1800.0)
LOCK_STALE = _float("HUBCTL_LOCK_STALE", 60.0)
#: Extra free space required beyond the bytes still to download.
DISK_MARGIN = _int("HUBCTL_DISK_MARGIN", 64 << 20)

#: Read/write buffer for streaming bodies.
BUFFER_SIZE = 1 << 20
#: Suffix of the partial file kept beside each final name until its hash matches.
PARTIAL_SUFFIX = ".hubctl-partial"
#: Folder inside a snapshot for hubctl's own state (manifest, stamps, locks); never a remote file.
STATE_DIR = ".hubctl"
