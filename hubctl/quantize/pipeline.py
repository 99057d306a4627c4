"""`hubctl quantize`: int4 GPTQ of a causal LM, memory-bounded, deterministic, checked by loading it back.

One decoder layer at a time is upcast to fp32 (the rest stays in the source dtype). Calibration activations
flow layer by layer twice, through the quantized model so far (GPTQ's Hessians) and through the source (each
Linear is fitted to the source's outputs, gptq.source_target, and the one that writes the layer's output
through the residual stream to the source layer's output; at the end the final norm is refitted to the
source's logits, finalnorm); so do three held-out streams (source weights, round-to-nearest, GPTQ), which
gives all three perplexities in the same pass without a second model copy.
Linears are grouped by the input they share and processed in call order (true-sequential: q/k/v, then o,
then gate/up, then down on Llama), discovered with hooks, so Llama, Qwen2, InternLM2 and similar need no
per-model code.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import shutil
import struct
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from hubctl import __version__
from hubctl.errors import LocalIOError, UsageError
from hubctl.model.loading import ModelLoadError, read_config, resolve_device

if TYPE_CHECKING:
    from hubctl.quantize.finalnorm import FinalNormFit

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt")
SKIP_FILES = {"config.json", "quantize_config.json", "quant_report.json", "model.safetensors.index.json",
              "pytorch_model.bin.index.json"}
# The load-back check scores the first windows of the held-out text through the real int4 kernels: gptqmodel's
# CPU kernel takes ~25 s per 256-token window on a 2-core VM (all 8 made the check 4 minutes), CUDA all of them.
CHECK_WINDOWS = {"cpu": 2}
LOADED_TOLERANCE = 0.03  # bf16 int4 kernels vs fp32 fake-quant: 0.1-0.2 % apart on SmolLM2
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json", "vocab.json")


class UnsupportedModel(UsageError):
    """A model hubctl cannot quantize correctly: refused rather than quantized badly."""


@dataclass(frozen=True)
class QuantizeOptions:
    bits: int = 4
    group_size: int = 128
    desc_act: bool = False
    act_group_aware: bool = True
    damp: float = 0.01
    clip_search: bool = True
    refit_scales: bool = True
    source_target: bool = True  # fit each layer to the source model's outputs (GPTAQ), see gptq.source_target
    samples: int = 128  # as in the GPTQ paper; with --seq-len 256 nearly all of the built-in set (33k tokens with SmolLM2)
    seq_len: int = 256
    device: str = "auto"
    seed: int = 0
    calibration: Path | None = None
    max_memory: int | None = None  # bytes of RAM (or VRAM) to plan for; default: what the machine has free
    batch: int = 8
    heldout_windows: int = 8
    check: bool = True  # load the output through transformers + gptqmodel and smoke-test it


@dataclass(frozen=True)
class LayerLoss:
    layer: int
    module: str
    gptq: float  # gptq.output_loss: output error against the source layer, on the calibration tokens
    rtn: float
    damp: float


@dataclass
class QuantizeReport:
    output: Path
    ppl_source: float
    ppl_rtn: float
    ppl_gptq: float
    losses: list[LayerLoss]
    calibration_sha256: str
    source_digest: str
    options: dict
    seconds: float = 0.0
    peak_memory_bytes: int = 0
    loaded_ppl: float | None = None  # through transformers + gptqmodel, on the first `loaded_windows` windows
    loaded_windows: int = 0
    loaded_expected: float | None = None  # hubctl's own GPTQ perplexity on those windows
    smoke: dict | None = None
    quantized_modules: int = 0
    final_norm: FinalNormFit | None = None  # the final norm refitted to the source's logits, if it was

    def quality(self) -> dict:
        """The deterministic part, written to quant_report.json inside the checkpoint."""
        return {
            "perplexity": {"source": self.ppl_source, "rtn_int4": self.ppl_rtn, "gptq_int4": self.ppl_gptq},
            "perplexity_text": "hubctl built-in held-out text (never used for calibration)",
            "layers": [asdict(x) for x in self.losses],
            "final_norm_logit_error": asdict(self.final_norm) if self.final_norm else None,
            "calibration_sha256": self.calibration_sha256,
            "source_files_digest": self.source_digest,
            "options": self.options,
            "tool": f"hubctl {__version__}",
        }

    def to_dict(self) -> dict:
        return {**self.quality(), "output": str(self.output), "seconds": round(self.seconds, 2),
                "peak_memory_bytes": self.peak_memory_bytes, "loaded_perplexity": self.loaded_ppl,
                "loaded_windows": self.loaded_windows, "loaded_expected_perplexity": self.loaded_expected,
                "smoke": self.smoke, "quantized_modules": self.quantized_modules}


# ---------------------------------------------------------------- preflight


def _safetensors_shapes(folder: Path) -> dict[str, tuple[list[int], str]]:
    """Tensor names, shapes and dtypes from the safetensors headers (no weights read)."""
    shapes = {}
    for path in sorted(folder.glob("*.safetensors")):
        with open(path, "rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(length))
        for name, info in header.items():
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
    per_layer: dict[str, int] = {}
    for name, (shape, _) in shapes.items():
        parts = name.split(".")
        if "layers" in parts and parts.index("layers") + 1 < len(parts):
            key = ".".join(parts[: parts.index("layers") + 2])
            per_layer[key] = per_layer.get(key, 0) + math.prod(shape)
    layer_params = max(per_layer.values(), default=0)
    config = read_config(src)
    hidden = int((config.get("text_config") or config).get("hidden_size", 4096))
    # The widest Linear inside a decoder layer sizes the Hessians (not the embedding, whose vocab-wide
    # dimension would make this 20 GB for a 135M model).
    in_layers = [s for name, (s, _) in shapes.items() if ".layers." in f".{name}" and len(s) == 2]
    widest = max((max(s) for s in in_layers), default=hidden)
    stream_tokens = (options.samples * (2 if options.source_target else 1) + 3 * options.heldout_windows) * options.seq_len
    # The source model's inputs to each Linear group of a layer (q/k/v, o, gate/up, down on Llama).
    source_inputs = options.samples * options.seq_len * (3 * hidden + widest) * 4 if options.source_target else 0
    hessians = widest * widest * 4 * (4 if options.source_target else 2)
    need_memory = total + layer_params * 4 * 2 + stream_tokens * hidden * 4 * 2 + source_inputs + hessians + (512 << 20)
    have_memory = options.max_memory or _available_memory(device)
    where = "GPU memory" if device == "cuda" else "RAM"
    if need_memory > have_memory:
        raise LocalIOError(
            f"not enough {where} to quantize {src}: about {need_memory / 1e9:.1f} GB needed (weights "
            f"{total / 1e9:.1f} GB + one layer in fp32 + activations), {have_memory / 1e9:.1f} GB available; "
            "reduce --samples/--seq-len or use a bigger machine"
        )
    need_disk = total // 3 + (64 << 20)
    probe = dst.parent if dst.parent.exists() else Path(".")
    free = shutil.disk_usage(probe).free
    if need_disk > free:
        raise LocalIOError(f"not enough disk for the output in {probe}: about {need_disk / 1e9:.1f} GB needed, {free / 1e9:.1f} GB free")
    return {"memory_needed": need_memory, "memory_available": have_memory, "disk_needed": need_disk}


# ---------------------------------------------------------------- model structure


def decoder_layers(model: Any) -> tuple[str, Any]:
    """The model's stack of decoder blocks: the largest ModuleList of same-class modules."""
    import torch.nn as nn

    best = None
    for name, module in model.named_modules():
        if isinstance(module, nn.ModuleList) and len(module) > 0 and len({type(m) for m in module}) == 1:
            size = sum(p.numel() for p in module.parameters())
            if best is None or size > best[2]:
                best = (name, module, size)
    if best is None:
        raise UnsupportedModel("no stack of decoder layers found (a ModuleList of identical blocks)")
    return best[0], best[1]


