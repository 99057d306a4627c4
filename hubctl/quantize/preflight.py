"""Stage 2 of quantize: refuse early, with numbers, before the model is loaded.

The source must be a model folder with a tokenizer and safetensors weights, its own Python code (auto_map) runs
only with --trust-remote-code, it must match its manifest when it has one (as chat checks), the output folder
must be new, and
RAM (or VRAM) and disk must hold the job: the estimate is read from the safetensors headers alone, so a job
that cannot finish is refused in milliseconds instead of failing after an hour.
"""

from __future__ import annotations

import json
import math
import shutil
import struct
from pathlib import Path

from hubctl.errors import LocalIOError, UsageError
from hubctl.model.loading import (
    ModelLoadError,
    check_trust,
    read_config,
    resolve_device,
    verify_before_load,
)
from hubctl.quantize.options import QuantizeOptions

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json", "vocab.json")


class UnsupportedModel(UsageError):
    """A model hubctl cannot quantize correctly: refused rather than quantized badly."""


def check_inputs(src: Path, dst: Path, options: QuantizeOptions) -> str:
    """The source is a model folder with a tokenizer, whose own code (if it needs any) the user allowed, the output
    is new, RAM/disk suffice, and the source matches its manifest (if it has one); returns the device.

    The code gate comes first and transformers is always given an explicit trust_remote_code, so it never asks
    on the terminal (where a CI job would wait or die)."""
    check_trust(src, read_config(src), options.trust_remote_code)
    if not any((src / name).exists() for name in TOKENIZER_FILES):
        raise ModelLoadError(
            f"{src} has no tokenizer (tokenizer.json or tokenizer.model): copy it from the source model"
        )
    if dst.exists() and any(dst.iterdir()):
        raise UsageError(f"output folder {dst} exists and is not empty")
    device = resolve_device(options.device)
    preflight(src, dst, options, device)
    if options.verify:
        verify_before_load(src)
    return device


def safetensors_header(path: Path) -> dict:
    """A safetensors file's JSON header: each tensor's dtype, shape and offsets (no weights read)."""
    try:
        with open(path, "rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(length))
    except (OSError, struct.error, ValueError) as err:
        raise UnsupportedModel(f"{path} is not a readable safetensors file ({err})") from err
    if not isinstance(header, dict):
        raise UnsupportedModel(f"{path} is not a safetensors file (its header is not a JSON object)")
    return header


def _safetensors_shapes(folder: Path) -> dict[str, tuple[list[int], str]]:
    """Tensor names, shapes and dtypes from the safetensors headers (no weights read)."""
    shapes = {}
    for path in sorted(folder.glob("*.safetensors")):
        for name, info in safetensors_header(path).items():
            if name != "__metadata__":
                shapes[name] = (info["shape"], info["dtype"])
    return shapes


def _available_memory(device: str) -> int:
    if device == "cuda":
        import torch

        return int(torch.cuda.mem_get_info()[0])
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def preflight(src: Path, dst: Path, options: QuantizeOptions, device: str) -> dict:
    """Refuse early, with numbers, when RAM/VRAM or disk cannot hold the job."""
    shapes = _safetensors_shapes(src)
    if not shapes:
        raise UnsupportedModel(f"{src} has no .safetensors weights (convert .bin checkpoints first)")
    nbytes = {"F32": 4, "F16": 2, "BF16": 2, "I32": 4, "I64": 8, "I8": 1, "U8": 1}
    total = sum(math.prod(s) * nbytes.get(d, 4) for s, d in shapes.values())
    per_layer: dict[str, int] = {}  # bytes of each decoder layer's weights in the checkpoint
    for name, (shape, dtype) in shapes.items():
        parts = name.split(".")
        if "layers" in parts and parts.index("layers") + 1 < len(parts):
            key = ".".join(parts[: parts.index("layers") + 2])
            per_layer[key] = per_layer.get(key, 0) + math.prod(shape) * nbytes.get(dtype, 4)
    # One decoder layer is in memory at a time (source.LayerSource): the weights outside the stack, the largest
    # layer in its dtype and twice in fp32 (weights and their fake-quant copies), and the packed int4 output so
    # far (about a quarter of 16-bit weights), not the whole model.
    layer_bytes = max(per_layer.values(), default=0)
    resident = total - sum(per_layer.values()) + layer_bytes + sum(per_layer.values()) // 4
    config = read_config(src)
    hidden = int((config.get("text_config") or config).get("hidden_size", 4096))
    # The widest Linear inside a decoder layer sizes the Hessians (not the embedding, whose vocab-wide
    # dimension would make this 20 GB for a 135M model).
    in_layers = [s for name, (s, _) in shapes.items() if ".layers." in f".{name}" and len(s) == 2]
    widest = max((max(s) for s in in_layers), default=hidden)
    stream_tokens = (
        options.samples * (2 if options.source_target else 1) + 3 * options.heldout_windows
    ) * options.seq_len
    # The source model's inputs to each Linear group of a layer (q/k/v, o, gate/up, down on Llama).
    source_inputs = options.samples * options.seq_len * (3 * hidden + widest) * 4 if options.source_target else 0
    hessians = widest * widest * 4 * (4 if options.source_target else 2)
    need_memory = resident + layer_bytes * 4 + stream_tokens * hidden * 4 * 2 + source_inputs + hessians + (512 << 20)
    have_memory = options.max_memory or _available_memory(device)
    where = "GPU memory" if device == "cuda" else "RAM"
    if need_memory > have_memory:
        raise LocalIOError(
            f"not enough {where} to quantize {src}: about {need_memory / 1e9:.1f} GB needed (weights "
            f"{resident / 1e9:.1f} GB resident, one decoder layer at a time, + one layer in fp32 + activations), "
            f"{have_memory / 1e9:.1f} GB available; "
            "reduce --samples/--seq-len or use a bigger machine"
        )
    need_disk = total // 3 + (64 << 20)
    probe = dst.parent if dst.parent.exists() else Path(".")
    free = shutil.disk_usage(probe).free
    if need_disk > free:
        raise LocalIOError(
            f"not enough disk for the output in {probe}: about {need_disk / 1e9:.1f} GB needed, "
            f"{free / 1e9:.1f} GB free"
        )
    return {"memory_needed": need_memory, "memory_available": have_memory, "disk_needed": need_disk}
