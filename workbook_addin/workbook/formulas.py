"""The formula behind each computed column of the workbook's Tables.

Two kinds, both passing every input as an argument (cells, Table columns, Settings names):

- calls of the Python functions (:mod:`workbook_addin.udfs`) for what the engine computes:
  scores, tier, ER, CPM, ROAS, ROI, the creator key;
- native Excel formulas for plain arithmetic and per-creator sums over the Tables (FX conversion,
  hours to reply, SUMIFS of cost and GMV, the median reply time, completeness), written to give
  the engine's numbers so LibreOffice and Excel recalculate them to the same values.

Subscores the engine derives from whole child Tables with rules no native formula follows
(reviewer-normalised content marks, per-post compliance, KPI performance over published posts,
benchmark-band authenticity) call their function with the creator's key and the Table columns it
reads (``=KOL_CONTENT_SCORE([@key], tblCreators[key], tblReviews[key], tblReviews[reviewer], ...)``):
the function runs the engine on them, so editing a review recalculates the score. Only the reply
rate (pending contacts depend on today's date) holds the engine's value; the refresh writes it again.
"""
from __future__ import annotations

from ..core.schema import Schema, load_schema
from .settings_sheet import TIERS_NAME, WEIGHTS_NAME
from .structured_refs import refs

#: Formulas that must be stored as array (CSE) formulas for Excel versions without dynamic arrays.
ARRAY_FORMULAS: dict[str, frozenset[str]] = {"scores": frozenset({"completeness"})}


def _fx(fx_table: str, currency_ref: str) -> str:
    return f"INDEX({fx_table}[兑本位币汇率 Rate to base],MATCH({currency_ref},{fx_table}[币种 Currency],0))"


