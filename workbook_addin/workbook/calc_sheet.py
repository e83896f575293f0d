"""The hidden calculation sheet (``_calc``): one spilled Python call per function, keyed on Creators.

Excel knows a formula's inputs only from its arguments, and marks every dependent of a changed
cell dirty. A per-row call fed by whole child-Table columns therefore reruns on every row for
every edit: O(rows x table size) cells handed to Python. Here each function that pools data over
the Tables is called ONCE, with the whole Creators key column as its first argument, and spills
one value per Creators row (row i of the spill = data row i of ``tblCreators``):

    A  达人键 Creator key      =KOL_KEY(tblCreators[平台 Platform], ...)
    B  响应速度 ... G 受众匹配  =KOL_RESPONSIVENESS(tblCreators[达人键 Creator key], ...) ... =KOL_FIT(...)

A full recalculation hands Python O(rows) cells in seven calls; an edit to one review reruns the
two calls that read Reviews, once each. The Tables read their row of a spill with plain INDEX
(Creators by position, Scores by MATCH on the key), always as ``IFERROR(live, last refresh)``: the
last refresh's values live in the hidden ``tblLastRefresh`` (:func:`last_refresh_frame`, written
by the build and by every refresh), so where Python does not run a cell shows what it showed
before instead of going blank.

The calls are stored as Excel 365 stores a dynamic-array formula (``t="array"`` with ``cm="1"``
cell metadata): Excel 365 shows ``=KOL_KEY(...)`` and spills it, never ``=@KOL_KEY(...)``; Excel
2019 and older read the same cells as a classic array formula over the rows the file had when it
was written (creators added later get the last refresh's values until the next refresh).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ..core.cells import is_blank
from ..core.schema import Schema
from ..core.settings import DIMENSIONS
from .structured_refs import refs

if TYPE_CHECKING:  # the build's side only: the refresh (also run by xlwings Lite) needs no XlsxWriter
    from xlsxwriter.worksheet import Worksheet

    from .formats import Formats

CALC_SHEET = "_calc"
#: _calc columns in order: the key, then the six subscores in the engine's DIMENSIONS order
CALC_COLUMNS = ("creator_key", *DIMENSIONS)
LAST = "last_refresh"


def calc_column(key: str) -> str:
    """The defined name of the whole _calc column of ``key`` (``calc_responsiveness``, which is
    ``_calc!$B:$B``: INDEX into it costs one cell). The calculated columns that read _calc go
    through these names, so they hold no reference to another sheet and can be stored as one
    shared formula (Excel does not share a formula that refers to another sheet): the Creators
    sheet's per-row text was 3.5 KB a row."""
    return f"calc_{key}"


def calc_names() -> dict[str, str]:
    """The defined names :func:`calc_column` uses -> what each refers to (``=_calc!$B:$B``)."""
    return {calc_column(key): f"={CALC_SHEET}!${chr(ord('A') + i)}:${chr(ord('A') + i)}"  # seven columns: A to G
            for i, key in enumerate(CALC_COLUMNS)}


def spill_formulas(schema: Schema) -> dict[str, str]:
    """_calc column key -> its one spilled call (every input an argument)."""
    cr, out, co, rv, sn = (refs(k, schema) for k in ("creators", "outreach", "collaborations", "reviews", "snapshots"))
    keys = cr.col("creator_key")
    er_bench = schema.settings_tables["er_benchmarks"].table

    def call(name: str, *arguments: str) -> str:
        return f"={name}({','.join(arguments)})"

    handle, url = cr.col("handle"), cr.col("profile_url")
    return {
        "creator_key": call("KOL_KEY", cr.col("platform"), f'IF({handle}="",{url},{handle})'),
        "responsiveness": call("KOL_RESPONSIVENESS", keys, keys, *(out.col(k) for k in (
            "creator_key", "contacted_at", "replied_at", "status")), "set_reply_target_hours"),
        "content_quality": call("KOL_CONTENT_SCORE", keys, keys, *(rv.col(k) for k in (
            "creator_key", "reviewer", "visuals", "script", "brand_fit"))),
        "compliance": call("KOL_COMPLIANCE", keys, keys, *(rv.col(k) for k in (
            "creator_key", "review_id", "collab_id", "ad_disclosure", "false_claims", "platform_violation"))),
        "performance": call("KOL_PERFORMANCE", keys, keys, *(co.col(k) for k in (
            "creator_key", "total_cost", "gmv_base", "views", "likes", "comments", "shares", "saves", "orders",
            "kpi_views", "kpi_er", "kpi_orders", "kpi_roas")), "set_target_cpm", "set_er_good", "set_target_roas",
            co.col("objective"), cr.col("followers"), "set_gross_margin"),
        "authenticity": call("KOL_AUTHENTICITY", keys, keys, *(cr.col(k) for k in ("followers", "fake_follower_rate")),
                             *(co.col(k) for k in ("creator_key", "views", "likes", "comments", "shares", "saves")),
                             *(sn.col(k) for k in ("creator_key", "date", "followers")), er_bench,
                             "set_fake_follower_flag", "set_er_low_factor", "set_er_high_factor",
                             "set_follower_jump_flag"),
        "audience_fit": call("KOL_FIT", *(cr.col(k) for k in ("country", "language", "category",
                                                              "audience_target_share", "audience_top_country")),
                             "set_target_markets", "set_target_languages", "set_target_categories"),
    }


