#!/usr/bin/env bash
# One short check of hubctl on a CUDA machine, written to one JSON file:
#   1. chat --smoke in bf16 on the SmolLM2 fixture: TTFT, decode tokens/s, peak GPU memory;
#   2. quantize --device cuda with the load-back check (plain from_pretrained, gptqmodel's own CUDA kernel);
#   3. scripts/bench_quantize.py --device cuda: hubctl against GPTQModel on the same calibration windows.
# Usage: bash scripts/gpu_check.sh [OUT.json]   (default .bench/gpu_check.json; work files in .bench/gpu_check/)
# Exits 2 with one line when torch sees no CUDA GPU (nothing is run); otherwise 0 when every step passed,
# 1 when one failed (the JSON says which, with the step's exit code and the tail of its stderr).
# Each step has a time limit (GPU_CHECK_STEP_TIMEOUT seconds, default 900), so the script always ends.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || PY=python3
OUT=${1:-$ROOT/.bench/gpu_check.json}
WORK=$ROOT/.bench/gpu_check
LIMIT=${GPU_CHECK_STEP_TIMEOUT:-900}
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}

if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    echo "gpu_check: no CUDA GPU visible to torch (torch.cuda.is_available() is False): nothing run" >&2
    exit 2
fi

FIXTURE=$("$PY" -c 'import sys; sys.path.insert(0, "scripts"); from build_smollm2 import build; print(build())') || {
    echo "gpu_check: cannot build the SmolLM2 fixture (scripts/build_smollm2.py)" >&2
    exit 1
}
rm -rf "$WORK" && mkdir -p "$WORK" "$(dirname "$OUT")"

# step NAME COMMAND...: runs it under the time limit, stdout to WORK/NAME.json, stderr to WORK/NAME.err.
step() {
    local name=$1
    shift
    echo "gpu_check: $name ..." >&2
    timeout "$LIMIT" "$@" >"$WORK/$name.json" 2>"$WORK/$name.err"
    echo $? >"$WORK/$name.rc"
}

step smoke "$PY" -m hubctl chat "$FIXTURE" --smoke --dtype bf16 --device cuda --json \
    --prompt "What is the capital of France?" --expect Paris --max-new-tokens 128
step quantize "$PY" -m hubctl quantize "$FIXTURE" --out "$WORK/int4" --device cuda --json
step bench_quantize "$PY" "$ROOT/scripts/bench_quantize.py" --device cuda --runs 1 --work "$WORK/bench" \
    --json "$WORK/bench_quantize.result.json"

"$PY" - "$WORK" "$OUT" <<'EOF'
"""Gather the three steps into one JSON: the numbers a reader needs, each step's exit code and stderr tail."""
import json
import platform
import subprocess
import sys
from pathlib import Path

import torch

work, out = Path(sys.argv[1]), Path(sys.argv[2])


def load(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def step(name, result_file=None):
    rc = int((work / f"{name}.rc").read_text())
    data = load(result_file or work / f"{name}.json")
    return {"exit_code": rc, "ok": rc == 0, "result": data,
            "stderr_tail": (work / f"{name}.err").read_text(errors="replace")[-2000:] if rc else ""}


smoke, quantize = step("smoke"), step("quantize")
bench = step("bench_quantize", work / "bench_quantize.result.json")
summary = {}
if smoke["result"]:
    (prompt,) = smoke["result"]["prompts"]
    summary["smoke"] = {"reply": prompt["reply"], "ttft_s": prompt["ttft_s"], "tokens_per_s": prompt["tokens_per_s"],
                        "peak_gpu_memory_bytes": smoke["result"]["peak_memory_bytes"]}
if quantize["result"]:
    q = quantize["result"]
    summary["quantize"] = {"seconds": q["seconds"], "group_size": q["group_size"], "perplexity": q["perplexity"],
                           "loaded_perplexity": q["loaded_perplexity"], "smoke_ok": (q["smoke"] or {}).get("ok")}
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
report = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda,
          "host": platform.node(), "commit": commit, "ok": smoke["ok"] and quantize["ok"] and bench["ok"],
          "summary": summary, "steps": {"smoke": smoke, "quantize": quantize, "bench_quantize": bench}}
out.write_text(json.dumps(report, indent=2) + "\n")
print(f"gpu_check: {'all steps passed' if report['ok'] else 'FAILED'}; results in {out}", file=sys.stderr)
sys.exit(0 if report["ok"] else 1)
EOF
