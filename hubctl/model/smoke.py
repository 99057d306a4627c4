"""`hubctl chat --smoke`: a CI gate that fails when a model loads but does not really generate.

Each prompt is answered greedily; a reply passes when it is non-empty, every step's logits were finite,
and it is not degenerate (one token looping, or a short pattern repeating to the length limit). A model
whose weights are zeros or NaN fails here even though it loads.
"""

from __future__ import annotations

import resource
from collections import Counter
from dataclasses import dataclass, field

from hubctl.errors import SmokeError
from hubctl.model.conversation import Conversation, fit
from hubctl.model.generation import Reply, Sampling, generate
from hubctl.model.loading import LoadedModel

DEFAULT_PROMPTS = (
    "What is the capital of France?",
    "Write one sentence about the sea.",
    "List three colors.",
    "用一句话介绍你自己。",
)
MAX_RUN = 12  # the same token this many times in a row
MAX_SHARE = 0.5  # one token making up this share of a reply that hit the length limit
MIN_TOKENS_FOR_SHARE = 8


SmokeFailure = SmokeError  # the name this module's callers know; the class is errors.SmokeError (exit 10)


def degenerate(ids: tuple[int, ...], hit_limit: bool) -> str | None:
    """Why a reply looks like a broken model's output, or None."""
    run, longest, prev = 0, 0, None
    for token in ids:
        run = run + 1 if token == prev else 1
        longest, prev = max(longest, run), token
    if longest >= MAX_RUN:
        return f"one token repeated {longest} times in a row"
    if hit_limit and len(ids) >= MIN_TOKENS_FOR_SHARE:
        token, count = Counter(ids).most_common(1)[0]
        if count / len(ids) >= MAX_SHARE:
            return f"one token is {count} of the {len(ids)} tokens"
        tail = ids[len(ids) // 2 :]
        for period in range(2, 9):
            if len(tail) >= 3 * period and all(tail[i] == tail[i - period] for i in range(period, len(tail))):
                return f"the reply loops with a period of {period} tokens up to the length limit"
    return None


def check(reply: Reply) -> str | None:
    """The reason a reply fails the smoke test, or None when it passes."""
    if not reply.finite:
        return "NaN or inf in the logits"
    if not reply.text.strip():
        return "empty reply"
    return degenerate(reply.token_ids, reply.hit_limit)


@dataclass(frozen=True)
class PromptResult:
    prompt: str
    reply: str
    tokens: int
    ttft_s: float
    tokens_per_s: float
    seconds: float
    failure: str | None

    def to_dict(self) -> dict:
        return {
            "prompt": self.prompt,
            "reply": self.reply,
            "tokens": self.tokens,
            "ttft_s": round(self.ttft_s, 4),
            "tokens_per_s": round(self.tokens_per_s, 2),
            "seconds": round(self.seconds, 3),
            "passed": self.failure is None,
            "failure": self.failure,
        }


@dataclass(frozen=True)
class SmokeReport:
    folder: str
    device: str
    dtype: str
    load_seconds: float
    peak_memory_bytes: int
    results: tuple[PromptResult, ...]
    expect: tuple[str, ...] = ()
    missing: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.missing and all(r.failure is None for r in self.results)

    def reason(self) -> str:
        failed = [f"{r.prompt!r}: {r.failure}" for r in self.results if r.failure]
        missing = [f"no reply contains {text!r}" for text in self.missing]
        return "; ".join(failed + missing)

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "folder": self.folder,
            "device": self.device,
            "dtype": self.dtype,
            "load_seconds": round(self.load_seconds, 3),
            "peak_memory_bytes": self.peak_memory_bytes,
            "expect": list(self.expect),
            "missing": list(self.missing),
            "prompts": [r.to_dict() for r in self.results],
        }


def peak_memory(device: str) -> int:
    """Peak bytes: GPU memory allocated by torch on CUDA, else the process's peak RSS."""
    if device == "cuda":
        import torch

        return int(torch.cuda.max_memory_allocated())
    return peak_rss()


def peak_rss() -> int:
    """This process's own peak resident set. Linux keeps ru_maxrss across fork and exec, so a process started
    by a large parent (a test runner that loaded models) would report the parent's peak; VmHWM belongs to the
    process's own address space. ru_maxrss where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_smoke(
    loaded: LoadedModel, prompts: tuple[str, ...], expect: tuple[str, ...], max_new_tokens: int, system: str | None
) -> SmokeReport:
    """Answer each prompt on its own (no history), greedily, and judge the replies."""
    results = []
    sampling = Sampling(max_new_tokens=max_new_tokens, greedy=True)
    for prompt in prompts:
        ids, _ = fit(loaded.tokenizer, Conversation(system=system), prompt, loaded.context, max_new_tokens)
        reply = generate(loaded, ids, sampling)
        results.append(
            PromptResult(
                prompt, reply.text, reply.tokens, reply.ttft_s, reply.tokens_per_s, reply.seconds, check(reply)
            )
        )
    missing = tuple(text for text in expect if not any(text in r.reply for r in results))
    return SmokeReport(
        str(loaded.folder),
        loaded.device,
        loaded.dtype,
        loaded.load_seconds,
        peak_memory(loaded.device),
        tuple(results),
        expect,
        missing,
    )
