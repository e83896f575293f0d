"""Matching export rows to collaborations: precedence, re-imports, unmatched and ambiguous rows."""
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook_addin.importers import match_exports, post_key, read_exports

DATA = Path(__file__).parent / "data" / "exports"


@pytest.fixture(scope="module")
def collabs() -> pd.DataFrame:
    return pd.read_csv(DATA / "collaborations.csv", dtype=object)


@pytest.fixture(scope="module")
def creators() -> pd.DataFrame:
    return pd.read_csv(DATA / "creators.csv", dtype=object)


@pytest.fixture(scope="module")
def guessed(collabs, creators):
    """The batch matched with no decisions yet: handle-and-date matches are only proposed."""
    return match_exports(read_exports(DATA / "batch"), collabs, creators)


@pytest.fixture(scope="module")
def result(collabs, creators, guessed):
    """The batch matched after a person accepted every proposed match."""
    accepted = guessed.proposals.assign(decision="接受 Accept")
    return match_exports(read_exports(DATA / "batch"), collabs, creators, decisions=accepted)


def cell(result, collabs, collab_id, column):
    idx = collabs.index[collabs["collab_id"] == collab_id][0]
    return result.updates.at[idx, column]


@pytest.mark.parametrize(
    "spelling, key",
    [
        ("https://youtu.be/dQw4w9WgXcQ?si=abc", "youtube:dQw4w9WgXcQ"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "youtube:dQw4w9WgXcQ"),
        ("m.youtube.com/shorts/dQw4w9WgXcQ/", "youtube:dQw4w9WgXcQ"),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", "youtube:dQw4w9WgXcQ"),
        ("https://www.tiktok.com/@mia/video/7301234567890123456?is_from_webapp=1&sender_device=pc", "tiktok:7301234567890123456"),
        ("https://m.tiktok.com/v/7301234567890123456.html", "tiktok:7301234567890123456"),
        ("https://www.instagram.com/reel/C9xYz12AbCd/?igsh=MTc4bmF4", "instagram:C9xYz12AbCd"),
        ("instagram.com/lena.style/p/C9xYz12AbCd", "instagram:C9xYz12AbCd"),
        ("https://WWW.Example.com/blog/post/?utm_source=x", "url:example.com/blog/post"),
    ],
)
def test_every_spelling_of_a_post_has_one_key(spelling, key):
    assert post_key(spelling) == key


def test_bare_ids_are_keyed_by_platform():
    assert post_key("dQw4w9WgXcQ", "YouTube") == "youtube:dQw4w9WgXcQ"
    assert post_key("7301234567890123456", "TikTok") == "tiktok:7301234567890123456"
    assert post_key("7301234567890123456", None) is None


def test_post_metrics_come_from_the_newest_export_not_the_sum(result, collabs):
    # T-01's post is in the 11-10 and 11-20 TikTok exports and the 11-12 TikTok Shop export
    assert cell(result, collabs, "T-01", "views") == 240_100
    assert cell(result, collabs, "T-01", "likes") == 15_200
    assert cell(result, collabs, "T-01", "clicks") == 3210  # only the shop export has clicks
    assert "tiktok_analytics_2026-11-20.csv" in result.changes.query("collab_id == 'T-01' and column == 'views'")["source"].iloc[0]


def test_reimporting_overlapping_exports_does_not_double_count(collabs, creators, tmp_path):
    once = match_exports(read_exports(DATA / "batch"), collabs, creators)
    # the same files again, plus a copy of one under another name (a second download)
    files = sorted((DATA / "batch").iterdir())
    copy = tmp_path / "shopify_orders_2026-11-20 (1).csv"
    copy.write_bytes((DATA / "batch" / "shopify_orders_2026-11-20.csv").read_bytes())
    twice = match_exports(read_exports(files + files + [copy]), collabs, creators)
    cols = ["views", "likes", "orders", "gmv"]
    pd.testing.assert_frame_equal(once.updates[cols], twice.updates[cols])
    # applying the result and importing again changes nothing more
    applied = collabs.copy()
    for _, ch in once.changes.iterrows():
        applied.at[ch["collab"], ch["column"]] = ch["new"]
    again = match_exports(read_exports(DATA / "batch"), applied, creators)
    assert again.changes.empty and again.updates.empty


def test_shop_orders_add_to_tiktok_shop_sales_counted_once(result, collabs):
    # T-01: 31 TikTok Shop orders + Shopify #1001, #1002, #1004 (refunded #1003 excluded)
    assert cell(result, collabs, "T-01", "orders") == 34
    assert cell(result, collabs, "T-01", "gmv") == pytest.approx(1234.50 + 51.00 + 42.50 + (85.00 - 20.00))
    assert cell(result, collabs, "T-01", "gmv_currency") == "USD"


