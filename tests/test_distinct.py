"""workbook_addin.core.distinct gives exactly pandas' answers, whether or not cells share string objects."""
import numpy as np
import pandas as pd
from hypothesis import given, settings as hsettings, strategies as st

from workbook_addin.core import distinct

_values = st.one_of(st.text(max_size=4), st.sampled_from([None, float("nan"), np.nan, pd.NaT, 1, 1.0, True, "1"]))


def _column(pool: list, picks: list[int], fresh: bool) -> np.ndarray:
    """A column of len(picks) cells drawn from ``pool``: the same objects again and again, or
    (``fresh``) a new string object per cell, as a workbook reader makes them."""
    cells = [pool[i % len(pool)] for i in picks]
    if fresh:
        cells = ["".join([c]) if isinstance(c, str) else c for c in cells]
    out = np.empty(len(cells), dtype=object)
    out[:] = cells
    return out


@hsettings(max_examples=25, deadline=None)
@given(pool=st.lists(_values, min_size=1, max_size=30), seed=st.integers(0, 2**16), size=st.sampled_from([10, 5000, 9000]),
       fresh=st.booleans())
def test_same_answers_as_pandas(pool, seed, size, fresh):
    picks = np.random.default_rng(seed).integers(0, 10**6, size).tolist()
    col = _column(pool, picks, fresh)
    codes, uniques = distinct.factorize(col)
    expected_codes, expected_uniques = pd.factorize(col)
    assert (codes == expected_codes).all()
    assert [repr(u) for u in uniques] == [repr(u) for u in expected_uniques]
    assert (distinct.isna(col) == pd.isna(col)).all()
    index = pd.Index(pd.unique(np.asarray([v for v in pool if isinstance(v, str)], dtype=object)), dtype=object)
    for always in (False, True):
        assert (distinct.get_indexer(index, col, always=always) == index.get_indexer(col)).all()


def test_many_cells_sharing_few_objects_are_grouped_by_object():
    pool = np.array([f"key_{i}" for i in range(50)], dtype=object)
    col = pool[np.random.default_rng(1).integers(0, 50, 20_000)]
    codes, first = distinct.object_groups(col)
    assert len(first) == 50
    assert all(col[first[c]] is v for c, v in zip(codes[:500], col[:500]))


def test_a_column_of_distinct_objects_is_left_to_pandas():
    col = np.array([f"id_{i}" for i in range(20_000)], dtype=object)
    assert distinct.object_groups(col) is None
    assert distinct.object_groups(col, always=True) is None
