"""GPTQ (Frantar et al., 2022) for one Linear, round-to-nearest for comparison, and the int4 "gptq" (v1)
checkpoint packing that transformers/gptqmodel, AutoGPTQ and vLLM load.

Per Linear (W is [out, in]; H = 2/N · XᵀX from the calibration inputs): dead columns zeroed, optional
a column order (act-order: all columns by descending diag H; or group-aware, GAR: groups by their largest
diag H, columns by diag H inside each group, so groups stay contiguous and the file keeps g_idx = i // group),
dampening, U = chol(H⁻¹) upper; then column by column inside
blocks of `group_size`: fit the group's scale on the error-updated weights at the group start, quantize,
push the error onto the remaining columns of the block, and apply the block's error to the rest lazily.
Then (unless turned off) each row's group scales are re-solved for the same objective, integers fixed.

Quantizer (symmetric, as every loader accepts): scale = 2·s·max|w|/maxq, with the shrink s ≤ 1 chosen per row
and group by a clipping search (or s = 1), rounded to fp16 *before* use, so the stored fp16 scales reproduce
the fake-quantized weights bit for bit; zero = (maxq+1)/2. RTN uses the same quantizer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

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
    refit_scales: bool = True

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
_FIT_ROWS = 128  # 16 candidates x 128 rows x 128 columns of fp32: 1 MiB of temporaries per chunk


def _fit(w: torch.Tensor, maxq: int, clip_search: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row symmetric scale (fp16-exact) and zero for a block of columns w [rows, cols]."""
    xmax = w.abs().amax(dim=1)
    xmax = torch.where(xmax == 0, torch.ones_like(xmax), xmax)
    half = (maxq + 1) // 2
    zero = torch.full_like(xmax, half)
    shrink = torch.tensor(CLIP_SHRINK if clip_search else (1.0,), device=w.device)
    scales = (2 * shrink[:, None] * xmax[None, :] / maxq).half().float()  # [candidates, rows]
    scales = torch.where(scales == 0, torch.full_like(scales, 2.0**-24), scales)  # fp16 underflow guard
    if not clip_search:
        return scales[0], zero
    # The error of every candidate, in row chunks whose temporaries stay in cache, computed in place;
    # round(w/s) clamped to [-half, maxq-half] is exactly _round's q - zero.
    err = torch.empty_like(scales)
    for r0 in range(0, w.shape[0], _FIT_ROWS):
        rows = w[r0 : r0 + _FIT_ROWS][None]
        s = scales[:, r0 : r0 + _FIT_ROWS, None]
        t = torch.div(rows, s)
        t.round_().clamp_(-half, maxq - half).mul_(s)
        torch.sub(rows, t, out=t)
        err[:, r0 : r0 + _FIT_ROWS] = t.abs_().pow_(CLIP_NORM).sum(dim=2)
    best = err.argmin(dim=0)  # the first minimum: the least clipping among equals
    return scales.gather(0, best[None]).squeeze(0), zero


def _round(w: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor, maxq: int) -> torch.Tensor:
    return torch.clamp(torch.round(w / scale) + zero, 0, maxq)


def proxy_loss(w: torch.Tensor, w_hat: torch.Tensor, h: torch.Tensor) -> float:
    """The layer-wise objective GPTQ minimises: Σ_rows ΔW H ΔWᵀ, per row (same for GPTQ and RTN)."""
    delta = (w - w_hat).float()
    return float(((delta @ h) * delta).sum() / w.shape[0])


class InputStats(NamedTuple):
    """Second moments of a Linear's calibration inputs, 2/N-scaled: h = X̃ᵀX̃ (the quantized model's inputs,
    GPTQ's Hessian), cross = XᵀX̃ and h_src = XᵀX (X: the source model's inputs for the same tokens).

    For a Linear that writes its decoder layer's output through the residual stream (Llama's down_proj),
    drift = X̃ᵀD and drift_sq = ‖D‖², D = Y - Ỹ: the source layer's output minus the quantized model's,
    with this Linear still unquantized. Then the Linear is fitted to the layer's output, not its own.
    """

    h: torch.Tensor
    cross: torch.Tensor
    h_src: torch.Tensor
    drift: torch.Tensor | None = None  # [in, out]
    drift_sq: float = 0.0


