"""The formula behind each computed column of the workbook's Tables.

No Table cell calls Python. Each column is one of:

- a native Excel formula where a rule allows (FX conversion, hours to reply, per-creator sums,
  ER, CPM, CPE, CPA, ROAS, ROI, the weighted score, completeness and the tier from the Settings
  cut-offs), written to give the engine's numbers (tests hold them equal on the sample and on
  generated data), so it recalculates in any spreadsheet program;
- a pick from a spilled Python call on the hidden calculation sheet
  (:mod:`workbook_addin.workbook.calc_sheet`): the creator key and the six subscores, each
  ``IFERROR(live, value of the last refresh)`` so a cell never goes blank where Python is not running;
- the last refresh's text (red flags, explanation), marked as such once the live score has moved.

A creator typed into Creators gets its key, score and tier from the spills where Python runs;
elsewhere its score cell says ``未评分 Not yet scored: press Refresh``.
"""
from __future__ import annotations

from ..core.schema import Schema, load_schema
from ..core.settings import DIMENSIONS
from .calc_sheet import calc_column, last_value
from .settings_sheet import TIERS_NAME, WEIGHTS_NAME
from .structured_refs import RowRefs, refs, row_refs

#: What a Creators row shows where nothing has scored it yet (no Python, no refresh since it was typed).
NOT_SCORED = "未评分 Not yet scored: press Refresh"
NOT_SCORED_TIER = "未评分 Not scored"
#: Put before red flags and explanations written for a score the row no longer has.
STALE_PREFIX = "⟳ 上次刷新时 As of the last refresh: "


def _fx(fx_table: str, currency_ref: str) -> str:
    return f"INDEX({fx_table}[兑本位币汇率 Rate to base],MATCH({currency_ref},{fx_table}[币种 Currency],0))"


def _div(num: str, den: str, *numbers: str) -> str:
    """num / den, "" unless den is a positive number and every one of ``numbers`` is a number
    (the engine's safe_div: NaN where the denominator is missing, zero or negative)."""
    known = ",".join(f"ISNUMBER({x})" for x in (den, *numbers))
    return f'IF(AND({known}),IF({den}>0,{num}/{den},""),"")'


def _yes(cell: str) -> str:
    """TRUE when a yes/no cell says yes in any form the engine accepts (code, label or either half)."""
    return f'OR({cell}="是 Yes",{cell}="yes",{cell}="是")'


def weighted(cells: list[str]) -> tuple[str, str]:
    """(numerator, present weight) of the weighted mean of six subscore cells, missing ones left
    out as the engine does; plain scalar arithmetic, so no array evaluation is needed anywhere."""
    num = "+".join(f"N({c})*INDEX({WEIGHTS_NAME},{i + 1})" for i, c in enumerate(cells))
    den = "+".join(f"ISNUMBER({c})*INDEX({WEIGHTS_NAME},{i + 1})" for i, c in enumerate(cells))
    return num, den


def score_of(cells: list[str]) -> str:
    """The score: the weighted mean of the subscores, one decimal; "" without any."""
    num, den = weighted(cells)
    return f'IF(({den})=0,"",ROUND(({num})/({den}),1))'


def tier_of(score: str, blacklisted: str, completeness: str, sales_roi: str | None = None) -> str:
    """The tier from the Settings cut-offs, the score rounded to one decimal first (84.96 is S);
    blacklisted creators C; never above B when the sales collaborations lost money in total and
    Settings keep that cap on; "" without a score or below the minimum completeness."""
    r = f"ROUND({score},1)"
    capped = (f"AND(IFERROR({_yes('set_roi_cap')},FALSE),ISNUMBER({sales_roi}),N({sales_roi})<0)"
              if sales_roi else "FALSE")
    ladder = "".join(f'IF({r}>=INDEX({TIERS_NAME},{i + 1}),{shown},'
                     for i, shown in enumerate((f'IF({capped},"B","S")', f'IF({capped},"B","A")', '"B"')))
    return (f'IF(IFERROR({_yes(blacklisted)},FALSE),"C",IF(NOT(ISNUMBER({score})),"",'
            f'IF({completeness}<set_min_completeness-1E-12,"",{ladder}"C"))))))')


