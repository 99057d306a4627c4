"""GPTQ (Frantar et al., 2022) for one Linear, round-to-nearest for comparison, and the int4 "gptq" (v1)
checkpoint packing that transformers/gptqmodel, AutoGPTQ and vLLM load.

Per Linear (W is [out, in]; H = 2/N · XᵀX from the calibration inputs): dead columns zeroed, optional
a column order (act-order: all columns by descending diag H; or group-aware, GAR: groups by their largest
diag H, columns by diag H inside each group, so groups stay contiguous and the file keeps g_idx = i // group),
dampening, U = chol(H⁻¹) upper; then column by column inside
blocks of `group_size`: fit the group's scale on the error-updated weights at the group start, quantize,
push the error onto the remaining columns of the block, and apply the block's error to the rest lazily.

Quantizer (symmetric, as every loader accepts): scale = 2·s·max|w|/maxq, with the shrink s ≤ 1 chosen per row
and group by a clipping search (or s = 1), rounded to fp16 *before* use, so the stored fp16 scales reproduce
the fake-quantized weights bit for bit; zero = (maxq+1)/2. RTN uses the same quantizer.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterator

import torch

PACK = 8  # int4 values per int32 word


@dataclass(frozen=True)
class QuantSpec:
    bits: int = 4
    group_size: int = 128
    desc_act: bool = False
    act_group_aware: bool = True  # ignored with desc_act, which reorders every column
    damp: float = 0.01
    clip_search: bool = True

    @property
    def maxq(self) -> int:
        return 2**self.bits - 1


@dataclass
class Quantized:
    """q: [out, in] integers in the original column order; scales/zeros: [groups, out]; g_idx: [in]."""

    q: torch.Tensor
    scales: torch.Tensor
    zeros: torch.Tensor
    g_idx: torch.Tensor
    damp: float

    def split(self, rows: list[int]) -> list[Quantized]:
        """Per-Linear results of Linears quantized together: they share an input, so H, order and damp."""
        parts = zip(self.q.split(rows), self.scales.split(rows, dim=1), self.zeros.split(rows, dim=1))
        return [Quantized(q, s.contiguous(), z.contiguous(), self.g_idx.clone(), self.damp) for q, s, z in parts]

    def dequantize(self) -> torch.Tensor:
        idx = self.g_idx.long()
        return self.scales.float()[idx].T * (self.q.float() - self.zeros.float()[idx].T)


# GPTQ's reference clipping search (Frantar et al.'s quant.py, `mse=True`): try shrinking the group's range
# and keep the scale whose rounding error is smallest. Outliers then cost one clipped value instead of
# coarser steps for the whole group. The reference's 2.4-norm needs a generic pow(), 8x the cost of a cube on
# CPU (21 vs 2.4 ms per 16 candidates of a 1536x128 group), which made the search 40 % of quantize's time;
# the 2-norm (MSE) clips too much (SmolLM2: RTN perplexity 50.6 -> 61.9). The 3-norm is as cheap as the
# square and on SmolLM2 as good as 2.4 (GPTQ 41.1 vs 41.9, RTN 53.1 vs 56.2; source 32.0).
CLIP_NORM = 3
CLIP_SHRINK = tuple(s / 20 for s in range(20, 4, -1))  # 1.0, 0.95, ..., 0.25


def _fit(w: torch.Tensor, maxq: int, clip_search: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row symmetric scale (fp16-exact) and zero for a block of columns w [rows, cols]."""
    xmax = w.abs().amax(dim=1)
    xmax = torch.where(xmax == 0, torch.ones_like(xmax), xmax)
    zero = torch.full_like(xmax, (maxq + 1) // 2)
    shrink = torch.tensor(CLIP_SHRINK if clip_search else (1.0,), device=w.device)
    scales = (2 * shrink[:, None] * xmax[None, :] / maxq).half().float()  # [candidates, rows]
    scales = torch.where(scales == 0, torch.full_like(scales, 2.0**-24), scales)  # fp16 underflow guard
    if not clip_search:
        return scales[0], zero
    q = _round(w[None], scales[:, :, None], zero[None, :, None], maxq)
    err = (w[None] - scales[:, :, None] * (q - zero[None, :, None])).abs_().pow_(CLIP_NORM).sum(dim=2)
    best = err.argmin(dim=0)  # the first minimum: the least clipping among equals
    return scales.gather(0, best[None]).squeeze(0), zero


def _round(w: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor, maxq: int) -> torch.Tensor:
    return torch.clamp(torch.round(w / scale) + zero, 0, maxq)


def proxy_loss(w: torch.Tensor, w_hat: torch.Tensor, h: torch.Tensor) -> float:
    """The layer-wise objective GPTQ minimises: Σ_rows ΔW H ΔWᵀ, per row (same for GPTQ and RTN)."""
    delta = (w - w_hat).float()
    return float(((delta @ h) * delta).sum() / w.shape[0])


def rtn(w: torch.Tensor, spec: QuantSpec) -> Quantized:
    """Round-to-nearest with the same groups and quantizer: the baseline GPTQ must beat."""
    w = w.float()
    rows, cols = w.shape
    gs = spec.group_size if spec.group_size > 0 else cols
    q = torch.empty_like(w)
    scales, zeros = [], []
    for g0 in range(0, cols, gs):
        scale, zero = _fit(w[:, g0 : g0 + gs], spec.maxq, spec.clip_search)
        q[:, g0 : g0 + gs] = _round(w[:, g0 : g0 + gs], scale[:, None], zero[:, None], spec.maxq)
        scales.append(scale)
        zeros.append(zero)
    g_idx = torch.arange(cols, dtype=torch.int32) // gs
    return Quantized(q.to(torch.int32), torch.stack(scales).half(), torch.stack(zeros).to(torch.int32), g_idx, 0.0)


@contextlib.contextmanager
def _serial_on_cpu(device: torch.device) -> Iterator[None]:
    """One intra-op thread for GPTQ's column loop on CPU.

    The loop is thousands of small ops; OpenMP's fork/join per op costs more than the op itself. Measured
    on one 576x1536 Linear on a 2-core VM with a second busy process: 26.4 s with 2 threads, 0.42 s with 1.
    """
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def gptq(w: torch.Tensor, h: torch.Tensor, spec: QuantSpec) -> Quantized:
    """Quantize w [out, in] given the input Hessian h [in, in] (both fp32, same device)."""
    with _serial_on_cpu(w.device):
        return _gptq(w, h, spec)


def _gptq(w: torch.Tensor, h: torch.Tensor, spec: QuantSpec) -> Quantized:
    w = w.float().clone()
    h = h.float().clone()
    rows, cols = w.shape
    gs = spec.group_size if spec.group_size > 0 else cols
    dead = torch.diag(h) == 0
    h[dead, dead] = 1
    w[:, dead] = 0
    perm = processing_order(torch.diag(h), gs, spec)
    w, h = w[:, perm], h[perm][:, perm]
    u, damp = _inverse_cholesky(h, spec.damp)

    q = torch.zeros_like(w)
    n_groups = (cols + gs - 1) // gs
    scales = torch.zeros(n_groups, rows, dtype=torch.float32, device=w.device)
    zeros = torch.zeros(n_groups, rows, dtype=torch.float32, device=w.device)
    for i1 in range(0, cols, gs):  # blocks are groups: each group's scale sees the updated weights
        i2 = min(i1 + gs, cols)
        w1 = w[:, i1:i2].clone()
        u1 = u[i1:i2, i1:i2]
        err1 = torch.zeros_like(w1)
        scale, zero = _fit(w1, spec.maxq, spec.clip_search)
        group = i1 // gs if spec.desc_act else int(perm[i1]) // gs  # GAR blocks are whole original groups
        scales[group], zeros[group] = scale, zero
        for i in range(i2 - i1):
            col = w1[:, i]
            qcol = _round(col, scale, zero, spec.maxq)
            q[:, i1 + i] = qcol
            err = (col - scale * (qcol - zero)) / u1[i, i]
            w1[:, i:] -= err[:, None] * u1[i, i:][None, :]
            err1[:, i] = err
        w[:, i2:] -= err1 @ u[i1:i2, i2:]

    inverse = torch.argsort(perm)
    g_idx = torch.arange(cols, dtype=torch.int32, device=w.device) // gs
    if spec.desc_act:
        g_idx = g_idx[inverse]
    return Quantized(q[:, inverse].to(torch.int32).cpu(), scales.half().cpu(), zeros.to(torch.int32).cpu(), g_idx.cpu(), damp)


def processing_order(diag: torch.Tensor, gs: int, spec: QuantSpec) -> torch.Tensor:
    """The column permutation GPTQ walks: natural, act-order, or group-aware (GAR, Gafni et al. 2025).

    GAR quantizes the most activated columns first, as act-order does, but never splits a group, so each
    group still gets one scale fitted on its error-updated weights and the checkpoint stays in natural
    order (monotonic g_idx, which every loader and kernel accepts). A short last group stays last, so the
    blocks of `gs` columns stay aligned with groups. Sorts are stable, so the order is deterministic.
    """
    cols = diag.numel()
    if spec.desc_act:
        return torch.argsort(diag, descending=True, stable=True)
    if not spec.act_group_aware:
        return torch.arange(cols, device=diag.device)
    full = cols // gs * gs
    groups = diag[:full].view(-1, gs)
    local = torch.argsort(groups, dim=1, descending=True, stable=True)
    local += torch.arange(0, full, gs, device=diag.device)[:, None]
    order = torch.argsort(groups.max(dim=1).values, descending=True, stable=True)
    tail = full + torch.argsort(diag[full:], descending=True, stable=True)
    return torch.cat([local[order].reshape(-1), tail])


def _inverse_cholesky(h: torch.Tensor, damp: float) -> tuple[torch.Tensor, float]:
    """Upper Cholesky factor of H⁻¹ after dampening; more dampening if H is numerically singular."""
    mean_diag = float(torch.mean(torch.diag(h)))
    eye = torch.eye(h.shape[0], dtype=h.dtype, device=h.device)
    for attempt in range(6):
        percent = damp * (10**attempt)
        try:
            lower = torch.linalg.cholesky(h + percent * mean_diag * eye)
            return torch.linalg.cholesky(torch.cholesky_inverse(lower), upper=True), percent
        except RuntimeError:  # torch.linalg.LinAlgError subclasses RuntimeError
            continue
    raise RuntimeError("the calibration Hessian is not positive definite even with heavy dampening")


def _to_int32(words: torch.Tensor) -> torch.Tensor:
    """int64 holding 32-bit patterns -> int32 with the same bits (a top nibble >= 8 makes it negative)."""
    return (words - ((words >> 31) & 1) * (1 << 32)).to(torch.int32)


def pack(quantized: Quantized) -> dict[str, torch.Tensor]:
    """qweight [in/8, out], qzeros [groups, out/8] (stored as zero-1: the v1 convention), scales, g_idx."""
    q = quantized.q.T.to(torch.int64)  # [in, out]
    qweight = torch.zeros(q.shape[0] // PACK, q.shape[1], dtype=torch.int64)
    for j in range(PACK):
        qweight |= q[j::PACK, :] << (4 * j)
    z = quantized.zeros.to(torch.int64) - 1
    qzeros = torch.zeros(z.shape[0], z.shape[1] // PACK, dtype=torch.int64)
    for j in range(PACK):
        qzeros |= z[:, j::PACK] << (4 * j)
    return {
        "qweight": _to_int32(qweight),
        "qzeros": _to_int32(qzeros),
        "scales": quantized.scales.half().contiguous(),
        "g_idx": quantized.g_idx.to(torch.int32).contiguous(),
    }


def unpack(tensors: dict[str, torch.Tensor]) -> torch.Tensor:
    """The dequantized weight [out, in] from packed v1 tensors, written independently of `pack`."""
    words = tensors["qweight"].to(torch.int64) & 0xFFFFFFFF
    q = torch.stack([(words >> (4 * j)) & 0xF for j in range(PACK)], dim=1).reshape(-1, words.shape[1])
    zwords = tensors["qzeros"].to(torch.int64) & 0xFFFFFFFF
    zeros = torch.stack([(zwords >> (4 * j)) & 0xF for j in range(PACK)], dim=2).reshape(zwords.shape[0], -1) + 1
    idx = tensors["g_idx"].long()
    scales = tensors["scales"].float()
    return (scales[idx] * (q.float() - zeros[idx].float())).T
