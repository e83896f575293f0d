"""Duplicate creators are flagged with evidence (never merged); blacklisted creators are caught in Outreach."""
import pandas as pd

from workbook_addin.insights.duplicates import EVIDENCE, blacklist_hits, duplicate_creators


def _creators():
    return pd.DataFrame(
        {
            "platform": ["TikTok", "TikTok", "Instagram", "Instagram", "YouTube", "TikTok"],
            "handle": ["@GlowWithMia", "glowwithmia", "lena.style", "lena_style2", "@TechTomo", "noor"],
            "profile_url": [None, None, None, "https://www.instagram.com/lena.style/", None, None],
            "display_name": ["Mia", "Mia", "Lena", "Lena S.", "Tomo", "Mia "],
            "email": ["mia@example.com", None, "lena@example.com", None, "TOMO@example.com", "tomo@example.com"],
            "blacklisted": ["no", "no", "no", "no", "是 Yes", "no"],
            "blacklist_reason": [None, None, None, None, "Fake followers", None],
        }
    )


def _pairs(table):
    return {(a, b): ev for a, b, ev in zip(table["row_a"], table["row_b"], table["evidence"])}


def test_each_kind_of_evidence_is_reported_and_rows_stay_separate():
    creators = _creators()
    pairs = _pairs(duplicate_creators(creators))
    # rows are Excel rows: header in row 1, first creator in row 2
    assert EVIDENCE["handle"] in pairs[(2, 3)] and EVIDENCE["name"] in pairs[(2, 3)]
    assert EVIDENCE["url"] in pairs[(4, 5)]
    assert EVIDENCE["email"] in pairs[(6, 7)]  # case-insensitive e-mail
    assert EVIDENCE["name_cross_platform"] not in pairs.get((2, 7), "")
    assert EVIDENCE["name"] in pairs[(2, 7)]  # "Mia" and "Mia " on TikTok
    assert (2, 4) not in pairs  # Mia and Lena share nothing
    assert len(creators) == 6  # nothing merged


def test_same_name_on_two_platforms_and_personal_values_stay_out():
    creators = pd.DataFrame(
        {"platform": ["TikTok", "YouTube"], "handle": ["nooraziz", "noorhome"], "display_name": ["Noor Aziz", "noor  aziz"], "email": ["n@x.com", None]}
    )
    table = duplicate_creators(creators)
    assert table["evidence"].tolist() == [EVIDENCE["name_cross_platform"]]
    assert "noor" not in table["evidence"].iloc[0].casefold() and "n@x.com" not in table.to_string()


def test_excel_row_index_is_used_for_row_numbers():
    creators = _creators().iloc[:2].set_axis(pd.Index([7, 9], name="excel_row"))
    assert _pairs(duplicate_creators(creators)).keys() == {(7, 9)}


def test_blacklisted_creator_reappearing_in_outreach_is_flagged_directly_and_through_a_duplicate():
    tables = {
        "creators": _creators(),
        "outreach": pd.DataFrame(
            {
                "outreach_id": ["O1", "O2", "O3", "O4"],
                "creator_key": ["youtube:techtomo", "tiktok:noor", "tiktok:glowwithmia", "youtube:techtomo"],
                "contacted_at": pd.to_datetime(["2026-09-01", "2026-11-20", "2026-11-21", "2026-11-02"]),
            }
        ),
    }
    hits = blacklist_hits(tables)
    assert hits["outreach_id"].tolist() == ["O2", "O4", "O1"]  # newest first
    assert set(hits["blacklisted_key"]) == {"youtube:techtomo"}
    o2 = hits.set_index("outreach_id").loc["O2"]
    assert "duplicate" in o2["evidence"] and o2["outreach_row"] == 3
    assert hits.set_index("outreach_id").loc["O1", "reason"] == "Fake followers"


def test_no_blacklist_no_hits():
    creators = _creators().assign(blacklisted="no")
    outreach = pd.DataFrame({"creator_key": ["youtube:techtomo"]})
    assert blacklist_hits({"creators": creators, "outreach": outreach}).empty


def test_a_value_shared_by_many_rows_pairs_each_row_with_the_first_not_every_pair():
    # An agency that gives one contact e-mail for 40 creators: 39 pairs, not 780, and every row named.
    n = 40
    creators = pd.DataFrame(
        {
            "platform": ["TikTok"] * n,
            "handle": [f"creator_{i}" for i in range(n)],
            "display_name": [f"Creator {i}" for i in range(n)],
            "email": ["team@agency.example"] * n,
        }
    )
    table = duplicate_creators(creators)
    assert len(table) == n - 1
    assert set(table["row_a"]) == {2}
    assert set(table["row_b"]) == set(range(3, n + 2))
    assert (table["evidence"] == EVIDENCE["email"]).all()


def test_a_small_shared_group_still_lists_every_pair():
    creators = pd.DataFrame({"platform": ["TikTok"] * 3, "handle": ["a1", "b2", "c3"], "email": ["x@y.example"] * 3})
    assert {(a, b) for a, b in zip(*(duplicate_creators(creators)[c] for c in ("row_a", "row_b")))} == {(2, 3), (2, 4), (3, 4)}


# ----------------------------------------------------------------------------- issue 14, point 10
def test_blacklist_alarm_only_for_contacts_after_the_blacklisting():
    from workbook_addin.core.sample import load_sample
    from workbook_addin.engine.evaluation import evaluate

    tables = evaluate(load_sample(), today="2026-11-25").tables
    hits = blacklist_hits(tables)
    # O-015 (2026-09-16) is the contact that led to the blacklisting on 2026-10-06: not "contacted again"
    assert hits["outreach_id"].tolist() == ["O-020"]
    assert "since 2026-10-06" in hits.iloc[0]["evidence"]
    # without a date every contact is listed, and the evidence says the date is missing
    tables["creators"]["blacklisted_on"] = None
    hits = blacklist_hits(tables)
    assert hits["outreach_id"].tolist() == ["O-020", "O-015"] and "no blacklisted-on date" in hits.iloc[0]["evidence"]
