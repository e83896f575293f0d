"""The importers read whole columns at once where a 50 000-row export made per-cell Python slow; each
column-at-once reading must give exactly what reading the cells one by one gives, edge cases included."""
from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from workbook_addin.core.cells import is_blank, is_no_data, present_cells, stripped_texts
from workbook_addin.core.keys import CreatorKeyError, creator_key
from workbook_addin.importers import changes, fields, ledger
from workbook_addin.importers.platforms import post_key, post_keys

LINKS = [
    "https://www.tiktok.com/@mia/video/7400000000000000001", "https://m.tiktok.com/@mia/photo/74000000001?x=1",
    "http://tiktok.com/@mia/video/7400000000000000002/", "https://www.tiktok.com/@mia/video/1234567",
    "https://www.tiktok.com/@/video/74000000000001", "https://www.tiktok.com/@mi a/video/74000000000001",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3s", "https://youtube.com/shorts/dQw4w9WgXcQ",
    "https://m.youtube.com/watch?v=dQw4w9WgXcQ", "https://youtu.be/dQw4w9WgXcQ?si=x", "https://youtu.be/short",
    "https://www.instagram.com/reel/CODE_1-x/?igsh=abc", "https://instagram.com/mia/p/CODE2/",
    "instagram.com/reels/CODE3", "www.tiktok.com/@mia/video/7400000000000000003", "tiktok.com/@mia",
    "https://example.com/post/1", "  https://www.tiktok.com/@mia/video/7400000000000000004  ", "",
    "   ", "n/a", "7400000000000000005", "dQw4w9WgXcQ", "CODE4", "line\nbreak", "HTTPS://WWW.TIKTOK.COM/@A/VIDEO/123456789",
]


@pytest.mark.parametrize("seed", range(5))
def test_post_keys_of_a_column_equal_post_key_of_each_cell(seed):
    rng = random.Random(seed)
    values = [rng.choice([*LINKS, None, float("nan"), 7400000000000000006.0, 42])
              for _ in range(300)]
    platforms = [rng.choice(["TikTok", "YouTube", "Instagram", None]) for _ in values]
    assert post_keys(values, platforms) == [post_key(v, p) for v, p in zip(values, platforms)]


def test_post_keys_without_line_breaks_in_the_column():
    values = [v for v in LINKS if "\n" not in v]
    platforms = ["TikTok"] * len(values)
    assert post_keys(values, platforms) == [post_key(v, p) for v, p in zip(values, platforms)]


NUMBER_CELLS = ["0", "7", "123", "1234", "12345678", "1,234", "12,345,678", "1.234", "1.234.567", "1,23",
                "1234,567", "12.5", "$12.50", "$1,234.56", "1,234.56", "$1234", "1.5万", "n/a", "", " 12",
                "-5", "１２", "1,2345", "$", "12.", "0012", "99,999,999,999,999,999"]


@pytest.mark.parametrize("seed", range(40))
def test_a_column_read_at_once_equals_reading_each_cell(seed):
    rng = random.Random(seed)
    pool = rng.sample(NUMBER_CELLS, rng.randint(1, 5))
    values = [rng.choice(pool) for _ in range(rng.randint(1, 60))]
    for kind in ("integer", "money"):
        for decimal in (".", ","):
            rows = list(range(2, len(values) + 2))
            fast, fast_problems = fields._numbers(fields.Column(list(values)), kind, rows, "f.csv", "h", decimal)
            slow_column = fields.Column(list(values))
            slow_column.text = False  # the reading one distinct cell at a time
            slow, slow_problems = fields._numbers(slow_column, kind, rows, "f.csv", "h", decimal)
            pd.testing.assert_series_equal(fast, slow, check_exact=True)
            assert [str(p) for p in fast_problems] == [str(p) for p in slow_problems]


def test_plain_number_columns_are_read_at_once():
    column = fields.Column(["1,234", "5", "12,345,678"])
    assert fields._plain_numbers(column, "integer", ".").tolist() == [1234.0, 5.0, 12345678.0]
    assert fields._plain_numbers(fields.Column(["$1,234.50", "7"]), "money", ".").tolist() == [1234.5, 7.0]
    assert fields._plain_numbers(fields.Column(["1,5", "2"]), "money", ",") is None  # a decimal comma: cell by cell


def test_stripped_texts_equal_the_blank_rule():
    values = ["", " ", "a", " a ", "n/a", "N/A ", "-", "—", "none", "无", "暂无", "nan", "NaN", "null x", "\u3000",
              "--"]
    assert stripped_texts(values) == [None if is_no_data(v) else v.strip() for v in values]


