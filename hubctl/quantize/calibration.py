"""Calibration and held-out token windows for quantization.

The built-in texts are package data, `data/calibration.jsonl` and `data/heldout.jsonl`: text the project
wrote and owns (about two thirds English, one third Simplified Chinese; prose, code snippets, arithmetic,
dialogue), so quantization works offline and reproducibly, with no third-party data set whose contents or
licence may change. They are parsed by the same code as a user's `--calibration FILE` (plain paragraphs, or
JSONL with {"text": ...} or {"messages": [...]} records; chats go through the model's own chat template, or a
plain "User: ..." rendering where the tokenizer has none), so the built-in set and a user's file mean the same.
The held-out text measures perplexity only and is never used for calibration; it shares no 8-word run with the
calibration text (tests/test_calibration.py checks both).
"""

from __future__ import annotations

import hashlib
import json
import random
from importlib import resources
from pathlib import Path
from typing import Any

from hubctl.errors import UsageError

CALIBRATION_DATA = "calibration.jsonl"
HELDOUT_DATA = "heldout.jsonl"
ROLES = ("system", "user", "assistant")


def _plain_chat(messages: list[dict]) -> str:
    """A chat rendered for a tokenizer without a chat template ("User: ...", blank line, "Assistant: ...")."""
    return "".join(f"{m['role'].capitalize()}: {m['content']}\n\n" for m in messages)


def render_chat(tokenizer: Any, messages: list[dict]) -> str:
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False)
    return _plain_chat(messages)


def _messages(value: Any) -> list[dict]:
    """The record's chat, checked: a non-empty list of {"role": system|user|assistant, "content": str}."""
    if not isinstance(value, list) or not value:
        raise TypeError('"messages" must be a non-empty list')
    for message in value:
        if (
            not isinstance(message, dict)
            or message.get("role") not in ROLES
            or not isinstance(message.get("content"), str)
        ):
            raise TypeError(f'each message needs "role" ({", ".join(ROLES)}) and a string "content"')
    return [{"role": m["role"], "content": m["content"]} for m in value]


def _record_text(line: str, tokenizer: Any) -> str:
    row = json.loads(line)
    if not isinstance(row, dict):
        raise TypeError("a record must be a JSON object")
    if "text" in row:
        if not isinstance(row["text"], str):
            raise TypeError('"text" must be a string')
        return row["text"]
    if "messages" not in row:
        raise ValueError('no "text" or "messages" field')
    return render_chat(tokenizer, _messages(row["messages"]))


def parse_texts(raw: str, jsonl: bool, origin: str, tokenizer: Any) -> list[str]:
    """Texts of a calibration source: JSONL records ({"text": ...} or {"messages": [...]}), or plain paragraphs
    separated by blank lines. `origin` names the source in errors."""
    if not jsonl:
        texts = [p for p in raw.split("\n\n") if p.strip()]
    else:
        texts = []
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                texts.append(_record_text(line, tokenizer))
            except (ValueError, TypeError) as err:
                raise UsageError(
                    f'{origin}:{number}: expected {{"text": ...}} or {{"messages": [...]}} ({err})'
                ) from err
    if not texts:
        raise UsageError(f"calibration file {origin} holds no text")
    return texts


def file_texts(path: Path, tokenizer: Any) -> list[str]:
    """A user's --calibration file: .jsonl records, anything else plain paragraphs."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read calibration file {path}: {err}") from err
    return parse_texts(raw, path.suffix == ".jsonl", str(path), tokenizer)


def _package_texts(name: str, tokenizer: Any) -> list[str]:
    raw = resources.files("hubctl.quantize").joinpath("data", name).read_text(encoding="utf-8")
    return parse_texts(raw, True, f"hubctl/quantize/data/{name}", tokenizer)


def builtin_texts(tokenizer: Any) -> list[str]:
    return _package_texts(CALIBRATION_DATA, tokenizer)


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
    stream = _token_stream(tokenizer, _package_texts(HELDOUT_DATA, tokenizer))
    return [stream[i : i + length] for i in range(0, len(stream) - length + 1, length)]


def digest(samples: list[list[int]]) -> str:
    """sha256 of the exact calibration token windows (provenance in the output's manifest)."""
    return hashlib.sha256(json.dumps(samples, separators=(",", ":")).encode()).hexdigest()
