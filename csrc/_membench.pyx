# cython: freethreading_compatible = True
"""Memory-bandwidth reference for ``python -m fastquant bench``: a write-only fill of a
float32 array with the streaming stores of ``fq_stream.h``, the same stores the float32
decoders use into a caller's ``out=``. Its speed is the practical ceiling of those decoders.

Not a codec family (its name starts with ``_``): compiled once, with the baseline flags, and
with no NumPy twin (it is a yardstick, not a codec).
"""

cimport numpy as cnp

from fq_common cimport FQ_BLOCK, fq_stream_head, fq_stream_floats, fq_stream_fence

cnp.import_array()


def stream_fill(cnp.ndarray out, float value=0.0):
    """Write ``value`` into every element of the C-contiguous float32 array ``out``: ordinary
    stores up to the first 64-byte boundary and for the tail, streaming stores of whole
    64-byte lines in between. Releases the GIL."""
    if cnp.PyArray_TYPE(out) != cnp.NPY_FLOAT32 or not cnp.PyArray_ISCARRAY(out):
        raise ValueError("stream_fill: out must be a C-contiguous, aligned, writeable float32 array")
    cdef float* d = <float*> cnp.PyArray_DATA(out)
    cdef Py_ssize_t i, k, n = cnp.PyArray_SIZE(out)
    cdef float buf[FQ_BLOCK]
    for k in range(FQ_BLOCK):
        buf[k] = value
    with nogil:
        i = fq_stream_head(d, n)
        for k in range(i):
            d[k] = value
        while n - i >= FQ_BLOCK:
            fq_stream_floats(d + i, buf, FQ_BLOCK)
            i += FQ_BLOCK
        fq_stream_fence()
        while i < n:
            d[i] = value
            i += 1
