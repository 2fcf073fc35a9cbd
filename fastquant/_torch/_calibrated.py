"""Torch twins of the calibrated int8/uint8 codec (SPEC 10; the host side is
:mod:`fastquant._calibrated`): ``quantize_embeddings(..., ranges=/calibration_embeddings=)``,
``dequantize(..., ranges=)`` and ``calibration_ranges``.

``ranges=`` (2 x D numbers) is validated and turned into starts and steps on the host, by the
host's own code (the ``ranges8_params`` kernel), then copied to the data's device; calibration
embeddings (n x D: data) are reduced to their per-dimension min and max on their own device,
and the checks of the (2, D) result read one pair of flags back.
"""

from __future__ import annotations

import torch

from .. import _calibrated as K
from .. import _threads
from . import _common as C

DTYPE = {"int8": torch.int8, "uint8": torch.uint8}


def _params_of_ranges(ranges, d: int, device: torch.device) -> tuple:
    """``(starts, steps)`` (each (d,) float32 on ``device``) from a caller's ``ranges``: the
    host's checks and messages, the host's float32 arithmetic (a (2, d) kernel call)."""
    params = C.param(K.params_of_ranges(ranges, d), (2, d), device)
    return params[0], params[1]


def _calibrate(embeddings, name: str, d=None, threads=None) -> tuple:
    """``(ranges, data)``: the (2, D) float32 per-dimension (min, max) of the rows of
    ``embeddings`` on their device (zeros as +0.0), checked as the host checks calibrated
    ranges (NaN, +-inf, a range overflowing float32: one flag pair read back)."""
    data = C.floats(embeddings, name)
    t = data.t
    K.check_calibration_shape(tuple(t.shape), name, d)
    _threads.count(threads, t.numel())
    lo, hi = torch.aminmax(t, dim=0)  # NaN propagates into both
    r = torch.stack((lo, hi)).add_(C.const(0.0, torch.float32, t.device))  # -0.0 + 0.0 = +0.0
    diff = torch.sub(r[1], r[0])
    nan, inf = torch.stack((torch.isnan(r).any(), ~torch.isfinite(diff).all())).tolist()
    if nan:
        raise ValueError(f"{name}: expected numbers without NaN, got NaN")
    if inf:  # the error path: the host builds the message from the (2, D) ranges
        K._bad_ranges(r.cpu().numpy(), K._INF, name)
    return r, data


def _params_of_calibrated(r: torch.Tensor, device: torch.device) -> tuple:
    """``(starts, steps)`` on ``device`` from checked ranges ``r``: ``steps = (max - min) /
    255`` (a true float32 division) with a zero step replaced by 1, as ``ranges8_params``."""
    r = r.to(device)
    steps = C.div(torch.sub(r[1], r[0]), C.const(255.0, torch.float32, device))
    steps = torch.where(steps == 0, C.const(1.0, torch.float32, device), steps)
    return r[0], steps


def calibration_ranges(embeddings, threads=None):
    """:func:`fastquant.calibration_ranges` with torch operations."""
    r, data = _calibrate(embeddings, "embeddings", threads=threads)
    return C.result(r, None, None, data, tuple(r.shape))


def encode(x, precision: str, ranges, calibration_embeddings, out, threads):
    """``quantize_embeddings(x, precision, ranges=..., calibration_embeddings=...)``:
    ``clip(floor((x - starts) / steps), 0, 255)``, minus 128 for int8, in float32."""
    K.check_encode_choice(precision, ranges, calibration_embeddings)
    data = C.floats(x, "x")
    t = data.t
    d = K._last_axis(t, "x")
    if ranges is not None:
        starts, steps = _params_of_ranges(ranges, d, t.device)
    else:
        r, _ = _calibrate(calibration_embeddings, "calibration_embeddings", d, threads)
        starts, steps = _params_of_calibrated(r, t.device)
    dtype = DTYPE[precision]
    dst = C.output(out, t.shape, dtype, data, (x,))
    _threads.count(threads, t.numel())
    if C.any_nan(t):
        raise ValueError("x: expected numbers without NaN (+-inf saturate), got NaN")
    if t.numel() == 0:
        return C.result(torch.empty(t.shape, dtype=dtype, device=t.device), dst, out, data, t.shape)
    v = torch.sub(t.reshape(-1, d), starts)  # a new buffer, then in place
    C.div(v, steps, out=v)
    torch.floor(v, out=v).clamp_(0, 255)  # +-inf saturate; no NaN is left (checked above)
    if precision == "int8":
        v.sub_(C.const(128.0, torch.float32, t.device))  # exact: integers in [0, 255]
    res = C.to_codes(v, dtype, None if dst is None else dst.view(v.shape))
    return C.result(res, dst, out, data, t.shape)


def decode(q, quant: str, orig_dim, ranges, out, threads):
    """``dequantize(q, quant, orig_dim, ranges=...)``: ``starts + (float32(q') + 0.5) *
    steps``, three float32 ops (``float32(q) + 128.5`` for int8 is ``float32(q + 128) + 0.5``:
    both exact)."""
    K.check_decode_choice(quant)
    from ..embeddings import _same_dim

    _, lo, hi = K.CODES[quant]
    data = C.integers(q, "q", lo, hi, DTYPE[quant])
    t = data.t
    d = K._last_axis(t, "q")
    _same_dim(orig_dim, t)
    starts, steps = _params_of_ranges(ranges, d, t.device)
    dst = C.output(out, t.shape, torch.float32, data, (q,))
    _threads.count(threads, t.numel())
    if t.numel() == 0:
        return C.result(torch.empty(t.shape, dtype=torch.float32, device=t.device), dst, out, data, t.shape)
    rows = t.reshape(-1, d)
    a, o = C.first_op(rows, None if dst is None else dst.view(rows.shape))
    half = 128.5 if quant == "int8" else 0.5
    centre = torch.add(a, C.const(half, torch.float32, t.device), out=o)
    res = centre.mul_(steps).add_(starts)  # (q' + 0.5) * steps, then + starts
    return C.result(res, dst, out, data, t.shape)
