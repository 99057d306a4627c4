"""The source model with one decoder layer's weights in memory at a time: peak RSS flat in the model's depth.

The model is built with empty (meta) parameters; buffers such as rotary frequencies are computed as usual. The
weights outside the decoder stack (embeddings, final norm, head) are read from the safetensors files at once;
a decoder layer's weights are read (memory-mapped, in the checkpoint's dtype) just before it is quantized, and
its quantized Linears' weights are dropped back to meta right after, since the packed int4 tensors replace them
in the checkpoint. Norms and biases stay: they are small and go into the checkpoint as they are.

The same tensors in the same dtype reach the same modules as through from_pretrained, so the output bytes do not
change. When the checkpoint's tensor names are not the model's parameter names (architectures transformers
renames on load) or accelerate is missing, the whole model is loaded instead: correct, not depth-flat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# safetensors dtype names -> torch dtype attribute names
DTYPES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64"}


def tensor_files(folder: Path) -> dict[str, Path]:
    """Each tensor's name -> the safetensors file holding it (from the headers: no weights read)."""
    from hubctl.quantize.preflight import safetensors_header

    files: dict[str, Path] = {}
    for path in sorted(folder.glob("*.safetensors")):
        for name in safetensors_header(path):
            if name != "__metadata__":
                files[name] = path
    return files


def _checkpoint_dtype(folder: Path, config: Any) -> Any:
    """The dtype from_pretrained(dtype="auto") loads in: the config's, else the first floating tensor's."""
    import torch

    dtype = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None)
    if isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, str) and isinstance(getattr(torch, dtype, None), torch.dtype):
        return getattr(torch, dtype)
    from hubctl.quantize.preflight import safetensors_header

    for path in sorted(folder.glob("*.safetensors")):
        for name, info in safetensors_header(path).items():
            if name != "__metadata__" and info.get("dtype") in DTYPES:
                return getattr(torch, DTYPES[info["dtype"]])
    return torch.float32


class LayerSource:
    """Reads a model's parameters from its safetensors files on demand."""

    def __init__(self, folder: Path, model: Any, prefix: str) -> None:
        self.files = tensor_files(folder)
        self.model = model
        self.prefix = prefix

    def _set(self, name: str) -> None:
        import torch
        from safetensors import safe_open

        module_name, _, leaf = name.rpartition(".")
        module = self.model.get_submodule(module_name)
        with safe_open(str(self.files[name]), framework="pt") as f:
            tensor = f.get_tensor(name)
        old = module._parameters.get(leaf)
        if old is not None:
            dtype = old.dtype if tensor.is_floating_point() else tensor.dtype
            module._parameters[leaf] = torch.nn.Parameter(tensor.to(dtype), requires_grad=False)
        else:
            module._buffers[leaf] = tensor

    def _meta_names(self, under: str) -> list[str]:
        return [
            name
            for name, p in self.model.named_parameters(remove_duplicate=False)
            if p.is_meta and (name.startswith(under) if under else True)
        ]

    def load_outside_layers(self) -> None:
        """Embeddings, final norm, head: every parameter not in the decoder stack; ties the head again."""
        stack = f"{self.prefix}."
        for name in self._meta_names(""):
            if not name.startswith(stack) and name in self.files:
                self._set(name)
        self.model.tie_weights()

    def load_layer(self, index: int) -> None:
        for name in self._meta_names(f"{self.prefix}.{index}."):
            self._set(name)

    def release(self, layer: Any, names: list[str]) -> None:
        """Drop the named Linears' weights (quantized: the packed tensors replace them) back to meta."""
        import torch

        for name in names:
            module = layer.get_submodule(name)
            weight = module.weight
            module._parameters["weight"] = torch.nn.Parameter(
                torch.empty_like(weight, device="meta"), requires_grad=False
            )

    def covers(self) -> bool:
        """Whether every parameter the model has is a tensor of the checkpoint, under the same name (a head tied
        to the embeddings, as the config says, is not in the checkpoint)."""
        self.model.tie_weights()
        names = {name for name, _ in self.model.named_parameters(remove_duplicate=True)}
        return all(name in self.files for name in names if not self._tied_head(name))

    def _tied_head(self, name: str) -> bool:
        head = self.model.get_output_embeddings()
        embed = self.model.get_input_embeddings()
        return (
            head is not None
            and head.weight is embed.weight
            and name.endswith(".weight")
            and self.model.get_submodule(name.rpartition(".")[0]) is head
        )


def empty_model(folder: Path, trust_remote_code: bool) -> Any:
    """The model with meta parameters and real buffers, in the dtype from_pretrained(dtype="auto") would use."""
    from accelerate import init_empty_weights
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(folder, trust_remote_code=trust_remote_code)
    with init_empty_weights(include_buffers=False):
        model = AutoModelForCausalLM.from_config(
            config, dtype=_checkpoint_dtype(folder, config), trust_remote_code=trust_remote_code
        )
    return model


def open_model(folder: Path, trust_remote_code: bool) -> tuple[Any, LayerSource | None]:
    """The source model, and the LayerSource that fills its decoder layers one at a time (None: all loaded)."""
    import importlib.util

    from hubctl.quantize.structure import decoder_layers

    if importlib.util.find_spec("accelerate") is not None:
        model = empty_model(folder, trust_remote_code)
        source = LayerSource(folder, model, decoder_layers(model)[0])
        if source.covers():
            source.load_outside_layers()
            model.eval()
            return model, source
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, dtype="auto", trust_remote_code=trust_remote_code)
    model.eval()
    return model, None
