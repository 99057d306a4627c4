"""Stage 6 of quantize: the three held-out perplexities, and the final norm refitted to the source's logits.

The held-out streams leave the last decoder layer as final hidden states; the model's own final norm and output
embeddings turn them into next-token losses. Source and round-to-nearest are scored with the source's final norm
before it is refitted (finalnorm, fitted on the calibration streams only), GPTQ after, as the checkpoint holds it.
"""

from __future__ import annotations

import math
from typing import Any

from hubctl.quantize.activations import Stream, Streams
from hubctl.quantize.structure import final_norm


def evaluate(
    model: Any,
    streams: Streams,
    eval_windows: list[list[int]],
    batch: int,
    device: str,
    source_dtype: Any,
    refit_norm: bool,
) -> tuple[list[list[float]], Any]:
    """Per-window NLLs of the source, RTN and GPTQ streams, and the final-norm fit (None when not refitted)."""
    import torch

    from hubctl.quantize.finalnorm import fit_final_norm

    nll = [window_nll(model, s, eval_windows, batch, device) for s in (streams.source, streams.rtn)]
    norm_fit = None
    if refit_norm:  # after the source and RTN perplexities, which keep the source's final norm
        norm_fit = fit_final_norm(
            final_norm(model).to(device=device, dtype=torch.float32),
            model.get_output_embeddings().weight.data.to(device),
            [h for h, _ in streams.cal],
            [h for h, _ in streams.source_cal],
            source_dtype,
        )
    nll.append(window_nll(model, streams.gptq, eval_windows, batch, device))
    return nll, norm_fit


def window_nll(model: Any, stream: Stream, windows: list[list[int]], batch: int, device: str) -> list[float]:
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


def perplexity(nll: list[float], windows: list[list[int]]) -> float:
    return math.exp(sum(nll) / sum(len(w) - 1 for w in windows[: len(nll)]))
