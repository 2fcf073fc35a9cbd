"""Types shared by the public stubs (stub-only module: nothing of it exists at run time)."""

from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

class TensorLike(Protocol):
    """A ``torch.Tensor`` (matched structurally, so torch need not be installed): fastquant
    answers a tensor with a tensor on the same device."""

    @property
    def device(self) -> Any: ...
    def detach(self) -> Any: ...

#: A tensor argument; the result is a tensor of the same class.
TensorT = TypeVar("TensorT", bound=TensorLike)

#: Anything ``np.asarray`` takes.
ArrayIn = npt.ArrayLike

#: An integer accepted as a zero point (Python or NumPy integer).
IntLike = int | np.integer[Any]

#: A scale accepted by the decoders (converted to float32, must be finite and > 0).
FloatLike = float | np.floating[Any]
