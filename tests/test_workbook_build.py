"""The built workbook, read back without Excel: zip parts, openpyxl, calamine, olevba, pyopenvba."""
from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from oletools.olevba import VBA_Parser
from python_calamine import CalamineWorkbook

from workbook_addin import udfs
from workbook_addin.cli.build import DEFAULT_OUT
from workbook_addin.workbook.calc_sheet import CALC_SHEET
from workbook_addin.workbook.build import evaluate_for_build, sheet_plan
from workbook_addin.cli import main as cli_main
from workbook_addin.workbook.dashboard import DASHBOARD_SHEET
from workbook_addin.core.sample import load_sample
from workbook_addin.core.schema import load_schema

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "Lianxing_Evaluation.xlsm"


@pytest.fixture(scope="module")
def built(sample_workbook) -> Path:
    return sample_workbook


@pytest.fixture(scope="module")
def evaluation():
    return evaluate_for_build(load_sample())


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info.filename) for info in z.infolist()}


def test_committed_workbook_is_exactly_what_build_writes(built):
    committed, fresh = _parts(COMMITTED), _parts(built)
    assert sorted(committed) == sorted(fresh)
    differing = [name for name in fresh if fresh[name] != committed[name]]
    assert differing == [], f"rebuild differs from the committed workbook in {differing}: run `lianxing build`"


