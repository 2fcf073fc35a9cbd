from typing import Any

import dask.array as da

__all__ = ["quantize", "dequantize"]

def quantize(data: Any, qtype: Any) -> da.Array: ...
def dequantize(data: Any, qtype: Any) -> da.Array: ...