def last_value(schema: Schema, column: str, creator_key: str) -> str:
    """The last refresh's ``column`` for the creator in ``creator_key`` (an error if it has none)."""
    last = refs(LAST, schema)
    return f"INDEX({last.col(column)},MATCH({creator_key},{last.col('creator_key')},0))"


def _identity_part(v: Any) -> str:
    """A cell as Excel's ``&`` shows it: blank -> "", a whole number without ".0"."""
    if is_blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def identity_text(platform: Any, handle: Any, profile_url: Any) -> str:
    """``platform|handle|profile URL`` as Excel's ``&`` joins the three cells (blank -> "",
    a whole number without ".0"): the Creators key formula finds the last refresh's key by it."""
    return "|".join(_identity_part(v) for v in (platform, handle, profile_url))


def _identity_parts(frame: pd.DataFrame, key: str) -> list[str]:
    """:func:`_identity_part` of a column (blanks where the sheet has none); an all-text column in one pass."""
    if key not in frame.columns:
        return [""] * len(frame)
    values = frame[key].tolist()
    if infer_dtype(values, skipna=False) == "string":
        return ["" if not v or v.isspace() else str(v) for v in values]
    return [_identity_part(v) for v in values]


def last_refresh_frame(creators: pd.DataFrame | None, scores: pd.DataFrame | None) -> pd.DataFrame:
    """tblLastRefresh: one row per Creators row (its key as computed, its identity as the cells
    show it), with the engine's subscores, score, flags and explanation for that key (the first
    Scores row of the key). Built a column at a time: 10 000 creators are one look-up per column."""
    columns = ["creator_key", "identity", *DIMENSIONS, "score", "flags", "explanation"]
    if creators is None or not len(creators):
        return pd.DataFrame(columns=columns, dtype=object)
    keys = creators["creator_key"].tolist() if "creator_key" in creators.columns else [None] * len(creators)
    keys = [None if is_blank(k) else k for k in keys]
    parts = (_identity_parts(creators, k) for k in ("platform", "handle", "profile_url"))
    out: dict[str, list[Any]] = {"creator_key": keys, "identity": [f"{p}|{h}|{u}" for p, h, u in zip(*parts)]}
    first = scores.drop_duplicates("creator_key") if scores is not None and len(scores) else None
    at = (pd.Index(first["creator_key"].to_numpy(dtype=object)).get_indexer(np.asarray(keys, dtype=object))
          if first is not None else np.full(len(keys), -1))
    at[[k is None for k in keys]] = -1
    for c in columns[2:]:
        found = _plain(first[c].tolist()) + [None] if first is not None and c in first.columns else [None]
        out[c] = [found[i] for i in at.tolist()]  # -1: the None at the end
    return pd.DataFrame(out, columns=columns, dtype=object)


def _plain(values: list[Any]) -> list[Any]:
    """Numpy scalars in an object column as the Python values ``to_dict`` would give."""
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def calc_values(creators: pd.DataFrame | None, scores: pd.DataFrame | None) -> dict[str, list[Any]]:
    """What each spill evaluates to (the engine's values per Creators row): the cached results."""
    n = 0 if creators is None else len(creators)
    keys = list(creators["creator_key"]) if creators is not None and n else []
    by_key: dict[Any, dict[str, Any]] = {}
    if scores is not None and len(scores):
        for rec in scores[["creator_key", *DIMENSIONS]].to_dict("records"):
            by_key.setdefault(rec["creator_key"], rec)
    out: dict[str, list[Any]] = {"creator_key": keys}
    for d in DIMENSIONS:
        out[d] = [by_key.get(k, {}).get(d) if not is_blank(k) else None for k in keys]
    return out


