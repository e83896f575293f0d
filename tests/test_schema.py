"""The schema in templates/ is the one description every part reads: these tests pin its rules."""
import copy
import tomllib
from importlib import resources

import pytest

from workbook_addin.core.schema import NUMERIC_TYPES, load_schema, parse_schema


def _docs():
    files = resources.files("templates")
    return (
        tomllib.loads(files.joinpath("schema.toml").read_text(encoding="utf-8")),
        tomllib.loads(files.joinpath("settings.toml").read_text(encoding="utf-8")),
    )


def test_every_sheet_the_brief_needs_is_declared():
    keys = {s.key for s in load_schema().sheets}
    assert {"creators", "outreach", "collaborations", "reviews", "scores"} <= keys


def test_headers_are_bilingual_chinese_first_and_unique():
    for sheet in load_schema().sheets:
        headers = sheet.headers
        assert len(set(headers)) == len(headers), sheet.name
        for col in sheet.columns:
            assert col.header.startswith(col.zh) and col.header.endswith(col.en)
            assert col.header != f"{col.en} {col.en}", "a label the same in both languages is shown once"
            assert any("\u4e00" <= ch <= "\u9fff" for ch in col.zh + col.en) or col.zh == col.en, col.key


def test_money_columns_name_their_currency_column():
    for sheet in load_schema().sheets:
        for col in sheet.columns:
            if col.type == "money" and col.role == "input":
                assert col.currency in sheet.keys, (sheet.key, col.key)


def test_enum_inputs_accept_code_label_and_either_language():
    funnel = load_schema().enums["funnel"]
    assert funnel.normalise("replied") == "replied"
    assert funnel.normalise("已回复 Replied") == "replied"
    assert funnel.normalise("已回复") == "replied"
    assert funnel.normalise(" REPLIED ") == "replied"
    assert funnel.normalise("maybe") is None


def test_an_ambiguous_half_label_is_rejected_not_guessed():
    channel = load_schema().enums["channel"]
    assert channel.normalise("DM") is None  # Instagram DM or TikTok DM? Nobody should guess.
    assert channel.normalise("TikTok") == "tiktok_dm"


def test_settings_weights_and_named_ranges():
    schema = load_schema()
    weights = [s for s in schema.settings if s.group == "weights"]
    assert len(weights) == 6
    assert sum(s.value for s in weights) == pytest.approx(1.0)
    names = [s.name for s in schema.settings]
    assert len(set(names)) == len(names)
    assert schema.setting("tier_s").value > schema.setting("tier_a").value > schema.setting("tier_b").value


def test_numeric_columns_have_sane_bounds():
    for sheet in load_schema().sheets:
        for col in sheet.columns:
            if col.min is not None or col.max is not None:
                assert col.type in NUMERIC_TYPES, (sheet.key, col.key)


def test_a_column_of_unknown_type_is_refused_with_its_sheet_named():
    schema_doc, settings_doc = _docs()
    bad = copy.deepcopy(schema_doc)
    bad["sheets"][0]["columns"][1]["type"] = "colour"
    with pytest.raises(ValueError, match="Creators.*platform.*colour"):
        parse_schema(bad, settings_doc)


def test_a_row_key_naming_a_missing_column_is_refused():
    schema_doc, settings_doc = _docs()
    bad = copy.deepcopy(schema_doc)
    bad["sheets"][1]["row_key"] = ["nope"]
    with pytest.raises(ValueError, match="row_key"):
        parse_schema(bad, settings_doc)


def test_header_lookup_accepts_every_spelling_people_and_old_workbooks_use():
    from workbook_addin.core.schema import header_map

    lookup = header_map(load_schema().sheet("collaborations").columns)
    assert lookup["合作编号 collab id"] == "collab_id"          # bilingual, any case
    assert lookup["合作编号"] == lookup["collab id"] == "collab_id"  # either half
    assert lookup["roas"] == lookup["roas roas"] == "roas"       # old workbooks said "ROAS ROAS"
    assert lookup["collab_id"] == "collab_id"                   # the key itself
