"""Reading what Excel hands a function (workbook/udf_args.py): the fast paths give what cell-by-cell reading gives."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, strategies as st

from workbook_addin.workbook.udf_args import (UdfInputError, cells, content_key, float_result, grid, is_single, number,
                                              numbers, result, shape, texts)

CELL = st.one_of(st.none(), st.just(""), st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**6, 10**6),
                 st.booleans(), st.sampled_from(["12.5%", "1,234", " 7 ", "3e2"]))


@pytest.mark.parametrize("value, expected_shape, expected_cells", [
    (5, (1, 1), [5]),
    ([[5]], (1, 1), [5]),
    ([1, 2, 3], (1, 3), [1, 2, 3]),  # a row as xlwings Lite may pass it
    ([[1], [2], [3]], (3, 1), [1, 2, 3]),
    (((1,), (2,)), (2, 1), [1, 2]),  # a range as xlwings hands it over: a tuple of row tuples
    ([[1, 2], [3, 4]], (2, 2), [1, 2, 3, 4]),
    (np.array([[1.0], [2.0]]), (2, 1), [1.0, 2.0]),
    (np.array([1.0, 2.0]), (1, 2), [1.0, 2.0]),
    ([], (1, 1), [None]),
])
def test_shape_and_cells_read_every_argument_form(value, expected_shape, expected_cells):
    assert shape(value) == expected_shape
    assert cells(value) == expected_cells
    assert grid(value) == [expected_cells[i * expected_shape[1]:(i + 1) * expected_shape[1]]
                           for i in range(expected_shape[0])]
    assert is_single(value) == (expected_shape == (1, 1))


@given(st.lists(CELL, min_size=1, max_size=30))
def test_numbers_fast_path_equals_reading_each_cell(column):
    rows = [[c] for c in column]
    expected = np.array([number(c) for c in column], dtype=float)
    assert np.array_equal(numbers(rows), expected, equal_nan=True)


def test_numbers_refuse_text_with_a_reason():
    with pytest.raises(UdfInputError, match="not a number: 'abc'"):
        numbers([[1.0], ["abc"]])


def test_texts_keep_cells_as_given_and_blank_text_as_none():
    when = dt.datetime(2026, 11, 3, 9, 30)
    assert texts([["a"], [""], [None], [3.0], [when]]).tolist() == ["a", None, None, 3.0, when]


def test_results_spill_a_column_and_blanks_stay_empty():
    assert result(np.array(["S", None], dtype=object), single=False) == [["S"], [None]]
    assert result(np.array([np.float64(2.5)]), single=True) == 2.5 and type(result(np.array([2.5]), True)) is float
    assert float_result(np.array([1.5, np.nan]), single=False) == [[1.5], [None]]
    assert float_result(np.array([np.nan]), single=True) is None
    assert type(float_result(np.array([1.5, 2.0]), False)[0][0]) is float


def test_content_key_changes_with_any_cell_its_type_or_the_shape():
    base = ([["tiktok:a"], ["tiktok:b"]], [[1.0], [2.0]], 24)
    assert content_key(base) == content_key(([["tiktok:a"], ["tiktok:b"]], ((1.0,), (2.0,)), 24))  # same cells
    changed = [
        ([["tiktok:a"], ["tiktok:c"]], [[1.0], [2.0]], 24),  # a text cell
        ([["tiktok:a"], ["tiktok:b"]], [[1.0], [2.5]], 24),  # a number
        ([["tiktok:a"], ["tiktok:b"]], [[1.0], [True]], 24),  # 1.0 == True in Python, not in a cell
        ([["tiktok:a"], ["tiktok:b"]], [[1.0], [2]], 24),  # 2 == 2.0, but another type
        ([["tiktok:a"], ["tiktok:b"]], [[1.0], [None]], 24),  # a cell emptied
        ([["tiktok:a"], ["tiktok:b"]], [[1.0, 2.0]], 24),  # a row, not a column
        ([["tiktok:a"], ["tiktok:b"]], [[1.0], [2.0]], 48),  # a setting
        ([["tiktok:b"], ["tiktok:a"]], [[1.0], [2.0]], 24),  # rows in another order
    ]
    keys = {content_key(base)} | {content_key(c) for c in changed}
    assert len(keys) == len(changed) + 1
