"""Streamed generation with the measurements and checks a smoke test needs, at no measurable cost.

Per step, one hook records the time (first token: TTFT), checks the logits are finite (one reduction),
and stops on request (Ctrl-C ends the reply, not the program). Length is bounded with max_new_tokens,
never max_length, so a long history cannot make generation refuse to run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hubctl.model.loading import LoadedModel


@dataclass(frozen=True)
class Sampling:
    max_new_tokens: int = 256
    greedy: bool = False
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 50
    seed: int | None = None


@dataclass(frozen=True)
class Reply:
    text: str
    token_ids: tuple[int, ...]
    ttft_s: float  # prompt in, first new token out
    seconds: float  # whole generate() call
    finite: bool  # every step's logits were finite
    interrupted: bool
    hit_limit: bool  # stopped by max_new_tokens rather than an end-of-turn token

    @property
    def tokens(self) -> int:
        return len(self.token_ids)

    @property
    def tokens_per_s(self) -> float:
        """Decode rate after the first token (the first one is the TTFT)."""
        decode = self.seconds - self.ttft_s
        return (self.tokens - 1) / decode if self.tokens > 1 and decode > 0 else 0.0


def _hooks(stop: threading.Event, started: list[float]) -> tuple[Any, Any, dict]:
    """A logits processor (finiteness) and a stopping criterion (timing, interruption) for generate()."""
    import torch
    from transformers import LogitsProcessor, StoppingCriteria

    state: dict = {"finite": True, "first": None}

    class Finite(LogitsProcessor):
        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
            if state["finite"] and not bool(torch.isfinite(scores).all()):
                state["finite"] = False
            return scores

    class Clock(StoppingCriteria):
        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
            if state["first"] is None:
                state["first"] = time.perf_counter() - started[0]
            done = stop.is_set() or not state["finite"]
            return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)

    return Finite(), Clock(), state


def generate(
    loaded: LoadedModel,
    prompt_ids: list[int],
    sampling: Sampling,
    on_text: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> Reply:
    """Generate one reply, streaming decoded text to `on_text` as it is produced."""
    import torch
    from transformers import LogitsProcessorList, StoppingCriteriaList, TextIteratorStreamer

    stop = stop or threading.Event()
    started = [0.0]
    finite, clock, state = _hooks(stop, started)
    streamer = TextIteratorStreamer(loaded.tokenizer, skip_prompt=True, skip_special_tokens=True)
    inputs = torch.tensor([prompt_ids], device=loaded.device)
    kwargs: dict[str, Any] = {
        "input_ids": inputs,
        "attention_mask": torch.ones_like(inputs),
        "max_new_tokens": sampling.max_new_tokens,
        "streamer": streamer,
        "logits_processor": LogitsProcessorList([finite]),
        "stopping_criteria": StoppingCriteriaList([clock]),
        "eos_token_id": list(loaded.stop_ids) or None,
        "pad_token_id": (loaded.stop_ids or (0,))[0],
    }
    if sampling.greedy:
        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    else:
        kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k)
        if sampling.seed is not None:
            torch.manual_seed(sampling.seed)
    result: dict = {}

    def run() -> None:
        try:
            with torch.inference_mode():
                result["out"] = loaded.model.generate(**kwargs)
        except BaseException as err:  # surfaced in the caller's thread
            result["error"] = err
            streamer.end()

    started[0] = time.perf_counter()
    worker = threading.Thread(target=run, name="hubctl-generate", daemon=True)
    worker.start()
    pieces = []
    for text in streamer:
        pieces.append(text)
        if on_text and text:
            on_text(text)
    worker.join()
    seconds = time.perf_counter() - started[0]
    if "error" in result:
        raise result["error"]
    new_ids = tuple(int(t) for t in result["out"][0, len(prompt_ids) :].tolist())
    ended = bool(new_ids) and new_ids[-1] in loaded.stop_ids
    return Reply(
        text="".join(pieces),
        token_ids=new_ids,
        ttft_s=state["first"] if state["first"] is not None else seconds,
        seconds=seconds,
        finite=state["finite"],
        interrupted=stop.is_set(),
        hit_limit=len(new_ids) >= sampling.max_new_tokens and not ended,
    )