def final_norm(model: Any) -> Any:
    base = getattr(model, "model", None) or getattr(model, "transformer", None) or model.base_model
    for name in ("norm", "final_layernorm", "ln_f", "final_norm"):
        if hasattr(base, name):
            return getattr(base, name)
    raise UnsupportedModel("no final norm found after the decoder layers (expected model.norm or similar)")


def linears(layer: Any) -> dict[str, Any]:
    import torch.nn as nn

    return {name: m for name, m in layer.named_modules() if isinstance(m, nn.Linear)}


def check_shapes(prefix: str, layer: Any) -> None:
    """int4 packs 8 values per int32 along in_features (qweight) and out_features (qzeros).

    in_features need not be a multiple of the group size: the last group is shorter, and loaders size
    scales as ceil(in_features / group_size) (SmolLM2's 576 = 4.5 x 128).
    """
    found = linears(layer)
    if not found:
        raise UnsupportedModel(
            f"{prefix} has no torch.nn.Linear to quantize (e.g. GPT-2's Conv1D): this architecture is not supported"
        )
    for name, lin in found.items():
        if lin.in_features % 8 or lin.out_features % 8:
            raise UnsupportedModel(
                f"{prefix}.{name} is {lin.out_features}x{lin.in_features}: int4 GPTQ packing needs both "
                "dimensions divisible by 8"
            )


