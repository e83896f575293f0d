"""Shop orders (Shopify, German Shopify, a mapped WooCommerce export) and the Settings import map."""
from pathlib import Path

import pandas as pd
import pytest

from workbook_addin.importers import match_exports, read_exports
from workbook_addin.importers.shopify import utm_campaign_from

DATA = Path(__file__).parent / "data" / "exports"


def orders(batch) -> dict:
    return {r["order_id"]: r for r in batch.rows.to_dict("records")}


def test_shopify_line_items_make_one_order_with_first_row_fields():
    batch = read_exports(DATA / "batch" / "shopify_orders_2026-11-15.csv")
    o = orders(batch)
    assert len(o) == 10 and batch.files[0].rows_read == 10  # 13 line-item rows, 10 orders
    assert o["#1001"]["gmv"] == 51.0 and o["#1001"]["promo_code"] == "MIA15" and o["#1001"]["orders"] == 1


@pytest.mark.parametrize(
    "order, counted, gmv",
    [
        ("#1003", False, 0.0),   # refunded
        ("#1004", True, 65.0),   # partially refunded: subtotal 85.00 less 20.00
        ("#1006", False, 0.0),   # cancelled (Cancelled at is set although the status says paid)
        ("#1007", False, 0.0),   # voided
    ],
)
def test_refund_and_cancel_rules(order, counted, gmv):
    o = orders(read_exports(DATA / "batch" / "shopify_orders_2026-11-15.csv"))[order]
    assert bool(o["counted"]) is counted and o["orders"] == (1 if counted else 0) and o["gmv"] == gmv


def test_german_shopify_export_semicolons_decimal_commas_and_day_first_dates():
    batch = read_exports(DATA / "locale" / "shopify_orders_de.csv")
    f = batch.files[0]
    assert f.format == "shopify" and f.delimiter == ";" and not batch.problems
    o = orders(batch)
    assert o["#2001"]["gmv"] == 1049.00 and o["#2001"]["gmv_currency"] == "EUR"  # "1.049,00"
    assert str(o["#2001"]["published_at"]) == "2026-11-03 14:22:00"  # 03.11.2026
    assert o["#2002"]["gmv"] == pytest.approx(89.50 - 19.50)  # teilweise erstattet: net
    assert not o["#2003"]["counted"]  # erstattet
    assert o["#2004"]["utm_campaign"] == "lena_nov"  # from the note attributes


def test_utm_campaign_sources():
    assert utm_campaign_from("https://shop.example.com/?utm_source=tt&utm_campaign=mia%20nov&x=1") == "mia nov"
    assert utm_campaign_from(None, "landing_site: /?utm_campaign=kai_q4\nref: x") == "kai_q4"
    assert utm_campaign_from("utm_campaign: lena_nov") == "lena_nov"
    assert utm_campaign_from("https://shop.example.com/", "") is None
    # a quote inside the campaign is part of it (it used to cut the value there), quotes around it are not
    assert utm_campaign_from('https://shop.example/?utm_campaign=mia"s_launch&x=1') == 'mia"s_launch'
    assert utm_campaign_from("utm_campaign: 'kai_q4'") == "kai_q4"


def test_an_unmatched_utm_is_shown_whole_and_escaped():
    from workbook_addin.jobs.refresh import RefreshReport

    report = RefreshReport(run_at=None, unmatched=pd.DataFrame([{
        "source_file": "orders.csv", "source_row": 4, "utm_campaign": 'mia"s\nlaunch', "reason": "no collaboration"}]))
    assert report.unmatched_lines() == ['未匹配 unmatched: orders.csv 第4行 row 4 "mia\\"s\\nlaunch": no collaboration']


MAPPING = pd.DataFrame(
    [
        ("upfluence", "Content URL", "post_url", "post_url"),
        ("upfluence", "Impressions", "播放量 Views", ""),
        ("upfluence", "Link clicks", "clicks", ""),
        ("upfluence", "Saves", "收藏", ""),
        ("upfluence", "Published", "published_at", ""),
        ("woocommerce", "Order Number", "order_id", "promo_code"),
        ("woocommerce", "Order Status", "financial_status", ""),
        ("woocommerce", "Order Date", "published_at", ""),
        ("woocommerce", "Coupon Code", "promo_code", ""),
        ("woocommerce", "Order Subtotal Amount", "subtotal", ""),
        ("woocommerce", "Order Currency", "gmv_currency", ""),
    ],
    columns=["format", "source_column", "target_column", "match_by"],
)


def test_generic_mapping_reads_a_format_nobody_coded():
    batch = read_exports(DATA / "generic", mapping=MAPPING)
    fmts = {f.name: f.format for f in batch.files}
    assert fmts == {"upfluence_campaign_report.csv": "upfluence", "woocommerce_orders.csv": "woocommerce"}
    assert not batch.problems
    up = batch.rows[batch.rows["format"] == "upfluence"].set_index("post_key")
    assert up.at["instagram:C9xYz12AbCd", "views"] == 49100 and up.at["instagram:C9xYz12AbCd", "clicks"] == 612
    woo = orders(batch)
    assert woo["W-5001"]["gmv"] == 75 and not woo["W-5002"]["counted"]  # refunded


def test_generic_rows_match_and_update_collaborations():
    collabs = pd.read_csv(DATA / "collaborations.csv", dtype=object)
    res = match_exports(read_exports(DATA / "generic", mapping=MAPPING), collabs)
    t05 = collabs.index[collabs["collab_id"] == "T-05"][0]
    t06 = collabs.index[collabs["collab_id"] == "T-06"][0]
    assert res.updates.at[t05, "views"] == 49100 and res.updates.at[t05, "clicks"] == 612
    assert res.updates.at[t06, "orders"] == 2 and res.updates.at[t06, "gmv"] == pytest.approx(100.5)  # SARA10, one refunded
    # the second Upfluence post is not one of ours: listed, not dropped
    assert list(res.unmatched["post_key"]) == ["instagram:ZZZnotours1"]


def test_without_the_mapping_the_same_files_are_unknown():
    batch = read_exports(DATA / "generic")
    assert all(f.format is None for f in batch.files)
    assert all("unknown export format" in p.message for p in batch.problems)


def test_bad_mapping_rows_are_reported_with_their_settings_row():
    bad = pd.DataFrame(
        [("x", "Col A", "views", ""), ("x", "Col B", "nonsense", ""), ("x", "", "likes", ""), ("x", "Col C", "likes", "telepathy")],
        columns=["format", "source_column", "target_column", "match_by"],
    )
    batch = read_exports([], mapping=bad)
    where = {(p.row, p.column) for p in batch.problems}
    assert where == {(3, "目标列 Target column"), (4, "源列名 Source column"), (5, "匹配方式 Match by")}
    assert all(p.sheet.startswith("设置 Settings") for p in batch.problems)
