#!/usr/bin/env python3
"""Benchmark `hubctl quantize` against GPTQModel 7.6.0 on the same model and the same calibration windows.

Each tool runs as its own process (wall time and peak RSS from wait4), `--runs` times, alternating; the
medians are compared. Quality is measured afterwards by one evaluator for every output: perplexity on
hubctl's held-out text (never used for calibration; windows of --seq-len tokens), in fp32, of each checkpoint's exact
weights (its int4 tensors unpacked into the source architecture) and of the source itself, so "within 10%
of the source" compares like with like. gptqmodel's CPU kernel needs ~20 s per window here (an hour for
three models), so loading as users load it (transformers + optimum + gptqmodel, bf16) is a cross-check on
the first few windows, printed beside the dense number for the same windows.

Both tools quantize at the same --group-size (default 128, the size GPTQModel's users pick; hubctl is told
`--allow-partial-groups` where the model's widths need it, as its own default would choose a smaller size).
GPTQModel runs with the configuration the issue names, QuantizeConfig(bits=4, group_size=N, sym=True,
desc_act=False), plus offload_to_disk=False (its default writes a random temp path into the configs), and
its own defaults otherwise (damp 0.05, act_group_aware=True, CPU dtype auto). hubctl runs with its
defaults and `--no-check`: the load-back check is what this script does for both. hubctl's time still
includes its built-in report (source and round-to-nearest perplexity streams), which GPTQModel does not do.

    .venv/bin/python scripts/bench_quantize.py --device cpu --samples 16 --seq-len 128 --runs 3 [--doc FILE | --no-doc]

The table, with date, commit and machine, replaces the `quantize` section of docs/benchmarks.md (scripts/benchdoc.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import benchdoc  # scripts/benchdoc.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
CHECK_WINDOWS = 3
sys.path.insert(0, str(ROOT))


def peak_rss_of(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, str]:
    """Wall seconds, this child's own peak RSS (wait4, not the max over all children) and its stdout.

    cwd is the work folder: GPTQModel writes its gptq_log_*.log files into the current directory.
    """
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            sys.exit(
                f"{' '.join(cmd[:5])}... failed (exit {proc.returncode}):\n"
                f"{err.read().decode(errors='replace')[-3000:]}"
            )
        return seconds, usage.ru_maxrss * 1024, out.read().decode()


def calibration(model: Path, samples: int, seq_len: int) -> tuple[list[list[int]], list[list[int]], str]:
    """hubctl's own calibration windows (seed 0) and held-out windows, and the windows' digest."""
    from transformers import AutoTokenizer

    from hubctl.quantize.calibration import builtin_texts, digest, heldout, windows

    tokenizer = AutoTokenizer.from_pretrained(model)
    cal = windows(tokenizer, builtin_texts(tokenizer), samples, seq_len, 0)
    return cal, heldout(tokenizer, seq_len), digest(cal)


def gptqmodel_worker(src: str, out: str, windows_file: str, device: str, group_size: str = "128") -> None:
    """Runs in a child: GPTQModel quantizes src with the given windows and saves to out."""
    from gptqmodel import GPTQModel, QuantizeConfig

    windows = json.loads(Path(windows_file).read_text())
    qc = QuantizeConfig(bits=4, group_size=int(group_size), sym=True, desc_act=False, offload_to_disk=False)
    model = GPTQModel.load(src, qc, device=device)
    model.quantize([{"input_ids": w, "attention_mask": [1] * len(w)} for w in windows], batch_size=1)
    model.save(out)


def dense_model(checkpoint: Path, source: Path):
    """The checkpoint's exact weights in fp32: every int4 Linear unpacked by hubctl's independent unpacker
    (gptq.unpack, which the tests prove equal to what transformers + gptqmodel load), the other tensors as
    stored, in the source's architecture. Strict: a key that does not fit fails the benchmark."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from hubctl.quantize.gptq import unpack

    stored: dict = {}
    for path in sorted(checkpoint.glob("*.safetensors")):
        stored.update(load_file(path))
    state = {}
    for name, tensor in stored.items():
        if name.endswith(".qweight"):
            prefix = name[: -len(".qweight")]
            state[f"{prefix}.weight"] = unpack(
                {k: stored[f"{prefix}.{k}"] for k in ("qweight", "qzeros", "scales", "g_idx")}
            )
        elif not name.endswith((".qzeros", ".scales", ".g_idx")):
            state[name] = tensor.float()
    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = {"lm_head.weight"} if model.config.tie_word_embeddings else set()
    if unexpected or set(missing) - tied:
        sys.exit(
            f"{checkpoint}: does not fit {source.name}: missing {sorted(set(missing) - tied)[:5]}, "
            f"unexpected {unexpected[:5]}"
        )
    model.tie_weights()
    return model.eval()


