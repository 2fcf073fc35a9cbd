"""Torch twins of the public functions: the same names, signatures, results and errors,
computed with torch operations on the tensor's own device (no host copy of the data).

``fastquant/_torch/<module>.py`` mirrors ``fastquant/<module>.py`` for every public function
marked with :func:`fastquant._backend.torch_path`; that decorator is the only way in, and
:mod:`fastquant._backend` the only place that decides. torch is imported by these modules,
which are imported only when a tensor arrives or the torch backend is chosen.

The rules every twin follows (docs/torch.md says why each one matters):

- validate with the public module's own helpers (same checks, same order, same messages);
  a NumPy input under ``use_backend("torch")`` is coerced by :mod:`fastquant._arrays`
  exactly as on the host, then viewed as a CPU tensor;
- float32 arithmetic in the order SPEC writes; a division goes through :func:`_common.div`,
  whose divisor is a tensor on the dividend's device (CUDA turns a division by a CPU scalar
  into a multiplication by its reciprocal); rounding is ``torch.round`` (half to even);
- never compute in int8/uint8 what can overflow; clamp in float before a float -> int cast;
- value checks that need the data (NaN, code ranges) read one flag back (a device sync) and
  raise the host's error.
"""
