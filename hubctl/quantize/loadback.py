"""Stage 8 of quantize: the output loaded back as users load it, and proven to compute the quantized model.

The checkpoint goes through transformers' own GPTQ integration (optimum + gptqmodel); its perplexity on the first
held-out windows must match hubctl's in-process figure for the same windows within LOADED_TOLERANCE, and it must
pass chat's smoke test. A checkpoint that loads but computes another model, or does not generate, is refused.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hubctl.errors import UsageError

# The load-back check scores the first windows of the held-out text through the int4 kernels users get: two on
# CPU (enough to catch a checkpoint that computes another model, and cheap on a small machine), all on CUDA.
CHECK_WINDOWS = {"cpu": 2}
LOADED_TOLERANCE = 0.03  # bf16 int4 kernels vs fp32 fake-quant: 0.1-0.2 % apart on SmolLM2


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


def check_loaded(
    folder: Path, eval_windows: list[list[int]], expected: float, device: str, trust_remote_code: bool = False
) -> tuple[float, dict]:
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
        raise SmokeFailure(
            "the quantized model loads but fails to run through transformers + gptqmodel: "
            f"{str(err).splitlines()[0][:300]}"
        ) from err
    if abs(ppl / expected - 1) > LOADED_TOLERANCE:
        raise SmokeFailure(
            f"the quantized model loads but computes something else: perplexity {ppl:.3f} through transformers + "
            f"gptqmodel, {expected:.3f} in hubctl on the same {len(eval_windows)} held-out windows"
        )
    if not smoke.ok:
        raise SmokeFailure(f"the quantized model loads but does not generate: {smoke.reason()}")
    return ppl, smoke.to_dict()