# ---------------------------------------------------------------- activations


class _Captured(Exception):
    pass


def _to(value: Any, device: str, dtype: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.to(device=device, dtype=dtype if value.is_floating_point() else value.dtype)
    if isinstance(value, tuple):
        return tuple(_to(v, device, dtype) for v in value)
    return value


def capture_inputs(model: Any, layer0: Any, windows: list[list[int]], batch: int, device: str) -> list[tuple[Any, dict]]:
    """Hidden states entering the first decoder layer, with the kwargs the model passes (rotary, masks)."""
    import torch

    captured: list[tuple[Any, dict]] = []

    def hook(module: Any, args: tuple, kwargs: dict) -> None:
        hidden = args[0] if args else kwargs.pop("hidden_states")
        kw = {k: _to(v, device, torch.float32) for k, v in kwargs.items() if k != "hidden_states"}
        captured.append((hidden.to(device=device, dtype=torch.float32), kw))
        raise _Captured

    handle = layer0.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        for i in range(0, len(windows), batch):
            ids = torch.tensor(windows[i : i + batch])
            try:
                with torch.inference_mode():
                    model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=False)
            except _Captured:
                pass
    finally:
        handle.remove()
    return captured


def _hidden(result: Any) -> Any:
    """A decoder layer's output hidden states: some layers return a tuple (hidden, attention weights, ...)."""
    return result[0] if isinstance(result, tuple) else result


def _run(layer: Any, stream: list[tuple[Any, dict]], capture: list[Any] = ()) -> tuple[list[tuple[Any, dict]], list[list[Any]]]:
    """The stream through the layer, and each `capture` module's inputs per batch, as [tokens, in] fp32."""
    import torch

    inputs: list[list[Any]] = [[] for _ in capture]
    handles = [
        module.register_forward_pre_hook(lambda m, args, seen=seen: seen.append(args[0].reshape(-1, args[0].shape[-1]).float()))
        for module, seen in zip(capture, inputs)
    ]
    out = []
    try:
        with torch.inference_mode():
            for hidden, kw in stream:
                out.append((_hidden(layer(hidden, **kw)), kw))
    finally:
        for h in handles:
            h.remove()
    return out, inputs


def _groups(layer: Any, sample: tuple[Any, dict]) -> list[list[str]]:
    """Linears grouped by the input tensor they share, in the order the layer calls them."""
    import torch

    # Keep every input alive until grouping: a freed tensor's address can be reused by a later input,
    # so identity is only meaningful while all of them exist.
    order: list[tuple[str, Any]] = []
    handles = [
        lin.register_forward_hook(lambda m, args, out, name=name: order.append((name, args[0])))
        for name, lin in linears(layer).items()
    ]
    try:
        with torch.inference_mode():
            layer(sample[0][:1], **sample[1])
    finally:
        for h in handles:
            h.remove()
    groups: dict[int, list[str]] = {}
    for name, tensor in order:
        if name not in groups.setdefault(id(tensor), []):
            groups[id(tensor)].append(name)
    return list(groups.values())


