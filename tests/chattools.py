"""Models for chat tests: the real SmolLM2 fixture, and tiny random Llamas (with its tokenizer) to break."""

from __future__ import annotations

import shutil
from pathlib import Path

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja")


def real_model() -> Path:
    from smollm2 import build

    return build()


def tiny_model(dest: Path, weights: str = "random") -> Path:
    """A 2-layer Llama with SmolLM2's tokenizer; weights "random", "zeros" or "nan"."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=49152, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         bos_token_id=1, eos_token_id=2, pad_token_id=2, tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    with torch.no_grad():
        for param in model.parameters():
            if weights == "zeros":
                param.zero_()
            elif weights == "nan":
                param.fill_(float("nan"))
    model.save_pretrained(dest)
    source = real_model()
    for name in TOKENIZER_FILES:
        shutil.copy(source / name, dest / name)
    return dest