def column_formulas(schema: Schema | None = None) -> dict[str, dict[str, str]]:
    """sheet key -> column key -> formula (the same string on every row of the Table)."""
    schema = schema or load_schema()
    cr, out, co, sc, rv, sn = (refs(k, schema) for k in ("creators", "outreach", "collaborations", "scores", "reviews",
                                                         "snapshots"))
    er_bench = schema.settings_tables["er_benchmarks"].table  # the whole Table's data, in schema column order
    fx = schema.settings_tables["fx_rates"].table
    fx_cols = {c.key: c.header for c in schema.settings_tables["fx_rates"].columns}
    assert fx_cols["rate"] == "兑本位币汇率 Rate to base" and fx_cols["currency"] == "币种 Currency"

    def lookup(table_refs, key: str) -> str:
        """This Scores row's creator's value from the Creators table."""
        return f"INDEX({table_refs.col(key)},MATCH({sc.this('creator_key')},{table_refs.col('creator_key')},0))"

    creators = {
        "creator_key": (f"=KOL_KEY({cr.this('platform')},"
                        f"IF({cr.this('handle')}=\"\",{cr.this('profile_url')},{cr.this('handle')}))"),
        "score": f'=IFERROR(INDEX({sc.col("score")},MATCH({cr.this("creator_key")},{sc.col("creator_key")},0)),"")',
        "tier": f'=IFERROR(INDEX({sc.col("tier")},MATCH({cr.this("creator_key")},{sc.col("creator_key")},0))&"","")',
    }
    replied, contacted = out.this("replied_at"), out.this("contacted_at")
    outreach = {
        "reply_hours": (f'=IF(OR({replied}="",{contacted}=""),"",'
                        f'IF({replied}<{contacted},"",ROUND(({replied}-{contacted})*24,2)))'),
    }
    cur = co.this("currency")
    gmv_cur = f'IF({co.this("gmv_currency")}="",{cur},{co.this("gmv_currency")})'
    money = [co.this(k) for k in ("fee", "sample_cost", "shipping_cost", "tool_cost")]
    gmv_base, cost = co.this("gmv_base"), co.this("total_cost")
    collabs = {
        "gmv_base": f'=IFERROR(IF({co.this("gmv")}="","",ROUND({co.this("gmv")}*{_fx(fx, gmv_cur)},2)),"")',
        "total_cost": (f'=IFERROR(IF(COUNT({",".join(money)})'
                       f'+AND(ISNUMBER({co.this("commission_rate")}),ISNUMBER({gmv_base}))=0,"",'
                       f'ROUND(((N({money[0]})+N({money[1]})+N({money[2]})+N({money[3]}))*{_fx(fx, cur)}'
                       f'+N({co.this("commission_rate")})*N({gmv_base}))*(1+N({co.this("agency_fee_pct")})),2)),"")'),
        "er_views": (f"=KOL_ER({co.this('likes')},{co.this('comments')},{co.this('shares')},{co.this('saves')},"
                     f"{co.this('views')})"),
        "cpm": f"=KOL_CPM({cost},{co.this('views')})",
        "cpe": f"=KOL_CPE({cost},{co.this('likes')},{co.this('comments')},{co.this('shares')},{co.this('saves')})",
        "cpa": f"=KOL_CPA({cost},{co.this('orders')})",
        "roas": f"=KOL_ROAS({gmv_base},{cost})",
        "roi": f"=KOL_ROI({gmv_base},{cost},set_gross_margin)",
    }
    key = sc.this("creator_key")
    tracked_gmv = f'SUMIFS({co.col("gmv_base")},{co.col("creator_key")},{key},{co.col("total_cost")},">=0")'
    tracked_cost = f'SUMIFS({co.col("total_cost")},{co.col("creator_key")},{key},{co.col("gmv_base")},">=0")'
    span = sc.this_span("responsiveness", "audience_fit")
    scores = {
        "median_reply_hours": (f'=IFERROR(ROUND(_xlfn.AGGREGATE(16,6,'
                               f'{out.col("reply_hours")}/({out.col("creator_key")}={key}),0.5),1),"")'),
        "total_cost": (f'=IF(COUNTIFS({co.col("creator_key")},{key},{co.col("total_cost")},">=0")=0,"",'
                       f'ROUND(SUMIFS({co.col("total_cost")},{co.col("creator_key")},{key}),2))'),
        "gmv": (f'=IF(COUNTIFS({co.col("creator_key")},{key},{co.col("gmv_base")},">=0")=0,"",'
                f'ROUND(SUMIFS({co.col("gmv_base")},{co.col("creator_key")},{key}),2))'),
        "roas": f"=KOL_ROAS({tracked_gmv},{tracked_cost})",
        "roi": f"=KOL_ROI({tracked_gmv},{tracked_cost},set_gross_margin)",
        "responsiveness": (f"=KOL_RESPONSE_SCORE({sc.this('reply_rate')},{sc.this('median_reply_hours')},"
                           "set_reply_target_hours)"),
        "audience_fit": (f"=KOL_FIT({lookup(cr, 'country')},{lookup(cr, 'language')},{lookup(cr, 'category')},"
                         f"{lookup(cr, 'audience_target_share')},{lookup(cr, 'audience_top_country')},"
                         "set_target_markets,set_target_languages,set_target_categories)"),
        "content_quality": _call("KOL_CONTENT_SCORE", key, cr.col("creator_key"), *(rv.col(k) for k in (
            "creator_key", "reviewer", "visuals", "script", "brand_fit"))),
        "compliance": _call("KOL_COMPLIANCE", key, cr.col("creator_key"), *(rv.col(k) for k in (
            "creator_key", "review_id", "collab_id", "ad_disclosure", "false_claims", "platform_violation"))),
        "performance": _call("KOL_PERFORMANCE", key, cr.col("creator_key"), *(co.col(k) for k in (
            "creator_key", "total_cost", "gmv_base", "views", "likes", "comments", "shares", "saves", "orders",
            "kpi_views", "kpi_er", "kpi_orders", "kpi_roas")), "set_target_cpm", "set_er_good", "set_target_roas",
            co.col("objective"), cr.col("followers"), "set_gross_margin"),
        "authenticity": _call("KOL_AUTHENTICITY", key, *(cr.col(k) for k in ("creator_key", "followers",
                                                                             "fake_follower_rate")),
                              *(co.col(k) for k in ("creator_key", "views", "likes", "comments", "shares", "saves")),
                              *(sn.col(k) for k in ("creator_key", "date", "followers")), er_bench,
                              "set_fake_follower_flag", "set_er_low_factor", "set_er_high_factor",
                              "set_follower_jump_flag"),
        "score": f"=KOL_SCORE({span},{WEIGHTS_NAME})",
        "completeness": f'=IFERROR(MMULT(--ISNUMBER({span}),{WEIGHTS_NAME})/SUM({WEIGHTS_NAME}),"")',
        "tier": (f"=KOL_TIER({sc.this('score')},{lookup(cr, 'blacklisted')},{TIERS_NAME},"
                 f"{sc.this('completeness')},set_min_completeness)"),
    }
    plan = {"creators": creators, "outreach": outreach, "collaborations": collabs, "scores": scores}
    return {sheet: {key: _guard(f) for key, f in cols.items()} for sheet, cols in plan.items()}


def _call(name: str, *arguments: str) -> str:
    return f"={name}({','.join(arguments)})"


def _guard(formula: str) -> str:
    """``=IFERROR(KOL_...(...),"")``: where no Python runs (LibreOffice, Excel on the web) a
    function call is an error; an empty cell reads better than #NAME?. In Excel with Python the
    function's own answer (a number, or a short reason) shows as it is."""
    if formula.startswith("=KOL_"):
        return f'=IFERROR({formula[1:]},"")'
    return formula