def _live_or_last(schema: Schema, column: str, position: str, key: str) -> str:
    """A subscore: this creator's row of the spill, else the last refresh's value, else ""."""
    live = f"INDEX({calc_column(column)},{position})"
    return f'IFERROR({live},IFERROR({last_value(schema, column, key)},""))'


def _creators(schema: Schema, cr: RowRefs, sc: RowRefs) -> dict[str, str]:
    position = f"ROW()-ROW({cr.table}[#Headers])+1"
    key = cr.this("creator_key")
    live_key = f"INDEX({calc_column('creator_key')},{position})&\"\""
    identity = f'{cr.this("platform")}&"|"&{cr.this("handle")}&"|"&{cr.this("profile_url")}'
    handle = cr.this("handle")
    guess = f'IF({handle}="","",LOWER({cr.this("platform")})&":"&LOWER(SUBSTITUTE(TRIM({handle}),"@","")))'
    last = refs("last_refresh", schema)
    stored_key = f"INDEX({last.col('creator_key')},MATCH({identity},{last.col('identity')},0))&\"\""
    picks = [f"INDEX({calc_column(d)},{position})" for d in DIMENSIONS]
    num, den = weighted(picks)
    in_scores = f"MATCH({key},{sc.col('creator_key')},0)"
    new_score = f'IF(({den})=0,1/0,ROUND(({num})/({den}),1))'
    new_tier = tier_of(cr.this("score"), cr.this("blacklisted"), f"({den})/SUM({WEIGHTS_NAME})")
    return {
        "creator_key": f'=IFERROR(IF({live_key}="",1/0,{live_key}),IFERROR({stored_key},{guess}))',
        "score": (f'=IF({key}="","",IFERROR(INDEX({sc.col("score")},{in_scores}),'
                  f'IFERROR({new_score},"{NOT_SCORED}")))'),
        "tier": (f'=IF({key}="","",IFERROR(INDEX({sc.col("tier")},{in_scores})&"",'
                 f'IF(ISNUMBER({cr.this("score")}),{new_tier},IF({_yes(cr.this("blacklisted"))},"C","{NOT_SCORED_TIER}"))))'),
    }


def _collaborations(co: RowRefs, fx: str) -> dict[str, str]:
    cur = co.this("currency")
    gmv_cur = f'IF({co.this("gmv_currency")}="",{cur},{co.this("gmv_currency")})'
    money = [co.this(k) for k in ("fee", "sample_cost", "shipping_cost", "tool_cost")]
    gmv_base, cost, views = co.this("gmv_base"), co.this("total_cost"), co.this("views")
    parts = ",".join(co.this(k) for k in ("likes", "comments", "shares", "saves"))
    engagements = f"IF(COUNT({parts})=0,\"\",SUM({parts}))"
    return {
        "gmv_base": f'=IFERROR(IF({co.this("gmv")}="","",ROUND({co.this("gmv")}*{_fx(fx, gmv_cur)},2)),"")',
        "total_cost": (f'=IFERROR(IF(COUNT({",".join(money)})'
                       f'+AND(ISNUMBER({co.this("commission_rate")}),ISNUMBER({gmv_base}))=0,"",'
                       f'ROUND(((N({money[0]})+N({money[1]})+N({money[2]})+N({money[3]}))*{_fx(fx, cur)}'
                       f'+N({co.this("commission_rate")})*N({gmv_base}))*(1+N({co.this("agency_fee_pct")})),2)),"")'),
        "er_views": f'=IF(COUNT({parts})=0,"",{_div(f"SUM({parts})", views)})',
        "cpm": "=" + _div(f"{cost}*1000", views, cost),
        "cpe": "=" + _div(cost, engagements, cost),
        "cpa": "=" + _div(cost, co.this("orders"), cost),
        "roas": "=" + _div(gmv_base, cost, gmv_base),
        "roi": "=" + _div(f"({gmv_base}*set_gross_margin-{cost})", cost, gmv_base, "set_gross_margin"),
    }


