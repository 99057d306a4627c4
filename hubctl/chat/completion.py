"""One chat completion on the loaded model, shaped as OpenAI's response or its stream of chunks.

The caller holds the device (gate.py). Text goes out through `emit` as it is generated; `emit` never
raises: when the client is gone it sets the stop event instead, which generation's stopping check reads
at the next step, so an abandoned reply costs at most one more token of compute.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hubctl.chat.api import ChatRequest
from hubctl.chat.stops import StopScanner
from hubctl.model.generation import Reply, Sampling, generate
from hubctl.model.loading import LoadedModel


@dataclass(frozen=True)
class Prepared:
    """A validated request with its prompt ids, after history trimming."""

    request: ChatRequest
    prompt_ids: list[int]
    dropped_turns: int
    context: int

    def hubctl_info(self) -> dict:
        """What hubctl adds to OpenAI's format: how the history was trimmed to fit."""
        return {
            "trimmed_messages": 2 * self.dropped_turns,
            "prompt_tokens": len(self.prompt_ids),
            "context": self.context,
        }


def sampling_for(request: ChatRequest, top_k: int) -> Sampling:
    """temperature 0 means greedy, as in OpenAI's API."""
    if request.temperature == 0:
        return Sampling(max_new_tokens=request.max_tokens, greedy=True, seed=request.seed)
    return Sampling(
        max_new_tokens=request.max_tokens,
        temperature=request.temperature,
        top_p=request.top_p,
        top_k=top_k,
        seed=request.seed,
    )


def finish_reason(reply: Reply, scanner: StopScanner) -> str:
    return "length" if reply.hit_limit and not scanner.hit else "stop"


def usage(prepared: Prepared, reply: Reply) -> dict:
    prompt = len(prepared.prompt_ids)
    return {"prompt_tokens": prompt, "completion_tokens": reply.tokens, "total_tokens": prompt + reply.tokens}


def run(
    loaded: LoadedModel, prepared: Prepared, top_k: int, emit: Callable[[str], None], stop: threading.Event
) -> tuple[Reply, StopScanner]:
    """Generate, passing only text before any stop sequence to `emit`; a stop sequence ends generation."""
    scanner = StopScanner(prepared.request.stop)

    def on_text(piece: str) -> None:
        safe = scanner.feed(piece)
        if scanner.hit:
            stop.set()
        if safe:
            emit(safe)

    reply = generate(loaded, prepared.prompt_ids, sampling_for(prepared.request, top_k), on_text=on_text, stop=stop)
    tail = scanner.finish()
    if tail:
        emit(tail)
    return reply, scanner


class Chunks:
    """OpenAI's chat.completion.chunk objects for one streamed reply (one id, one creation time)."""

    def __init__(self, model_id: str) -> None:
        self.id, self.created, self.model = new_id(), int(time.time()), model_id

    def chunk(self, delta: dict, finish: str | None = None, **extra: object) -> dict:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            **extra,
        }

    def usage_chunk(self, counts: dict) -> dict:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": counts,
        }


def completion(model_id: str, prepared: Prepared, text: str, reply: Reply, scanner: StopScanner) -> dict:
    """OpenAI's chat.completion object, plus hubctl's trimming report and timings."""
    info = prepared.hubctl_info() | {
        "ttft_s": round(reply.ttft_s, 4),
        "tokens_per_s": round(reply.tokens_per_s, 2),
        "finite": reply.finite,
    }
    return {
        "id": new_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_id,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": finish_reason(reply, scanner),
            }
        ],
        "usage": usage(prepared, reply),
        "hubctl": info,
    }


def new_id() -> str:
    return "chatcmpl-" + secrets.token_hex(12)
