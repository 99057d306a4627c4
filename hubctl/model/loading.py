"""Load a model folder for chat: verify it first, refuse code it would run without consent, pick device and dtype.

torch and transformers are imported here and only here (and in generation), so pull/verify start fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubctl.errors import IntegrityError, UsageError
from hubctl.integrity.manifest import default_path

DTYPES = {
    "bf16": "bfloat16",
    "bfloat16": "bfloat16",
    "fp16": "float16",
    "float16": "float16",
    "fp32": "float32",
    "float32": "float32",
}
FALLBACK_CONTEXT = 2048


class ModelLoadError(UsageError):
    """The folder is not a loadable model (no config, missing tokenizer, transformers refused it). Exit 2: the user
    named the wrong folder, as with `not a folder`; no hub lacks anything (3) and no disk failed (7)."""


@dataclass(frozen=True)
class LoadOptions:
    dtype: str = "bf16"
    device: str = "auto"  # auto | cpu | cuda
    trust_remote_code: bool = False
    verify: bool = True
    context: int | None = None  # override the model's context window (tests, small-memory runs)


@dataclass
class LoadedModel:
    folder: Path
    model: Any
    tokenizer: Any
    device: str
    dtype: str
    context: int
    load_seconds: float
    stop_ids: tuple[int, ...]

    @property
    def has_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))


def read_config(folder: Path) -> dict:
    if not folder.is_dir():
        raise UsageError(f"not a folder: {folder}")
    try:
        return json.loads((folder / "config.json").read_text())
    except FileNotFoundError:
        raise ModelLoadError(f"{folder} is not a model folder: no config.json") from None
    except (OSError, ValueError) as err:
        raise ModelLoadError(f"{folder}/config.json is unreadable: {err}") from err


def needs_remote_code(config: dict) -> bool:
    """True when the model's class lives in the folder's own Python files (InternLM, Yuan2 style)."""
    if not config.get("auto_map"):
        return False
    from transformers import CONFIG_MAPPING

    return config.get("model_type") not in CONFIG_MAPPING


def check_trust(folder: Path, config: dict, trust_remote_code: bool) -> None:
    if needs_remote_code(config) and not trust_remote_code:
        modules = sorted({str(v).split(".")[0] for v in config["auto_map"].values()})
        raise UsageError(
            f"{folder} needs its own Python code to load ({', '.join(m + '.py' for m in modules)}, model_type "
            f"{config.get('model_type')!r} is not built into transformers); that code runs with your permissions: "
            "read it, then rerun with --trust-remote-code"
        )


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA GPU is visible to torch (torch.cuda.is_available() is False)")
    if device not in ("cpu", "cuda"):
        raise UsageError(f"unknown --device {device!r}: use auto, cpu or cuda")
    return device


def verify_before_load(folder: Path) -> bool:
    """If the folder has a manifest, refuse to load unless it verifies; returns whether one was checked.

    Uses the stamps (--quick): a file unchanged since hubctl last hashed it is trusted, anything else is
    re-hashed, so a repeat chat of a large model starts in milliseconds.
    """
    if not default_path(folder).exists():
        return False
    from hubctl.integrity.verify import verify

    report = verify(folder, quick=True)
    if not report.ok:
        first = report.problems[0].describe()
        raise IntegrityError(
            f"refusing to load {folder}: it does not match its manifest ({first}); "
            "run `hubctl verify --repair`, or pass --no-verify to load it anyway"
        )
    return True


def context_window(config: dict, tokenizer: Any, override: int | None) -> int:
    """Tokens the model can attend to: the option, else the config, else a sane tokenizer limit."""
    if override:
        return override
    text = config.get("text_config") or config
    for key in ("max_position_embeddings", "n_positions", "seq_length", "max_sequence_length"):
        if isinstance(text.get(key), int) and text[key] > 0:
            return text[key]
    limit = getattr(tokenizer, "model_max_length", None)
    return limit if isinstance(limit, int) and 0 < limit < 10_000_000 else FALLBACK_CONTEXT


def eager_torch() -> None:
    """Turn torch.compile off for this process unless the user chose otherwise; call before importing torch.

    hubctl's own paths never compile, but gptqmodel wraps its CPU dequantization in torch.compile, which
    recompiles per shape: the int4 SmolLM2 smoke test took 52 s with it and 19 s without, on 2 cores.
    """
    os.environ.setdefault("TORCHDYNAMO_DISABLE", "1")


def quiet_libraries() -> None:
    """transformers' progress bars and info, and the warnings torchao's import triggers, off stderr:
    hubctl's errors must stay one line."""
    import logging

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    for name in ("torchao", "torch.utils._pytree"):
        logging.getLogger(name).setLevel(logging.ERROR)


def prepare_gptq(config: dict) -> None:
    """Before loading an int4 GPTQ checkpoint: gptqmodel refuses fewer than 2 CPU workers.

    Nothing else is set: the checkpoint loads as users load it, plain from_pretrained with gptqmodel's own kernel
    selection (the aten int4pack kernel on CPU, Marlin/ExLlama on CUDA), so what hubctl checks is what they get.
    quantize writes group sizes those kernels take (quantize/kernels.py).
    """
    quant = config.get("quantization_config") or {}
    if quant.get("quant_method") == "gptq":
        os.environ.setdefault("GPTQMODEL_CPU_WORKERS", str(max(2, os.cpu_count() or 2)))


def load(folder: Path, options: LoadOptions) -> LoadedModel:
    """Verify (unless told not to), then load tokenizer and model onto the chosen device."""
    config = read_config(folder)
    check_trust(folder, config, options.trust_remote_code)
    dtype_name = DTYPES.get(options.dtype.lower())
    if dtype_name is None:
        raise UsageError(f"unknown --dtype {options.dtype!r}: use bf16, fp16 or fp32")
    device = resolve_device(options.device)
    if options.verify:
        verify_before_load(folder)
    started = time.monotonic()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_libraries()
    prepare_gptq(config)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=options.trust_remote_code)
    except (OSError, ValueError, TypeError) as err:
        raise ModelLoadError(f"{folder}: cannot load the tokenizer ({_first_line(err)})") from err
    try:
        # gptqmodel logs to stdout, which must stay clean for --json; library UserWarnings would break
        # hubctl's one-line stderr.
        with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore", UserWarning)
            # device_map, as users load quantized checkpoints: gptqmodel picks its kernel for that device.
            model = AutoModelForCausalLM.from_pretrained(
                folder,
                dtype=getattr(torch, dtype_name),
                trust_remote_code=options.trust_remote_code,
                device_map=device,
            )
    except (OSError, ValueError, TypeError, RuntimeError, ImportError, NotImplementedError) as err:
        raise ModelLoadError(f"{folder}: cannot load the model ({_first_line(err)})") from err
    model.eval()
    stop = {getattr(tokenizer, "eos_token_id", None)}
    generation_eos = getattr(model.generation_config, "eos_token_id", None)
    stop.update(generation_eos if isinstance(generation_eos, list) else [generation_eos])
    return LoadedModel(
        folder=folder,
        model=model,
        tokenizer=tokenizer,
        device=device,
        dtype=dtype_name,
        context=context_window(config, tokenizer, options.context),
        load_seconds=time.monotonic() - started,
        stop_ids=tuple(sorted(i for i in stop if isinstance(i, int))),
    )


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:300] if text else type(err).__name__
