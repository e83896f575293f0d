"""Text pulled from the archive reaches a live Excel workbook exactly as typed (issue 13, defect 5):
the Refresh button's xlwings path writes through ``Range.value``, where Excel turns "=..." into a
formula and "0012" into 12. Tested with the in-memory xlwings fake, which models that conversion."""
from __future__ import annotations

import pandas as pd

from sheets_sync.sqlite_archive import SqliteArchive
from sheets_sync.sync import sync_table
from tests.test_refresh_live import NOW, FakeBook, _copy, template  # noqa: F401 - the module fixture
from workbook_addin import macros
from workbook_addin.core.schema import load_schema

TYPED = {
    "notes": '=HYPERLINK("http://evil.example","click me")',
    "agency": "+1 555 0100",
    "blacklist_reason": "-5% off, =1+1",
    "display_name": "@mia",
    "owner": "0012",
    "handle": "12345678901234567890",
}


def test_pulled_text_arrives_exactly_as_typed_and_no_formula_is_created(template, tmp_path):  # noqa: F811
    path = _copy(template, tmp_path / "live")
    archive = SqliteArchive(path.parent / "lianxing_archive.sqlite", user="team mate")
    sync_table(pd.DataFrame([{"platform": "TikTok", **TYPED}], dtype=object), None, None, archive)
    archive.close()
    book = FakeBook(path)
    sheet = book.sheets[load_schema().sheet("creators").name]
    formulas_before = dict(sheet.formulas)
    report = macros.refresh_metrics(book, now=NOW)
    assert report is not None and report.sync_ok, report.sync
    got = macros.XlwingsWorkbook(book).read().tables["creators"]
    row = got[got["creator_key"] == "tiktok:12345678901234567890"]
    assert len(row) == 1
    label = row.index[0]
    for col, text in TYPED.items():
        assert row.at[label, col] == text, col
    new_formulas = {k: v for k, v in sheet.formulas.items() if formulas_before.get(k) != v}
    assert not [v for v in new_formulas.values() if any(t in v for t in TYPED.values())], new_formulas
