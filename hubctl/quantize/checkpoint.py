"""Stage 7 of quantize: the standard int4 gptq checkpoint, deterministic (same input and options, same bytes).

The packed Linears replace their weights in one model.safetensors (everything else in fp16), config.json gains
the quantization_config that transformers + gptqmodel load by, the source's other files (tokenizer, chat
template, licence) are copied, and the hubctl manifest records where it came from (the source's files digest,
the options, the calibration windows' digest), so `hubctl verify` proves every byte of the output.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from hubctl import __version__
from hubctl.quantize.options import QuantizeOptions
from hubctl.quantize.report import QuantizeReport

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt")
SKIP_FILES = {
    "config.json",
    "quantize_config.json",
    "quant_report.json",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
}


def source_digest(src: Path) -> str:
    """The source's files digest: from its manifest when it has one (pulled or `hubctl manifest`), else hashed now."""
    from hubctl.integrity.localmanifest import manifest_for_folder
    from hubctl.integrity.manifest import default_path, read_manifest

    path = default_path(src)
    return (read_manifest(path) if path.exists() else manifest_for_folder(src)).digest


def quantization_config(options: QuantizeOptions) -> dict:
    from hubctl.quantize.gptq import CLIP_NORM

    return {
        "bits": options.bits,
        "group_size": options.group_size,
        "desc_act": options.desc_act,
        "act_group_aware": options.act_group_aware and not options.desc_act,
        "sym": True,
        "lm_head": False,
        "quant_method": "gptq",
        "checkpoint_format": "gptq",
        "pack_dtype": "int32",
        "damp_percent": options.damp,
        "true_sequential": True,
        "static_groups": False,
        "meta": {
            "quantizer": [f"hubctl:{__version__}"],
            "mse": CLIP_NORM if options.clip_search else 0.0,
            "scale_refit": options.refit_scales,
            "source_target": options.source_target,
        },
    }


def save(
    model: Any, src: Path, out: Path, packed: dict[str, dict], options: QuantizeOptions, report: QuantizeReport
) -> None:
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
    qconfig = quantization_config(options)
    config.update(quantization_config=qconfig, dtype="float16")
    config.pop("torch_dtype", None)
    (out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (out / "quantize_config.json").write_text(json.dumps(qconfig, indent=2, sort_keys=True) + "\n")
    for path in sorted(src.iterdir()):
        if (
            path.is_file()
            and not path.name.startswith(".")
            and path.name not in SKIP_FILES
            and not path.name.endswith(WEIGHT_SUFFIXES)
        ):
            shutil.copyfile(path, out / path.name)
    (out / "quant_report.json").write_text(json.dumps(report.quality(), indent=2, sort_keys=True) + "\n")
    manifest = manifest_for_folder(out)
    provenance = {
        "quantized_from": {"folder": src.name, "files_digest": report.source_digest},
        "quantization": qconfig | {"samples": options.samples, "seq_len": options.seq_len, "seed": options.seed},
        "calibration_sha256": report.calibration_sha256,
        "tool": f"hubctl {__version__}",
    }
    if report.group is not None:
        provenance["group_size"] = report.group.to_dict()
    write_manifest(manifest._replace(provenance=provenance), default_path(out))
