"""Calculated columns are stored the way Excel stores a calculated column typed with A1 references:
one shared formula per column where Excel allows one (no reference to another sheet: the hidden
_calc sheet is read through defined names), else each row's own formula with its row references
moved; never the same-row structured reference that Excel writes out in full in every cell (4.5 KB
a Collaborations row with bilingual headers).

A table that grows past a shared column gets working formulas in its new rows: LibreOffice
recalculates copies of existing collaborations to the values of the rows they copy."""
from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from workbook_addin.core.schema import load_schema
from workbook_addin.workbook import tables_io as wio
from workbook_addin.workbook.formulas import column_formulas, shareable
from workbook_addin.workbook.xlsx import XlsxPackage
from workbook_addin.workbook.xlsx.cells import shift_formula
from workbook_addin.workbook.xlsx.refs import col_letter

SCHEMA = load_schema()
_F = re.compile(r'<c r="([A-Z]+)(\d+)"[^>]*?>(<f\b[^>]*?(?:/>|>.*?</f>))', re.S)


def _formula_cells(pkg: XlsxPackage, sheet: str) -> dict[tuple[str, int], str]:
    return {(m.group(1), int(m.group(2))): m.group(3) for m in _F.finditer(pkg.sheet_xml(sheet))}


@pytest.mark.parametrize("key", ["creators", "outreach", "collaborations", "scores"])
def test_calculated_columns_are_stored_as_excel_stores_them(sample_workbook, key):
    pkg = XlsxPackage(sample_workbook)
    sheet = SCHEMA.sheet(key)
    table = pkg.tables[sheet.table]
    first, last = table.first_data_row, table.last_data_row
    assert last - first >= 2, "the sample has rows to share a formula over"
    cells = _formula_cells(pkg, sheet.name)
    formulas = column_formulas(SCHEMA)[key]
    shared_ids = set()
    for j, col in enumerate(sheet.columns):
        if col.key not in formulas:
            continue
        letter, text = col_letter(j + 1), table.calculated[j + 1]
        assert "=" + text == formulas[col.key], col.key
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if shareable(formulas[col.key]):
            master = re.fullmatch(r'<f t="shared" ref="([A-Z]+\d+:[A-Z]+\d+)" si="(\d+)">(.*)</f>', cells[letter, first], re.S)
            assert master and master.group(1) == f"{letter}{first}:{letter}{last}" and master.group(3) == escaped, col.key
            assert master.group(2) not in shared_ids
            shared_ids.add(master.group(2))
            assert all(cells[letter, r] == f'<f t="shared" si="{master.group(2)}"/>' for r in range(first + 1, last + 1))
        else:
            assert "!" in text  # another sheet's cells: Excel cannot share it
            for r in range(first, last + 1):
                assert cells[letter, r] == f"<f>{shift_formula(escaped, r - first)}</f>", (col.key, r)
    assert "#This Row" not in pkg.sheet_xml(sheet.name)


def test_the_collaborations_row_no_longer_spells_out_its_headers(sample_workbook):
    pkg = XlsxPackage(sample_workbook)
    sheet = SCHEMA.sheet("collaborations")
    table = pkg.tables[sheet.table]
    row = re.search(rf'<row r="{table.last_data_row}".*?</row>', pkg.sheet_xml(sheet.name), re.S).group(0)
    assert "tblCollabs" not in row and len(row.encode()) < 2500  # was 5 900 bytes a row


@pytest.mark.parametrize("key", ["creators", "scores"])
def test_the_columns_that_read_calc_are_shared_through_its_names(sample_workbook, key):
    # the key, score and tier (Creators) and the six subscores (Scores) read the hidden _calc sheet:
    # through its defined names they are one shared formula each, not 3.5 KB of text in every row
    pkg = XlsxPackage(sample_workbook)
    sheet = SCHEMA.sheet(key)
    table = pkg.tables[sheet.table]
    body = pkg.sheet_xml(sheet.name).split(f'<row r="{table.first_data_row}"', 1)[1]  # the Table's rows
    assert "_calc!" not in body and "INDEX(calc_" in body
    row = re.search(rf'<row r="{table.last_data_row}".*?</row>', body, re.S).group(0)
    assert "<f>" not in row and len(row.encode()) < 2500  # a Creators row was about 3 800 bytes
    assert {n: pkg.defined_names[n] for n in ("calc_creator_key", "calc_audience_fit")} == {
        "calc_creator_key": "_calc!$A:$A", "calc_audience_fit": "_calc!$G:$G"}


def test_rows_added_below_shared_columns_compute_their_own_row(office, sample_workbook, tmp_path):
    path = tmp_path / "grown.xlsm"
    shutil.copy(sample_workbook, path)
    data = wio.read_workbook(path)
    layout = data.layouts["collaborations"]
    old = data.tables["collaborations"]
    typed = old.drop(columns=sorted(layout.formula_columns & set(old.columns)))
    copies = typed.head(3).copy()
    copies["collab_id"] = [f"C-COPY-{i}" for i in range(3)]
    changes = wio.WorkbookChanges()
    wio.replace_rows(changes, "collaborations", old, pd.concat([typed, copies], ignore_index=True), layout)
    wio.write_changes(path, changes, backup=False)

    sheet = SCHEMA.sheet("collaborations")
    table = XlsxPackage(path).tables[sheet.table]
    n = len(old)
    assert table.last_data_row == table.first_data_row + n + 2
    probe = office.probe(path, [sheet.name])
    after = {(c["row"], c["col"]): (c["formula"], c["value"]) for c in probe["after"][sheet.name]}
    computed = [j + 1 for j, c in enumerate(sheet.columns) if c.key in layout.formula_columns]
    assert len(computed) == 8
    for i in range(3):
        source, copy = table.first_data_row + i, table.first_data_row + n + i
        for c in computed:
            assert after[copy, c][0], (sheet.columns[c - 1].key, i)  # a formula, not a value
            assert after[copy, c][1] == after[source, c][1], (sheet.columns[c - 1].key, i)
        assert any(isinstance(after[copy, c][1], float) for c in computed)
