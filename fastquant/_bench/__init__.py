"""Benchmark machinery shared by ``python -m fastquant bench`` and the ``bench/`` pytest suite.

- :mod:`.cases`: the registry of cases (op, data maker, public call, bytes moved).
- :mod:`.agree`: the bit-for-bit agreement check between the two backends.
- :mod:`.timing`: medians of repeated calls, and the memory-copy reference.
- :mod:`.runner`: runs the cases on both backends and collects rows.
- :mod:`.report`: the table and the JSON document.
"""
