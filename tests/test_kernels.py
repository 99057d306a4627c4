"""Kernel shape rules on synthetic shapes: the default group size leaves no partial group, an explicit one that
does is refused with the kernels named unless --allow-partial-groups, and each kernel's rule holds as cited."""

from __future__ import annotations

import pytest

from hubctl.errors import UsageError
from hubctl.quantize.kernels import (
    RULES,
    Shape,
    choose_group_size,
    compatibility,
    partial,
)

# SmolLM2-135M's quantized Linears: hidden 576, 3 KV heads of 64, intermediate 1536.
SMOLLM2 = [
    Shape("q_proj", 576, 576),
    Shape("k_proj", 192, 576),
    Shape("v_proj", 192, 576),
    Shape("o_proj", 576, 576),
    Shape("gate_proj", 1536, 576),
    Shape("up_proj", 1536, 576),
    Shape("down_proj", 576, 1536),
]
LLAMA_7B = [Shape("q_proj", 4096, 4096), Shape("gate_proj", 11008, 4096), Shape("down_proj", 4096, 11008)]
KERNEL = {rule.name.split(" (")[0]: rule.name for rule in RULES}


def test_the_default_is_the_largest_standard_size_without_partial_groups():
    assert choose_group_size(LLAMA_7B, None, False).group_size == 128
    smol = choose_group_size(SMOLLM2, None, False)
    assert smol.group_size == 64 and smol.requested is None and smol.partial_in_features == ()
    assert "64 (chosen: 128 leaves partial groups)" in smol.describe()
    odd = [Shape("a", 64, 96), Shape("b", 96, 64)]  # 96 = 3 x 32: neither 128 nor 64 divides it
    assert choose_group_size(odd, None, False).group_size == 32


def test_smollm2_at_g64_loads_in_the_cpu_kernels_and_marlin_names_its_tile_rule():
    refused = choose_group_size(SMOLLM2, None, False).refused_by
    assert KERNEL["gptqmodel TorchAtenLinear"] not in refused and KERNEL["ExLlama v2"] not in refused
    # Marlin's K tile is 128 whatever the group size: 576 is 4.5 of them (vLLM falls back to its gptq kernel)
    assert refused == {KERNEL["Marlin"]: "q_proj: in_features 576 is not a multiple of 128"}
    assert not choose_group_size(LLAMA_7B, None, False).refused_by


def test_an_explicit_size_with_partial_groups_is_refused_naming_the_kernels():
    with pytest.raises(UsageError) as err:
        choose_group_size(SMOLLM2, 128, False)
    text = str(err.value)
    assert "--group-size 128 leaves partial groups (in_features 576)" in text and "--allow-partial-groups" in text
    for kernel in ("TorchAtenLinear", "TorchFusedLinear", "ExLlama v2", "Marlin"):
        assert kernel in text
    assert "TorchLinear (plain torch" not in text  # the one kernel that takes partial groups is not named
    allowed = choose_group_size(SMOLLM2, 128, True)
    assert allowed.group_size == 128 and allowed.partial_in_features == (576,)
    assert set(allowed.refused_by) == {r.name for r in RULES if r.whole_groups}


def test_a_model_no_standard_size_fits_is_refused_with_numbers_unless_allowed():
    shapes = [Shape("a", 64, 200), Shape("b", 200, 64)]  # 200 = 8 x 25
    with pytest.raises(UsageError, match=r"no standard group size \(128, 64, 32\) divides .*\(64, 200\)"):
        choose_group_size(shapes, None, False)
    forced = choose_group_size(shapes, None, True)
    assert forced.group_size == 128 and forced.partial_in_features == (64, 200) and forced.requested is None


def test_an_explicit_size_that_fits_is_kept_and_unlisted_sizes_are_reported():
    assert choose_group_size(SMOLLM2, 32, False).group_size == 32
    g192 = choose_group_size(SMOLLM2, 192, False)  # divides 576 and 1536, but no fast kernel lists it
    assert g192.group_size == 192 and not g192.partial_in_features
    assert "group size 192 not in" in g192.refused_by[KERNEL["ExLlama v2"]]


@pytest.mark.parametrize(
    "shape, group, kernel, why",
    [
        (Shape("x", 4096, 4096), 128, "ExLlama v2", None),
        (Shape("x", 4096, 4064), 32, "ExLlama v2", None),
        (Shape("x", 4096, 4080), 16, "ExLlama v2", "group size 16 not in [32, 64, 128]"),
        (Shape("x", 4080, 4096), 32, "ExLlama v2", "x: out_features 4080 is not a multiple of 32"),
        (Shape("x", 4000, 4096), 64, "Marlin", "x: out_features 4000 is not a multiple of 64"),
        (Shape("x", 4096, 4032), 64, "Marlin", "x: in_features 4032 is not a multiple of 128"),
        (Shape("x", 4096, 4032), 64, "gptqmodel TorchAtenLinear", None),
        (
            Shape("x", 4096, 4008),
            32,
            "gptqmodel TorchAtenLinear",
            "x: in_features 4008 is not a multiple of the group size 32",
        ),
        (Shape("x", 40, 48), 32, "gptqmodel TorchLinear", None),  # partial groups, odd widths: the reference takes it
    ],
)
def test_each_kernels_rule(shape, group, kernel, why):
    assert compatibility([shape], group)[KERNEL[kernel]] == why


def test_every_rule_cites_its_source():
    assert all(rule.source and rule.group_sizes for rule in RULES)


def test_partial_lists_distinct_widths():
    assert partial(SMOLLM2, 128) == [576] and partial(SMOLLM2, 64) == [] and partial(LLAMA_7B, 128) == []