def writes_layer_output(layer: Any, module: Any, sample: tuple[Any, dict]) -> bool:
    """Whether the module's output reaches the layer's output unchanged, added to the residual stream (the
    MLP's down projection in Llama-family layers; not where a norm follows it, as in Gemma 2). Probed on one
    window: with the weight zeroed, the layer's output must change by exactly the module's output."""
    import torch

    outputs: list[Any] = []
    results: list[Any] = []
    handle = module.register_forward_hook(lambda m, args, out: outputs.append(out))
    weight = module.weight.data
    try:
        with torch.inference_mode():
            for w in (weight, torch.zeros_like(weight)):
                module.weight.data = w
                result = layer(sample[0][:1], **sample[1])
                results.append(_hidden(result))
    finally:
        module.weight.data = weight
        handle.remove()
    change, expected = results[0] - results[1], outputs[0] - outputs[1]
    return change.shape == expected.shape and torch.allclose(change, expected, rtol=1e-4, atol=1e-5 * float(expected.abs().max()))


def _input_stats(layer: Any, module: Any, stream: list[tuple[Any, dict]], source_inputs: list[Any] | None,
                 source_out: list[tuple[Any, dict]] | None = None) -> Any:
    """gptq.InputStats of the module over the calibration stream: X̃ is what it sees in `stream` (the quantized
    model so far), X its `source_inputs` for the same batches (None: X = X̃, plain GPTQ). With `source_out`
    (the source layer's outputs; the module writes the layer's output), also the drift of the layer's output.

    Without `source_out`, each batch's forward stops at the module's input: the rest of the layer is not needed.
    """
    import torch

    from hubctl.quantize.gptq import InputStats

    sums: dict[str, Any] = {}
    seen: dict[str, Any] = {"n": 0, "batch": 0}

    def add(key: str, value: Any) -> None:
        sums[key] = value if key not in sums else sums[key] + value

    def hook(m: Any, args: tuple) -> None:
        x = args[0].reshape(-1, args[0].shape[-1]).float()
        add("h", x.T @ x)
        if source_inputs is not None:
            source = source_inputs[seen["batch"]]
            add("cross", source.T @ x)
            add("h_src", source.T @ source)
        seen["n"] += x.shape[0]
        seen["batch"] += 1
        if source_out is None:
            raise _Captured
        seen["x"] = x

    handle = module.register_forward_pre_hook(hook)
    try:
        with torch.inference_mode():
            for b, (hidden, kw) in enumerate(stream):
                with contextlib.suppress(_Captured):
                    out = _hidden(layer(hidden, **kw))
                    drift = (source_out[b][0] - out).reshape(-1, out.shape[-1]).float()
                    add("drift", seen.pop("x").T @ drift)
                    add("drift_sq", (drift * drift).sum())
    finally:
        handle.remove()
    scaled = {k: v * (2.0 / max(1, seen["n"])) for k, v in sums.items()}
    h = scaled["h"]
    drift_sq = float(scaled["drift_sq"]) if "drift_sq" in scaled else 0.0
    return InputStats(h, scaled.get("cross", h), scaled.get("h_src", h), scaled.get("drift"), drift_sq)


def _window_nll(model: Any, stream: list[tuple[Any, dict]], windows: list[list[int]], batch: int, device: str) -> list[float]:
    """Summed next-token NLL of each window, from the final hidden states of the layer-by-layer pass."""
    import torch
    import torch.nn.functional as F

    norm = final_norm(model).to(device=device, dtype=torch.float32)
    head = model.get_output_embeddings().to(device=device, dtype=torch.float32)
    nll: list[float] = []
    with torch.inference_mode():
        for b, (hidden, _) in enumerate(stream):
            labels = torch.tensor(windows[b * batch : (b + 1) * batch], device=device)
            # One window's logits at a time, for the positions that predict a token: a batch's fp32 logits
            # (8 x 256 x 49152 on SmolLM2) and cross_entropy's copies were 1.2 GB, most of quantize's peak.
            for row in range(hidden.shape[0]):
                logits = head(norm(hidden[row, :-1])).float()
                nll.append(float(F.cross_entropy(logits, labels[row, 1:], reduction="sum")))
    return nll


