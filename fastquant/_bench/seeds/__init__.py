"""The seeds' code, reproduced as published: BENCHMARK DATA, not fastquant API.

These are the snippets fastquant replaces. ``fastquant bench --against seeds`` (and the seed
column of the default table) times them on the same data as fastquant's equivalent and says
where their output differs from fastquant's and why. Their known defects are reproduced on
purpose, never fixed: a user's own copy has them too. Nothing here is exported, documented as
API or covered by the stubs; do not import it from code.

One module per published source, each with the address and commit it was copied from:

- :mod:`.int4_module`: the int4 module (NumPy, 1-D arrays) - ``quantize_to_int4``,
  ``dequantize_from_int4``, ``pack_int4_to_int8``, ``unpack_int8_to_int4``.
- :mod:`.embeddings_cookbook`: the embedding ``dequantize`` of the int8/uint8/binary/ubinary
  formats (Cohere's and Mistral's embedding APIs return these; torch + NumPy), and the encoders
  the same cookbook published later.
- :mod:`.llmbook`: the LLMBook's affine ``quantize_func`` / ``dequantize_func`` (torch).
- :mod:`.numpy_ports`: NumPy transliterations of the two torch seeds. NOT published: they
  stand in for the torch code where torch is not installed, and say so wherever they appear.

The torch modules import torch at the top, as published; import them only when torch is
importable (:mod:`fastquant._bench.rivals` does).
"""
