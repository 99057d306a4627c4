"""`hubctl quantize`: int4 GPTQ of a causal LM, memory-bounded, deterministic, checked by loading it back.

quantize() is a pipeline of named stages, each its own module: options (refused before anything is read),
preflight (folder, tokenizer, remote-code consent, RAM/VRAM and disk from the safetensors headers, the source's
manifest), structure (decoder stack, Linear groups in call order, found with hooks), kernels (the group size
every fast int4 kernel can load, checked on the Linears' shapes before quantizing), activations (the
calibration and held-out streams), layers
(one decoder layer at a time in fp32, gptq.py's algorithm on each group of Linears), evaluation (three
perplexities in one pass, the final norm refitted to the source's logits), checkpoint (the standard gptq
format, byte-identical across runs) and loadback (the output loaded through transformers + gptqmodel and
smoke-tested). The output folder appears only when complete and checked: it is written under a temporary
name and renamed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from hubctl.model.smoke import peak_rss
from hubctl.quantize.kernels import GroupChoice, Shape, choose_group_size
from hubctl.quantize.loadback import model_perplexity
from hubctl.quantize.options import QuantizeOptions, recorded, validate
from hubctl.quantize.preflight import UnsupportedModel, check_inputs, preflight
from hubctl.quantize.report import LayerLoss, QuantizeReport

# model_perplexity is re-exported for scripts/bench_quantize.py, which imports it from here.
__all__ = ["QuantizeOptions", "QuantizeReport", "UnsupportedModel", "model_perplexity", "preflight", "quantize"]


def _load_source(src: Path, options: QuantizeOptions) -> tuple[Any, Any, Any]:
    """Tokenizer, model (decoder layers still empty where source.LayerSource can fill them one at a time), source."""
    import torch
    from transformers import AutoTokenizer

    from hubctl.model.loading import quiet_libraries
    from hubctl.quantize.source import open_model

    quiet_libraries()
    torch.manual_seed(options.seed)
    # An explicit trust_remote_code, True or False: transformers never asks on the terminal.
    tokenizer = AutoTokenizer.from_pretrained(src, trust_remote_code=options.trust_remote_code)
    model, source = open_model(src, options.trust_remote_code)
    return model, tokenizer, source


def _windows(tokenizer: Any, options: QuantizeOptions) -> tuple[list[list[int]], list[list[int]]]:
    """The calibration windows (the user's file or the built-in set) and the held-out windows."""
    from hubctl.quantize.calibration import builtin_texts, file_texts, heldout, windows

    texts = file_texts(options.calibration, tokenizer) if options.calibration else builtin_texts(tokenizer)
    cal = windows(tokenizer, texts, options.samples, options.seq_len, options.seed)
    return cal, heldout(tokenizer, options.seq_len)[: options.heldout_windows]


def _group_size(prefix: str, layers: Any, options: QuantizeOptions) -> GroupChoice:
    """The group size every kernel in kernels.RULES can load, checked on the Linears that will be quantized."""
    from hubctl.quantize.structure import linears

    shapes = [
        Shape(f"{prefix}.{i}.{name}", lin.out_features, lin.in_features)
        for i, layer in enumerate(layers)
        for name, lin in linears(layer).items()
    ]
    return choose_group_size(shapes, options.group_size, options.allow_partial_groups)


def quantize(
    src: Path,
    dst: Path,
    options: QuantizeOptions,
    progress: Callable[[int, int], None] | None = None,
    notice: Callable[[str], None] | None = None,
) -> QuantizeReport:
    """Quantize src into dst (atomically: dst appears only when complete and checked). `notice` receives the
    decisions a user should see before the long part starts (the group size chosen)."""
    from hubctl.quantize.activations import capture_streams
    from hubctl.quantize.calibration import digest
    from hubctl.quantize.checkpoint import source_digest
    from hubctl.quantize.evaluation import evaluate, perplexity
    from hubctl.quantize.layers import quantize_layer, spec_of
    from hubctl.quantize.structure import check_shapes, decoder_layers

    started = time.monotonic()
    validate(options)
    device = check_inputs(src, dst, options)
    model, tokenizer, source = _load_source(src, options)
    prefix, layers = decoder_layers(model)
    for i, layer in enumerate(layers):
        check_shapes(f"{prefix}.{i}", layer)
    group = _group_size(prefix, layers, options)
    options = replace(options, group_size=group.group_size)
    if notice:
        notice(group.describe())
    cal_windows, eval_windows = _windows(tokenizer, options)
    streams = capture_streams(model, layers[0], cal_windows, eval_windows, options.batch, device, options.source_target)

    spec = spec_of(options)
    packed: dict[str, dict[str, Any]] = {}
    losses: list[LayerLoss] = []
    source_dtype = next(model.parameters()).dtype
    for index, layer in enumerate(layers):
        if source is not None:
            source.load_layer(index)
        layer_packed, layer_losses = quantize_layer(index, layer, streams, spec, options, device)
        packed.update({f"{prefix}.{index}.{name}": tensors for name, tensors in layer_packed.items()})
        losses += layer_losses
        layer.to(device="cpu", dtype=source_dtype)
        if source is not None:  # the packed tensors replace these weights in the checkpoint
            source.release(layer, list(layer_packed))
        if progress:
            progress(index + 1, len(layers))
    nll, norm_fit = evaluate(model, streams, eval_windows, options.batch, device, source_dtype, options.source_target)
    ppl = [perplexity(n, eval_windows) for n in nll]

    report = QuantizeReport(
        output=dst,
        ppl_source=ppl[0],
        ppl_rtn=ppl[1],
        ppl_gptq=ppl[2],
        losses=losses,
        final_norm=norm_fit,
        calibration_sha256=digest(cal_windows),
        source_digest=source_digest(src),
        options=recorded(options),
        quantized_modules=len(packed),
        group=group,
    )
    _write(model, src, dst, packed, options, report, (eval_windows, nll[2]), device)
    report.seconds = time.monotonic() - started
    report.peak_memory_bytes = peak_rss()
    return report


def _write(
    model: Any,
    src: Path,
    dst: Path,
    packed: dict[str, dict[str, Any]],
    options: QuantizeOptions,
    report: QuantizeReport,
    heldout: tuple[list[list[int]], list[float]],
    device: str,
) -> None:
    """The checkpoint under a temporary name, loaded back (unless --no-check), then renamed to dst."""
    from hubctl.quantize.checkpoint import save
    from hubctl.quantize.evaluation import perplexity
    from hubctl.quantize.loadback import CHECK_WINDOWS, check_loaded

    eval_windows, gptq_nll = heldout
    tmp = dst.with_name(f".{dst.name}.hubctl-tmp-{os.getpid()}")
    try:
        save(model, src, tmp, packed, options, report)
        if options.check:
            with contextlib.redirect_stdout(sys.stderr):  # gptqmodel logs to stdout; --json owns it
                check = eval_windows[: CHECK_WINDOWS.get(device, len(eval_windows))]
                report.loaded_expected = perplexity(gptq_nll[: len(check)], check)
                report.loaded_ppl, report.smoke = check_loaded(
                    tmp, check, report.loaded_expected, device, options.trust_remote_code
                )
                report.loaded_windows = len(check)
        tmp.rename(dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
