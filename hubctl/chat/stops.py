"""Stop sequences over streamed text: nothing at or after a stop sequence ever reaches the client.

Text arrives in pieces, so a stop sequence can straddle two pieces; the scanner holds back the longest
tail that could still begin a stop sequence and releases it only once it cannot, so what was sent is
always a prefix of the final answer.
"""

from __future__ import annotations


class StopScanner:
    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = stops
        self.pending = ""
        self.hit = False

    def feed(self, piece: str) -> str:
        """The text that is now safe to send; after a stop sequence, always ''."""
        if self.hit:
            return ""
        text = self.pending + piece
        found = [i for i in (text.find(s) for s in self.stops) if i >= 0]
        if found:
            self.hit, self.pending = True, ""
            return text[: min(found)]
        keep = self._held(text)
        self.pending = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def finish(self) -> str:
        """What was held back, when generation ended without completing a stop sequence."""
        text, self.pending = ("" if self.hit else self.pending), ""
        return text

    def _held(self, text: str) -> int:
        """Length of the longest tail of `text` that is a proper prefix of some stop sequence."""
        best = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(text)), best, -1):
                if text.endswith(stop[:size]):
                    best = size
                    break
        return best
