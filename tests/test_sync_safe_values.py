"""Canonical cell text, and the values written to the shared sheet."""
from __future__ import annotations

import math

from sheets_sync.safe_values import canonical, cell_for_sheet, looks_like_formula, typed_local
from workbook_addin.core.schema import load_schema

CREATORS = load_schema().sheet("creators")


def test_one_spelling_per_value():
    followers = CREATORS.column("followers")
    assert {canonical(v, followers) for v in (12000, 12000.0, "12000", "12,000", " 12000 ")} == {"12000"}
    assert canonical("3.5%", CREATORS.column("fake_follower_rate")) == canonical(0.035, CREATORS.column("fake_follower_rate"))
    assert {canonical(v) for v in (None, math.nan, "", "   ")} == {""}
    assert canonical("美国 US", CREATORS.column("country")) == canonical("us", CREATORS.column("country")) == "US"


def test_formula_like_text_stays_text():
    notes = CREATORS.column("notes")
    for text in ("=HYPERLINK(\"http://x\")", "+86 138 0000", "-5% off", "@mia"):
        assert looks_like_formula(text)
        assert canonical(text, notes) == text
        assert cell_for_sheet(text, notes) == text  # a string: RAW stores it literally


def test_numbers_go_as_numbers_in_numeric_columns_only():
    assert cell_for_sheet("12000", CREATORS.column("followers")) == 12000
    assert cell_for_sheet("0.035", CREATORS.column("fake_follower_rate")) == 0.035
    assert cell_for_sheet("12000", CREATORS.column("handle")) == "12000"
    assert cell_for_sheet("", CREATORS.column("followers")) == ""  # clears the cell
    assert typed_local("", CREATORS.column("followers")) is None


from hypothesis import given, settings
from hypothesis import strategies as st

from sheets_sync.safe_values import canonical_many

ANY_VALUE = st.one_of(st.none(), st.integers(-10**9, 10**9), st.floats(allow_infinity=False),
                      st.text(max_size=8), st.sampled_from(["美国 US", " us ", "12,000", "3.5%", "=1+1", "-5", "是 Yes"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(ANY_VALUE, max_size=10), st.sampled_from(["followers", "fake_follower_rate", "country", "notes", "blacklisted"]))
def test_column_at_once_equals_cell_by_cell(values, key):
    column = CREATORS.column(key)
    assert canonical_many(values, column) == [canonical(v, column) for v in values]
