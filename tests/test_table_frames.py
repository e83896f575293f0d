"""A table's cells become its frame by the per-cell rule, whole columns at a time: an empty cell is
None, a whole number in a text column is its digits, all-blank rows are left out, headers are found
wherever they are and a missing column is blank with a warning."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from workbook_addin.core.schema import load_schema
from workbook_addin.workbook.tables_layout import COMPACT_ROWS, TEXT_TYPES, frame_from_rows

_CELLS = ["", None, "x", " y ", 1001.0, 1001.5, 7, True, False, 0.0, float("inf"), dt.date(2026, 11, 28),
          dt.datetime(2026, 11, 28, 9, 30), dt.time(9, 30), "C-001", -3.0, 1e20]


def _by_hand(columns, headers, rows):
    """The rule, cell by cell."""
    where = {}
    for i, h in enumerate(headers):
        for c in columns:
            if h in (c.header, c.zh, c.en, c.key) and c.key not in where:
                where[c.key] = i
    out = {}
    for c in columns:
        values = []
        for r in rows:
            v = r[where[c.key]] if c.key in where else None
            if v == "" or v is None:
                v = None
            elif c.type in TEXT_TYPES and type(v) is float and v.is_integer():
                v = str(int(v))
            values.append(v)
        out[c.key] = values
    return out


@pytest.mark.parametrize("seed", range(4))
def test_frame_from_rows_follows_the_per_cell_rule(seed):
    rng = np.random.default_rng(seed)
    columns = load_schema().sheet("collaborations").columns
    shown = [c for c in columns if rng.random() < 0.8]  # some columns missing from the sheet
    headers = [c.header for c in shown] + ["用户自加 User column"]
    order = rng.permutation(len(headers))
    headers = [headers[i] for i in order]
    n = 400
    rows = [[_CELLS[k] for k in rng.integers(0, len(_CELLS), len(headers))] for _ in range(n)]
    for i in rng.choice(n, 40, replace=False):
        rows[i] = [rng.choice(["", None]) for _ in headers]  # a row without a value is left out
    frame, offsets, warnings = frame_from_rows(columns, headers, rows, 5, "Sheet [tbl]")
    expected = _by_hand(columns, headers, rows)
    kept = [i for i in range(n) if any(expected[c.key][i] is not None for c in columns)]
    assert frame.index.tolist() == [5 + i for i in kept] and frame.index.name == "excel_row"
    assert list(frame.columns) == [c.key for c in columns] and set(frame.dtypes) == {np.dtype(object)}
    for c in columns:
        got = frame[c.key].tolist()
        assert [(type(v), v) for v in got] == [(type(expected[c.key][i]), expected[c.key][i]) for i in kept], c.key
    assert offsets == {c.key: headers.index(c.header) for c in shown}
    assert len(warnings) == len(columns) - len(shown) and all("missing column" in w for w in warnings)


def test_rows_cut_short_and_empty_tables():
    columns = load_schema().sheet("creators").columns[:3]
    headers = [c.header for c in columns]
    frame, _, _ = frame_from_rows(columns, headers, [["a", 2.0, "b"], ["c"], []], 2, "w")
    assert frame.index.tolist() == [2, 3]
    assert frame.iloc[1].tolist() == ["c", None, None]
    empty, _, _ = frame_from_rows(columns, headers, [], 2, "w")
    assert empty.empty and list(empty.columns) == [c.key for c in columns] and empty.index.name == "excel_row"
    assert pd.api.types.is_integer_dtype(empty.index)


@pytest.mark.parametrize("seed", range(3))
def test_columns_of_one_kind_follow_the_per_cell_rule(seed):
    # whole columns of numbers, dates, text, booleans or blanks: each kind is decided a column at a time
    rng = np.random.default_rng(seed)
    kinds = [[1.5, 2.0, None], [dt.date(2026, 1, 2), None], [dt.datetime(2026, 1, 2, 3), ""], ["a", "", None],
             [True, False, None], ["", None], [None], [1001.0, 7.0, ""], [3, 4.5, None], ["x", 1001.0]]
    columns = load_schema().sheet("collaborations").columns
    pools = [kinds[i % len(kinds)] for i in range(len(columns))]
    headers = [c.header for c in columns]
    rows = [[pool[k] for pool, k in zip(pools, (rng.integers(0, len(p)) for p in pools))] for _ in range(300)]
    rows += [[None] * len(columns), [""] * len(columns)]
    frame, _, _ = frame_from_rows(columns, headers, rows, 2, "w")
    expected = _by_hand(columns, headers, rows)
    kept = [i for i in range(len(rows)) if any(expected[c.key][i] is not None for c in columns)]
    assert frame.index.tolist() == [2 + i for i in kept] and len(kept) < len(rows)
    for c in columns:
        assert [(type(v), v) for v in frame[c.key]] == [(type(expected[c.key][i]), expected[c.key][i]) for i in kept]


def test_long_columns_are_made_anew_with_equal_values():
    # a sheet reader makes cells row after row; a long column's text and numbers come out equal,
    # made anew column by column (a text the column repeats is one object), blanks still None
    columns = load_schema().sheet("collaborations").columns
    keys = ["collab_id", "platform", "views", "fee", "post_url", "campaign"]
    headers = [next(c.header for c in columns if c.key == k) for k in keys]
    n = COMPACT_ROWS + 7
    rows = [[f"C-{i:05d}", ["tiktok", "youtube"][i % 2], float(i * 3), None if i % 5 == 0 else i + 0.25,
             "", "a\x00b" if i == 3 else f"camp {i % 4}"] for i in range(n)]
    frame, _, _ = frame_from_rows(columns, headers, rows, 2, "w")
    expected = _by_hand(columns, headers, rows)
    for k in keys:
        assert [(type(v), v) for v in frame[k]] == [(type(v), v) for v in expected[k]], k
    ids, platforms, views, fees = (frame[k].tolist() for k in ("collab_id", "platform", "views", "fee"))
    assert not any(a is b[0] for a, b in zip(ids, rows)) and not any(a is b[2] for a, b in zip(views, rows))
    assert len({id(p) for p in platforms}) == 2  # "tiktok" 504 times: one object
    assert not any(a is b[3] for a, b in zip(fees, rows) if b[3] is not None)
    assert frame["campaign"].tolist()[3] is rows[3][5]  # a text holding NUL: its column is left as it was
    assert frame["post_url"].isna().all()
