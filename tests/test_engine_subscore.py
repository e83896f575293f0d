"""One subscore computed alone (what each pooled workbook function runs) equals the whole evaluation's."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbook_addin.core.sample import load_sample
from workbook_addin.core.settings import Settings
from workbook_addin.engine.evaluation import evaluate
from workbook_addin.engine.subscore import STAGES, subscore

from .generated import varied_sample

POOLED = ("responsiveness", "content_quality", "compliance", "performance", "authenticity")


def _copy(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {k: v.copy() for k, v in tables.items()}


def _assert_equal_to_evaluate(tables, settings, today):
    scores = evaluate(_copy(tables), settings, today=today, explain=False).scores
    for dimension in POOLED:
        keys, values = subscore(dimension, _copy(tables), settings, today=today)
        assert keys.tolist() == scores["creator_key"].tolist(), dimension
        expected = scores[dimension].to_numpy(dtype=float)
        assert np.array_equal(values, expected, equal_nan=True), dimension
        assert not np.isnan(values).all(), dimension  # the comparison saw numbers, not only blanks


def test_every_pooled_dimension_has_a_stage():
    assert set(STAGES) == set(POOLED)


@pytest.mark.parametrize("today", ["2026-11-25", "2024-03-01"])  # pending outreach depends on the day
def test_each_subscore_alone_equals_the_evaluation_on_the_sample(today):
    _assert_equal_to_evaluate(load_sample(), Settings.defaults(), today)


def test_each_subscore_alone_equals_the_evaluation_on_varied_data_and_settings():
    settings = Settings.defaults().with_values(reply_target_hours=6, target_cpm=9, er_good=0.08, gross_margin=0.3,
                                               fake_follower_flag=0.1, follower_jump_flag=0.05)
    _assert_equal_to_evaluate(varied_sample(400, seed=3), settings, "2026-11-25")


def test_a_subscore_reads_only_its_own_sheets():
    """A dimension is not changed by a sheet it does not read, and changes with one it reads."""
    tables = load_sample()
    settings = Settings.defaults()
    _, content = subscore("content_quality", _copy(tables), settings, today="2026-11-25")
    without_others = {k: tables[k] for k in ("creators", "reviews")}
    _, alone = subscore("content_quality", _copy(without_others), settings, today="2026-11-25")
    assert np.array_equal(content, alone, equal_nan=True)
    changed = _copy(tables)
    changed["reviews"]["visuals"] = 1
    _, lower = subscore("content_quality", changed, settings, today="2026-11-25")
    assert np.nanmax(lower - content) <= 0 and np.nanmin(lower - content) < 0