def build_calc_sheet(ws: Worksheet, fmt: Formats, schema: Schema, frames: Mapping[str, pd.DataFrame]) -> None:
    """Writes the header row and the seven spilled calls, each with the engine's values cached."""
    from .formats import cached_value  # XlsxWriter-side helper, kept out of the refresh's imports

    formulas = spill_formulas(schema)
    values = calc_values(frames.get("creators"), frames.get("scores"))
    rows = max(len(values["creator_key"]), 1)  # the Creators Table has at least one (empty) row
    head = fmt.get(bold=True)
    labels = {"creator_key": "达人键 Creator key", **{d: schema.sheet("scores").column(d).header for d in DIMENSIONS}}
    for j, key in enumerate(CALC_COLUMNS):
        ws.write_string(0, j, labels[key], head)
        column = values[key] + [None] * (rows - len(values[key]))
        cached = [cached_value(v) for v in column]
        ws.write_dynamic_array_formula(1, j, rows, j, formulas[key], None, cached[0])
        for i in range(1, rows):  # XlsxWriter pads the spill with zeroes: the engine's values instead
            if cached[i] == "":
                ws.write_blank(i + 1, j, None)
            elif isinstance(cached[i], str):
                ws.write_string(i + 1, j, cached[i])
            else:
                ws.write_number(i + 1, j, cached[i])
        ws.set_column(j, j, 16)
    ws.write_string(0, len(CALC_COLUMNS) + 1, "每列一个溢出的 Python 调用，按达人表行排列（勿改）。"
                    "One spilled Python call per column, one row per Creators row (do not edit).", fmt.get(italic=True))


# ----------------------------------------------------------------------------- the live-values line
#: The line saying which values are live and when the last refresh ran: the Dashboard's row 5 and
#: the row above the Scores table (A1 of each, merged across the sheet's first columns).
LIVE_LINE_CELLS = {"dashboard": "A5", "scores": "A1"}
_NOT_REFRESHED = "尚未刷新，生成时的值 not refreshed: values of the build"
_LIVE = ("● 实时：达人键、六项维度分、总分和等级由 Python 函数实时计算；"
         "回复率、带货 ROI、风险提示和评分说明来自上次刷新（{when}）。"
         "Live: keys, the six subscores, score and tier are computed now by the Python functions; reply rate, "
         "sales ROI, red flags and explanations are from the last refresh ({when}).")
_STORED = ("○ 未运行 Python：达人键和六项维度分为上次刷新（{when}）的值，总分、等级、成本和 ROI 由表格公式按其计算；"
           "新增达人显示“未评分”，请刷新。Python is not running: keys and the six subscores are from the last refresh "
           "({when}); score, tier, costs and ROI are spreadsheet formulas over them; new creators show "
           "未评分 Not yet scored: press Refresh.")
_CACHED = ("上次刷新（{when}）的值；表格重新计算后，此行说明哪些值为实时。Values of the last refresh ({when}); once "
           "the workbook recalculates, this line says which values are live.")


def _excel_text(template: str, when: str) -> str:
    """``template`` as an Excel text expression with ``when`` (an expression) in place of {when};
    literals cut below Excel's 255 characters a string."""
    parts = []
    for i, piece in enumerate(template.split("{when}")):
        if i:
            parts.append(when)
        for start in range(0, len(piece), 200):
            parts.append('"' + piece[start:start + 200].replace('"', '""') + '"')
    return "&".join(p for p in parts if p != '""')


def live_line_formula(status_name: str = "RefreshStatus") -> str:
    """Live where the key spill answers (Python runs), last-refresh values elsewhere; the time of
    the last refresh from the status line the refresh writes ("2026-11-27 23:32 ...")."""
    when = f'IF(MID({status_name},5,1)="-",LEFT({status_name},16),"{_NOT_REFRESHED}")'
    return (f"=IF(ISERROR({CALC_SHEET}!$A$2),{_excel_text(_STORED, when)},{_excel_text(_LIVE, when)})")


def live_line_text(status: str) -> str:
    """What the line shows in a viewer that does not recalculate: the values are the last refresh's."""
    when = status[:16] if len(status) > 16 and status[4:5] == "-" else _NOT_REFRESHED
    return _CACHED.replace("{when}", when)
