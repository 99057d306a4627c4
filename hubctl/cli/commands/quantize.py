"""`hubctl quantize`: int4 GPTQ of a causal LM, with perplexities and a load-back check of the output.

torch and transformers are imported when the command runs, never when the CLI starts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hubctl.cli.options import DeviceOpt, JsonOpt, QuietOpt

if TYPE_CHECKING:
    from hubctl.quantize.pipeline import QuantizeReport

app = typer.Typer()


@app.command()
def quantize(
    src: Annotated[Path, typer.Argument(help="Source model folder (safetensors).", show_default=False)],
    out: Annotated[
        Path, typer.Option(help="Output folder for the int4 GPTQ checkpoint (must not exist).", show_default=False)
    ],
    bits: Annotated[int, typer.Option(help="Bits per weight (4).")] = 4,
    group_size: Annotated[
        int | None,
        typer.Option(
            help="Columns sharing one scale (default: the largest of 128, 64, 32 leaving no partial group).",
            show_default=False,
        ),
    ] = None,
    allow_partial_groups: Annotated[
        bool,
        typer.Option(
            "--allow-partial-groups",
            help="Allow a group size that leaves partial groups (only the plain torch kernel loads them).",
        ),
    ] = False,
    trust_remote_code: Annotated[
        bool,
        typer.Option("--trust-remote-code", help="Allow the source folder's own Python code (InternLM, Yuan2...)."),
    ] = False,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Load the source without checking it against its manifest.")
    ] = False,
    desc_act: Annotated[
        bool,
        typer.Option(
            "--desc-act", help="Act-order: quantize columns by descending activation (writes a permuted g_idx)."
        ),
    ] = False,
    act_group_aware: Annotated[
        bool,
        typer.Option(
            "--act-group-aware/--natural-order",
            help="Group-aware act-order (GAR): the act-order gain in natural checkpoint order.",
        ),
    ] = True,
    damp: Annotated[
        float, typer.Option(min=0.0, help="Dampening, as a fraction of the Hessian's mean diagonal.")
    ] = 0.01,
    clip_search: Annotated[
        bool,
        typer.Option(
            "--clip-search/--no-clip-search",
            help="Per group, search the scale that clips outliers best (GPTQ's mse option).",
        ),
    ] = True,
    refit_scales: Annotated[
        bool,
        typer.Option(
            "--scale-refit/--no-scale-refit",
            help="After GPTQ, re-solve each row's group scales for the layer loss (integers kept).",
        ),
    ] = True,
    source_target: Annotated[
        bool,
        typer.Option(
            "--source-target/--no-source-target",
            help="Fit each layer to the source model's outputs, not to its own on already-quantized inputs (GPTAQ).",
        ),
    ] = True,
    samples: Annotated[int, typer.Option(min=1, help="Calibration windows.")] = 128,
    seq_len: Annotated[int, typer.Option(min=16, help="Tokens per calibration window.")] = 256,
    calibration: Annotated[
        Path | None,
        typer.Option(help="Your calibration text (.txt paragraphs, or .jsonl with text/messages).", show_default=False),
    ] = None,
    device: DeviceOpt = "auto",
    seed: Annotated[int, typer.Option(help="Seed for choosing calibration windows.")] = 0,
    max_memory: Annotated[
        float | None,
        typer.Option(help="GB of RAM (VRAM on CUDA) to plan for (default: what is free).", show_default=False),
    ] = None,
    no_check: Annotated[
        bool, typer.Option("--no-check", help="Do not load the output back through transformers + gptqmodel.")
    ] = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Quantize a causal LM to int4 GPTQ, report perplexity (source, RTN, GPTQ), and prove the output generates."""
    from hubctl.model.loading import eager_torch

    eager_torch()
    from hubctl.quantize.pipeline import QuantizeOptions
    from hubctl.quantize.pipeline import quantize as run

    options = QuantizeOptions(
        bits=bits,
        group_size=group_size,
        desc_act=desc_act,
        act_group_aware=act_group_aware,
        damp=damp,
        clip_search=clip_search,
        refit_scales=refit_scales,
        source_target=source_target,
        samples=samples,
        seq_len=seq_len,
        device=device,
        seed=seed,
        calibration=calibration,
        max_memory=int(max_memory * 1e9) if max_memory else None,
        check=not no_check,
        allow_partial_groups=allow_partial_groups,
        trust_remote_code=trust_remote_code,
        verify=not no_verify,
    )
    bar = None
    if not (quiet or as_json):
        from tqdm import tqdm

        bar = tqdm(total=1, unit="layer", desc="quantize", file=sys.stderr, disable=None)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    try:
        report = run(
            src, out, options, progress, None if quiet or as_json else lambda line: print(line, file=sys.stderr)
        )
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    elif not quiet:
        _print_report(report, src, out)


def _print_report(report: QuantizeReport, src: Path, out: Path) -> None:
    worse = sum(1 for x in report.losses if x.gptq > x.rtn)
    print(
        f"quantized {report.quantized_modules} linear layers of {src} to int4 g{report.group.group_size} "
        f"in {report.seconds:.1f} s "
        f"(peak memory {report.peak_memory_bytes / 1e9:.2f} GB) -> {out}"
    )
    print(
        f"perplexity on held-out text: source {report.ppl_source:.3f}, RTN int4 {report.ppl_rtn:.3f}, "
        f"GPTQ int4 {report.ppl_gptq:.3f}"
    )
    if report.loaded_ppl:
        print(
            f"loaded back through transformers + gptqmodel: perplexity {report.loaded_ppl:.3f} on the first "
            f"{report.loaded_windows} windows (hubctl: {report.loaded_expected:.3f})"
        )
    print(
        f"layer loss: GPTQ below RTN on {len(report.losses) - worse} of {len(report.losses)} linears; "
        f"report: {out / 'quant_report.json'}"
    )
    if report.final_norm:
        print(
            f"final norm refitted to the source's logits: logit error {report.final_norm.before:.4g} -> "
            f"{report.final_norm.after:.4g} per calibration token"
        )
    if report.smoke:
        replies = "; ".join(f"{p['prompt']!r} -> {p['reply'].strip()[:60]!r}" for p in report.smoke["prompts"])
        print(f"smoke test of the output: {replies}")
