"""Reminders are dated relative to an explicit today, with days left (negative = overdue)."""
import pandas as pd

from workbook_addin.insights.reminders import reminders, reminders_summary

TODAY = "2026-11-25"


def _tables():
    creators = pd.DataFrame({"creator_key": ["tiktok:a", "tiktok:b"], "w8ben_received": ["yes", "否 No"]})
    collabs = pd.DataFrame(
        {
            "collab_id": ["C1", "C2", "C3", "C4", "C5"],
            "creator_key": ["tiktok:a", "tiktok:a", "tiktok:b", "tiktok:b", "tiktok:a"],
            "campaign": ["BF"] * 5,
            # C1 rights expire in 30 days (inside the window), C2 in 31 days (outside), C5 expired
            "usage_rights_expiry": pd.to_datetime(["2026-12-25", "2026-12-26", None, None, "2026-11-20"]),
            # C3 promised 2026-11-15, not posted -> 10 days overdue; C4 promised today -> not yet overdue
            "promised_date": pd.to_datetime([None, None, "2026-11-15", "2026-11-25", None]),
            "publish_date": pd.to_datetime(["2026-11-01", "2026-11-01", None, None, "2026-10-01"]),
            # C4 sample shipped 2026-11-01 + 21 days = due 2026-11-22 -> 3 days overdue
            "sample_shipped_date": pd.to_datetime([None, None, None, "2026-11-01", "2026-09-01"]),
            # C3 creator b has no W-8BEN and the payment is scheduled; C1 creator a has one
            "payment_status": ["paid", None, "待付款 Scheduled", "unpaid", "paid"],
        }
    )
    return {"creators": creators, "collaborations": collabs}


def test_each_reminder_with_its_due_date_and_days():
    table = reminders(_tables(), TODAY)
    got = {(r.kind, r.collab_id): (str(r.due_date.date()), r.days_left) for r in table.itertuples()}
    assert got == {
        ("授权即将到期 Usage rights expiring", "C1"): ("2026-12-25", 30),
        ("逾期未发布 Promised post overdue", "C3"): ("2026-11-15", -10),
        ("寄样未发布 Sample shipped, no post", "C4"): ("2026-11-22", -3),
        # the payment falls due when the post goes live (promised 2026-11-15): overdue, so red
        ("缺少税表 W-8BEN missing", "C3"): ("2026-11-15", -10),
        # C5's rights expired 5 days ago on a live post: the most urgent of all, not silent
        ("授权已过期 Usage rights expired", "C5"): ("2026-11-20", -5),
    }
    assert table["days_left"].tolist() == sorted(table["days_left"])  # most urgent first
    msg = table.set_index("collab_id").loc["C1", "message"]
    assert "30 天后到期" in msg and "expire in 30 days" in msg


def test_settings_change_the_windows():
    table = reminders(_tables(), TODAY, rights_expiry_days=31, sample_no_post_days=30)
    kinds = set(zip(table["kind"], table["collab_id"]))
    assert ("授权即将到期 Usage rights expiring", "C2") in kinds
    assert not any(k.startswith("寄样未发布") for k, _ in kinds)  # 24 days < 30
    table = reminders(_tables(), TODAY, settings={"sample_no_post_days": 10})
    assert table.set_index("kind").loc["寄样未发布 Sample shipped, no post", "days_left"] == -14


def test_summary_line():
    assert reminders_summary(_tables(), TODAY) == (
        "提醒 Reminders: 授权已过期 Usage rights expired 1, 授权即将到期 Usage rights expiring 1, 逾期未发布 Promised post overdue 1, "
        "寄样未发布 Sample shipped, no post 1, 缺少税表 W-8BEN missing 1"
    )
    assert reminders_summary({"collaborations": pd.DataFrame()}, TODAY) == "提醒 Reminders: 无 none"


def test_paid_without_w8ben_is_flagged_too():
    tables = _tables()
    tables["creators"].loc[1, "w8ben_received"] = "yes"
    tables["creators"].loc[0, "w8ben_received"] = None
    table = reminders(tables, TODAY)
    w8 = table[table["kind"].str.startswith("缺少税表")]
    assert sorted(w8["collab_id"]) == ["C1", "C5"]
    assert all("already paid" in m for m in w8["message"])


def test_raw_tables_and_evaluated_tables_give_the_same_reminders():
    from workbook_addin.engine.evaluation import evaluate
    from workbook_addin.core.sample import load_sample

    raw = load_sample()
    evaluated = evaluate(raw, today=TODAY).tables
    a, b = reminders(raw, TODAY), reminders(evaluated, TODAY)
    assert a[["kind", "creator_key", "collab_id", "days_left"]].equals(b[["kind", "creator_key", "collab_id", "days_left"]])
    assert reminders_summary(raw, TODAY) == reminders_summary(evaluated, TODAY) != "提醒 Reminders: 无 none"
    # exactly the creators with a paid or scheduled payment and no W-8BEN on file
    w8 = set(b.loc[b["kind"].str.startswith("缺少税表"), "creator_key"])
    assert w8 == set(evaluated["creators"].loc[evaluated["creators"]["w8ben_received"] != "yes", "creator_key"]) & set(
        evaluated["collaborations"].loc[evaluated["collaborations"]["payment_status"].isin(["paid", "scheduled"]), "creator_key"])


# ----------------------------------------------------------------------------- issue 14, point 10
def test_expired_rights_and_w8ben_wording_and_days():
    table = reminders(_tables(), TODAY).set_index(["kind", "collab_id"])
    expired = table.loc[("授权已过期 Usage rights expired", "C5")]
    assert expired["days_left"] == -5 and "expired 5 days ago" in expired["message"] and "take the content down or renew" in expired["message"]
    w8 = table.loc[("缺少税表 W-8BEN missing", "C3")]
    assert "scheduled" in w8["message"] and "collect it before paying" in w8["message"] and w8["days_left"] < 0
    tables = _tables()
    tables["creators"].loc[0, "w8ben_received"] = None
    paid = reminders(tables, TODAY).set_index(["kind", "collab_id"]).loc[("缺少税表 W-8BEN missing", "C1")]
    # already paid: never "collect it before paying"; due since the post went live (2026-11-01)
    assert "already paid" in paid["message"] and "before paying" not in paid["message"] and paid["days_left"] == -24
