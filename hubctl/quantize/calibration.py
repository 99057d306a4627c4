"""Calibration and held-out token windows for quantization.

The built-in set (`calibration_data`, text the project wrote and owns: English and Chinese, plain and
chat-formatted through the model's own template) needs no network; `--calibration FILE` (plain text, or JSONL
with a "text" field or "messages") replaces it. Held-out text, never used for calibration, measures perplexity.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

from hubctl.errors import UsageError


def _chat(tokenizer: Any, user: str, assistant: str) -> str:
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False)
    return f"User: {user}\n\nAssistant: {assistant}\n\n"


def builtin_texts(tokenizer: Any) -> list[str]:
    from hubctl.quantize.calibration_data import CALIBRATION_CHAT, CALIBRATION_PLAIN

    return [*CALIBRATION_PLAIN, *(_chat(tokenizer, u, a) for u, a in CALIBRATION_CHAT)]


def file_texts(path: Path, tokenizer: Any) -> list[str]:
    """Plain text (paragraphs separated by blank lines) or JSONL ({"text": ...} or {"messages": [...]})."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read calibration file {path}: {err}") from err
    if path.suffix == ".jsonl":
        texts = []
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                texts.append(row["text"] if "text" in row else tokenizer.apply_chat_template(row["messages"], tokenize=False))
            except (ValueError, KeyError, TypeError) as err:
                raise UsageError(f"{path}:{number}: expected {{\"text\": ...}} or {{\"messages\": [...]}} ({err})") from err
    else:
        texts = [p for p in raw.split("\n\n") if p.strip()]
    if not texts:
        raise UsageError(f"calibration file {path} holds no text")
    return texts


def _token_stream(tokenizer: Any, texts: list[str]) -> list[int]:
    """The texts' tokens joined with EOS (0 where the tokenizer has none), as both samplers cut them."""
    eos = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
    stream: list[int] = []
    for text in texts:
        stream += tokenizer(text, add_special_tokens=False)["input_ids"] + [eos]
    return stream


def windows(tokenizer: Any, texts: list[str], count: int, length: int, seed: int) -> list[list[int]]:
    """`count` windows of `length` tokens from the texts joined with EOS, seeded. While the text has room,
    they are distinct slots of one seeded grid, so no token is used twice (random offsets repeat tokens:
    64 of 256 from 33k covered 39 % of the text, not 49 %); beyond that, random offsets."""
    stream = _token_stream(tokenizer, texts)
    if len(stream) < length:
        raise UsageError(f"the calibration text has {len(stream)} tokens, fewer than --seq-len {length}")
    rng = random.Random(seed)
    slots = len(stream) // length
    if count <= slots:
        offset = rng.randrange(0, len(stream) - slots * length + 1)
        starts = [offset + slot * length for slot in rng.sample(range(slots), count)]
    else:
        starts = [rng.randrange(0, len(stream) - length + 1) for _ in range(count)]
    return [stream[s : s + length] for s in starts]


def heldout(tokenizer: Any, length: int) -> list[list[int]]:
    """Consecutive, non-overlapping windows of the held-out text (all of it that fills whole windows)."""
    from hubctl.quantize.calibration_data import HELDOUT_PLAIN

    stream = _token_stream(tokenizer, HELDOUT_PLAIN)
    return [stream[i : i + length] for i in range(0, len(stream) - length + 1, length)]


def digest(samples: list[list[int]]) -> str:
    """sha256 of the exact calibration token windows (provenance in the output's manifest)."""
    return hashlib.sha256(json.dumps(samples, separators=(",", ":")).encode()).hexdigest()
