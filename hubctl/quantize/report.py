"""What quantize measured: per-Linear losses, the three perplexities, the load-back check.

`quality()` is the deterministic part (written into the checkpoint, so the same input and options give the
same bytes); `to_dict()` adds what varies between runs (time, memory, the loaded check).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hubctl import __version__

if TYPE_CHECKING:
    from hubctl.quantize.finalnorm import FinalNormFit
    from hubctl.quantize.kernels import GroupChoice


@dataclass(frozen=True)
class LayerLoss:
    layer: int
    module: str
    gptq: float  # gptq.output_loss: output error against the source layer, on the calibration tokens
    rtn: float
    damp: float


@dataclass
class QuantizeReport:
    output: Path
    ppl_source: float
    ppl_rtn: float
    ppl_gptq: float
    losses: list[LayerLoss]
    calibration_sha256: str
    source_digest: str
    options: dict
    seconds: float = 0.0
    peak_memory_bytes: int = 0
    loaded_ppl: float | None = None  # through transformers + gptqmodel, on the first `loaded_windows` windows
    loaded_windows: int = 0
    loaded_expected: float | None = None  # hubctl's own GPTQ perplexity on those windows
    smoke: dict | None = None
    quantized_modules: int = 0
    final_norm: FinalNormFit | None = None  # the final norm refitted to the source's logits, if it was
    group: GroupChoice | None = None  # the group size, how it was chosen, and the kernels that refuse it

    def quality(self) -> dict:
        """The deterministic part, written to quant_report.json inside the checkpoint."""
        return {
            "perplexity": {"source": self.ppl_source, "rtn_int4": self.ppl_rtn, "gptq_int4": self.ppl_gptq},
            "perplexity_text": "hubctl built-in held-out text (never used for calibration)",
            "layers": [asdict(x) for x in self.losses],
            "final_norm_logit_error": asdict(self.final_norm) if self.final_norm else None,
            "calibration_sha256": self.calibration_sha256,
            "source_files_digest": self.source_digest,
            "options": self.options,
            "group_size": self.group.to_dict() if self.group else None,
            "tool": f"hubctl {__version__}",
        }

    def to_dict(self) -> dict:
        return {
            **self.quality(),
            "output": str(self.output),
            "seconds": round(self.seconds, 2),
            "peak_memory_bytes": self.peak_memory_bytes,
            "loaded_perplexity": self.loaded_ppl,
            "loaded_windows": self.loaded_windows,
            "loaded_expected_perplexity": self.loaded_expected,
            "smoke": self.smoke,
            "quantized_modules": self.quantized_modules,
        }
