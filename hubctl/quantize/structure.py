"""Stage 3 of quantize: the model's structure, found by looking, not by name.

The decoder stack is the largest ModuleList of identical blocks; the Linears inside a block are grouped by the
input tensor they share and ordered as the block calls them (hooks on one forward), and the Linear that writes
the block's output through the residual stream is found by probing. So Llama, Qwen2, InternLM2 and similar
need no per-model code, and an architecture this cannot describe is refused (UnsupportedModel, exit 2).
"""

from __future__ import annotations

from typing import Any

from hubctl.quantize.preflight import UnsupportedModel


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


def layer_output(result: Any) -> Any:
    """A decoder layer's output hidden states: some layers return a tuple (hidden, attention weights, ...)."""
    return result[0] if isinstance(result, tuple) else result


def linear_groups(layer: Any, sample: tuple[Any, dict]) -> list[list[str]]:
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
                results.append(layer_output(result))
    finally:
        module.weight.data = weight
        handle.remove()
    change, expected = results[0] - results[1], outputs[0] - outputs[1]
    return change.shape == expected.shape and torch.allclose(
        change, expected, rtol=1e-4, atol=1e-5 * float(expected.abs().max())
    )
