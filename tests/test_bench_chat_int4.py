"""scripts/bench_chat.py's int4 mode: what it records (kernel, quantization), how it reports the target, and that it
reuses an existing int4 output instead of quantizing again. The timed run itself is a benchmark, not a test."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load():
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))  # bench_chat imports benchdoc from beside itself
    spec = importlib.util.spec_from_file_location("bench_chat", ROOT / "scripts" / "bench_chat.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench_chat = _load()


class FakeModel:
    def __init__(self, modules):
        self._modules = modules

    def modules(self):
        return iter(self._modules)


class Int4Linear:
    qweight = None


def test_kernel_classes_counts_only_int4_linears():
    model = FakeModel([object(), Int4Linear(), Int4Linear(), SimpleNamespace(weight=1)])
    assert bench_chat.kernel_classes(model) == {f"{__name__}.Int4Linear": 2}
    assert bench_chat.kernel_classes(FakeModel([object()])) == {}


def test_quant_config_reads_the_checkpoint(tmp_path):
    quant = {"quant_method": "gptq", "bits": 4, "group_size": 64, "sym": True, "desc_act": False, "damp": 0.01}
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama", "quantization_config": quant}))
    got = bench_chat.quant_config(tmp_path)
    assert got == {"quant_method": "gptq", "bits": 4, "group_size": 64, "sym": True, "desc_act": False}
    assert bench_chat.int4_weights(got) == "int4 GPTQ g64, sym, desc_act off"
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    assert bench_chat.quant_config(tmp_path) == {}


def _report(source_rate: float, int4_rate: float) -> dict:
    def row(side: str, rate: float) -> dict:
        median = {"ttft_s": 0.05, "tokens_per_s": rate, "tokens": 128, "first_text_s": None, "other_cpu_s": 0.0}
        return {"side": side, "label": bench_chat.LABELS[side], "dtype": "bf16", "device": "cpu", "median": median,
                "redone": 0, "noisy_kept": 0, "runs": []}  # fmt: skip

    rate = int4_rate / source_rate
    return {
        "machine": {"cpu_capability": "AVX2", "torch_threads": 2, "gpu": None, "versions": {"torch": "2"}},
        "int4": "/x/int4",
        "int4_made_by": None,
        "prompt": "p",
        "max_new_tokens": 128,
        "runs": 7,
        "results": [
            {
                "dtype": "bf16",
                "device": "cpu",
                "int4_kernels": {"gptqmodel.TorchAtenLinear": 210},
                "quantization": {"quant_method": "gptq", "bits": 4, "group_size": 64},
                "rows": [row("source", source_rate), row("int4", int4_rate)],
                "ratios": {"ttft": 1.2, "tokens_per_s": rate, "met": rate >= bench_chat.INT4_RATE_TARGET},
            }
        ],
    }


@pytest.mark.parametrize(("int4_rate", "verdict"), [(75.0, "met"), (40.0, "NOT met")])
def test_doc_reports_ratio_target_and_kernel(int4_rate, verdict):
    report = _report(50.0, int4_rate)
    table = bench_chat.int4_table(report)
    assert "| int4 GPTQ, hubctl load() | int4 GPTQ g64 | bf16 | cpu | 0.050 | " + f"{int4_rate:.2f}" in table
    notes = " ".join(bench_chat.int4_notes(report))
    assert f"**{int4_rate / 50.0:.2f}** (target ≥ 1.0: {verdict})" in notes
    assert "`gptqmodel.TorchAtenLinear` × 210" in notes


def test_int4_folder_reuses_an_existing_output(tmp_path, monkeypatch):
    out = tmp_path / "int4"
    out.mkdir()
    (out / "config.json").write_text("{}")
    monkeypatch.setattr(bench_chat, "INT4_OUT", out)

    def no_quantize(*args, **kwargs):
        raise AssertionError("quantized again although an output exists")

    monkeypatch.setattr(bench_chat.subprocess, "run", no_quantize)
    assert bench_chat.int4_folder(SimpleNamespace(int4=None), tmp_path / "src") == out
    given = tmp_path / "given"
    assert bench_chat.int4_folder(SimpleNamespace(int4=given), tmp_path / "src") == given


def test_int4_folder_quantizes_once_with_the_documented_command(tmp_path, monkeypatch):
    out = tmp_path / "my int4"
    monkeypatch.setattr(bench_chat, "INT4_OUT", out)
    calls = []
    monkeypatch.setattr(
        bench_chat.subprocess, "run", lambda argv, timeout: calls.append(argv) or SimpleNamespace(returncode=0)
    )
    assert bench_chat.int4_folder(SimpleNamespace(int4=None), Path("/m/src")) == out
    assert calls == [[sys.executable, "-m", "hubctl", "quantize", "/m/src", "--out", str(out), "--samples", "16",
                      "--seq-len", "128", "--no-check"]]  # fmt: skip
    monkeypatch.setattr(bench_chat.subprocess, "run", lambda argv, timeout: SimpleNamespace(returncode=2))
    with pytest.raises(SystemExit, match="exited 2"):
        bench_chat.int4_folder(SimpleNamespace(int4=None), Path("/m/src"))


def test_int4_mode_defaults_to_bf16_and_excludes_both_sources(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["bench_chat.py", "--quantize", "--no-doc"])
    assert bench_chat.parse_args().dtype == ["bf16"]
    monkeypatch.setattr(sys, "argv", ["bench_chat.py", "--no-doc"])
    assert bench_chat.parse_args().dtype == ["fp32", "bf16"]
    monkeypatch.setattr(sys, "argv", ["bench_chat.py", "--quantize", "--int4", "x"])
    with pytest.raises(SystemExit):
        bench_chat.parse_args()
    assert "not allowed with" in capsys.readouterr().err
