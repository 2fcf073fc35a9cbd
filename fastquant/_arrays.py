"""Input coercion and output kind, shared by every codec.

Validate at the edge, trust inside: the public functions call these helpers once, and the
kernels then receive C-contiguous, native-endian arrays of the exact dtype they expect.
torch is never imported here; a tensor is recognised only when the caller already imported
torch, and is answered with a tensor on the same device.
"""

from __future__ import annotations

import math
import operator
import struct
import sys

import numpy as np

try:  # compiled with the kernels; the checks below are complete without it
    from ._kernels._quickcheck import out_fits as _out_fits
except ImportError:  # pragma: no cover - the pure NumPy build
    _out_fits = None

#: Float outputs written into a caller's ``out=`` of at least this many bytes use streaming
#: (non-temporal) stores; smaller ones, and new arrays (whose pages are hot in cache), do not.
#: Tests lower it to reach the streaming path with small arrays.
STREAM_MIN_BYTES = 8 << 20

#: Zero points are kept to this range so that ``code - zero_point`` never overflows int32.
ZERO_POINT_LIMIT = 2**30


_F32 = struct.Struct("=f")
_FLOAT32 = np.dtype(np.float32)


def f32(x: float) -> float:
    """``x`` rounded to float32 (as a Python float), +-inf when it overflows; no NumPy call.

    Exact emulation of float32 arithmetic: a +, -, * or / of float32 values done in float64
    and then rounded once to float32 gives the correctly rounded float32 result (53 >= 2 * 24
    + 2 bits), so ``f32(a - b)`` equals ``np.float32(a) - np.float32(b)``.
    """
    try:
        return _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _short(x, limit: int = 100) -> str:
    """``repr(x)`` cut to ``limit`` characters, for error messages; never raises (an int
    beyond Python's int-to-str digit limit has no repr)."""
    try:
        text = repr(x)
    except ValueError:
        return f"an int of {x.bit_length()} bits" if isinstance(x, int) else f"a {type(x).__name__}"
    return text if len(text) <= limit else text[:limit] + "..."


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of dtype {x.dtype} and shape {x.shape}"
    return f"{type(x).__name__} {_short(x)}"[:120]


def describe_given(given, arr: np.ndarray) -> str:
    """What the caller passed as ``given``, which became ``arr``: an array (or tensor) by its
    dtype and shape, anything else (a dict, a list of strings) by its type and value first,
    since "an array of dtype object and shape ()" would not tell them what went wrong."""
    if isinstance(given, np.ndarray) or _torch_device(given) is not None:
        return _describe(arr)
    return f"{_describe(given)} (as an array: dtype {arr.dtype}, shape {arr.shape})"


def _torch_device(x):
    """The device of ``x`` if it is a torch tensor, else None (torch is never imported)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return x.device
    return None


def to_numpy(x, name: str, want_float: bool = False):
    """``(array, device)``: ``x`` as an ndarray, and its torch device or None.

    ``want_float`` converts torch floating tensors that NumPy cannot hold (bfloat16, float8)
    to float32 inside torch first; their values are exactly representable in float32.
    """
    device = _torch_device(x)
    if device is not None:
        torch = sys.modules["torch"]
        t = x.detach()
        if t.dtype.is_complex:
            raise TypeError(f"{name}: expected a real tensor, got dtype {t.dtype}")
        if t.is_floating_point() and t.dtype not in (torch.float16, torch.float32, torch.float64):
            t = t.to(torch.float32)
        if t.dtype == torch.bool:
            raise TypeError(f"{name}: expected numbers, got a bool tensor")
        try:
            return t.cpu().numpy(), device
        except (TypeError, RuntimeError, NotImplementedError) as exc:
            # sparse, quantized and meta tensors (and dtypes NumPy lacks) have no array view
            raise TypeError(
                f"{name}: expected a dense tensor NumPy can hold, got {t.layout}/{t.dtype} on {t.device} ({exc})"
            ) from None
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name}: expected an array-like of numbers, got {_describe(x)}")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name}: expected an array-like of numbers, got {_describe(x)} ({exc})") from None
    return arr, None


def wrap(result: np.ndarray, device):
    """Give ``result`` back in the caller's kind: a tensor on ``device``, or the array."""
    if device is None:
        return result
    torch = sys.modules["torch"]
    t = torch.from_numpy(result)
    return t if device.type == "cpu" else t.to(device)


