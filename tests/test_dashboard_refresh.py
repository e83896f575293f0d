"""The dashboard after a headless refresh: its formulas' cached values (what any viewer shows, since the
workbook does not recalculate on open) are the refreshed data's, and the market table is SUMIFS over
Scores, so it follows every edit."""
from __future__ import annotations

import datetime as dt
import math
import shutil
from importlib import resources
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

from workbook_addin.workbook import tables_io as wio
from workbook_addin.workbook.dashboard_cells import DASHBOARD_SHEET, OTHER_MARKETS, cached_values, dashboard_layout, formulas
from workbook_addin.jobs.refresh import refresh_workbook
from workbook_addin.core.schema import load_schema
from workbook_addin.workbook.structured_refs import refs

NOW = dt.datetime(2026, 11, 25, 16, 0)
SCHEMA = load_schema()


def shown(path: Path) -> dict[str, object]:
    """Every dashboard cell's value as a viewer shows it (the stored / cached value), by A1 reference."""
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(DASHBOARD_SHEET).to_python(skip_empty_area=False)
    out = {}
    for ref in formulas(SCHEMA, dashboard_layout(SCHEMA, wio.read_workbook(path).dashboard_markets)):
        r, c = xl_cell_to_rowcol(ref)
        out[ref] = grid[r][c] if r < len(grid) and c < len(grid[r]) else None
    return out


def same(a: object, b: object) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)
    return a == b


@pytest.fixture(scope="module")
def refreshed(sample_workbook, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dash")
    book = folder / sample_workbook.name
    shutil.copy(sample_workbook, book)
    shutil.copytree(Path(str(resources.files("templates").joinpath("sample", "exports"))), folder / "exports")
    refresh_workbook(book, now=NOW, sync=False, backup=False)
    return sample_workbook, book


def test_cached_values_after_refresh_are_the_refreshed_tables(refreshed):
    built, book = refreshed
    data = wio.read_workbook(book)
    layout = dashboard_layout(SCHEMA, data.dashboard_markets)
    expected = cached_values(SCHEMA, data.tables, layout)  # from the tables as the refreshed file holds them
    after, before = shown(book), shown(built)
    assert set(after) == set(expected)
    wrong = {ref: (after[ref], want) for ref, want in expected.items() if not same(after[ref], want)}
    assert wrong == {}
    changed = {ref for ref in expected if not same(after[ref], before[ref])}
    assert cell(layout, "kpi_3") in changed, "the refresh imported GMV: the GMV tile must change"
    assert changed & set(cells(layout, "tier_counts")), "the refreshed metrics move creators between tiers"
    assert changed & {ref for ref in cells(layout, "market_totals") if ref.startswith("C")}


def cell(layout, name: str) -> str:
    return layout.cells[name].replace("$", "")


def cells(layout, name: str) -> list[str]:
    """Every A1 reference of a layout range."""
    first, last = cell(layout, name).split(":")
    (r1, c1), (r2, c2) = xl_cell_to_rowcol(first), xl_cell_to_rowcol(last)
    return [xl_rowcol_to_cell(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def test_market_rows_are_sumifs_over_scores_country_with_an_other_row(refreshed):
    _built, book = refreshed
    data = wio.read_workbook(book)
    markets = data.dashboard_markets
    assert markets, "the sample has creators in several markets"
    enum = SCHEMA.enums["market"]
    assert all(enum.normalise(m) is not None for m in markets)
    sc = refs("scores", SCHEMA)
    ws = openpyxl.load_workbook(book)[DASHBOARD_SHEET]
    first = xl_cell_to_rowcol(cells(dashboard_layout(SCHEMA, markets), "market_totals")[0])[0] + 1
    for i, label in enumerate(markets):
        assert ws[f"A{first + i}"].value == label
        assert ws[f"B{first + i}"].value == f'=SUMIFS({sc.col("total_cost")},{sc.col("country")},"{label}")'
        assert ws[f"C{first + i}"].value == f'=SUMIFS({sc.col("gmv")},{sc.col("country")},"{label}")'
    other = first + len(markets)
    assert ws[f"A{other}"].value == OTHER_MARKETS
    assert ws[f"C{other}"].value.startswith(f"=SUM({sc.col('gmv')})-")
    # the rows add up to Scores' total GMV, whatever market a creator is in
    values = shown(book)
    gmv_total = float(data.tables["scores"]["gmv"].fillna(0).sum())
    assert math.isclose(sum(float(values[f"C{r}"]) for r in range(first, other + 1)), gmv_total, abs_tol=0.01)
    # the Scores sheet shows each creator's market next to the handle
    countries = data.tables["scores"]["country"].dropna()
    assert len(countries) and set(countries) <= set(enum.labels)


def test_a_second_refresh_keeps_the_dashboard_values(refreshed, tmp_path):
    _built, book = refreshed
    again = tmp_path / book.name
    shutil.copy(book, again)
    shutil.copytree(book.parent / "exports", tmp_path / "exports")
    first = shown(again)
    refresh_workbook(again, now=NOW, sync=False, backup=False)
    second = shown(again)
    assert {ref: (first[ref], second[ref]) for ref in first if not same(first[ref], second[ref])} == {}
