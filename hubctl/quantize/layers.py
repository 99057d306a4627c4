"""Stage 5 of quantize: one decoder layer at a time, upcast to fp32, its Linears quantized in call order.

Per layer: the held-out streams advance through the source and round-to-nearest weights; each group of Linears
sharing an input (q/k/v, then o, then gate/up, then down on Llama: true-sequential) gets its Hessian from the
calibration stream through the model quantized so far, its target from the source's inputs (gptq.source_target),
and is quantized by gptq.gptq; then the calibration and GPTQ held-out streams advance through the quantized
layer. Only this layer is ever in fp32, and the source's per-group inputs live only until their group is done.
"""

from __future__ import annotations

from typing import Any

from hubctl.quantize.activations import Streams, input_stats, run_layer
from hubctl.quantize.gptq import QuantSpec, gptq, output_loss, pack, rtn, source_target
from hubctl.quantize.options import QuantizeOptions
from hubctl.quantize.report import LayerLoss
from hubctl.quantize.structure import linear_groups, linears, writes_layer_output


def spec_of(options: QuantizeOptions) -> QuantSpec:
    return QuantSpec(
        bits=options.bits,
        group_size=options.group_size,
        desc_act=options.desc_act,
        act_group_aware=options.act_group_aware,
        damp=options.damp,
        clip_search=options.clip_search,
        refit_scales=options.refit_scales,
    )


def quantize_layer(
    index: int, layer: Any, streams: Streams, spec: QuantSpec, options: QuantizeOptions, device: str
) -> tuple[dict[str, dict[str, Any]], list[LayerLoss]]:
    """Quantize one decoder layer in place (fake-quant weights, fp32) and advance the streams through it; returns
    the packed tensors by module name and each Linear's losses. The layer is left in fp32 on `device`."""
    import torch

    layer.to(device=device, dtype=torch.float32)
    modules = linears(layer)
    groups = linear_groups(layer, streams.cal[0])
    original = {name: m.weight.data.clone() for name, m in modules.items()}
    rounded = {name: rtn(w, spec).dequantize().to(device) for name, w in original.items()}
    streams.source, _ = run_layer(layer, streams.source)
    # Each group's inputs in the source model, kept until the group is quantized (fp32, calibration
    # tokens x the input widths: 3 x hidden + intermediate on Llama).
    streams.source_cal, source_inputs = run_layer(layer, streams.source_cal, [modules[g[0]] for g in groups])
    for name, m in modules.items():
        m.weight.data = rounded[name]
    streams.rtn, _ = run_layer(layer, streams.rtn)
    for name, m in modules.items():
        m.weight.data = original[name].clone()
    # The layer's last Linear, if it writes the layer's output, is fitted to the source layer's output.
    writer = groups[-1][0] if options.source_target and len(groups[-1]) == 1 else None
    if writer is not None and not writes_layer_output(layer, modules[writer], streams.cal[0]):
        writer = None
    packed: dict[str, dict[str, Any]] = {}
    losses: list[LayerLoss] = []
    for g, group in enumerate(groups):
        stats = input_stats(
            layer,
            modules[group[0]],
            streams.cal,
            source_inputs[g] if options.source_target else None,
            streams.source_cal if group[0] == writer else None,
        )
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
            losses.append(
                LayerLoss(
                    index,
                    name,
                    output_loss(original[name], dequant, stats),
                    output_loss(original[name], rounded[name], stats),
                    result.damp,
                )
            )
            modules[name].weight.data = dequant
            packed[name] = pack(result)
        del stats
    streams.cal, _ = run_layer(layer, streams.cal)
    streams.gptq, _ = run_layer(layer, streams.gptq)
    return packed, losses
