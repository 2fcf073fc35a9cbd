"""Bit-for-bit agreement between the two backends' results."""

from __future__ import annotations

from typing import Optional

import numpy as np


def difference(a, b, path: str = "result") -> Optional[str]:
    """None when ``a`` and ``b`` are identical (same types, dtypes, shapes and bytes, so
    ``-0.0 != 0.0`` and NaN payloads count); otherwise a message saying where they first differ.

    Handles arrays, tuples of results (e.g. ``(codes, scale, zero_point)``) and scalars.

    >>> difference(np.float32([0.0]), np.float32([-0.0]))
    'result: 1 of 4 bytes differ, first at byte 3 (0x00 vs 0x80)'
    """
    if isinstance(a, tuple) or isinstance(b, tuple):
        if not (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)):
            return f"{path}: {_kind(a)} vs {_kind(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            msg = difference(x, y, f"{path}[{i}]")
            if msg:
                return msg
        return None
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return f"{path}: {_kind(a)} vs {_kind(b)}"
        if a.dtype != b.dtype or a.shape != b.shape:
            return f"{path}: {_kind(a)} vs {_kind(b)}"
        x = np.ascontiguousarray(a).reshape(-1).view(np.uint8)
        y = np.ascontiguousarray(b).reshape(-1).view(np.uint8)
        diff = np.flatnonzero(x != y)
        if diff.size:
            i = int(diff[0])
            return (f"{path}: {diff.size} of {x.size} bytes differ, first at byte {i} "
                    f"(0x{x[i]:02x} vs 0x{y[i]:02x})")
        return None
    if type(a) is not type(b) or repr(a) != repr(b):
        return f"{path}: {a!r} ({type(a).__name__}) vs {b!r} ({type(b).__name__})"
    return None


def _kind(x) -> str:
    if isinstance(x, np.ndarray):
        return f"array {x.dtype}{list(x.shape)}"
    if isinstance(x, tuple):
        return f"tuple of {len(x)}"
    return type(x).__name__
