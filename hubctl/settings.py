"""The HUBCTL_* knobs, read from the environment once and validated into one immutable `Settings` value.

Invariant: no code reads a HUBCTL_* variable except `Settings.from_env`, and every value it returns is within
the range `KNOBS` documents. A malformed value is the user's mistake, so it is a `UsageError` (exit 2) that
names the variable and the accepted range, raised before a command does any work; never a traceback half-way.
The value is frozen, so a pull, its HTTP session, its leases and its transfers all see the same numbers: the
objects that need them carry a `settings` field that defaults to `current()`, the process's one reading.
Tests swap that reading with `overridden()` instead of patching module globals.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields

from hubctl.errors import UsageError

MIB = 1 << 20


@dataclass(frozen=True)
class Settings:
    """Network, transfer and lock tuning for one process; each field's variable and range are in `KNOBS`."""

    #: Seconds to wait for a TCP connection.
    connect_timeout: float = 10.0
    #: Stall watchdog: a response that delivers no byte for this many seconds is abandoned and resumed.
    stall_timeout: float = 30.0
    #: Attempts per request on one endpoint (connection errors, 408, 429, 5xx, stalls) before the next endpoint.
    retries: int = 5
    #: Exponential backoff: first delay and cap, in seconds; each delay gets random jitter.
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    #: A Retry-After longer than this sends the file to the next endpoint instead of sleeping.
    retry_after_max: float = 120.0
    #: A 429 whose RateLimit header says the bucket is empty (r=0) is waited out up to this long when no other
    #: endpoint can serve (HF's windows are 300 s; the official client sleeps until the reset).
    rate_limit_wait_max: float = 310.0
    #: Slow-loris rule: a file body that averages under `min_speed` bytes/s over `speed_window` seconds is
    #: abandoned and resumed (after `retries` such windows, the next endpoint gets the file).
    min_speed: int = 4096
    speed_window: float = 60.0
    #: Longest time one API exchange (a listing page, a revision lookup) may take, retries included.
    api_deadline: float = 300.0
    #: Most listing pages followed for one snapshot (HF pages hold 1,000 entries), so a pagination loop ends.
    max_pages: int = 10_000
    #: How long a resolved CDN URL is reused when it carries no expiry of its own (signed URLs give X-Amz-Expires).
    resolve_ttl: float = 300.0
    #: Files downloaded in parallel, and connections for one large file (defaults of --workers, --connections).
    workers: int = 8
    connections: int = 4
    #: Files at least this large are fetched as parallel byte ranges of `piece_size`.
    multipart_threshold: int = 64 * MIB
    piece_size: int = 32 * MIB
    #: Longest wait for another process's lock on a file, and the heartbeat age after which a lock is stale.
    lock_wait: float = 1800.0
    lock_stale: float = 60.0
    #: Free space required beyond the bytes still to download (a negative margin skips the check).
    disk_margin: int = 64 * MIB
    #: Show the traceback of an unexpected error (a bug) after its one-line message.
    debug: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the environment asks for; an unset or empty variable keeps the default."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for spec in fields(cls):
            knob = KNOBS[spec.name]
            raw = environ.get(knob.variable, "").strip()
            if raw:
                values[spec.name] = knob.parse(raw)
        return cls(**values)


@dataclass(frozen=True)
class Knob:
    """One field's variable, kind and lower bound (None: any value of the kind)."""

    variable: str
    kind: type
    low: float | None = None
    strict: bool = False  # the value must be greater than `low`, not equal to it

    def accepted(self) -> str:
        if self.kind is bool:
            return "1/0, true/false, yes/no or on/off"
        noun = "an integer" if self.kind is int else "a number"
        if self.low is None:
            return noun
        return f"{noun} {'>' if self.strict else '>='} {self.low:g}"

    def parse(self, raw: str) -> object:
        """The value `raw` stands for, or a UsageError naming the variable and the accepted range."""
        value = _convert(self.kind, raw)
        if value is None or (self.low is not None and (value < self.low or (self.strict and value == self.low))):
            shown = raw if len(raw) <= 40 else raw[:40] + "..."
            raise UsageError(f"{self.variable}={shown!r} is invalid: expected {self.accepted()}")
        return value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _convert(kind: type, raw: str) -> object:
    if kind is bool:
        word = raw.lower()
        return True if word in _TRUE else False if word in _FALSE else None
    try:
        value = int(raw) if kind is int else float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


#: Every field's environment variable and accepted range: the single source for parsing, messages and docs.
KNOBS: dict[str, Knob] = {
    "connect_timeout": Knob("HUBCTL_CONNECT_TIMEOUT", float, 0, strict=True),
    "stall_timeout": Knob("HUBCTL_STALL_TIMEOUT", float, 0, strict=True),
    "retries": Knob("HUBCTL_RETRIES", int, 1),
    "backoff_base": Knob("HUBCTL_BACKOFF_BASE", float, 0),
    "backoff_max": Knob("HUBCTL_BACKOFF_MAX", float, 0),
    "retry_after_max": Knob("HUBCTL_RETRY_AFTER_MAX", float, 0),
    "rate_limit_wait_max": Knob("HUBCTL_RATE_LIMIT_WAIT_MAX", float, 0),
    "min_speed": Knob("HUBCTL_MIN_SPEED", int, 0),
    "speed_window": Knob("HUBCTL_SPEED_WINDOW", float, 0, strict=True),
    "api_deadline": Knob("HUBCTL_API_DEADLINE", float, 0, strict=True),
    "max_pages": Knob("HUBCTL_MAX_PAGES", int, 1),
    "resolve_ttl": Knob("HUBCTL_RESOLVE_TTL", float, 0),
    "workers": Knob("HUBCTL_WORKERS", int, 1),
    "connections": Knob("HUBCTL_CONNECTIONS", int, 1),
    "multipart_threshold": Knob("HUBCTL_MULTIPART_THRESHOLD", int, 1),
    "piece_size": Knob("HUBCTL_PIECE_SIZE", int, 1),
    "lock_wait": Knob("HUBCTL_LOCK_WAIT", float, 0),
    "lock_stale": Knob("HUBCTL_LOCK_STALE", float, 0, strict=True),
    "disk_margin": Knob("HUBCTL_DISK_MARGIN", int),
    "debug": Knob("HUBCTL_DEBUG", bool),
}

_current: Settings | None = None


def current() -> Settings:
    """The process's settings: the environment, read and validated on first use."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current


@contextmanager
def overridden(settings: Settings) -> Iterator[Settings]:
    """Make `settings` the process's settings for the duration (tests), then restore the previous reading."""
    global _current
    previous, _current = _current, settings
    try:
        yield settings
    finally:
        _current = previous
