"""Grouping the cells of object (text) columns by value, fast when cells share string objects.

Why this exists: hashing a text cell means reading the string object it points to. In a column of
500 000 creator keys built by pandas indexing, or read from a workbook's shared-strings table, the
cells point to a few thousand (or a hundred thousand) objects scattered in memory, and looking
each cell up in a hash table costs a cache miss per cell: ~0.3 µs, 0.15 s a column. The cells'
object *addresses* are plain integers stored in the array itself; grouping those first costs no
memory look-ups, and only one cell per distinct object then needs hashing by value. The results
are exactly those of :func:`pandas.factorize` / ``Index.get_indexer``; only the speed differs.

Under Pyodide (xlwings Lite: WebAssembly, 4-byte pointers, a ctypes without real memory addresses)
the address trick is not attempted: every call takes the plain pandas path, with the same results.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd

#: Below this many cells the plain pandas call is as fast; not worth a second pass.
_MIN_CELLS = 4096
_SAMPLE = 2048


#: Every Python object takes at least this many bytes (its header), so two live objects' addresses
#: differ in the bits above log2 of it; the bits below are mostly equal and only spoil hashing.
_SHIFT = object().__sizeof__().bit_length() - 1
#: whether cells' object addresses can be read (CPython on a native platform)
ADDRESSES = sys.platform != "emscripten"


def _addresses(arr: np.ndarray) -> np.ndarray:
    """The address of the object in every cell of a contiguous 1-d object array (no object touched),
    shifted right by :data:`_SHIFT`: still one distinct number per distinct object, and hashed
    three times faster than the raw, 16-byte-aligned addresses.

    numpy refuses ``arr.view(np.uintp)`` on object arrays, so the pointer buffer is read through
    ctypes; it is copied while ``arr`` is alive, so no address outlives its object's reference.
    """
    import ctypes

    if len(arr) == 0:
        return np.zeros(0, dtype=np.uintp)
    buf = (ctypes.c_size_t * len(arr)).from_address(arr.ctypes.data)
    return np.frombuffer(memoryview(buf), dtype=np.uintp) >> _SHIFT


def _as_objects(values) -> np.ndarray:
    arr = values.to_numpy(dtype=object) if isinstance(values, (pd.Series, pd.Index)) else values
    return np.ascontiguousarray(arr, dtype=object).reshape(-1)


def object_groups(values, *, always: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
    """(codes, first) grouping cells that hold the very same object: ``values[first[codes]] is values``.

    Returns None when sharing is too rare to pay off: decided on an evenly spaced sample of cells
    unless ``always`` (for columns such as child-sheet creator keys, where a few cells per object
    is already worth it but a sample cannot see it).
    """
    arr = _as_objects(values)
    n = len(arr)
    if n < _MIN_CELLS or not ADDRESSES:
        return None
    addr = _addresses(arr)
    if not always:
        sample = addr[:: n // _SAMPLE]
        if len(pd.unique(sample)) * 2 > len(sample):
            return None
    codes, uniq = pd.factorize(addr)
    if len(uniq) * 10 > n * 9:
        return None
    first = np.empty(len(uniq), dtype=np.int64)
    first[codes] = np.arange(n, dtype=np.int64)  # any cell of a group will do: they hold one object
    return codes, first


def factorize(values, *, always: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Same as ``pd.factorize(values)`` on an object column (codes -1 for missing, uniques in order of appearance)."""
    arr = _as_objects(values)
    groups = object_groups(arr, always=always)
    if groups is None:
        codes, uniques = pd.factorize(arr)
        return codes, np.asarray(uniques, dtype=object)
    obj_codes, first = groups
    # distinct objects in order of first appearance, so value uniques keep pandas' order too
    value_codes, uniques = pd.factorize(arr[first])
    return value_codes[obj_codes], np.asarray(uniques, dtype=object)


def get_indexer(index: pd.Index, values, *, always: bool = False) -> np.ndarray:
    """Same as ``index.get_indexer(values)`` for an object column (-1 where not found)."""
    arr = _as_objects(values)
    groups = object_groups(arr, always=always)
    if groups is None:
        return index.get_indexer(arr) if len(arr) else np.zeros(0, dtype=np.intp)
    codes, first = groups
    return index.get_indexer(arr[first])[codes]


def isna(values) -> np.ndarray:
    """Same as ``pd.isna(values)`` on an object column."""
    arr = _as_objects(values)
    if len(arr) and pd.api.types.infer_dtype(arr, skipna=False) == "string":
        return np.zeros(len(arr), dtype=bool)  # all text: one C-level type scan, no cell compared
    groups = object_groups(arr)
    if groups is None:
        return pd.isna(arr)
    codes, first = groups
    return pd.isna(arr[first])[codes]
