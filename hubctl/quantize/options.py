"""Stage 1 of quantize: the options, checked before anything is loaded.

QuantizeOptions is frozen so every stage sees the same values; `validate` refuses what the int4 gptq checkpoint
format cannot hold (a usage error, exit 2) before any file is read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from hubctl.errors import UsageError


@dataclass(frozen=True)
class QuantizeOptions:
    bits: int = 4
    group_size: int | None = None  # None: the largest standard size the fast kernels take (kernels.py)
    allow_partial_groups: bool = False  # quantize although only the plain torch kernel will load the output
    desc_act: bool = False
    act_group_aware: bool = True
    damp: float = 0.01
    clip_search: bool = True
    refit_scales: bool = True
    source_target: bool = True  # fit each layer to the source model's outputs (GPTAQ), see gptq.source_target
    samples: int = (
        128  # as in the GPTQ paper; with --seq-len 256 nearly all of the built-in set (33k tokens with SmolLM2)
    )
    seq_len: int = 256
    device: str = "auto"
    seed: int = 0
    calibration: Path | None = None
    max_memory: int | None = None  # bytes of RAM (or VRAM) to plan for; default: what the machine has free
    batch: int = 8
    heldout_windows: int = 8
    check: bool = True  # load the output through transformers + gptqmodel and smoke-test it
    trust_remote_code: bool = False  # the source (and so the output) runs its own modeling_*.py
    verify: bool = True  # check the source against its manifest, if it has one, before loading it


# Options that change neither the output's bytes nor its meaning: left out of the recorded provenance.
NOT_RECORDED = ("device", "max_memory", "check", "trust_remote_code", "verify")


def validate(options: QuantizeOptions) -> None:
    if options.bits != 4:
        raise UsageError(f"--bits {options.bits}: only 4-bit is supported (the int4 gptq checkpoint format)")
    if options.group_size is not None and (options.group_size <= 0 or options.group_size % 8):
        raise UsageError(f"--group-size {options.group_size}: must be a positive multiple of 8 (128 is standard)")


def recorded(options: QuantizeOptions) -> dict:
    """The options as written into quant_report.json: what determines the output."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items() if k not in NOT_RECORDED}