def loaded_perplexity(folder: Path, heldout: list[list[int]], device: str) -> float:
    """Perplexity of a checkpoint loaded as users load it (hubctl's loader: transformers, GPTQ via gptqmodel)."""
    from hubctl.model.loading import LoadOptions, load
    from hubctl.quantize.pipeline import model_perplexity

    loaded = load(folder, LoadOptions(dtype="fp16" if device == "cuda" else "bf16", device=device, verify=False))
    return model_perplexity(loaded.model, heldout)


LABELS = {
    "source": "source (its own weights)",
    "hubctl": "hubctl quantize",
    "gptqmodel": "GPTQModel",
    "hubctl_rtn_in_process": "round-to-nearest int4 (hubctl's in-process report: its own held-out windows)",
}


def doc_table(result: dict) -> str:
    """Per tool: its runs, median time and peak RSS, and the one evaluator's perplexity against the source's."""
    ppl, source = result["perplexity_fp32"], result["perplexity_fp32"]["source"]
    rows = []
    for name, label in LABELS.items():
        runs = result["seconds"].get(name)
        timing = (
            [
                ", ".join(f"{x:.1f}" for x in runs),
                f"{result['median_seconds'][name]:.1f}",
                f"{result['median_peak_rss_gb'][name]:.2f} GB",
            ]
            if runs
            else ["", "", ""]
        )
        ratio = f"{ppl[name] / source:.3f}" if name != "hubctl_rtn_in_process" else ""
        rows.append([label, *timing, f"{ppl[name]:.2f}", ratio])
    return benchdoc.table(["tool", "runs (s)", "median s", "peak RSS", "perplexity", "× source"], rows)