def contiguous(arr, dtype=None) -> np.ndarray:
    """``arr`` as a C-contiguous, aligned, native-endian ndarray (of ``dtype`` if given): what
    every kernel reads through raw pointers. Copies only when it must; a view of a byte buffer
    at an odd address is copied (C may not read a float or an int16 there)."""
    arr = np.asarray(arr, dtype=dtype, order="C")
    return arr if arr.flags.aligned else arr.copy()


def floats(x, name: str):
    """``(float32 C-contiguous array, device)`` for a quantizer input.

    Accepts any real numeric input (floats of any width, integers); rejects bool, complex,
    strings and objects with ``TypeError``.
    """
    if type(x) is np.ndarray and x.dtype is _FLOAT32:
        flags = x.flags
        if flags.c_contiguous and flags.aligned:
            return x, None  # the common case, without a copy or any further look
    arr, device = to_numpy(x, name, want_float=True)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected real numbers (float or integer), got {describe_given(x, arr)}")
    if arr.dtype == np.float32:  # the common case: no cast, at most a copy to C order
        return contiguous(arr), device
    # float64 beyond float32's range becomes +-inf, as SPEC's "float32 first" says; that is
    # data, not an accident worth a RuntimeWarning (the quantizer decides what inf means); a
    # signalling NaN becomes a quiet one ("invalid"): data too (decoders pass NaN through)
    with np.errstate(over="ignore", invalid="ignore"):
        return contiguous(arr, np.float32), device


def integers(x, name: str, lo: int, hi: int, dtype):
    """``(C-contiguous array of dtype, device)`` for integer codes that must lie in [lo, hi].

    Arrays already of ``dtype`` pass through unchecked: the kernels check their range in the
    same pass that reads them. Any other integer dtype is range-checked here, then converted.
    Floats (and bool, complex, objects) are a ``TypeError``.
    """
    if type(x) is np.ndarray and x.dtype is dtype:
        flags = x.flags
        if flags.c_contiguous and flags.aligned:
            return x, None  # the common case (``dtype`` given as a np.dtype instance)
    arr, device = to_numpy(x, name)
    dtype = np.dtype(dtype)
    if arr.size == 0 and arr.dtype == np.float64 and not isinstance(x, np.ndarray) and device is None:
        arr = arr.astype(dtype)  # NumPy reads an empty list as float64; it holds no wrong codes
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer codes in [{lo}, {hi}], got {describe_given(x, arr)}")
    if arr.dtype != dtype:
        check_range(arr, name, lo, hi)
        arr = arr.astype(dtype, order="C")
    else:
        arr = contiguous(arr)
    return arr, device


def check_range(arr: np.ndarray, name: str, lo: int, hi: int) -> None:
    """``ValueError`` naming ``name`` unless every element of ``arr`` lies in [lo, hi]."""
    if arr.size == 0:
        return
    amin, amax = int(arr.min()), int(arr.max())
    if amin < lo or amax > hi:
        bad = amin if amin < lo else amax
        raise ValueError(f"{name}: expected codes in [{lo}, {hi}], got {bad}")


def scale_f32(scale, name: str = "scale") -> float:
    """The scale as the float32 the kernels use; it must be finite and > 0 after rounding."""
    if type(scale) is float:  # the common case, without NumPy's errstate machinery
        value = f32(scale)
        if value > 0.0 and value != math.inf:
            return value
        raise ValueError(f"{name}: expected a finite float > 0 (as float32), got {scale!r}")
    if isinstance(scale, (bool, np.bool_, str, bytes)):
        raise ValueError(f"{name}: expected a finite float > 0, got {_short(scale)}")
    try:
        # a 0-d tensor may be bfloat16, which NumPy lacks: convert it as an input would be
        given = to_numpy(scale, name, want_float=True)[0] if _torch_device(scale) is not None else scale
        with np.errstate(over="ignore"):
            value = float(np.float32(given))
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a finite float > 0, got {_describe(scale)}") from None
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name}: expected a finite float > 0 (as float32), got {_short(scale)}")
    return value


