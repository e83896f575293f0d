"""Audience authenticity signals: ER bands, like/comment ratios and follower jumps."""
import numpy as np
import pandas as pd
import pytest

from workbook_addin.engine import authenticity as a
from workbook_addin.core.settings import Settings

BENCH = Settings.defaults().er_benchmarks


def test_benchmark_band_lookup_by_platform_and_followers():
    band = a.benchmark_band(np.array(["TikTok", "Instagram", "YouTube", "TikTok"], dtype=object),
                     np.array([184_000, 42_000, 5_000_000, 500.0]), BENCH)
    assert band["band"].tolist() == ["TikTok mid", "Instagram micro", "YouTube mega", ""]
    assert band["er_low"][0] == pytest.approx(0.03) and band["er_high"][1] == pytest.approx(0.035)
    assert band["basis"].tolist()[:2] == ["views", "followers"]
    assert np.isnan(band["er_low"][3])


def test_er_far_below_or_above_the_band():
    low, high = np.array([0.03, 0.03, 0.03, 0.03]), np.array([0.05] * 4)
    # 0.5 x 3 % = 1.5 %; 2 x 5 % = 10 %
    out = a.er_anomaly(np.array([0.014, 0.02, 0.11, np.nan]), low, high, 0.5, 2.0)
    assert out[:3].tolist() == [-1.0, 0.0, 1.0] and np.isnan(out[3])


def test_like_comment_ratio():
    flag, ratio = a.like_comment_anomaly(np.array([9800.0, 2000, 50, 500]), np.array([35.0, 100, 1, 0]))
    # 9 800 / 35 = 280 > 200 flagged; 20 fine; 50 likes too few to judge; likes without comments flagged
    assert ratio[0] == pytest.approx(280) and flag[0] == 1 and flag[1] == 0 and np.isnan(flag[2]) and flag[3] == 1


def test_follower_jump_between_snapshots_within_30_days():
    creator = np.array([0, 0, 0, 1, 1, 2])
    dates = pd.to_datetime(["2026-10-01", "2026-10-20", "2026-11-01", "2026-08-01", "2026-10-01", "2026-10-01"]).to_numpy()
    followers = np.array([820_000, 1_150_000, 1_200_000, 1000, 2000, 5000.0])
    out = a.follower_jumps(creator, dates, followers, 4, threshold=0.3)
    # creator 0: +40.2 % in 19 days (flag); creator 1: +100 % but over 61 days (not flagged)
    assert out["growth"][0] == pytest.approx(330 / 820)
    assert out["flag"].tolist()[:2] == [1.0, 0.0]
    assert str(out["start"][0])[:10] == "2026-10-01" and str(out["end"][0])[:10] == "2026-10-20"
    assert np.isnan(out["flag"][2]) and np.isnan(out["flag"][3])  # one snapshot / none: unknown