def test_cli_build_and_new(tmp_path, capsys):
    assert cli_main(["build", str(tmp_path / "a.xlsm")]) == 0
    assert cli_main(["new", str(tmp_path / "empty.xlsm")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert DEFAULT_OUT == "Lianxing_Evaluation.xlsm"
    empty = openpyxl.load_workbook(tmp_path / "empty.xlsm")
    creators = empty[load_schema().sheet("creators").name]
    assert creators.tables[load_schema().sheet("creators").table].ref.endswith("2")  # header + one blank row
    assert creators["B2"].value is None


def test_package_is_macro_enabled_with_codenames_and_button(built):
    parts = _parts(built)
    types = parts["[Content_Types].xml"].decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert "application/vnd.ms-office.vbaProject" in types
    assert 'codeName="ThisWorkbook"' in parts["xl/workbook.xml"].decode()
    sheet_xml = "".join(v.decode() for k, v in parts.items() if k.startswith("xl/worksheets/sheet"))
    for _name, code in [(n, c) for n, c, _ in sheet_plan(load_schema())]:
        assert f'codeName="{code}"' in sheet_xml
    vml = "".join(v.decode() for k, v in parts.items() if k.endswith(".vml"))
    assert "<x:FmlaMacro>[0]!RefreshMetrics</x:FmlaMacro>" in vml
    assert "刷新数据 Refresh metrics" in vml


def header_row(ws, sheet) -> int:
    """The 1-based row of ``sheet``'s Table header on worksheet ``ws`` (openpyxl)."""
    return int(re.match(r"[A-Z]+(\d+)", ws.tables[sheet.table].ref).group(1))


def test_every_schema_sheet_is_a_table_with_bilingual_headers(built):
    schema = load_schema()
    wb = openpyxl.load_workbook(built)
    assert wb.sheetnames[0] == DASHBOARD_SHEET
    for sheet in schema.sheets:
        ws = wb[sheet.name]
        assert sheet.table in ws.tables
        top = header_row(ws, sheet)  # the Scores table sits below the live-values line
        assert top == (2 if sheet.key == "scores" else 1)
        assert [c.value for c in ws[top]][: len(sheet.columns)] == sheet.headers
        assert ws.freeze_panes in (f"A{top + 1}", f"B{top + 1}")
        assert (ws.sheet_state == "hidden") == sheet.hidden
    settings = wb[schema.settings_sheet["name"]]
    for table in ("tblSettings", "tblERBench", "tblFX", "tblImportMap"):
        assert table in settings.tables
    conf = wb["xlwings.conf"]
    assert conf["A1"].value == "UDF Modules" and conf["B1"].value == "workbook_addin.udfs"


def test_every_enum_column_has_a_drop_down_of_labels(built):
    schema = load_schema()
    wb = openpyxl.load_workbook(built)
    names = wb.defined_names
    for sheet in schema.sheets:
        ws = wb[sheet.name]
        lists = {}
        for dv in ws.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                lists[rng.min_col] = dv
        for j, col in enumerate(sheet.columns, start=1):
            if col.type == "enum" and col.is_input:
                dv = lists.get(j)
                assert dv is not None and dv.type == "list", f"{sheet.name} {col.header} has no drop-down"
                target = names[dv.formula1].attr_text
                sheet_name, ref = target.split("!")
                cells = [c.value for row in wb[sheet_name.strip("'")][ref.replace("$", "")] for c in row]
                assert cells == schema.enums[col.enum].labels


def test_conditional_formats_tiers_bars_violations_blacklist(built):
    schema = load_schema()
    wb = openpyxl.load_workbook(built)

    def rules(key):
        ws = wb[schema.sheet(key).name]
        return [r for cf in ws.conditional_formatting for r in cf.rules]

    score_rules = rules("scores")
    assert any(r.type == "dataBar" for r in score_rules)
    assert {'"S"', '"A"', '"B"', '"C"'} <= {f for r in score_rules if r.type == "cellIs" for f in r.formula}
    assert any(r.type == "expression" and "是 Yes" in r.formula[0] for r in rules("creators"))
    review = [r.formula[0] for r in rules("reviews") if r.type == "expression"]
    assert any("否 No" in f for f in review) and sum("是 Yes" in f for f in review) == 2


def test_settings_names_point_at_the_values(built):
    schema = load_schema()
    wb = openpyxl.load_workbook(built)
    for setting in schema.settings:
        sheet_name, ref = wb.defined_names[setting.name].attr_text.split("!")
        value = wb[sheet_name.strip("'")][ref.replace("$", "")].value
        if setting.type in ("percent", "number", "integer"):
            assert value == pytest.approx(float(setting.value))
        else:
            assert (value or "") == str(setting.value)
    sheet_name, ref = wb.defined_names["Weights"].attr_text.split("!")
    weights = [c.value for row in wb[sheet_name.strip("'")][ref.replace("$", "")] for c in row]
    assert weights == [schema.setting(k).value for k in ("w_responsiveness", "w_content_quality", "w_compliance",
                                                            "w_performance", "w_authenticity", "w_audience_fit")]
    sheet_name, ref = wb.defined_names["TierCutoffs"].attr_text.split("!")
    assert [c.value for row in wb[sheet_name.strip("'")][ref.replace("$", "")] for c in row] == [85, 70, 55]
    assert "RefreshStatus" in wb.defined_names


def _same(a, b) -> bool:
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a in (None, "")
    if isinstance(b, (int, float, np.floating, np.integer)):
        return isinstance(a, (int, float)) and a == pytest.approx(float(b), rel=1e-9, abs=1e-9)
    return a == b


def test_formula_cells_call_the_functions_and_cache_the_engine_values(built, evaluation):
    schema = load_schema()
    wb = openpyxl.load_workbook(built)
    cal = CalamineWorkbook.from_path(str(built))
    scores = evaluation.tables["scores"]
    sheet = schema.sheet("scores")
    first = header_row(wb[sheet.name], sheet) + 1
    formulas = {c.key: wb[sheet.name].cell(first, j + 1).value for j, c in enumerate(sheet.columns)}
    assert not any("KOL_" in f for f in formulas.values() if isinstance(f, str))  # no Table cell calls Python
    assert "Weights" in formulas["score"] and "TierCutoffs" in formulas["tier"] and "set_gross_margin" in formulas["roi"]
    assert formulas["content_quality"].startswith(f"=IFERROR(INDEX(calc_content_quality,MATCH(A{first},")  # A: the key
    # _calc's columns are read through names, so no calculated column refers to another sheet (see calc_column)
    assert {n: wb.defined_names[n].attr_text for n in ("calc_creator_key", "calc_content_quality")} == {
        "calc_creator_key": "_calc!$A:$A", "calc_content_quality": "_calc!$C:$C"}
    calc = wb[CALC_SHEET]
    spills = {calc.cell(1, j + 1).value: calc.cell(2, j + 1).value.text for j in range(7)}
    table_args = {  # the pooled subscores: function, then each argument after the key column
        "内容质量 Content quality": ("KOL_CONTENT_SCORE", "tblCreators[达人键 Creator key]", "tblReviews[达人键 Creator key]",
                                  "tblReviews[评审人 Reviewer]", "tblReviews[画面 Visuals]"),
        "合规 Compliance": ("KOL_COMPLIANCE", "tblCreators[达人键 Creator key]", "tblReviews[达人键 Creator key]",
                          "tblReviews[评审编号 Review ID]"),
        "效果表现 Performance": ("KOL_PERFORMANCE", "tblCreators[达人键 Creator key]", "tblCollabs[达人键 Creator key]"),
        "粉丝真实性 Audience authenticity": ("KOL_AUTHENTICITY", "tblCreators[达人键 Creator key]", "tblCreators[粉丝数 Followers]"),
        "响应速度 Responsiveness": ("KOL_RESPONSIVENESS", "tblCreators[达人键 Creator key]", "tblOutreach[达人键 Creator key]"),
    }
    parsed = {}
    for header, (fn, *args) in table_args.items():
        f = spills[header]
        call = f"={fn}(tblCreators[达人键 Creator key],"  # one call for every creator: the key column first
        assert f.startswith(call) and f.endswith(")"), (header, f)
        inside = f[len(call):-1].split(",")
        names = [a["name"] for a in getattr(udfs, fn).__xlfunc__["args"]][1:]
        assert len(inside) == len(names) and inside[:len(args)] == args, (header, inside)
        parsed[fn] = dict(zip(names, inside))
        for name, ref in zip(names, inside):  # each argument is the table column (or setting) it names
            assert ref.startswith("tbl") or ref == f"set_{name}", (header, name, ref)
    assert parsed["KOL_AUTHENTICITY"]["snapshot_date"] == "tblSnapshots[日期 Date]"
    assert parsed["KOL_AUTHENTICITY"]["er_benchmarks"] == "tblERBench"
    assert parsed["KOL_COMPLIANCE"]["platform_violation"] == "tblReviews[平台违规 Platform violation]"
    assert parsed["KOL_PERFORMANCE"]["gmv_base"] == "tblCollabs[成交额(本位币) GMV (base)]"
    assert parsed["KOL_PERFORMANCE"]["kpi_roas"].startswith("tblCollabs[") and "KPI ROAS" in parsed["KOL_PERFORMANCE"]["kpi_roas"]
    values = cal.get_sheet_by_name(sheet.name).to_python()[1:]  # below the live-values line
    header = values[0]
    for key in ("score", "tier", "roi", "roas", "responsiveness", "audience_fit", "total_cost", "completeness",
                "content_quality", "compliance", "performance", "authenticity"):
        j = header.index(sheet.column(key).header)
        for i, expected in enumerate(scores[key].tolist()):
            assert _same(values[i + 1][j], expected), (key, i, values[i + 1][j], expected)
    co_sheet = schema.sheet("collaborations")
    co = evaluation.tables["collaborations"]
    values = cal.get_sheet_by_name(co_sheet.name).to_python()
    for key, fn in (("er_views", "SUM("), ("cpm", "*1000"), ("roi", "set_gross_margin"), ("total_cost", "INDEX(tblFX")):
        j = co_sheet.keys.index(key)
        assert fn in wb[co_sheet.name].cell(2, j + 1).value
        for i, expected in enumerate(co[key].tolist()):
            assert _same(values[i + 1][j], expected), (key, i)
    cr_sheet = schema.sheet("creators")
    j = cr_sheet.keys.index("creator_key")
    assert wb[cr_sheet.name].cell(2, j + 1).value.startswith('=IFERROR(IF(INDEX(calc_creator_key,ROW()-ROW(tblCreators[#Headers])+1)')
    assert spills["达人键 Creator key"].startswith("=KOL_KEY(tblCreators[平台 Platform],")


def test_enum_cells_show_bilingual_labels(built, evaluation):
    schema = load_schema()
    cal = CalamineWorkbook.from_path(str(built))
    sheet = schema.sheet("creators")
    rows = cal.get_sheet_by_name(sheet.name).to_python()
    j = sheet.keys.index("blacklisted")
    assert {r[j] for r in rows[1:]} == {"是 Yes", "否 No"}
    j = sheet.keys.index("country")
    assert "美国 US" in {r[j] for r in rows[1:]}


def test_vba_holds_xlwings_the_udf_wrappers_and_the_macro(built):
    parser = VBA_Parser(str(built))
    modules = {name: code for (_f, _s, name, code) in parser.extract_macros()}
    parser.close()
    assert "xlwings.bas" in modules and "Function RunPython" in modules["xlwings.bas"]
    assert "Dictionary.cls" in modules
    wrappers = modules["xlwings_udfs.bas"]
    for name in udfs.UDF_NAMES:
        fn = getattr(udfs, name)
        args = [a["name"] for a in fn.__xlfunc__["args"]]
        optional = {a["name"] for a in fn.__xlfunc__["args"] if "optional" in a}
        sig = ", ".join(("Optional " if a in optional else "") + a for a in args)
        assert f"Function {name}({sig})" in wrappers, name
        assert f'XLPy.CallUDF("workbook_addin.udfs", "{name}", Array({", ".join(args)}), ThisWorkbook, Application.Caller)' in wrappers
    # the subscores over the Tables take the row's key and the Table columns
    assert ("Function KOL_CONTENT_SCORE(creator_key, creators, review_creator_key, reviewer, visuals, script, brand_fit)"
            in wrappers)
    assert "Function KOL_AUTHENTICITY(creator_key, creators, followers, fake_follower_rate, collab_creator_key," in wrappers
    macro = modules["Lianxing.bas"]
    assert re.search(r'Sub RefreshMetrics\(\)\s+(?:\'.*\s+)*RunPython "import workbook_addin.macros; '
                     r'workbook_addin.macros.refresh_metrics\(\)"', macro)


def test_pyopenvba_file_check_passes(built):
    from pyopenvba import ExcelFile, check_file

    report = check_file(built)
    assert report.complete and report.issues == ()
    with ExcelFile(built) as book:
        assert book.validate() == []
        names = set(book.module_names())
    assert {code for _n, code, _k in sheet_plan(load_schema())} | {"ThisWorkbook", "xlwings", "Dictionary",
                                                                     "xlwings_udfs", "Lianxing"} == names


def test_dashboard_helpers_cache_the_engine_counts(built, evaluation):
    cal = CalamineWorkbook.from_path(str(built))
    rows = cal.get_sheet_by_name(DASHBOARD_SHEET).to_python()
    tiers = evaluation.tables["scores"]["tier"]
    found = {r[0]: r[1] for r in rows if r and r[0] in ("S", "A", "B", "C")}
    assert found == {t: float((tiers == t).sum()) for t in ("S", "A", "B", "C")}
    wb = openpyxl.load_workbook(built)
    assert len(wb[DASHBOARD_SHEET]._charts) == 4