def output_loss(w: torch.Tensor, w_hat: torch.Tensor, stats: InputStats) -> float:
    """2/N · ‖X Wᵀ - X̃ Ŵᵀ‖² per row: how far the quantized layer, fed the quantized model's inputs X̃, lands
    from the source layer fed the source's inputs X. With X̃ = X it is `proxy_loss`. With a drift, the error
    of the decoder layer's output instead: 2/N · ‖D - X̃ (Ŵ - W)ᵀ‖². Expanded, so no token is needed again;
    in float64, as the terms nearly cancel."""
    w, w_hat, h = w.double(), w_hat.double(), stats.h.double()
    if stats.drift is not None:
        delta = w_hat - w
        total = stats.drift_sq - 2 * (delta.T * stats.drift.double()).sum() + ((delta @ h) * delta).sum()
        return float(total / w.shape[0])
    cross, h_src = stats.cross.double(), stats.h_src.double()
    total = ((w @ h_src) * w).sum() - 2 * ((w @ cross) * w_hat).sum() + ((w_hat @ h) * w_hat).sum()
    return float(total / w.shape[0])


# Ridge of the source-output target, in units of mean diag H. Measured on SmolLM2-135M, held-out perplexity
# (source 29.84) at 16x128 calibration: 0.01 -> 41.3 (the target overfits 2k tokens), 0.1 -> 37.3,
# 1 -> 36.1, 3 -> 35.7, 10 -> 36.6, no target 37.4; at 64x256 (the defaults): 1 -> 33.6, 3 -> 33.5, no target 38.4.
TARGET_RIDGE = 3.0


def source_target(w: torch.Tensor, stats: InputStats, ridge: float = TARGET_RIDGE) -> torch.Tensor:
    """The weights GPTQ should quantize so the layer reproduces the *source* model's output (GPTAQ's
    asymmetric calibration, Li et al. 2025), not its own output on already-perturbed inputs.

    ‖X Wᵀ - X̃ Ŵᵀ‖² = const + (Ŵ - W*) H (Ŵ - W*)ᵀ with W* = W XᵀX̃ (X̃ᵀX̃)⁻¹, so GPTQ on W* with H minimises
    the output error against the source exactly. W* is a regression on a few thousand tokens, so it is pulled
    towards W by a ridge λ (W* = W (C + λI)(H + λI)⁻¹): λ → ∞ gives W back, and X̃ = X gives W for any λ.

    With a drift (the Linear writes the layer's output), the target is the source *layer's* output:
    min ‖D - X̃ (Ŵ - W)ᵀ‖² + λ‖Ŵ - W‖² gives W*ᵀ = Wᵀ + (H + λI)⁻¹ X̃ᵀD. The Linear then also absorbs
    what the layer's other Linears and the earlier layers left in the residual stream.
    """
    h = stats.h.double()
    lam = ridge * float(torch.diag(h).mean())
    eye = torch.eye(h.shape[0], dtype=torch.float64, device=h.device)
    lower = torch.linalg.cholesky(h + lam * eye)
    if stats.drift is not None:
        return (w.double() + torch.cholesky_solve(stats.drift.double(), lower).T).float()
    # W*ᵀ = (H + λI)⁻¹ (C + λI)ᵀ Wᵀ
    return torch.cholesky_solve((stats.cross.double() + lam * eye).T @ w.double().T, lower).T.float()


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
        result = _gptq(w, h, spec)
    return refit_scales(w.float(), h.float(), result) if spec.refit_scales else result


