"""Models for chat and quantize tests: the real SmolLM2 fixture, tiny random Llamas (with its tokenizer) to break,
and remote-code copies of either (auto_map to a local modeling_*.py)."""

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
    config = LlamaConfig(
        vocab_size=49152,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
        tie_word_embeddings=True,
    )
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


REMOTE_CONFIGURATION = """from transformers import LlamaConfig


class HubctlTinyConfig(LlamaConfig):
    model_type = "hubctl_tiny"
"""
REMOTE_MODELING = """from transformers import LlamaForCausalLM

from .configuration_hubctl_tiny import HubctlTinyConfig


class HubctlTinyForCausalLM(LlamaForCausalLM):
    config_class = HubctlTinyConfig
"""
REMOTE_FILES = ("configuration_hubctl_tiny.py", "modeling_hubctl_tiny.py")


def remote_code_model(source: Path, dest: Path) -> Path:
    """A copy of a Llama folder whose class lives in its own modeling_hubctl_tiny.py (auto_map, a model_type
    transformers does not know), as InternLM2 and Yuan2 ship: loading it needs trust_remote_code."""
    import json

    dest.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file() and path.name != "config.json":
            try:
                (dest / path.name).hardlink_to(path)  # the weights unchanged, without a second copy on disk
            except OSError:
                shutil.copy(path, dest / path.name)
    config = json.loads((source / "config.json").read_text())
    config.update(
        model_type="hubctl_tiny",
        architectures=["HubctlTinyForCausalLM"],
        auto_map={
            "AutoConfig": "configuration_hubctl_tiny.HubctlTinyConfig",
            "AutoModelForCausalLM": "modeling_hubctl_tiny.HubctlTinyForCausalLM",
        },
    )
    (dest / "config.json").write_text(json.dumps(config, indent=2))
    (dest / REMOTE_FILES[0]).write_text(REMOTE_CONFIGURATION)
    (dest / REMOTE_FILES[1]).write_text(REMOTE_MODELING)
    return dest
