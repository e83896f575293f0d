"""Input checks: every bad cell becomes missing plus a Problem naming sheet, Excel row and column."""
import math

import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from workbook_addin.engine.evaluation import evaluate
from workbook_addin.core.keys import try_creator_key
from workbook_addin.core.sample import load_sample
from workbook_addin.core.coerce import coerce_table
from workbook_addin.core.key_columns import creator_keys
from workbook_addin.core.problems import Problem


def test_problem_text_names_sheet_row_and_column():
    p = Problem("达人 Creators", 7, "粉丝数 Followers", "'abc' is not a number", "abc")
    assert str(p) == "达人 Creators, row 7, 粉丝数 Followers: 'abc' is not a number"


def _creators(overrides=None):
    rows = [
        {"platform": "TikTok", "handle": "alpha_demo", "followers": "12,000", "fake_follower_rate": "4%", "currency": "USD"},
        {"platform": "TikTok", "handle": "beta_demo", "followers": "20000", "fake_follower_rate": "0.05", "currency": "USD"},
        {"platform": "Instagram", "handle": "gamma_demo", "followers": "30000", "fake_follower_rate": "6", "currency": "EUR"},
    ]
    for (i, key), value in (overrides or {}).items():
        rows[i][key] = value
    return pd.DataFrame(rows)


def test_coercion_types_the_cells():
    typed, problems = coerce_table("creators", _creators())
    assert problems == []
    assert typed["followers"].tolist() == [12000.0, 20000.0, 30000.0]
    # "4%" -> 0.04; 0.05 stays; 6 typed as points in a percent column -> 6 %
    assert typed["fake_follower_rate"].tolist() == pytest.approx([0.04, 0.05, 0.06])
    assert "blacklisted" in typed.columns  # absent schema columns are added empty


def test_text_in_number_cell_names_sheet_row_column_and_keeps_other_rows():
    typed, problems = coerce_table("creators", _creators({(1, "followers"): "abc"}))
    assert [str(p) for p in problems] == ["达人 Creators, row 3, 粉丝数 Followers: 'abc' is not a number"]
    assert math.isnan(typed["followers"][1]) and typed["followers"][0] == 12000


def test_negative_followers_is_refused():
    _, problems = coerce_table("creators", _creators({(0, "followers"): "-500"}))
    assert len(problems) == 1
    assert str(problems[0]).startswith("达人 Creators, row 2, 粉丝数 Followers: '-500' is below the allowed minimum 0")


def test_unknown_platform_and_currency_are_named():
    _, problems = coerce_table("creators", _creators({(2, "platform"): "Snapchat", (0, "currency"): "XYZ"}))
    texts = sorted(str(p) for p in problems)
    assert "达人 Creators, row 2, 币种 Currency: unknown currency: 'XYZ' is not one of the allowed values" in texts[0]
    assert "达人 Creators, row 4, 平台 Platform: unknown platform: 'Snapchat'" in texts[1]


def test_excel_row_index_from_the_workbook_reader_is_used():
    frame = _creators({(1, "followers"): "abc"})
    frame.index = pd.Index([10, 11, 14], name="excel_row")
    _, problems = coerce_table("creators", frame)
    assert problems[0].row == 11


def test_enum_accepts_labels_and_aliases_and_dates_serials():
    frame = pd.DataFrame({"review_id": ["R1", "R2"], "collab_id": ["C1", "C1"], "creator_key": ["tiktok:a", "tiktok:a"],
                          "reviewer": ["Lin", "Lin"], "review_date": [46297, "2026/10/05"],
                          "ad_disclosure": ["是 Yes", "否"], "false_claims": ["no", True]})
    typed, problems = coerce_table("reviews", frame)
    assert problems == []
    assert typed["ad_disclosure"].tolist() == ["yes", "no"]
    assert typed["false_claims"].tolist() == ["no", "yes"]
    assert typed["review_date"].tolist() == [pd.Timestamp("2026-10-02"), pd.Timestamp("2026-10-05")]


def test_bad_date_and_bad_link():
    frame = pd.DataFrame({"collab_id": ["C1"], "creator_key": ["tiktok:a"], "platform": ["TikTok"], "currency": ["USD"],
                          "publish_date": ["next week"], "post_url": ["not a link"]})
    _, problems = coerce_table("collaborations", frame)
    texts = [str(p) for p in problems]
    assert "合作 Collaborations, row 2, 发布日期 Publish date: 'next week' is not a date" in texts
    assert "合作 Collaborations, row 2, 内容链接 Post URL: 'not a link' is not a web link" in texts