def test_never_blank_types_are_not_blank():
    for value in (0, 1, True, False, dt.date(2026, 1, 1), dt.datetime(2026, 1, 1), dt.time(0)):
        assert is_blank(value) is False
    for value in (None, float("nan"), pd.NaT, pd.NA, np.datetime64("NaT"), "", "  "):
        assert is_blank(value) is True


def test_summary_rows_found_by_columns_equal_the_row_by_row_rule():
    rng = random.Random(3)
    cells = ["Total", "合计", "总计", "Grand total", "total views", "7400000000000000001",
             "https://www.tiktok.com/@mia/video/7400000000000000001", "", " ", "n/a", "mia", "12", "Totals",
             None, float("nan"), 3.0, "   " * 10, "Summe", "x" * 30]
    body = [[rng.choice(cells) for _ in range(rng.randint(0, 4))] for _ in range(400)]
    for id_columns in ([], [0], [1, 2], [3]):
        expected = [fields._is_summary(rec, id_columns) for rec in body]
        assert fields._summaries(body, id_columns).tolist() == expected


def test_present_cells_keep_each_cell_or_none_as_the_blank_rule_says():
    cells = [None, "", " ", "n/a", " N/A ", "x", " x ", 1, 0, 1.5, float("nan"), np.nan, pd.NaT, pd.NA,
             dt.date(2026, 1, 1), dt.datetime(2026, 1, 1), pd.Timestamp("2026-01-01"), True, False, np.int64(3),
             "暂无", "-", "—", "nana", np.datetime64("NaT"), "none", "\u3000"]
    got = present_cells(cells)
    assert all(g is (None if is_no_data(c) else c) for g, c in zip(got, cells)) and len(got) == len(cells)


def test_link_checks_of_a_column_equal_checking_each_link():
    links = ["https://www.tiktok.com/@a/video/1", "tiktok.com/x", "https://youtube.com/watch?v=1",
             "http://example.com:80/x", "not a link", "https://www.tiktok.com/@a b/video/1", "", " ", "ftp://x.com/a",
             "https://x", "HTTPS://WWW.TIKTOK.COM/A", "https://user@tiktok.com/x", "tiktok.com?x", None, 5.0, "a.b",
             "=cmd|' /C calc'!A0", "https://www.tiktok.com/@a/video/1\u00a0x"]
    platforms = ["TikTok", "YouTube", None, "n/a", float("nan"), "Instagram", "tiktok"]
    rng = random.Random(7)
    for _ in range(20):
        urls = [rng.choice(links) for _ in range(60)]
        plats = [rng.choice(platforms) for _ in urls]
        one_by_one = [None if u is None else changes._url_problem(u, changes._platform(p)) for u, p in zip(urls, plats)]
        assert changes._url_problems(urls, plats) == one_by_one
    assert changes._url_problems(["a.com/x\ny"], ["TikTok"]) == [changes._url_problem("a.com/x\ny", "TikTok")]


def test_plain_handles_get_the_key_the_full_reading_gives():
    rng = random.Random(3)
    for _ in range(2000):
        handle = "".join(rng.choice("@aZ09_-") for _ in range(rng.randint(1, 8)))
        platform = rng.choice(["TikTok", "tiktok", " YouTube ", "instagram", "Snap", "", "ig"])
        # a trailing space is stripped, so the same handle read the long way must give the same key or error
        assert _key_or_error(platform, handle) == _key_or_error(platform, handle + " ")


def _key_or_error(platform, handle):
    try:
        return creator_key(platform, handle)
    except CreatorKeyError as exc:
        return f"error: {exc}".replace(repr(handle + " "), repr(handle))


@pytest.mark.parametrize("seed", range(80))
def test_floats_of_a_column_equal_pandas_reading_it(seed):
    rng = random.Random(seed)
    pool = rng.sample([1.5, 2.0, 0.0, -3.25, 7, 12, None, float("nan"), np.float64(4.5), "3", "x", True, pd.NA, pd.NaT,
                       2**60 + 1, 1e300], rng.randint(1, 5))
    values = np.empty(rng.randint(1, 30), dtype=object)
    values[:] = [rng.choice(pool) for _ in range(len(values))]
    got = ledger.floats(values)
    if got is not None:
        expected = pd.to_numeric(pd.Series(values), errors="coerce")
        assert expected.dtype == np.float64
        np.testing.assert_array_equal(got, expected.to_numpy())
