"""Reviewer normalisation: a harsh reviewer's scores are re-centred, not taken at face value."""
import numpy as np
import pytest

from workbook_addin.engine.reviewers import normalise_scores


def test_harsh_reviewer_is_mapped_onto_the_pooled_scale():
    reviewer = np.array(["Lin", "Lin", "Lin", "Chen", "Chen", "Chen"], dtype=object)
    scores = np.array([3.0, 4.0, 5.0, 1.0, 2.0, 3.0])
    out = normalise_scores(reviewer, scores, min_reviews=3)
    # pooled mean 3, pooled std sqrt(((0+1+4) + (4+1+0)) / 6) = sqrt(10/6)
    pooled_std = np.sqrt(10 / 6)
    # Lin: mean 4, std sqrt(2/3); Lin's 5 -> 3 + (5 - 4) / sqrt(2/3) * pooled_std
    assert out[2] == pytest.approx(3 + 1 / np.sqrt(2 / 3) * pooled_std)
    # Chen's best (3) and Lin's best (5) end up equal: each reviewer's own top score
    assert out[5] == pytest.approx(out[2])
    assert out[3] == pytest.approx(out[0])


def test_reviewer_with_too_few_reviews_is_left_as_typed():
    reviewer = np.array(["Lin", "Lin", "Lin", "Wang"], dtype=object)
    scores = np.array([3.0, 4.0, 5.0, 1.0])
    out = normalise_scores(reviewer, scores, min_reviews=3)
    assert out[3] == 1.0


def test_constant_reviewer_is_shifted_and_results_stay_on_the_1_to_5_scale():
    reviewer = np.array(["A"] * 3 + ["B"] * 3, dtype=object)
    scores = np.array([[5.0], [5.0], [5.0], [1.0], [3.0], [5.0]])
    out = normalise_scores(reviewer, scores, min_reviews=3)
    # pooled mean 4; A always gives 5 -> shifted to 4
    assert out[:3, 0] == pytest.approx([4.0, 4.0, 4.0])
    assert (out >= 1).all() and (out <= 5).all()


def test_missing_scores_stay_missing():
    out = normalise_scores(np.array(["A", "A", "A"], dtype=object), np.array([4.0, np.nan, 2.0]), min_reviews=2)
    assert np.isnan(out[1])
