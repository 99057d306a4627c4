"""Stage 4 of quantize: activations, and the streams that carry them from layer to layer.

Five streams of hidden states enter the first decoder layer and are advanced one layer at a time: the
calibration windows through the model quantized so far (GPTQ's Hessians), the same windows through the source
(the target each Linear is fitted to), and the held-out windows through the source, round-to-nearest and GPTQ
weights (all three perplexities in one pass, without a second model copy). Everything is fp32 on the working
device; a layer's inputs are captured with hooks, so no model code is patched.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from hubctl.quantize.structure import layer_output

Stream = list[tuple[Any, dict]]  # per batch: the hidden states entering the next layer, and the layer's kwargs


@dataclass
class Streams:
    cal: Stream  # calibration windows through the quantized model so far
    source_cal: Stream  # the same windows through the source (empty without --source-target)
    source: Stream  # held-out windows through the source weights
    rtn: Stream  # ... through round-to-nearest int4
    gptq: Stream  # ... through hubctl's int4


def capture_streams(
    model: Any,
    layer0: Any,
    cal_windows: list[list[int]],
    eval_windows: list[list[int]],
    batch: int,
    device: str,
    source_target: bool,
) -> Streams:
    cal = capture_inputs(model, layer0, cal_windows, batch, device)
    source_cal = list(cal) if source_target else []  # the source model's own calibration activations
    source = capture_inputs(model, layer0, eval_windows, batch, device)
    return Streams(cal, source_cal, source, list(source), list(source))


class _Captured(Exception):
    pass


def _to(value: Any, device: str, dtype: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.to(device=device, dtype=dtype if value.is_floating_point() else value.dtype)
    if isinstance(value, tuple):
        return tuple(_to(v, device, dtype) for v in value)
    return value


def capture_inputs(
    model: Any, layer0: Any, windows: list[list[int]], batch: int, device: str
) -> list[tuple[Any, dict]]:
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


def run_layer(
    layer: Any, stream: list[tuple[Any, dict]], capture: list[Any] = ()
) -> tuple[list[tuple[Any, dict]], list[list[Any]]]:
    """The stream through the layer, and each `capture` module's inputs per batch, as [tokens, in] fp32."""
    import torch

    inputs: list[list[Any]] = [[] for _ in capture]
    handles = [
        module.register_forward_pre_hook(
            lambda m, args, seen=seen: seen.append(args[0].reshape(-1, args[0].shape[-1]).float())
        )
        for module, seen in zip(capture, inputs)
    ]
    out = []
    try:
        with torch.inference_mode():
            for hidden, kw in stream:
                out.append((layer_output(layer(hidden, **kw)), kw))
    finally:
        for h in handles:
            h.remove()
    return out, inputs


def input_stats(
    layer: Any,
    module: Any,
    stream: list[tuple[Any, dict]],
    source_inputs: list[Any] | None,
    source_out: list[tuple[Any, dict]] | None = None,
) -> Any:
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
                    out = layer_output(layer(hidden, **kw))
                    drift = (source_out[b][0] - out).reshape(-1, out.shape[-1]).float()
                    add("drift", seen.pop("x").T @ drift)
                    add("drift_sq", (drift * drift).sum())
    finally:
        handle.remove()
    scaled = {k: v * (2.0 / max(1, seen["n"])) for k, v in sums.items()}
    h = scaled["h"]
    drift_sq = float(scaled["drift_sq"]) if "drift_sq" in scaled else 0.0
    return InputStats(h, scaled.get("cross", h), scaled.get("h_src", h), scaled.get("drift"), drift_sq)
