"""Properties of the whole engine on perturbed sample data (few examples: each run scores 12 creators)."""
import numpy as np
from hypothesis import given, settings as hsettings, strategies as st

from workbook_addin.engine.evaluation import evaluate
from workbook_addin.core.sample import load_sample

TODAY = "2026-11-25"
BASE = load_sample()
N_CREATORS = len(BASE["creators"])


def _perturbed(seed: int, blacklist: list[bool]):
    rng = np.random.default_rng(seed)
    tables = {k: v.copy() for k, v in BASE.items()}
    co = tables["collaborations"]
    for col in ("views", "likes", "comments", "orders", "gmv", "fee"):
        vals = co[col].astype(float)
        co[col] = (vals * rng.uniform(0, 3, len(vals))).round().astype(object)
    cr = tables["creators"]
    cr["fake_follower_rate"] = rng.uniform(0, 0.6, len(cr)).round(3)
    cr["blacklisted"] = np.where(blacklist, "yes", "no")
    rv = tables["reviews"]
    for col in ("visuals", "script", "brand_fit"):
        rv[col] = rng.integers(1, 6, len(rv))
    return tables


@hsettings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), blacklist=st.lists(st.booleans(), min_size=N_CREATORS, max_size=N_CREATORS))
def test_scores_stay_in_range_and_blacklisted_never_above_c(seed, blacklist):
    result = evaluate(_perturbed(seed, blacklist), today=TODAY, explain=False)
    s = result.scores
    for col in ("responsiveness", "content_quality", "compliance", "performance", "authenticity", "audience_fit", "score"):
        v = s[col].dropna()
        assert ((v >= 0) & (v <= 100)).all(), col
    assert ((s["completeness"] >= 0) & (s["completeness"] <= 1)).all()
    bl = dict(zip(result.tables["creators"]["creator_key"], blacklist))
    for key, tier in zip(s["creator_key"], s["tier"]):
        if bl[key]:
            assert tier == "C"


@hsettings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), factor=st.floats(0.0, 0.9))
def test_lowering_fake_follower_rates_never_lowers_a_score(seed, factor):
    tables = _perturbed(seed, [False] * N_CREATORS)
    before = evaluate(tables, today=TODAY, explain=False).scores["score"].to_numpy()
    tables["creators"]["fake_follower_rate"] = tables["creators"]["fake_follower_rate"] * factor
    after = evaluate(tables, today=TODAY, explain=False).scores["score"].to_numpy()
    assert (np.nan_to_num(after, nan=-1) >= np.nan_to_num(before, nan=-1) - 1e-9).all()