def test_required_value_missing_is_reported():
    frame = pd.DataFrame({"outreach_id": ["O1", "O2"], "creator_key": ["tiktok:a", "tiktok:a"], "status": ["replied", "replied"],
                          "contacted_at": ["2026-11-01", None]})
    _, problems = coerce_table("outreach", frame)
    assert [str(p) for p in problems] == ["建联 Outreach, row 3, 联系时间 Contacted at: required value is missing"]
    # a required column absent from the sheet is one problem, not one per row
    _, problems = coerce_table("outreach", frame.drop(columns="contacted_at"))
    assert [str(p) for p in problems] == ["建联 Outreach, 联系时间 Contacted at: required column is missing from the sheet"]


def test_bad_inputs_in_the_sample_leave_other_creators_scored():
    tables = load_sample()
    cr = tables["creators"].copy()
    cr.loc[0, "followers"] = "lots"          # text in a number cell (row 2)
    cr.loc[1, "followers"] = "-42000"        # negative followers (row 3)
    cr.loc[2, "platform"] = "Snapchat"       # unknown platform (row 4): no key, not scored
    tables["creators"] = cr
    co = tables["collaborations"].copy()
    co.loc[4, "currency"] = "XYZ"            # unknown currency (row 6)
    tables["collaborations"] = co
    result = evaluate(tables, today="2026-11-25")
    texts = [str(p) for p in result.problems]
    assert "达人 Creators, row 2, 粉丝数 Followers: 'lots' is not a number" in texts
    assert any(t.startswith("达人 Creators, row 3, 粉丝数 Followers: '-42000' is below the allowed minimum 0") for t in texts)
    assert any(t.startswith("达人 Creators, row 4, 平台 Platform: unknown platform: 'Snapchat'") for t in texts)
    assert any(t.startswith("合作 Collaborations, row 6, 币种 Currency: unknown currency: 'XYZ'") for t in texts)
    scores = result.scores.set_index("creator_key")
    assert "youtube:techtomo_demo" not in scores.index           # no key without a platform
    assert len(scores) == 11 and scores["score"].notna().all()   # every other creator still scored
    assert scores.loc["tiktok:glowwithmia_demo", "tier"] == "S"


def test_duplicate_creators_are_reported_and_scored_once():
    tables = load_sample()
    cr = tables["creators"]
    dup = cr.iloc[[0]].copy()
    dup["handle"] = "@GlowWithMia_Demo "
    tables["creators"] = pd.concat([cr, dup], ignore_index=True)
    result = evaluate(tables, today="2026-11-25")
    texts = [str(p) for p in result.problems]
    assert any(t.startswith("达人 Creators, row 14, 账号 Handle: duplicate creator tiktok:glowwithmia_demo: same key as row 2") for t in texts)
    assert (result.scores["creator_key"] == "tiktok:glowwithmia_demo").sum() == 1
    assert result.tables["creators"]["tier"].iloc[12] is None


def test_child_rows_with_unknown_creator_are_reported():
    tables = load_sample()
    tables["outreach"] = pd.concat([tables["outreach"], pd.DataFrame([{"outreach_id": "O-X", "creator_key": "TikTok:@nobody_demo",
                                    "contacted_at": "2026-11-01 09:00", "status": "contacted"}])], ignore_index=True)
    result = evaluate(tables, today="2026-11-25")
    assert "建联 Outreach, row 22, 达人键 Creator key: creator tiktok:nobody_demo is not in 达人 Creators; row left out of the scores" in [str(p) for p in result.problems]


_handles = st.text(alphabet=st.sampled_from(list("abcXYZ019._-@ \u200b＠/é")), min_size=0, max_size=12)


@hsettings(max_examples=200, deadline=None)
@given(platform=st.sampled_from(["TikTok", "Instagram", "YouTube", None, "Snapchat"]), handle=_handles)
def test_vectorised_creator_keys_match_the_scalar_function(platform, handle):
    keys, _ = creator_keys(pd.Series([platform], dtype=object), pd.Series([handle], dtype=object))
    assert keys[0] == try_creator_key(platform, handle)