def test_order_later_refunded_in_a_newer_export_stops_counting(result, collabs):
    # T-07 (KAI20): #1007 voided, #1008 paid on 11-15 but refunded in the 11-20 export, #1011 paid;
    # plus 54 TikTok Shop orders for the post matched by handle
    assert cell(result, collabs, "T-07", "orders") == 54 + 1
    assert cell(result, collabs, "T-07", "gmv") == pytest.approx(2160.00 + 64.00)


def test_utm_campaign_from_landing_site_in_note_attributes(result, collabs):
    assert cell(result, collabs, "T-03", "orders") == 1 and cell(result, collabs, "T-03", "gmv") == 120
    assert "utm_campaign" in cell(result, collabs, "T-03", "matched_by")


def test_neither_a_cancelled_nor_a_pending_order_is_gmv(result, collabs):
    # #1006 cancelled (Cancelled at set), #1012 pending: its payment was never captured
    assert cell(result, collabs, "T-02", "orders") == 0 and cell(result, collabs, "T-02", "gmv") == 0
    assert cell(result, collabs, "T-02", "gmv_currency") == "EUR"


def test_handle_match_picks_the_post_nearest_the_collaboration_date_and_fills_the_url(result, collabs):
    assert cell(result, collabs, "T-07", "views") == 1_200_000
    assert cell(result, collabs, "T-07", "post_url").endswith("/video/7303333333333333333")
    assert str(cell(result, collabs, "T-07", "publish_date")) == "2026-11-05"
    assert cell(result, collabs, "T-06", "post_url") == "https://www.instagram.com/p/DAbc123XyZ9/"
    # T-06 had a publish date already: it is not overwritten
    assert pd.isna(cell(result, collabs, "T-06", "publish_date"))
    vlog = result.unmatched[result.unmatched["post_key"] == "tiktok:7303333333333339999"]
    assert "nearer" in vlog["reason"].iloc[0]


def test_a_guessed_match_writes_nothing_before_it_is_confirmed(guessed, collabs, creators):
    proposed = guessed.proposals.set_index("collab_id")
    assert set(proposed.index) == {"T-06", "T-07"}
    assert proposed.at["T-07", "post_url"].endswith("/video/7303333333333333333")
    assert proposed.at["T-07", "item_id"] == "tiktok:7303333333333333333"
    assert "handle and date" in proposed.at["T-07", "reason"] and proposed.at["T-07", "decision"] is None
    written = set(guessed.changes["collab_id"])
    assert "T-06" not in written  # nothing but the guess ties the Instagram post to T-06
    t07 = guessed.changes[guessed.changes["collab_id"] == "T-07"]
    assert set(t07["column"]) <= {"orders", "gmv", "gmv_currency"}  # Shopify orders by promo code only
    assert cell(guessed, collabs, "T-07", "orders") == 1  # not the 54 TikTok Shop orders of the guessed post
    # a rejection is kept: the post is reported, never written, and no longer proposed
    rejected = guessed.proposals.assign(decision="拒绝 Reject")
    again = match_exports(read_exports(DATA / "batch"), collabs, creators, decisions=rejected)
    assert again.proposals.empty and not {"T-06"} & set(again.changes["collab_id"])
    assert again.unmatched["reason"].str.contains("rejected this guessed match with T-07").any()


def test_a_creators_other_post_does_not_land_on_a_collaboration_with_its_own_url(result, collabs):
    # glowwithmia's December collaboration (T-08) has no URL, but her November post matched T-01 by URL
    t08 = collabs.index[collabs["collab_id"] == "T-08"][0]
    assert t08 not in result.updates.index


def test_only_changed_cells_are_returned(result, collabs):
    # T-04 already holds 38,477 views (typed with a thousands separator): views is not an update
    assert pd.isna(cell(result, collabs, "T-04", "views"))
    assert cell(result, collabs, "T-04", "likes") == 2100
    assert not ((result.changes["collab_id"] == "T-04") & (result.changes["column"] == "views")).any()


def test_unmatched_rows_are_listed_with_a_reason(result):
    um = result.unmatched
    stranger = um[um["creator_key"] == "tiktok:randomcreator"]
    assert len(stranger) == 1 and "creator not in the archive" in stranger["reason"].iloc[0]
    code = um[um["promo_code"] == "BLACKFRIDAY"]
    assert len(code) == 1 and "blackfriday" in code["reason"].iloc[0]
    # an order with neither code nor UTM is organic: listed apart, never dropped
    assert list(result.unattributed["order_id"]) == ["#1010"]


def test_rows_matching_several_collaborations_are_ambiguous(collabs):
    res = match_exports(read_exports(DATA / "ambiguous"), collabs)
    assert res.updates.empty
    [amb] = res.ambiguous.to_dict("records")
    assert amb["candidates"] == "T-09, T-10" and amb["order_id"] == "#3001"