def zero_point_int(zero_point, name: str = "zero_point") -> int:
    """The zero point as a Python int; integers only (no floats, no bools), |z| <= 2**30."""
    if type(zero_point) is int and -ZERO_POINT_LIMIT <= zero_point <= ZERO_POINT_LIMIT:
        return zero_point
    if isinstance(zero_point, (bool, np.bool_)):
        raise ValueError(f"{name}: expected an integer, got {_short(zero_point)}")
    try:
        value = operator.index(zero_point)
    except TypeError:
        raise ValueError(f"{name}: expected an integer, got {_describe(zero_point)}") from None
    if not -ZERO_POINT_LIMIT <= value <= ZERO_POINT_LIMIT:
        raise ValueError(f"{name}: expected an integer in [-2**30, 2**30], got {_short(value)}")
    return value


def choice(value, name: str, options: tuple) -> str:
    """``value`` if it is one of the strings ``options``, else ``ValueError`` naming ``name``."""
    if not (isinstance(value, str) and value in options):
        raise ValueError(f"{name}: expected one of {options}, got {_describe(value)}")
    return value


def check_out(out, shape: tuple, dtype, inputs=()) -> np.ndarray:
    """Validate a caller's ``out=``: ndarray, exact dtype and shape, C-contiguous, writeable,
    not overlapping any of ``inputs``. Returns it.

    ``inputs`` holds the converted arrays and the caller's original arguments: a strided
    input is copied before the kernel runs, so only the original shows that ``out`` aliases
    memory the caller still owns (and would see overwritten).

    The common case (an ndarray that passes, inputs apart from it) is answered by one C call;
    anything it is not sure of takes the checks below, which decide and raise."""
    if _out_fits is not None and _out_fits(out, shape, dtype, inputs):
        return out
    dtype = np.dtype(dtype)
    if not isinstance(out, np.ndarray):
        raise ValueError(f"out: expected a NumPy array of dtype {dtype} and shape {shape}, got {_describe(out)}")
    if out.dtype != dtype or out.shape != tuple(shape):
        raise ValueError(
            f"out: expected dtype {dtype} and shape {tuple(shape)}, got dtype {out.dtype} and shape {out.shape}"
        )
    if not out.flags.c_contiguous:
        raise ValueError("out: expected a C-contiguous array")
    if not out.flags.writeable:
        raise ValueError("out: expected a writeable array, got a read-only one")
    if not out.flags.aligned:  # kernels store whole floats: a misaligned store is UB in C
        raise ValueError("out: expected an aligned array, got one at a misaligned address")
    seen = None
    for arr in inputs:  # usually the converted input *is* the original: check it once
        if arr is not seen and (np.may_share_memory(out, arr) if isinstance(arr, np.ndarray) else _overlaps(out, arr)):
            raise ValueError("out: must not overlap the input")
        seen = arr
    return out


def _overlaps(out: np.ndarray, x) -> bool:
    """Whether a caller's non-ndarray input (a CPU tensor, a memoryview) may share memory with
    ``out``: such an input can also be copied before the kernel runs (strided, another dtype),
    and then only the original shows that ``out`` aliases it. Other inputs own no memory."""
    if isinstance(x, memoryview):
        return np.may_share_memory(out, np.asarray(x))
    if _torch_device(x) is None or x.device.type != "cpu" or x.is_sparse or x.numel() == 0:
        return False
    # the byte span the tensor's elements cover, as np.may_share_memory compares it
    size = x.element_size()
    lo = hi = x.data_ptr()
    for n, step in zip(x.shape, x.stride()):
        lo += min(0, (n - 1) * step * size)
        hi += max(0, (n - 1) * step * size)
    start = out.ctypes.data
    return lo < start + out.nbytes and start < hi + size


def output(out, shape: tuple, dtype, inputs=()) -> np.ndarray:
    """The array to write into: the validated ``out`` or a new empty one."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    return check_out(out, shape, dtype, inputs)


def streams(out, res: np.ndarray) -> bool:
    """Whether a kernel should write ``res`` with streaming stores: only a caller's ``out``,
    and only when it is at least :data:`STREAM_MIN_BYTES` large."""
    return out is not None and res.nbytes >= STREAM_MIN_BYTES


def as_rows(arr: np.ndarray, name: str) -> np.ndarray:
    """A 2-D C-contiguous view ``(rows, last_axis)``; 0-d arrays have no axis to pack."""
    if arr.ndim == 1:
        return arr.reshape(1, arr.shape[0])
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected an array with at least 1 dimension, got a 0-d array")
    return arr.reshape(math.prod(arr.shape[:-1]), arr.shape[-1])