def doc_notes(result: dict) -> list[str]:
    """Speed-up, the loaded cross-check, the calibration and the versions."""
    cross = result[f"perplexity_first_{CHECK_WINDOWS}_windows_loaded_vs_dense"]
    versions = {}
    for dist in ("torch", "transformers", "gptqmodel"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "missing"
    return [
        f"hubctl / GPTQModel: **{result['speedup_hubctl_vs_gptqmodel']:.2f}x faster** (medians), perplexity "
        f"{result['hubctl_gptq_over_source']:.3f}x the source against {result['gptqmodel_over_source']:.3f}x. "
        f"Loaded as users load it (transformers + optimum + gptqmodel, bf16), first {CHECK_WINDOWS} windows: "
        + "; ".join(f"{n} {c['loaded']:.2f} (dense {c['dense_fp32']:.2f})" for n, c in cross.items())
        + ".",
        f"{result['model']} on {result['device']}; {result['samples']} calibration windows of {result['seq_len']} "
        f"tokens (sha256 {result['calibration_sha256'][:12]}…, the same for both tools); perplexity on "
        f"{result['heldout_tokens']:,} held-out tokens, fp32; {result['runs']} runs per tool, alternating. "
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / ".fixtures/smollm2-135m-instruct")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--group-size", type=int, default=128, help="both tools quantize at this group size")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=ROOT / ".bench/quantize")
    parser.add_argument("--json", type=Path, help="also write the results here")
    benchdoc.add_arguments(parser)
    args = parser.parse_args()
    args.model, args.work = args.model.resolve(), args.work.resolve()

    args.work.mkdir(parents=True, exist_ok=True)
    cal, heldout, cal_digest = calibration(args.model, args.samples, args.seq_len)
    windows_file = args.work / "windows.json"
    windows_file.write_text(json.dumps(cal))
    env = {**os.environ, "GPTQMODEL_CPU_WORKERS": str(max(2, os.cpu_count() or 2)), "PYTHONUNBUFFERED": "1"}
    if args.device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    tools = {
        "hubctl": lambda out: [
            sys.executable,
            "-m",
            "hubctl",
            "quantize",
            str(args.model),
            "--out",
            str(out),
            "--samples",
            str(args.samples),
            "--seq-len",
            str(args.seq_len),
            "--device",
            args.device,
            "--group-size",
            str(args.group_size),
            "--allow-partial-groups",
            "--no-check",
            "--json",
        ],
        "gptqmodel": lambda out: [
            sys.executable,
            __file__,
            "--_gptqmodel",
            str(args.model),
            str(out),
            str(windows_file),
            args.device,
            str(args.group_size),
        ],
    }
    runs: dict[str, list[tuple[float, int]]] = {name: [] for name in tools}
    report = None
    for i in range(args.runs):
        for name, command in tools.items():
            out = args.work / f"{name}-{i}"
            shutil.rmtree(out, ignore_errors=True)
            seconds, peak, stdout = peak_rss_of(command(out), env, args.work)
            runs[name].append((seconds, peak))
            print(f"run {i + 1}/{args.runs} {name}: {seconds:.1f} s, peak RSS {peak / 1e9:.2f} GB", flush=True)
            if name == "hubctl":
                report = json.loads(stdout)
                if report["calibration_sha256"] != cal_digest:
                    sys.exit("hubctl used different calibration windows than GPTQModel: the comparison is void")

    from transformers import AutoModelForCausalLM

    from hubctl.quantize.pipeline import model_perplexity

    ppl = {
        "source": model_perplexity(
            AutoModelForCausalLM.from_pretrained(args.model, dtype="float32").eval().to(args.device), heldout
        )
    }
    for name in tools:
        ppl[name] = model_perplexity(dense_model(args.work / f"{name}-0", args.model).to(args.device), heldout)
    ppl["hubctl_rtn_in_process"] = report["perplexity"]["rtn_int4"]
    print(f"perplexity (fp32, {len(heldout)} windows): {ppl}", flush=True)
    # The cross-check: on the first CHECK_WINDOWS windows, each checkpoint as users load it (gptqmodel's CPU
    # kernel takes ~20 s per window here, so not all 90) against its dense evaluation.
    check = heldout[:CHECK_WINDOWS]
    cross = {
        name: {
            "loaded": round(loaded_perplexity(args.work / f"{name}-0", check, args.device), 3),
            "dense_fp32": round(
                model_perplexity(dense_model(args.work / f"{name}-0", args.model).to(args.device), check), 3
            ),
        }
        for name in tools
    }
    med = {name: (statistics.median(s for s, _ in r), statistics.median(p for _, p in r)) for name, r in runs.items()}
    result = {
        "device": args.device,
        "model": args.model.name,
        "samples": args.samples,
        "seq_len": args.seq_len,
        "runs": args.runs,
        "heldout_tokens": sum(len(w) for w in heldout),
        "calibration_sha256": cal_digest,
        "seconds": {k: [round(s, 2) for s, _ in v] for k, v in runs.items()},
        "median_seconds": {k: round(v[0], 2) for k, v in med.items()},
        "median_peak_rss_gb": {k: round(v[1] / 1e9, 3) for k, v in med.items()},
        "perplexity_fp32": {k: round(v, 3) for k, v in ppl.items()},
        f"perplexity_first_{CHECK_WINDOWS}_windows_loaded_vs_dense": cross,
        "speedup_hubctl_vs_gptqmodel": round(med["gptqmodel"][0] / med["hubctl"][0], 2),
        "hubctl_gptq_over_source": round(ppl["hubctl"] / ppl["source"], 3),
        "gptqmodel_over_source": round(ppl["gptqmodel"] / ppl["source"], 3),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    benchdoc.publish(args, "quantize", doc_table(result), doc_notes(result))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--_gptqmodel":
        gptqmodel_worker(*sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
