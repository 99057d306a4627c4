"""One generation at a time, a bounded line of waiters, and no wait without an end.

The device holds one model and generate() is not safe to run twice at once, so requests take turns.
At most `queue` requests wait behind the running one; the next is told 429 at once rather than piling
up threads. A waiter gives up when its client has gone (checked every slice) or after `timeout`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from hubctl.chat.api import ApiError

SLICE_S = 0.2


class Gate:
    def __init__(self, queue: int, timeout: float) -> None:
        self.queue, self.timeout = queue, timeout
        self._cond = threading.Condition()
        self._busy = False
        self._waiting = 0

    @property
    def waiting(self) -> int:
        with self._cond:
            return self._waiting

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._busy

    @contextmanager
    def turn(self, gone: Callable[[], bool] = lambda: False) -> Iterator[None]:
        """Hold the device for the body of the with-block; ApiError 429/503 when that cannot be."""
        self._enter(gone)
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify()

    def _enter(self, gone: Callable[[], bool]) -> None:
        with self._cond:
            if not self._busy:
                self._busy = True
                return
            if self._waiting >= self.queue:
                raise ApiError(
                    429,
                    f"busy: one generation is running and {self._waiting} request(s) are waiting "
                    f"(the queue holds {self.queue}); retry later",
                    code="queue_full",
                    kind="rate_limit_error",
                )
            self._waiting += 1
            deadline = time.monotonic() + self.timeout
            try:
                while self._busy:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise ApiError(
                            503,
                            f"waited {self.timeout:g} s for the model without getting a turn",
                            code="queue_timeout",
                            kind="server_error",
                        )
                    if gone():
                        raise ClientGone()
                    self._cond.wait(min(SLICE_S, left))
                self._busy = True
            finally:
                self._waiting -= 1


class ClientGone(Exception):
    """The client closed its connection; nothing more is written to it."""
