"""How a pull (and the hashing of verify and manifest) shows progress: a tqdm bar on a terminal, one line
per file in logs, or nothing. Neither tqdm nor threading is imported until a bar or a log is made:
`verify --quick` loads this module and is timed as a process."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol

from hubctl.redact import clean

if TYPE_CHECKING:  # verify imports human_size: keep the download stack out of its start-up
    from hubctl.download.transfer import FileResult


_UNITS = ("B", "kB", "MB", "GB", "TB")


def human_size(n: float) -> str:
    """Decimal units, as disks and hubs count: `999 B`, `1.2 kB` ... `1.2 TB` (TB is the largest unit)."""
    for unit in _UNITS:
        digits = 0 if unit == "B" else 1
        if round(abs(n), digits) < 1000 or unit == _UNITS[-1]:
            return f"{n:,.{digits}f} {unit}"
        n /= 1000
    raise AssertionError("unreachable: the last unit always returns")


class Progress(Protocol):
    def start(self, total: int, done: int = 0, files: int = 0) -> None: ...
    def advance(self, n: int) -> None: ...
    def file_started(self, path: str) -> None: ...
    def file_done(self, path: str, result: FileResult | None = None) -> None:
        """A file finished: verified (`result`) or failed (None; the failure is a separate note)."""

    def note(self, text: str) -> None: ...
    def close(self) -> None: ...


class Silent:
    """--quiet and --json: nothing on stderr except errors (printed by the CLI)."""

    def start(self, total: int, done: int = 0, files: int = 0) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def file_started(self, path: str) -> None:
        pass

    def file_done(self, path: str, result: FileResult | None = None) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class Lines(Silent):
    """Not a terminal (CI logs): a line per finished file and per notable event."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()

    def file_done(self, path: str, result: FileResult | None = None) -> None:
        if result is None:
            return
        source = f" from {result.endpoint}" if result.endpoint else ""
        self.note(f"{result.status:>10}  {result.path} ({human_size(result.size)}){source}")

    def note(self, text: str) -> None:
        with self._lock:
            print(clean(text), file=sys.stderr, flush=True)  # names and messages come from servers


class Bar(Lines):
    """A terminal: one byte-progress bar with the files in flight; notes print above it. `label` names the
    bar (else the file count); with nothing to do (total 0) there is no bar."""

    def __init__(self, label: str | None = None) -> None:
        super().__init__()
        self._bar = None
        self._label = label
        self._active: list[str] = []

    def start(self, total: int, done: int = 0, files: int = 0) -> None:
        if not total:
            return
        from tqdm import tqdm

        self._bar = tqdm(
            total=total,
            initial=done,
            unit="B",
            unit_scale=True,
            unit_divisor=1000,
            desc=self._label or f"{files} files",
            dynamic_ncols=True,
            file=sys.stderr,
        )

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def file_started(self, path: str) -> None:
        with self._lock:
            self._active.append(path)
            self._show()

    def file_done(self, path: str, result: FileResult | None = None) -> None:
        with self._lock:
            if path in self._active:
                self._active.remove(path)
            self._show()

    def _show(self) -> None:
        """Files in flight: how many, and the largest-first head of the queue by name."""
        if self._bar is not None:
            names = ", ".join(clean(p.rsplit("/", 1)[-1]) for p in self._active[:2])
            more = f" +{len(self._active) - 2}" if len(self._active) > 2 else ""
            self._bar.set_postfix_str(f"{names}{more}"[:60], refresh=False)

    def note(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(clean(text), file=sys.stderr)
        else:
            super().note(text)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
