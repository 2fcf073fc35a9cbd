# cython: freethreading_compatible = True
"""Quick answers for the argument checks of small calls, so that a 16-element call does not
pay a microsecond for NumPy's general checks: ``out_fits`` (``fastquant._arrays.check_out``)
and ``scales_fit`` / ``zero_points_fit`` (per-channel parameters in ``fastquant.affine``).

Not a codec family (its name starts with ``_``): compiled once, with the baseline flags. Each
answers only "fine" or "not sure": on False the Python checks run as before and decide and
raise, so every message and every decision stays theirs (the pure NumPy build, without this
module, behaves the same, only slower).
"""

from libc.stdint cimport int32_t

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


cdef inline bint _plain_vector(x, int type_num, Py_ssize_t n):
    """``x`` is an exact ndarray of the native builtin dtype ``type_num``, 1-D of length
    ``n``, C-contiguous and aligned."""
    if type(x) is not cnp.ndarray:
        return False
    cdef cnp.ndarray a = <cnp.ndarray> x
    return (cnp.PyArray_NDIM(a) == 1 and cnp.PyArray_DIM(a, 0) == n
            and cnp.PyArray_ISCARRAY_RO(a)
            and <object> cnp.PyArray_DESCR(a) is <object> cnp.PyArray_DescrFromType(type_num))


def scales_fit(scales, Py_ssize_t channels):
    """True when ``scales`` is a C-contiguous float32 ndarray of ``channels`` values, each
    finite and > 0: the array ``_scales`` returns as it is."""
    if not _plain_vector(scales, cnp.NPY_FLOAT32, channels):
        return False
    cdef const float* v = <const float*> cnp.PyArray_DATA(<cnp.ndarray> scales)
    cdef Py_ssize_t i
    cdef float FLT_MAX = 3.4028234663852886e38
    for i in range(channels):
        if not (v[i] > 0.0 and v[i] <= FLT_MAX):  # NaN fails both
            return False
    return True


def zero_points_fit(zero_point, Py_ssize_t channels, int32_t limit):
    """True when ``zero_point`` is a C-contiguous int32 ndarray of ``channels`` values, each
    in ``[-limit, limit]``: the array ``_zero_points`` returns as it is."""
    if not _plain_vector(zero_point, cnp.NPY_INT32, channels):
        return False
    cdef const int32_t* v = <const int32_t*> cnp.PyArray_DATA(<cnp.ndarray> zero_point)
    cdef Py_ssize_t i
    for i in range(channels):
        if v[i] < -limit or v[i] > limit:
            return False
    return True