def _scores(schema: Schema, sc: RowRefs, cr: RowRefs, co: RowRefs, out: RowRefs) -> dict[str, str]:
    key = sc.this("creator_key")
    position = f"MATCH({key},{cr.col('creator_key')},0)+1"
    tracked_gmv = f'SUMIFS({co.col("gmv_base")},{co.col("creator_key")},{key},{co.col("total_cost")},">=0")'
    tracked_cost = f'SUMIFS({co.col("total_cost")},{co.col("creator_key")},{key},{co.col("gmv_base")},">=0")'
    cells = [sc.this(d) for d in DIMENSIONS]
    _num, den = weighted(cells)
    blacklisted = f"INDEX({cr.col('blacklisted')},MATCH({key},{cr.col('creator_key')},0))"
    f = {
        "median_reply_hours": (f'=IFERROR(ROUND(_xlfn.AGGREGATE(16,6,{out.col("reply_hours")}'
                               f'/({out.col("creator_key")}={key}),0.5),1),"")'),
        "total_cost": (f'=IF(COUNTIFS({co.col("creator_key")},{key},{co.col("total_cost")},">=0")=0,"",'
                       f'ROUND(SUMIFS({co.col("total_cost")},{co.col("creator_key")},{key}),2))'),
        "gmv": (f'=IF(COUNTIFS({co.col("creator_key")},{key},{co.col("gmv_base")},">=0")=0,"",'
                f'ROUND(SUMIFS({co.col("gmv_base")},{co.col("creator_key")},{key}),2))'),
        "roas": f'=IF({tracked_cost}>0,{tracked_gmv}/{tracked_cost},"")',
        "roi": f'=IF({tracked_cost}>0,({tracked_gmv}*set_gross_margin-{tracked_cost})/{tracked_cost},"")',
        **{d: "=" + _live_or_last(schema, d, position, key) for d in DIMENSIONS},
        "score": "=" + score_of(cells),
        "completeness": f"=({den})/SUM({WEIGHTS_NAME})",
        "tier": "=" + tier_of(sc.this("score"), blacklisted, sc.this("completeness"), sc.this("sales_roi")),
    }
    for column in ("flags", "explanation"):
        text = f'{last_value(schema, column, key)}&""'
        same = f"ROUND({sc.this('score')},1)={last_value(schema, 'score', key)}"
        fresh = f'OR({text}="",NOT(ISNUMBER({sc.this("score")})),{same})'
        f[column] = f'=IFERROR(IF({fresh},"","{STALE_PREFIX}")&{text},"")'
    return f


def shareable(formula: str) -> bool:
    """Whether a calculated column's formula can be stored once for the whole column (a shared
    formula): Excel's shared formulas cannot hold a reference to another sheet (``_calc!$B:$B``)."""
    return "!" not in formula


def column_formulas(schema: Schema | None = None) -> dict[str, dict[str, str]]:
    """sheet key -> column key -> formula, as its Table's first data row carries it (each row
    below shifts its own-row references, see :class:`~.structured_refs.RowRefs`)."""
    schema = schema or load_schema()
    cr, out, co, sc = (row_refs(k, schema) for k in ("creators", "outreach", "collaborations", "scores"))
    fx = schema.settings_tables["fx_rates"].table
    fx_cols = {c.key: c.header for c in schema.settings_tables["fx_rates"].columns}
    assert fx_cols["rate"] == "兑本位币汇率 Rate to base" and fx_cols["currency"] == "币种 Currency"
    replied, contacted = out.this("replied_at"), out.this("contacted_at")
    outreach = {
        "reply_hours": (f'=IF(OR({replied}="",{contacted}=""),"",'
                        f'IF({replied}<{contacted},"",ROUND(({replied}-{contacted})*24,2)))'),
    }
    return {"creators": _creators(schema, cr, sc), "outreach": outreach, "collaborations": _collaborations(co, fx),
            "scores": _scores(schema, sc, cr, co, out)}
