"""Reading real export layouts: every format, encoding, delimiter and the usual ways files go wrong.

Every file read here is a hand-made export under tests/data/exports/ in the column layout the
platform writes.
"""
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook_addin.importers import read_exports

DATA = Path(__file__).parent / "data" / "exports"


def one(path: Path):
    batch = read_exports(path)
    assert len(batch.files) == 1
    return batch, batch.files[0]


def row(batch, **where):
    rows = batch.rows
    for k, v in where.items():
        rows = rows[rows[k] == v]
    assert len(rows) == 1, f"expected one row for {where}, got {len(rows)}"
    return rows.iloc[0]


def test_tiktok_analytics_with_a_date_range_line_above_the_header():
    batch, f = one(DATA / "batch" / "tiktok_analytics_2026-11-10.csv")
    assert f.format == "tiktok" and f.rows_read == 5 and not batch.problems
    r = row(batch, post_key="tiktok:7301234567890123456")
    assert r.source_row == 3  # the title line is row 1, the header row 2
    assert (r.views, r.likes, r.comments, r.shares, r.saves) == (182400, 12500, 1020, 640, 2100)
    assert r.creator_key == "tiktok:glowwithmia" and r.platform == "TikTok"
    assert str(r.published_at) == "2026-11-02 18:30:00"
    assert row(batch, handle="fitwithkai", published_at="2026-11-05 07:15").views == 1_200_000  # "1.2M"
    assert f.as_of.date().isoformat() == "2026-11-10"  # from the title line / file name


def test_chinese_tiktok_shop_export_in_gbk_with_a_total_row():
    batch, f = one(DATA / "batch" / "tiktok_shop_cn_2026-11-12.csv")
    assert f.format == "tiktok_shop" and f.encoding == "gb18030"
    assert any("GB18030" in w for w in f.warnings)
    assert f.rows_read == 2 and f.summary_rows == 1  # 合计 is not a post
    r = row(batch, post_key="tiktok:7301234567890123456")
    assert (r.views, r.likes, r.clicks, r.orders, r.gmv, r.gmv_currency) == (182_000, 12_000, 3210, 31, 1234.5, "USD")
    assert r.title == "精华测评"


def test_youtube_studio_table_with_bom_and_total_row():
    batch, f = one(DATA / "batch" / "youtube_table_data_2026-11-15.csv")
    assert f.format == "youtube" and f.encoding == "utf-8-sig" and f.summary_rows == 1
    r = row(batch, video_id="dQw4w9WgXcQ")
    assert r.post_key == "youtube:dQw4w9WgXcQ" and r.views == 120455 and r.likes == 5321 and r.comments == 412
    assert str(r.published_at.date()) == "2026-11-03"  # "Nov 3, 2026"


def test_instagram_meta_business_suite_export():
    batch, f = one(DATA / "batch" / "instagram_meta_2026-11-15.csv")
    assert f.format == "instagram"
    r = row(batch, handle="lena.style")
    assert r.post_key == "instagram:C9xYz12AbCd" and r.video_id == "17912345678901234"
    assert (r.views, r.likes, r.comments, r.shares, r.saves) == (48210, 2904, 187, 311, 1045)
    assert str(r.published_at) == "2026-11-03 14:05:00"  # 11/03/2026: Meta writes month first


def test_instagram_export_from_before_views_replaced_impressions():
    batch, f = one(DATA / "locale" / "instagram_2024_impressions.csv")
    assert f.format == "instagram" and row(batch, handle="sara.home").views == 19870


def test_german_instagram_export_in_windows_1252_is_read_with_a_warning():
    batch, f = one(DATA / "locale" / "instagram_de_cp1252.csv")
    assert f.format == "instagram" and f.encoding == "cp1252" and f.delimiter == ";"
    assert any("CP1252" in w for w in f.warnings)
    r = row(batch, handle="lena.style")
    assert r.title == "Herbst-Looks für München #Werbung"
    assert (r.views, r.likes, r.saves) == (51380, 3011, 1102)  # "51.380": German thousands
    assert str(r.published_at.date()) == "2026-11-03"  # 03.11.2026


