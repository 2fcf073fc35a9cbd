# Size checks shared by the kernel modules. Kernels trust their callers for dtype and
# contiguity (the public wrappers coerce once) but check every size they index with, so a
# wrong direct call raises ValueError ("<family> kernel: ...") instead of touching foreign
# memory.

cimport numpy as cnp


cdef inline int require(bint ok, str family, str what) except -1:
    if not ok:
        raise ValueError(f"{family} kernel: {what}")
    return 0


cdef inline void rows_of(str family, cnp.ndarray src, cnp.ndarray out, Py_ssize_t* rows,
                         Py_ssize_t* n, Py_ssize_t* m) except *:
    """Row count and row lengths of 2-D ``src``/``out`` that agree on rows."""
    require(src.ndim == 2 and out.ndim == 2 and src.shape[0] == out.shape[0], family, "row mismatch")
    rows[0] = src.shape[0]
    n[0] = src.shape[1]
    m[0] = out.shape[1]
