# cython: freethreading_compatible = True
"""The fast path of ``fastquant._arrays.check_out``: one C call that answers "this ``out=`` is
fine" for the common case, so a small call does not pay ~0.7 us for NumPy's checks.

Not a codec family (its name starts with ``_``): compiled once, with the baseline flags. It
only ever says yes or "don't know": on False the Python checks run as before and raise
their own errors, so every message and every decision stays theirs.
"""

cimport numpy as cnp

cnp.import_array()


cdef inline bint _extent(cnp.ndarray a, char** lo, char** hi) noexcept:
    """The byte range ``[lo, hi)`` that ``a``'s elements cover, as ``np.may_share_memory``
    bounds it; False for an empty array."""
    if cnp.PyArray_SIZE(a) == 0:
        return False
    cdef char* l = <char*> cnp.PyArray_DATA(a)
    cdef char* h = l + cnp.PyArray_ITEMSIZE(a)
    cdef int k
    cdef Py_ssize_t ext
    for k in range(cnp.PyArray_NDIM(a)):
        ext = (cnp.PyArray_DIM(a, k) - 1) * cnp.PyArray_STRIDE(a, k)
        if ext < 0:
            l += ext
        else:
            h += ext
    lo[0] = l
    hi[0] = h
    return True


def out_fits(out, shape, dtype, inputs):
    """True when ``out`` is a non-empty ndarray of exactly ``dtype`` (the dtype instance, or
    its scalar type with ``out``'s dtype the native builtin one) and ``shape`` (a tuple),
    C-contiguous, aligned and writeable, and the byte range of every ndarray in ``inputs`` (a
    tuple) lies apart from ``out``'s; the other inputs must be Python numbers, lists, tuples
    or None (which own no memory). False means "not sure": check the slow way."""
    if type(out) is not cnp.ndarray or type(shape) is not tuple or type(inputs) is not tuple:
        return False
    cdef cnp.ndarray o = <cnp.ndarray> out
    cdef cnp.dtype d = <cnp.dtype> <object> cnp.PyArray_DESCR(o)
    if <object> d is not dtype:
        if <object> d.typeobj is not dtype or <object> cnp.PyArray_DescrFromType(d.type_num) is not <object> d:
            return False
    if not cnp.PyArray_ISCARRAY(o):  # C-contiguous, aligned and writeable
        return False
    cdef int k, nd = cnp.PyArray_NDIM(o)
    if len(shape) != nd:
        return False
    for k in range(nd):
        s = shape[k]
        if type(s) is not int or s != cnp.PyArray_DIM(o, k):
            return False
    cdef char* lo
    cdef char* hi
    cdef char* alo
    cdef char* ahi
    if not _extent(o, &lo, &hi):
        return False
    for x in inputs:
        if isinstance(x, cnp.ndarray):
            if _extent(<cnp.ndarray> x, &alo, &ahi) and alo < hi and lo < ahi:
                return False
        elif not (x is None or type(x) is int or type(x) is float or type(x) is list or type(x) is tuple):
            return False
    return True