def _perplexity(nll: list[float], windows: list[list[int]]) -> float:
    return math.exp(sum(nll) / sum(len(w) - 1 for w in windows[: len(nll)]))


# ---------------------------------------------------------------- the job


def quantize(src: Path, dst: Path, options: QuantizeOptions, progress: Callable[[int, int], None] | None = None) -> QuantizeReport:
    """Quantize src into dst (atomically: dst appears only when complete and checked)."""
    started = time.monotonic()
    if options.bits != 4:
        raise UsageError(f"--bits {options.bits}: only 4-bit is supported (the int4 gptq checkpoint format)")
    if options.group_size <= 0 or options.group_size % 8:
        raise UsageError(f"--group-size {options.group_size}: must be a positive multiple of 8 (128 is standard)")
    read_config(src)
    if not any((src / name).exists() for name in TOKENIZER_FILES):
        raise ModelLoadError(f"{src} has no tokenizer (tokenizer.json or tokenizer.model): copy it from the source model")
    if dst.exists() and any(dst.iterdir()):
        raise UsageError(f"output folder {dst} exists and is not empty")
    device = resolve_device(options.device)
    preflight(src, dst, options, device)

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from hubctl.integrity.localmanifest import manifest_for_folder
    from hubctl.integrity.manifest import default_path, read_manifest
    from hubctl.model.loading import quiet_libraries
    from hubctl.quantize.calibration import builtin_texts, digest, file_texts, heldout, windows
    from hubctl.quantize.finalnorm import fit_final_norm
    from hubctl.quantize.gptq import QuantSpec, gptq, output_loss, pack, rtn, source_target

    quiet_libraries()
    torch.manual_seed(options.seed)
    tokenizer = AutoTokenizer.from_pretrained(src)
    model = AutoModelForCausalLM.from_pretrained(src, dtype="auto")
    model.eval()
    prefix, layers = decoder_layers(model)
    for i, layer in enumerate(layers):
        check_shapes(f"{prefix}.{i}", layer)

    texts = file_texts(options.calibration, tokenizer) if options.calibration else builtin_texts(tokenizer)
    cal_windows = windows(tokenizer, texts, options.samples, options.seq_len, options.seed)
    eval_windows = heldout(tokenizer, options.seq_len)[: options.heldout_windows]
    cal = capture_inputs(model, layers[0], cal_windows, options.batch, device)
    source_cal = list(cal) if options.source_target else []  # the source model's own calibration activations
    src_stream = capture_inputs(model, layers[0], eval_windows, options.batch, device)
    rtn_stream, gptq_stream = list(src_stream), list(src_stream)

    spec = QuantSpec(bits=options.bits, group_size=options.group_size, desc_act=options.desc_act,
                     act_group_aware=options.act_group_aware, damp=options.damp,
                     clip_search=options.clip_search, refit_scales=options.refit_scales)
    packed: dict[str, dict[str, Any]] = {}
    losses: list[LayerLoss] = []
    source_dtype = next(model.parameters()).dtype
    for index, layer in enumerate(layers):
        layer.to(device=device, dtype=torch.float32)
        modules = linears(layer)
        groups = _groups(layer, cal[0])
        original = {name: m.weight.data.clone() for name, m in modules.items()}
        rounded = {name: rtn(w, spec).dequantize().to(device) for name, w in original.items()}
        src_stream, _ = _run(layer, src_stream)
        # Each group's inputs in the source model, kept until the group is quantized (fp32, calibration
        # tokens x the input widths: 3 x hidden + intermediate on Llama).
        source_cal, source_inputs = _run(layer, source_cal, [modules[g[0]] for g in groups])
        for name, m in modules.items():
            m.weight.data = rounded[name]
        rtn_stream, _ = _run(layer, rtn_stream)
        for name, m in modules.items():
            m.weight.data = original[name].clone()
        # The layer's last Linear, if it writes the layer's output, is fitted to the source layer's output.
        writer = groups[-1][0] if options.source_target and len(groups[-1]) == 1 else None
        if writer is not None and not writes_layer_output(layer, modules[writer], cal[0]):
            writer = None
        for g, group in enumerate(groups):
            stats = _input_stats(layer, modules[group[0]], cal, source_inputs[g] if options.source_target else None,
                                 source_cal if group[0] == writer else None)
            source_inputs[g] = None
            # Linears sharing an input share H; GPTQ treats rows independently, so one pass over their
            # stacked rows gives each its own result with a third of the column loop's per-op overhead.
            stacked = torch.cat([original[name] for name in group])
            if options.source_target:
                stacked = source_target(stacked, stats)
            results = gptq(stacked, stats.h, spec).split([modules[name].out_features for name in group])
            del stacked
            for name, result in zip(group, results):
                dequant = result.dequantize().to(device)
                losses.append(LayerLoss(index, name, output_loss(original[name], dequant, stats),
                                        output_loss(original[name], rounded[name], stats), result.damp))
                modules[name].weight.data = dequant
                packed[f"{prefix}.{index}.{name}"] = pack(result)
            del stats
        cal, _ = _run(layer, cal)
        gptq_stream, _ = _run(layer, gptq_stream)
        layer.to(device="cpu", dtype=source_dtype)
        if progress:
            progress(index + 1, len(layers))
    nll = [_window_nll(model, s, eval_windows, options.batch, device) for s in (src_stream, rtn_stream)]
    norm_fit = None
    if options.source_target:  # after the source and RTN perplexities, which keep the source's final norm
        norm_fit = fit_final_norm(final_norm(model).to(device=device, dtype=torch.float32),
                                  model.get_output_embeddings().weight.data.to(device),
                                  [h for h, _ in cal], [h for h, _ in source_cal], source_dtype)
    nll.append(_window_nll(model, gptq_stream, eval_windows, options.batch, device))
    ppl = [_perplexity(n, eval_windows) for n in nll]

    source_manifest = default_path(src)
    source_digest = (read_manifest(source_manifest) if source_manifest.exists() else manifest_for_folder(src)).digest
    report = QuantizeReport(
        output=dst, ppl_source=ppl[0], ppl_rtn=ppl[1], ppl_gptq=ppl[2], losses=losses, final_norm=norm_fit,
        calibration_sha256=digest(cal_windows), source_digest=source_digest,
        options={k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()
                 if k not in ("device", "max_memory", "check")},
        quantized_modules=len(packed),
    )
    tmp = dst.with_name(f".{dst.name}.hubctl-tmp-{os.getpid()}")
    try:
        _save(model, src, tmp, packed, options, report)
        if options.check:
            with contextlib.redirect_stdout(sys.stderr):  # gptqmodel logs to stdout; --json owns it
                check = eval_windows[: CHECK_WINDOWS.get(device, len(eval_windows))]
                report.loaded_expected = _perplexity(nll[2][: len(check)], check)
                report.loaded_ppl, report.smoke = _check(tmp, check, report.loaded_expected, device)
                report.loaded_windows = len(check)
        tmp.rename(dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.seconds = time.monotonic() - started
    report.peak_memory_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return report


def _quantization_config(options: QuantizeOptions) -> dict:
    from hubctl.quantize.gptq import CLIP_NORM

    return {"bits": options.bits, "group_size": options.group_size, "desc_act": options.desc_act,
            "act_group_aware": options.act_group_aware and not options.desc_act, "sym": True,
            "lm_head": False, "quant_method": "gptq", "checkpoint_format": "gptq", "pack_dtype": "int32",
            "damp_percent": options.damp, "true_sequential": True, "static_groups": False,
            "meta": {"quantizer": [f"hubctl:{__version__}"], "mse": CLIP_NORM if options.clip_search else 0.0,
                     "scale_refit": options.refit_scales, "source_target": options.source_target}}


def _save(model: Any, src: Path, out: Path, packed: dict[str, dict], options: QuantizeOptions, report: QuantizeReport) -> None:
    """The standard gptq checkpoint, deterministic: same input and options, same bytes."""
    import torch
    from safetensors.torch import save_file

    from hubctl.integrity.localmanifest import manifest_for_folder
    from hubctl.integrity.manifest import default_path, write_manifest

    out.mkdir(parents=True)
    tensors: dict[str, Any] = {}
    head = model.get_output_embeddings()
    tied = head is not None and head.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    for name, value in model.state_dict().items():
        module = name.rsplit(".", 1)[0]
        if module in packed and name.endswith(".weight") or (tied and name == "lm_head.weight"):
            continue
        tensors[name] = value.to(torch.float16).contiguous() if value.is_floating_point() else value.contiguous()
    for module, parts in packed.items():
        for key, value in parts.items():
            tensors[f"{module}.{key}"] = value
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((src / "config.json").read_text())
    qconfig = _quantization_config(options)
    config.update(quantization_config=qconfig, dtype="float16")
    config.pop("torch_dtype", None)
    (out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (out / "quantize_config.json").write_text(json.dumps(qconfig, indent=2, sort_keys=True) + "\n")
    for path in sorted(src.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.name not in SKIP_FILES and not path.name.endswith(WEIGHT_SUFFIXES):
            shutil.copyfile(path, out / path.name)
    (out / "quant_report.json").write_text(json.dumps(report.quality(), indent=2, sort_keys=True) + "\n")
    manifest = manifest_for_folder(out)
    provenance = {"quantized_from": {"folder": src.name, "files_digest": report.source_digest},
                  "quantization": qconfig | {"samples": options.samples, "seq_len": options.seq_len, "seed": options.seed},
                  "calibration_sha256": report.calibration_sha256, "tool": f"hubctl {__version__}"}
    write_manifest(manifest._replace(provenance=provenance), default_path(out))


def model_perplexity(model: Any, windows: list[list[int]]) -> float:
    """Perplexity of a loaded causal LM on token windows, one window at a time (no padding to account for)."""
    import torch

    nll, count = 0.0, 0
    with torch.inference_mode():
        for w in windows:
            ids = torch.tensor([w], device=model.device)
            nll += float(model(input_ids=ids, labels=ids).loss) * (len(w) - 1)
            count += len(w) - 1
    return math.exp(nll / count)


def _check(folder: Path, eval_windows: list[list[int]], expected: float, device: str) -> tuple[float, dict]:
    """Load the output through transformers' own GPTQ integration (optimum + gptqmodel), check that it computes
    the model that was quantized (its perplexity on `eval_windows` within LOADED_TOLERANCE of `expected`, the
    in-process one on the same windows), and smoke-test it."""
    import importlib.util

    missing = [name for name in ("optimum", "gptqmodel") if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(
            f"checking the output needs optimum and gptqmodel ({', '.join(missing)} missing): "
            "pip install 'hubctl[gptq]', or pass --no-check to skip loading it back"
        )
    from hubctl.model.loading import LoadOptions, load
    from hubctl.model.smoke import DEFAULT_PROMPTS, SmokeFailure, run_smoke

    # bf16 activations on CPU (fp16 and fp32 through gptqmodel's CPU kernels were slower here), fp16 on CUDA.
    loaded = load(folder, LoadOptions(dtype="fp16" if device == "cuda" else "bf16", device=device, verify=False))
    try:
        ppl = model_perplexity(loaded.model, eval_windows)
        smoke = run_smoke(loaded, DEFAULT_PROMPTS[:1], (), 16, None)
    except (RuntimeError, ValueError, NotImplementedError) as err:
        raise SmokeFailure(f"the quantized model loads but fails to run through transformers + gptqmodel: {str(err).splitlines()[0][:300]}") from err
    if abs(ppl / expected - 1) > LOADED_TOLERANCE:
        raise SmokeFailure(
            f"the quantized model loads but computes something else: perplexity {ppl:.3f} through transformers + "
            f"gptqmodel, {expected:.3f} in hubctl on the same {len(eval_windows)} held-out windows"
        )
    if not smoke.ok:
        raise SmokeFailure(f"the quantized model loads but does not generate: {smoke.reason()}")
    return ppl, smoke.to_dict()

