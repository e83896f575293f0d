"""One definition of GMV for every shop source: net of refunds, cancelled, voided, pending and
unpaid orders left out, rounded to cents, and the columns used named in the run log.

The exports are in the platforms' own layouts: a Shopify orders export with its 79 columns (one row
per line item, order fields on the first; Shopify help: "Exporting orders"), and a TikTok Shop
affiliate video export (a "Data period" title line, then Creator username ... Affiliate GMV,
Affiliate refunded GMV, Currency)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from workbook_addin.importers import match_exports, read_exports
from workbook_addin.importers.changes import checked_values
from workbook_addin.jobs.refresh import RefreshReport, run_log_row

GMV = Path(__file__).parent / "data" / "exports" / "gmv"
SHOPIFY = GMV / "shopify_orders_export_2026-11-24.csv"
TIKTOK_SHOP = GMV / "tiktok_shop_creator_videos_2026-11-24.xlsx"
COLLABS = pd.DataFrame([
    {"collab_id": "G-1", "creator_key": "tiktok:glowwithmia", "platform": "TikTok", "currency": "USD",
     "post_url": "https://www.tiktok.com/@glowwithmia/video/7431000000000000001", "promo_code": "GLOW20"},
    {"collab_id": "G-2", "creator_key": "tiktok:fitwithkai", "platform": "TikTok", "currency": "USD",
     "post_url": "https://www.tiktok.com/@fitwithkai/video/7431000000000000003"},
])


def orders_by_name(batch) -> dict[str, dict]:
    rows = batch.rows[batch.rows["kind"] == "orders"]
    return {r["order_id"]: r for r in rows.to_dict("records")}


def test_shopify_gmv_is_subtotal_net_of_refunds_and_only_captured_payments_count():
    batch = read_exports(SHOPIFY)
    assert batch.problems == [] and batch.files[0].format == "shopify"
    o = orders_by_name(batch)
    assert len(o) == 9  # nine orders on eleven line-item rows
    counted = {name for name, r in o.items() if r["counted"]}
    assert counted == {"#2001", "#2002", "#2008", "#2009"}
    # pending and authorized: payment not captured; refunded, voided, and #2007 cancelled: no sale
    for name in ("#2003", "#2004", "#2005", "#2006", "#2007"):
        assert o[name]["orders"] == 0 and o[name]["gmv"] == 0, name
    assert o["#2002"]["gmv"] == 90.00 and o["#2009"]["gmv"] == 56.57  # 120.00 − 30.00; 66.67 − 10.10
    total = match_exports(batch, COLLABS.drop(columns="post_url")).changes.set_index(["collab_id", "column"])["new"]
    assert total["G-1", "orders"] == 4
    assert repr(total["G-1", "gmv"]) == "269.9"  # 90 + 90 + 33.33 + 56.57, in cents: no float noise


def test_tiktok_shop_gmv_is_affiliate_gmv_net_of_affiliate_refunded_gmv():
    batch = read_exports(TIKTOK_SHOP)
    assert batch.problems == [] and batch.files[0].format == "tiktok_shop"
    gmv = batch.rows.set_index("video_id")["gmv"]
    assert gmv["7431000000000000001"] == pytest.approx(9876.54 - 1234.56)
    assert gmv["7431000000000000002"] == 4321.10
    assert gmv["7431000000000000003"] == 0  # refunds above the gross: never below zero
    changes = match_exports(batch, COLLABS.drop(columns="promo_code")).changes.set_index(["collab_id", "column"])["new"]
    assert changes["G-1", "gmv"] == 8641.98 and changes["G-2", "gmv"] == 0


def test_both_shops_add_up_on_one_collaboration_and_the_run_log_names_the_columns():
    batch = read_exports([SHOPIFY, TIKTOK_SHOP])
    changes = match_exports(batch, COLLABS).changes.set_index(["collab_id", "column"])["new"]
    assert changes["G-1", "orders"] == 212 + 4 and changes["G-1", "gmv"] == 8641.98 + 269.90
    basis = {f.name: f.gmv_basis for f in batch.files}
    assert basis[SHOPIFY.name].startswith("Subtotal − Refunded Amount") and "pending" in basis[SHOPIFY.name]
    assert basis[TIKTOK_SHOP.name] == "Affiliate GMV − Affiliate refunded GMV"
    message = run_log_row(RefreshReport(run_at=dt.datetime(2026, 11, 25), files=batch.files), "ops")["message"]
    assert "GMV from" in message and "Subtotal − Refunded Amount" in message and "Affiliate refunded GMV" in message


def test_export_text_is_held_to_the_rules_of_typed_text_and_rejected_values_are_never_written(tmp_path):
    export = tmp_path / "tiktok_shop_videos_2026-11-24.csv"
    export.write_text(
        "Creator username,Video ID,Video link,Video post date,Video views,Affiliate orders,Affiliate GMV,Currency\n"
        "glowwithmia,7431000000000000001,=cmd|' /C calc'!A0,2026-11-02,1000,3,30.00,@X\n"
        "fitwithkai,7431000000000000003,,2026-11-05,12x0,1,10.00,USD\n",
        encoding="utf-8")
    collabs = COLLABS.drop(columns="promo_code")
    collabs.loc[0, "post_url"] = None  # G-1 waits for its link: the export's would be written
    collabs.loc[0, "video_id"] = None
    batch = read_exports(export)
    res = match_exports(batch, collabs.assign(post_url=[None, collabs.at[1, "post_url"]]),
                        decisions={("tiktok:7431000000000000001", "G-1"): "accept"})
    rejected = res.rejected.set_index("value")
    assert rejected.at["=cmd|' /C calc'!A0", "column"] == "内容链接 Post URL" and rejected.at["=cmd|' /C calc'!A0", "row"] == 2
    assert rejected.at["@X", "column"] == "成交币种 GMV currency" and "unknown currency" in rejected.at["@X", "reason"]
    assert set(rejected["file"]) == {export.name}
    written = res.changes.set_index(["collab_id", "column"])["new"]
    assert "post_url" not in set(res.changes["column"]) and ("G-1", "gmv_currency") not in written.index
    assert ("G-1", "gmv") not in written.index and written["G-1", "orders"] == 3  # the rest of the row still counts
    assert ("G-2", "views") not in written.index and written["G-2", "gmv"] == 10  # "12x0" is not a number
    bad = [p for p in batch.problems if p.row == 3]
    assert bad and bad[0].column == "Video views" and bad[0].sheet == export.name


def test_a_post_link_must_be_on_the_collaborations_platform():
    matched = pd.DataFrame([{"collab": 0, "source_file": "x.csv", "source_row": 2, "gmv": 1.0, "gmv_currency": "usd",
                             "post_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
                            {"collab": 0, "source_file": "x.csv", "source_row": 3, "gmv": 1.0, "gmv_currency": "USD",
                             "post_url": "www.tiktok.com/@glowwithmia/video/7431000000000000001"}])
    kept, rejected = checked_values(matched, COLLABS)
    assert list(rejected["row"]) == [2] and "the link is on YouTube, the collaboration is on TikTok" in rejected.at[0, "reason"]
    assert kept.at[0, "post_url"] is None and kept.at[1, "post_url"].startswith("www.tiktok.com")


def test_summed_gmv_is_money_in_cents_without_float_noise():
    from workbook_addin.importers.ledger import totals

    ledger = pd.DataFrame([
        {"source": "shopify", "item_id": f"#{n}", "collab_id": "G-1", "kind": "order", "orders": 1.0, "gmv": g,
         "gmv_currency": "USD", "file": "orders.csv", "first_seen": dt.datetime(2026, 11, 24),
         "last_seen": dt.datetime(2026, 11, 24)} for n, g in enumerate((1431.48, 1431.48, 1431.48))])
    assert 1431.48 + 1431.48 + 1431.48 != 4294.44  # what summing floats gives
    assert repr(float(totals(ledger).values.at["G-1", "gmv"])) == "4294.44"