def test_excel_unicode_text_utf16_tab_separated():
    batch, f = one(DATA / "locale" / "tiktok_studio_unicode.txt")
    assert f.format == "tiktok" and f.encoding == "utf-16" and f.delimiter == "\t"
    assert row(batch, post_key="tiktok:7301234567890123456").views == 250_300  # "250 300"
    assert row(batch, post_key="tiktok:7302222222222222222").views == 131_250  # "131.250"


def test_xlsx_export_read_with_calamine_below_a_title_row():
    batch, f = one(DATA / "locale" / "tiktok_shop_video_performance.xlsx")
    assert f.format == "tiktok_shop" and f.rows_read == 2
    r = row(batch, video_id="7302222222222222222")
    assert r.source_row == 3 and r.gmv == pytest.approx(980.4) and r.gmv_currency == "EUR" and r.orders == 22
    assert str(r.published_at.date()) == "2026-11-04"
    assert f.as_of.date().isoformat() == "2026-11-14"  # "Data period: 2026-11-01 ~ 2026-11-14"


def test_truncated_file_keeps_complete_rows_and_names_the_cut_row():
    batch, f = one(DATA / "malformed" / "truncated_tiktok.csv")
    assert f.rows_read == 1 and f.rows_skipped == 1
    assert any("cut short" in w for w in f.warnings)
    [p] = batch.problems
    assert p.sheet == "truncated_tiktok.csv" and p.row == 4 and "ends in the middle" in p.message


@pytest.mark.parametrize("name", ["empty.csv", "bom_only.csv"])
def test_empty_file_is_reported_by_name(name):
    batch, f = one(DATA / "malformed" / name)
    assert f.format is None and batch.rows.empty
    [p] = batch.problems
    assert p.sheet == name and "empty" in p.message


def test_unknown_format_is_reported_with_its_columns_not_guessed():
    batch, f = one(DATA / "malformed" / "google_analytics_campaigns.csv")
    assert f.format is None and batch.rows.empty
    [p] = batch.problems
    assert p.row == 5 and "unknown export format" in p.message and "Session campaign" in p.message
    assert "import map" in p.message


def test_corrupt_xlsx_download_is_reported():
    batch, f = one(DATA / "malformed" / "corrupt_download.xlsx")
    assert f.format is None
    [p] = batch.problems
    assert p.sheet == "corrupt_download.xlsx" and "cannot open" in p.message


def test_bad_cells_name_file_row_and_column_and_keep_the_rest():
    batch, f = one(DATA / "malformed" / "youtube_bad_cells.csv")
    assert f.rows_read == 2
    msgs = {(p.row, p.column): p for p in batch.problems}
    assert msgs[(3, "Views")].value == "12O455"
    assert str(msgs[(3, "Views")]).startswith("youtube_bad_cells.csv, row 3, Views:")
    assert (4, "Video publish time") in msgs
    r = row(batch, video_id="dQw4w9WgXcQ")
    assert r.views != r.views and str(r.published_at.date()) == "2026-11-03"  # the bad cell is empty, the rest kept


def test_video_id_mangled_by_excel_is_flagged_not_used():
    batch, _ = one(DATA / "malformed" / "tiktok_ids_mangled_by_excel.csv")
    [p] = batch.problems
    assert p.column == "Video ID" and "Excel" in p.message
    r = batch.rows.iloc[0]
    assert r.post_key is None and r.creator_key == "tiktok:glowwithmia"


def test_a_folder_reads_every_file_and_reports_each():
    batch = read_exports(DATA / "malformed")
    names = {f.name: f for f in batch.files}
    assert set(names) == {"bom_only.csv", "corrupt_download.xlsx", "empty.csv", "google_analytics_campaigns.csv",
                          "tiktok_ids_as_numbers.xlsx", "tiktok_ids_mangled_by_excel.csv", "truncated_tiktok.csv",
                          "youtube_bad_cells.csv"}
    assert {p.sheet for p in batch.problems} >= {"empty.csv", "corrupt_download.xlsx", "google_analytics_campaigns.csv"}
    # the two files with unusable ids hold the same post (same creator and day): kept once
    assert len(batch.rows) == 4


