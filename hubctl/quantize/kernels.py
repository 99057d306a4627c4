"""Which int4 kernels will take the output: shape rules checked before quantizing, and the group size chosen by them.

A GPTQ checkpoint is only as useful as the kernels that load it. Every fast kernel users load int4 GPTQ with needs
whole groups (the group size divides each quantized Linear's in_features) and a group size from a short list;
some add tile rules on in/out. Only gptqmodel's plain torch kernel (dequantize, then matmul) takes partial groups,
and it is the slow one. So the default group size is the largest standard one (128, 64, 32) that leaves no
partial group, an explicit size that leaves one needs --allow-partial-groups, and every refusal is named with
its numbers. Each rule cites its source; docs/quantize-compat.md is the table. Pure Python: no torch needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hubctl.errors import UsageError

STANDARD_GROUP_SIZES = (128, 64, 32)  # the sizes every fast kernel below accepts, largest (smallest file) first


@dataclass(frozen=True)
class KernelRule:
    name: str
    group_sizes: tuple[int, ...]  # accepted group sizes (per-channel -1 aside: hubctl always writes groups)
    in_multiple: int  # in_features must be a multiple of this
    out_multiple: int  # out_features must be a multiple of this
    whole_groups: bool  # the group size must divide in_features
    source: str


RULES = (
    KernelRule(
        "gptqmodel TorchAtenLinear (CPU default: aten _weight_int4pack_mm_for_cpu)",
        (16, 32, 64, 128),
        1,
        1,
        True,
        "gptqmodel 7.6.0 nn_modules/qlinear/torch_aten_kernel.py SUPPORTS_GROUP_SIZE; PyTorch's "
        "_weight_int4pack_mm_cpu: 'expect K to be divisible by qGroupSize'",
    ),
    KernelRule(
        "gptqmodel TorchFusedLinear (CPU/XPU int4pack)",
        (16, 32, 64, 128),
        1,
        1,
        True,
        "gptqmodel 7.6.0 nn_modules/qlinear/torch_fused.py SUPPORTS_GROUP_SIZE; same aten int4pack check",
    ),
    KernelRule(
        "ExLlama v2 (gptqmodel ExllamaV2Linear, CUDA)",
        (32, 64, 128),
        32,
        32,
        True,
        "gptqmodel 7.6.0 nn_modules/qlinear/exllamav2.py SUPPORTS_GROUP_SIZE, SUPPORTS_IN/OUT_FEATURES_DIVISIBLE_BY",
    ),
    KernelRule(
        "Marlin (vLLM/SGLang gptq_marlin)",
        (32, 64, 128),
        128,
        64,
        True,
        "vLLM model_executor/layers/quantization/utils/marlin_utils.py verify_marlin_supports_shape: "
        "MIN_THREAD_K=128, MIN_THREAD_N=64, group divides input_size; MARLIN_SUPPORTED_GROUP_SIZES",
    ),
    KernelRule(
        "gptqmodel TorchLinear (plain torch reference)",
        (16, 32, 64, 128, 256, 512, 1024),
        1,
        1,
        False,
        "gptqmodel 7.6.0 nn_modules/qlinear/torch.py SUPPORTS_GROUP_SIZE, IN/OUT_FEATURES_DIVISIBLE_BY=[1]",
    ),
)


@dataclass(frozen=True)
class Shape:
    name: str
    out_features: int
    in_features: int


def refusal(rule: KernelRule, shapes: Iterable[Shape], group_size: int) -> str | None:
    """Why the kernel refuses a checkpoint of these Linears at this group size (the first reason), or None."""
    if group_size not in rule.group_sizes:
        return f"group size {group_size} not in {list(rule.group_sizes)}"
    for s in shapes:
        if rule.whole_groups and s.in_features % group_size:
            return f"{s.name}: in_features {s.in_features} is not a multiple of the group size {group_size}"
        if s.in_features % rule.in_multiple:
            return f"{s.name}: in_features {s.in_features} is not a multiple of {rule.in_multiple}"
        if s.out_features % rule.out_multiple:
            return f"{s.name}: out_features {s.out_features} is not a multiple of {rule.out_multiple}"
    return None


def compatibility(shapes: list[Shape], group_size: int) -> dict[str, str | None]:
    """Each kernel's refusal (None: it takes the output)."""
    return {rule.name: refusal(rule, shapes, group_size) for rule in RULES}


def partial(shapes: Iterable[Shape], group_size: int) -> list[int]:
    """The distinct in_features that the group size leaves a partial last group in."""
    return sorted({s.in_features for s in shapes if s.in_features % group_size})


@dataclass(frozen=True)
class GroupChoice:
    group_size: int
    requested: int | None  # None: the default, chosen here
    partial_in_features: tuple[int, ...]  # where the last group is short (only with --allow-partial-groups)
    refused_by: dict[str, str]  # kernel -> why it will not load the output

    def describe(self) -> str:
        how = "requested" if self.requested is not None else "chosen"
        text = f"group size {self.group_size} ({how}"
        if self.requested is None and self.group_size != STANDARD_GROUP_SIZES[0] and not self.partial_in_features:
            text += f": {STANDARD_GROUP_SIZES[0]} leaves partial groups"
        if self.partial_in_features:
            text += f"; partial groups in in_features {', '.join(map(str, self.partial_in_features))}"
        return text + ")"

    def to_dict(self) -> dict:
        return {
            "group_size": self.group_size,
            "requested": self.requested,
            "partial_in_features": list(self.partial_in_features),
            "refused_by": self.refused_by,
        }


def choose_group_size(shapes: list[Shape], requested: int | None, allow_partial: bool) -> GroupChoice:
    """The group size to quantize with: `requested`, else the largest standard size without partial groups.

    Partial groups (only the plain torch kernel loads them) need `allow_partial`; without it the choice is a
    usage error that names the kernels that would refuse the output and the widths that leave the groups short.
    """
    if requested is None:
        fitting = [g for g in STANDARD_GROUP_SIZES if not partial(shapes, g)]
        if fitting:
            return _choice(shapes, fitting[0], None)
        group = STANDARD_GROUP_SIZES[0]
        if not allow_partial:
            widths = ", ".join(map(str, sorted({s.in_features for s in shapes})))
            raise UsageError(
                f"no standard group size ({', '.join(map(str, STANDARD_GROUP_SIZES))}) divides every quantized "
                f"Linear's in_features ({widths}): fast int4 kernels need whole groups; pass "
                f"--allow-partial-groups to quantize with group size {group} for the plain torch kernel only"
            )
        return _choice(shapes, group, None)
    choice = _choice(shapes, requested, requested)
    if choice.partial_in_features and not allow_partial:
        refused = "; ".join(choice.refused_by)
        raise UsageError(
            f"--group-size {requested} leaves partial groups (in_features "
            f"{', '.join(map(str, choice.partial_in_features))}), which these kernels refuse: {refused}; "
            f"omit --group-size to get the largest size that fits, or pass --allow-partial-groups"
        )
    return choice


def _choice(shapes: list[Shape], group_size: int, requested: int | None) -> GroupChoice:
    refused = {name: why for name, why in compatibility(shapes, group_size).items() if why}
    return GroupChoice(group_size, requested, tuple(partial(shapes, group_size)), refused)