_cells = st.one_of(_handles, st.sampled_from([None, float("nan"), 12.0, "a\nb", "x\r", "\ttab_ok ", "", "  "]))


@hsettings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["TikTok", "Instagram", "YouTube", None, "Snapchat"]), _cells), min_size=1, max_size=40))
def test_vectorised_creator_keys_match_the_scalar_function_cell_by_cell_in_a_column(rows):
    # the fast path works on the whole column at once: odd cells must not shift their neighbours
    platforms, handles = zip(*rows)
    keys, reasons = creator_keys(pd.Series(platforms, dtype=object), pd.Series(handles, dtype=object))
    for p, h, k, r in zip(platforms, handles, keys, reasons):
        expected = try_creator_key(p, None if h is None or h != h else h)
        assert k == expected, (p, h)
        assert (r != "") == (expected is None)


def test_a_columns_day_month_order_is_decided_from_all_its_dates():
    # one value with a day above 12 settles the column: 05/10/2026 is 5 October, like 13/10/2026
    frame = pd.DataFrame({"collab_id": ["C1", "C2"], "publish_date": ["05/10/2026", "13/10/2026"]})
    typed, problems = coerce_table("collaborations", frame)
    assert [d.strftime("%Y-%m-%d") for d in typed["publish_date"]] == ["2026-10-05", "2026-10-13"]
    assert not [p for p in problems if p.column_key == "publish_date"]
    # nothing settles 05/10 against 06/10: read month first, and the column says so
    frame = pd.DataFrame({"collab_id": ["C1", "C2"], "publish_date": ["05/10/2026", "06/10/2026"]})
    typed, problems = coerce_table("collaborations", frame)
    assert typed["publish_date"].iloc[0].strftime("%Y-%m-%d") == "2026-05-10"
    note = [p for p in problems if p.column_key == "publish_date"]
    assert len(note) == 1 and note[0].row is None and "settles day/month order" in note[0].message


_urls = st.builds(
    lambda scheme, www, host, sep, handle, tail: f"{scheme}{www}{host}{sep}{handle}{tail}",
    st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", ""]), st.sampled_from(["www.", "", "m.", "WWW."]),
    st.sampled_from(["tiktok.com", "youtube.com", "instagram.com", "TikTok.com", "tiktok.co", "instagr.am",
                     "youtu.be"]),
    st.sampled_from(["/@", "/", "/@@", "//@", "/c/", "/channel/"]),
    st.one_of(st.sampled_from(["p", "reel", "stories", "explore", "Mia", "mia.b_c-1", ".", "-"]), _handles),
    st.sampled_from(["", "/", "?lang=en", "/video/1", " ", "//"]))


@hsettings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["TikTok", "Instagram", "YouTube", None, "", "Snapchat", "tiktok"]),
                               _urls), min_size=1, max_size=20))
def test_vectorised_creator_keys_of_profile_links_match_the_scalar_function(rows):
    # plain profile links take a fast path: it must agree with creator_key on every link, plain or not
    platforms, urls = zip(*rows)
    keys, reasons = creator_keys(pd.Series(platforms, dtype=object), pd.Series([None] * len(urls), dtype=object),
                                 pd.Series(urls, dtype=object))
    for p, u, k, r in zip(platforms, urls, keys, reasons):
        expected = try_creator_key(p or None, u)
        assert k == expected, (p, u)
        assert (r != "") == (expected is None)


def test_every_kind_of_profile_link_gets_the_scalar_functions_key():
    import itertools

    urls = ["".join(parts) for parts in itertools.product(
        ["https://", "http://", "HTTPS://", ""], ["www.", "", "m."],
        ["tiktok.com", "youtube.com", "instagram.com", "TikTok.com", "instagr.am"], ["/@", "/", "//@", "/channel/"],
        ["p", "reel", "stories", "tv", "Mia", "mia.b_c-1", ".", "é", "a b"], ["", "/", "?lang=en", "/video/1", " "])]
    platforms = [["TikTok", "Instagram", "YouTube", None, "", "Snapchat", "tiktok"][i % 7] for i in range(len(urls))]
    keys, _ = creator_keys(pd.Series(platforms, dtype=object), pd.Series([None] * len(urls), dtype=object),
                           pd.Series(urls, dtype=object))
    assert list(keys) == [try_creator_key(p or None, u) for p, u in zip(platforms, urls)]
    assert sum(k is not None for k in keys) > 100