def test_rows_have_the_documented_columns():
    batch = read_exports(DATA / "batch")
    for col in ("source_file", "source_row", "format", "post_url", "video_id", "creator_key", "handle", "platform",
                "promo_code", "utm_campaign", "views", "likes", "comments", "shares", "saves", "clicks", "orders",
                "gmv", "gmv_currency", "followers", "published_at", "row_id"):
        assert col in batch.rows.columns
    assert batch.rows["row_id"].is_unique


def test_video_id_stored_as_a_number_in_xlsx_is_flagged_not_rounded_into_another_id():
    batch, _ = one(DATA / "malformed" / "tiktok_ids_as_numbers.xlsx")
    [p] = batch.problems
    assert p.row == 2 and p.column == "Video ID" and "lost its last digits" in p.message
    assert batch.rows.iloc[0].post_key is None and batch.rows.iloc[0].views == 240100


def test_youtube_studio_zip_download_reads_its_table_data_only():
    batch = read_exports(DATA / "youtube_zip" / "youtube_studio_content_2026-11-15.zip")
    [f] = batch.files
    assert f.name == "youtube_studio_content_2026-11-15.zip/Table data.csv" and f.format == "youtube"
    assert not batch.problems
    assert row(batch, video_id="dQw4w9WgXcQ").views == 120455  # the video's total, not one day's


def test_youtube_per_day_chart_data_is_refused_not_read_as_posts():
    batch, f = one(DATA / "youtube_zip" / "Chart data.csv")
    assert batch.rows.empty
    [p] = batch.problems
    assert p.sheet == "Chart data.csv" and "per-day" in p.message and "Table data.csv" in p.message


def test_broken_zip_download_is_listed_with_the_reason():
    batch, f = one(DATA / "youtube_zip" / "broken_download.zip")
    assert f.name == "broken_download.zip" and f.format is None
    [p] = batch.problems
    assert "ZIP" in p.message and "complete" in p.message


def test_a_formula_cell_without_a_saved_value_is_reported_not_read_silently_as_empty(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()  # openpyxl, like many export tools, writes formulas without a calculated value
    ws = wb.active
    ws.append(["Video link", "Video views", "Likes"])
    ws.append(["https://www.tiktok.com/@mia/video/7301234567890123456", 1000, 50])
    ws.append(["https://www.tiktok.com/@mia/video/7301234567890123457", "=1000*2", 60])
    wb.save(tmp_path / "tiktok_2026-11-20.xlsx")
    batch = read_exports(tmp_path / "tiktok_2026-11-20.xlsx")
    warning = " ".join(batch.files[0].warnings)
    assert "formula cells have no saved value" in warning and "B3" in warning
    assert batch.rows["views"].isna().sum() == 1  # the value is still unknown, and now says so


def test_export_dates_take_one_order_per_column_and_an_unsettled_order_is_reported(tmp_path):
    head = "Video link,Video views,Post time\n"
    url = "https://www.tiktok.com/@mia/video/73012345678901234{:02d}"
    (tmp_path / "tiktok_a.csv").write_text(head + f"{url.format(1)},100,05/10/2026\n{url.format(2)},200,13/10/2026\n")
    (tmp_path / "tiktok_b.csv").write_text(head + f"{url.format(3)},100,05/10/2026\n{url.format(4)},200,06/10/2026\n")
    settled = read_exports(tmp_path / "tiktok_a.csv")
    assert [d.strftime("%m-%d") for d in settled.rows["published_at"]] == ["10-05", "10-13"] and settled.problems == []
    unsettled = read_exports(tmp_path / "tiktok_b.csv")
    assert [(p.row, p.column) for p in unsettled.problems] == [(None, "Post time")]
    assert "settles day/month order" in unsettled.problems[0].message


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aé,;\"\r\n \x0b\u2028\x85", max_size=80),
       st.integers(0, 6))
def test_the_first_lines_read_for_recognition_are_the_files_first_records(text, n):
    """Format recognition reads only a file's first records (the rest is parsed once, for the
    decoding kept): they must be exactly the first records of the whole parse, whatever the line ends."""
    from workbook_addin.importers.readers import Decoding

    assert Decoding(None, "utf-8", ",", text=text).head(n) == Decoding(None, "utf-8", ",", text=text).records[:n]