def refit_scales(w: torch.Tensor, h: torch.Tensor, result: Quantized) -> Quantized:
    """Re-solve each row's group scales for GPTQ's own objective, the integers fixed; keep what lowers it.

    A group's scale is fitted when GPTQ reaches the group, before error feedback moves that group's later
    columns, so it fits weights that are not the ones finally rounded. With q fixed, a row's dequantized
    weights are linear in its G scales (ŵ = Σ_g s_g·d_g, d = q - zero on group g's columns), so
    min (w - ŵ) H (w - ŵ)ᵀ is a G×G solve per row: (Dᵀ H D) s = Dᵀ H w. The new scales are rounded to fp16
    (they must reproduce the stored checkpoint), a non-positive one keeps its old value, and a row keeps its
    old scales unless the new ones give it a lower loss.
    """
    device = w.device
    idx = result.g_idx.long().to(device)
    groups = result.scales.shape[0]
    d = result.q.to(device).float() - result.zeros.to(device).float()[idx].T  # [rows, in]
    onehot = torch.nn.functional.one_hot(idx, groups).float()  # [in, G]
    gram = torch.empty(d.shape[0], groups, groups, device=device)
    for g in range(groups):
        cols = idx == g
        gram[:, g] = ((d[:, cols] @ h[cols]) * d) @ onehot
    gram = gram.double()
    rhs = (((w @ h) * d) @ onehot).double()  # [rows, G]
    ridge = 1e-6 * gram.diagonal(dim1=1, dim2=2).mean(dim=1).clamp_min(1e-12)
    eye = torch.eye(groups, dtype=torch.float64, device=device)
    old = result.scales.to(device).T.double()  # [rows, G]
    new = torch.linalg.solve(gram + ridge[:, None, None] * eye, rhs).half().double()
    new = torch.where(new > 0, new, old)

    # loss(s) = wHwᵀ - 2 s·rhs + sᵀ gram s per row, so the change needs no second pass over H.
    def quad(s: torch.Tensor) -> torch.Tensor:
        return torch.einsum("rg,rgk,rk->r", s, gram, s)

    better = quad(new) - quad(old) - 2 * ((new - old) * rhs).sum(dim=1) < 0
    scales = torch.where(better[:, None], new, old).T.half().cpu()
    return Quantized(result.q, scales, result.zeros, result.g_idx, result.damp)


def _gptq(w: torch.Tensor, h: torch.Tensor, spec: QuantSpec) -> Quantized:
    """The column loop on Wᵀ: each column of W is a contiguous row of `wt`, and the update of the block's
    later columns is one rank-1 BLAS call (addr_), written into preallocated rows; 2.4-3.9x faster on CPU
    than slicing columns out of W with a dozen temporaries per column (3072x128 block: 13 vs 52 ms)."""
    h = h.float().clone()
    rows, cols = w.shape
    gs = spec.group_size if spec.group_size > 0 else cols
    dead = torch.diag(h) == 0
    h[dead, dead] = 1
    perm = processing_order(torch.diag(h), gs, spec)
    h = h[perm][:, perm]
    u, damp = _inverse_cholesky(h, spec.damp)
    wt = w.float().T[perm].contiguous()  # [in, out], in processing order
    wt[dead[perm]] = 0

    qt = torch.empty_like(wt)
    errs = torch.empty(gs, rows, dtype=torch.float32, device=w.device)
    n_groups = (cols + gs - 1) // gs
    scales = torch.zeros(n_groups, rows, dtype=torch.float32, device=w.device)
    zeros = torch.zeros(n_groups, rows, dtype=torch.float32, device=w.device)
    for i1 in range(0, cols, gs):  # blocks are groups: each group's scale sees the updated weights
        i2 = min(i1 + gs, cols)
        block, u1, err1 = wt[i1:i2], u[i1:i2, i1:i2], errs[: i2 - i1]
        pivots = torch.diagonal(u1).tolist()
        scale, zero = _fit(block.T, spec.maxq, spec.clip_search)
        group = i1 // gs if spec.desc_act else int(perm[i1]) // gs  # GAR blocks are whole original groups
        scales[group], zeros[group] = scale, zero
        for i in range(i2 - i1):
            col, qcol, err = block[i], qt[i1 + i], err1[i]
            torch.div(col, scale, out=qcol)  # = _round(col, scale, zero), in place
            qcol.round_().add_(zero).clamp_(0, spec.maxq)
            torch.sub(qcol, zero, out=err)
            err.mul_(scale)
            torch.sub(col, err, out=err)
            err.div_(pivots[i])
            if i + 1 < i2 - i1:
                block[i + 1 :].addr_(u1[i, i + 1 :], err, alpha=-1)
        if i2 < cols:
            wt[i2:].addmm_(u[i1:i2, i2:].T, err1, alpha=-1)

    inverse = torch.argsort(perm)
    g_idx = torch.arange(cols, dtype=torch.int32, device=w.device) // gs
    if spec.desc_act:
        g_idx = g_idx[inverse]
    q = qt[inverse].T.to(torch.int32).contiguous()
    return Quantized(q.cpu(), scales.half().cpu(), zeros.to(torch.int32).cpu(), g_idx.cpu(), damp)


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
