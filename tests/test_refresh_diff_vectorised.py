"""The refresh's column-at-a-time cell comparison and _last_refresh rows equal the per-cell rules,
on generated columns holding what workbooks really hold: blanks of every kind, NaN, text in number
columns, ints against floats, bools, dates, infinities and numbers a rounding error apart."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from workbook_addin.core.settings import DIMENSIONS
from workbook_addin.workbook.calc_sheet import identity_text, last_refresh_frame
from workbook_addin.workbook.tables_changes import (WorkbookChanges, changed_cells, diff_columns, differs,
                                                    plain_value, plain_values)

_ODD = [None, np.nan, pd.NaT, pd.NA, "", "  ", "x", "1.5", 1.5, 1.5 + 1e-15, 1.5 + 1e-9, 2, 2.0, True, False, 0,
        np.float64(2.0), np.int64(2), np.inf, -np.inf, dt.date(2026, 11, 28), dt.datetime(2026, 11, 28),
        pd.Timestamp("2026-11-28"), 46354.0, "S", "A"]


def _column(rng, n, pool):
    return [pool[i] for i in rng.integers(0, len(pool), n)]


@pytest.mark.parametrize("seed", range(5))
def test_changed_cells_equal_differs_cell_by_cell(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    numbers = list(np.round(rng.normal(100, 50, 40), 3)) + [1e300, -1e300, 0.0, -0.0, 1e-13]
    pools = {"odd": _ODD, "numbers": numbers + [None, np.nan, np.inf], "numbers_na": numbers + [pd.NA, None],
             "ints": [0, 1, 2, 10 ** 17, 2 ** 60, None],
             "text": ["S", "A", "B", "", None, " S"]}
    for old_pool in pools.values():
        for new_pool in pools.values():
            old, new = _column(rng, n, old_pool), _column(rng, n, new_pool)
            expected = [differs(a, b) for a, b in zip(old, new)]
            assert changed_cells(old, new).tolist() == expected
            old_s, new_s = pd.Series(old, dtype=object), pd.Series(new, dtype=object)
            assert changed_cells(old_s, new_s).tolist() == expected
    floats = rng.choice(numbers + [np.nan], n)
    near = floats * (1 + rng.choice([0, 1e-13, 1e-11], n))
    old = [float(v) if i % 7 else None for i, v in enumerate(near)]
    assert changed_cells(pd.Series(old, dtype=object), pd.Series(floats)).tolist() == [
        differs(a, b) for a, b in zip(old, pd.Series(floats).tolist())]


def test_diff_columns_records_the_cells_the_per_cell_rule_records():
    rng = np.random.default_rng(7)
    n = 2000
    index = pd.RangeIndex(5, 5 + n)
    current = pd.DataFrame({"score": _column(rng, n, [80.0, 80.0 + 1e-14, 75, None, "x", np.nan]),
                            "tier": _column(rng, n, ["S", "A", None, ""]),
                            "when": _column(rng, n, [dt.date(2026, 1, 2), None, 46024.0])}, index=index, dtype=object)
    m = n - 3  # rows the new frame lacks are left alone; its order is not the table's
    new = pd.DataFrame({"score": rng.choice([80.0, 75.0, np.nan], m), "tier": _column(rng, m, ["S", "A", ""]),
                        "when": pd.to_datetime(_column(rng, m, ["2026-01-02", None]))}, index=index[::-1][:m])
    got = WorkbookChanges()
    count = diff_columns(got, "t", current, new, ["score", "tier", "when", "missing"])
    expected = WorkbookChanges()
    common = current.index.intersection(new.index)
    for key in ("score", "tier", "when"):
        for row, a, b in zip(common, current[key].reindex(common).tolist(), new[key].reindex(common).tolist()):
            if differs(a, b):
                expected.set("t", row, key, plain_value(b))
    assert got.cells == expected.cells and count == expected.cell_count() > 100
    values = _column(rng, n, _ODD)
    assert plain_values(values) == [plain_value(v) for v in values]


def test_last_refresh_rows_equal_the_per_row_rule():
    rng = np.random.default_rng(3)
    n = 500
    keys = [f"tiktok:c{i}" for i in range(n)]
    creators = pd.DataFrame({
        "creator_key": _column(rng, n, keys) + [None, "", np.nan],
        "platform": _column(rng, n + 3, ["TikTok", None, 3.0, "  ", np.nan]),
        "handle": _column(rng, n + 3, ["@a", "b", None, 12.0, 12.5, ""]),
    })
    scores = pd.DataFrame({"creator_key": keys[: n // 2] + keys[:10],
                           **{d: rng.choice([50.0, np.nan], n // 2 + 10) for d in DIMENSIONS},
                           "score": rng.choice([88.4, np.nan], n // 2 + 10),
                           "flags": _column(rng, n // 2 + 10, ["", "假粉 Fake", None]),
                           "explanation": np.array(_column(rng, n // 2 + 10, ["S: 88", np.float64(1.0)]),
                                                   dtype=object)})
    got = last_refresh_frame(creators, scores)
    by_key = {}
    for rec in scores.to_dict("records"):
        by_key.setdefault(rec["creator_key"], rec)
    for i, rec in enumerate(creators.to_dict("records")):
        key = rec["creator_key"]
        blank = key is None or key == "" or (isinstance(key, float) and np.isnan(key))
        found = {} if blank else by_key.get(key, {})
        row = got.iloc[i]
        assert row["creator_key"] == (None if blank else key)
        assert row["identity"] == identity_text(rec.get("platform"), rec.get("handle"), rec.get("profile_url"))
        for c in (*DIMENSIONS, "score", "flags", "explanation"):
            want, have = found.get(c), row[c]
            assert type(have) is type(want) and (have == want or (want != want and have != have))