def test_shared_promo_code_goes_to_the_latest_collaboration_before_the_order(collabs):
    dated = collabs.copy()
    dated.loc[dated["collab_id"] == "T-10", "publish_date"] = "2026-03-03"
    res = match_exports(read_exports(DATA / "ambiguous"), dated)
    assert res.ambiguous.empty
    assert list(res.changes.query("column == 'orders'")["collab_id"]) == ["T-10"]


def test_updates_are_indexed_like_the_collaborations_table(collabs, creators):
    indexed = collabs.set_index(pd.Index(range(7, 7 + len(collabs)), name="excel_row"))
    res = match_exports(read_exports(DATA / "batch"), indexed, creators)
    assert res.updates.index.name == "excel_row"
    assert set(res.updates.index) <= set(indexed.index)
    assert res.updates.at[7, "views"] == 240_100  # T-01 is on Excel row 7


def test_a_profile_link_in_the_post_url_cell_does_not_block_the_handle_match():
    collabs = pd.DataFrame([{"collab_id": "P-1", "creator_key": "instagram:sara.home", "platform": "Instagram",
                             "post_url": "https://www.instagram.com/sara.home/", "publish_date": "2026-11-08"}])
    export = read_exports(DATA / "batch" / "instagram_meta_2026-11-15.csv")
    proposed = match_exports(export, collabs).proposals
    assert list(proposed["collab_id"]) == ["P-1"]
    res = match_exports(export, collabs, decisions={(proposed.at[0, "item_id"], "P-1"): "accept"})
    assert res.updates.at[0, "views"] == 22340 and res.updates.at[0, "matched_by"] == "handle"
    assert "post_url" not in res.updates.columns  # the typed link is kept; only empty cells are filled


YT_IDS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=11, max_size=11)


@settings(max_examples=100, deadline=None)
@given(YT_IDS, st.sampled_from(["https://youtu.be/{}", "https://www.youtube.com/watch?v={}&t=1s", "m.youtube.com/shorts/{}/",
                                "https://youtube.com/live/{}?feature=share", "https://www.youtube.com/embed/{}"]))
def test_any_youtube_id_in_any_spelling_keys_to_itself(vid, template):
    assert post_key(template.format(vid)) == f"youtube:{vid}" == post_key(vid, "YouTube")


def test_handle_match_outside_the_window_or_undecidable_is_reported_not_guessed():
    collabs = pd.DataFrame([
        {"collab_id": "W-1", "creator_key": "instagram:sara.home", "platform": "Instagram", "promised_date": "2026-09-01"},
        {"collab_id": "W-2", "creator_key": "instagram:lena.style", "platform": "Instagram", "promised_date": "2026-11-01"},
        {"collab_id": "W-3", "creator_key": "instagram:lena.style", "platform": "Instagram", "promised_date": "2026-11-05"},
    ])
    res = match_exports(read_exports(DATA / "batch" / "instagram_meta_2026-11-15.csv"), collabs)
    assert res.updates.empty
    far = res.unmatched[res.unmatched["handle"] == "sara.home"]
    assert "more than 14 days" in far["reason"].iloc[0]  # 2026-11-08 is 68 days after W-1
    tie = res.ambiguous[res.ambiguous["handle"] == "lena.style"]  # posted 11-03, two days from both
    assert tie["candidates"].iloc[0] == "W-2, W-3" and "equally near" in tie["reason"].iloc[0]


def test_duplicate_collab_ids_are_reported_and_get_no_export_metrics(collabs, creators):
    doubled = pd.concat([collabs, collabs[collabs["collab_id"] == "T-03"]], ignore_index=True)
    res = match_exports(read_exports(DATA / "batch"), doubled, creators)
    dup = [p for p in res.problems if "T-03" in str(p) and "Collab ID" in str(p)]
    assert len(dup) == 1 and "rows 4, 12" in str(dup[0])  # Excel rows of both copies
    assert "T-03" not in set(res.changes["collab_id"])
    assert "T-01" in set(res.changes["collab_id"])  # the rest is still applied


def test_the_ledger_is_handed_over_once_it_is_final(collabs, creators, guessed, result):
    # ledger_ready sees the ledger the result carries, once; the matching is the same with it
    seen: list[pd.DataFrame] = []
    again = match_exports(read_exports(DATA / "batch"), collabs, creators,
                          decisions=guessed.proposals.assign(decision="接受 Accept"), ledger_ready=seen.append)
    assert len(seen) == 1 and seen[0] is again.ledger and len(again.ledger) > 0
    pd.testing.assert_frame_equal(again.ledger, result.ledger)
