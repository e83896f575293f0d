"""The Python functions people type into cells: =KOL_SCORE(...), =KOL_TIER(...), =KOL_ROI(...) ...

Each is a thin wrapper over the engine's array building blocks (:mod:`workbook_addin.engine.metrics`,
:mod:`workbook_addin.engine.scoring`, :mod:`workbook_addin.core.keys`): it turns what Excel passes into numpy
arrays, calls the engine, and turns the answer back into something a cell can show. Nothing is
computed here and nothing is looked up behind Excel's back: weights, cut-offs and targets arrive as
arguments (the Settings sheet's named ranges), so a cell recalculates when they change.

Every argument takes a single cell or a whole column (xlwings hands both over as a 2-D list):
given only single cells a function returns one value; given a column it returns a column, so one
call scores 10 000 rows. A result that cannot be computed (missing input, division by zero) is an
empty cell, never 0; wrong input gives a short reason in the cell, never a Python traceback.
Open-source xlwings cannot return Excel error values (#N/A) from a function, hence empty cells.

The decorators are xlwings' own (see :mod:`workbook_addin.workbook.xlwings_udf_api`), so the VBA wrapper
module that "Import Functions" would write is generated from exactly this metadata.
"""
from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .engine import metrics, scoring
from .engine.subscore import subscore
from .core.key_columns import creator_keys
from .core.schema import load_schema
from .core.settings import DIMENSIONS, Settings
from .workbook.udf_args import (UdfInputError, broadcast, cell, content_key, float_result, grid, is_single,
                                number, numbers, result, scalar, shape, texts)
from .workbook.xlwings_udf_api import arg, func
from .core.xlwings_version import check_function_host

CATEGORY = "Lianxing"
MAX_REASON = 80


def _safe(fn=None, *, per_row: bool = True):
    """No traceback ever reaches a cell: a failure becomes a short reason. A call given a column
    (a spilled call) answers with the reason on every row, so each cell that reads its row of the
    spill shows why, instead of the first row showing the reason and the others nothing
    (``per_row=False``: a function that sums its ranges up into one cell answers in one cell)."""
    if fn is None:
        return functools.partial(_safe, per_row=per_row)

    @functools.wraps(fn)
    def wrapper(*args):
        check_function_host()  # another xlwings: the VBA wrapper says so and keeps the cell's value
        try:
            return fn(*args)
        except UdfInputError as exc:
            reason = f"⚠ {exc}"[:MAX_REASON]
        except Exception as exc:  # noqa: BLE001 - the cell must show a reason, not a stack
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            reason = f"⚠ {type(exc).__name__}: {first}"[:MAX_REASON]
        rows = shape(args[0])[0] if args and per_row else 1
        return reason if rows <= 1 else [[reason] for _ in range(rows)]

    return wrapper


def _numeric_udf(engine_fn, *values: Any) -> Any:
    single = is_single(*values)
    arrays = broadcast(*[numbers(v) for v in values])
    return result(engine_fn(*arrays), single)


def _opt(value: Any, default: float) -> Any:
    return default if value is None or value == "" else value


# ----------------------------------------------------------------------------- metrics
@func(category=CATEGORY)
@arg("likes", ndim=2, doc="点赞 Likes")
@arg("comments", ndim=2, doc="评论 Comments")
@arg("shares", ndim=2, doc="分享 Shares")
@arg("saves", ndim=2, doc="收藏 Saves")
@arg("views", ndim=2, doc="播放量 Views")
@_safe
def KOL_ER(likes, comments, shares, saves, views):
    """互动率 Engagement rate by views: (likes + comments + shares + saves) / views."""
    return _numeric_udf(metrics.er_views, likes, comments, shares, saves, views)


@func(category=CATEGORY)
@arg("cost", ndim=2, doc="总成本 Total cost (base currency)")
@arg("views", ndim=2, doc="播放量 Views")
@_safe
def KOL_CPM(cost, views):
    """千次播放成本 CPM: cost / views x 1000."""
    return _numeric_udf(metrics.cpm, cost, views)


@func(category=CATEGORY)
@arg("cost", ndim=2, doc="总成本 Total cost (base currency)")
@arg("likes", ndim=2, doc="点赞 Likes")
@arg("comments", ndim=2, doc="评论 Comments")
@arg("shares", ndim=2, doc="分享 Shares")
@arg("saves", ndim=2, doc="收藏 Saves")
@_safe
def KOL_CPE(cost, likes, comments, shares, saves):
    """单次互动成本 CPE: cost / (likes + comments + shares + saves)."""
    def cpe(c, lk, cm, sh, sv):
        return metrics.cpe(c, metrics.engagements(lk, cm, sh, sv))

    return _numeric_udf(cpe, cost, likes, comments, shares, saves)


@func(category=CATEGORY)
@arg("cost", ndim=2, doc="总成本 Total cost (base currency)")
@arg("orders", ndim=2, doc="订单 Orders")
@_safe
def KOL_CPA(cost, orders):
    """单笔订单成本 CPA: cost / orders."""
    return _numeric_udf(metrics.cpa, cost, orders)


@func(category=CATEGORY)
@arg("gmv", ndim=2, doc="成交额 GMV (base currency)")
@arg("cost", ndim=2, doc="总成本 Total cost (base currency)")
@_safe
def KOL_ROAS(gmv, cost):
    """ROAS: GMV / cost."""
    return _numeric_udf(metrics.roas, gmv, cost)


@func(category=CATEGORY)
@arg("gmv", ndim=2, doc="成交额 GMV (base currency)")
@arg("cost", ndim=2, doc="总成本 Total cost (base currency)")
@arg("gross_margin", ndim=2, doc="毛利率 Gross margin (Settings: set_gross_margin)")
@_safe
def KOL_ROI(gmv, cost, gross_margin=0.5):
    """ROI: (GMV x gross margin - cost) / cost."""
    return _numeric_udf(metrics.roi, gmv, cost, _opt(gross_margin, 0.5))


# ----------------------------------------------------------------------------- subscores
@func(category=CATEGORY)
@arg("reply_rate", ndim=2, doc="回复率 Reply rate (0-1)")
@arg("median_reply_hours", ndim=2, doc="回复用时中位数 Median hours to reply")
@arg("target_hours", ndim=2, doc="回复时效目标 Reply target hours (Settings: set_reply_target_hours)")
@_safe
def KOL_RESPONSE_SCORE(reply_rate, median_reply_hours=None, target_hours=24):
    """响应速度 Responsiveness 0-100 from the reply rate and median hours to reply."""
    return _numeric_udf(scoring.responsiveness_score, reply_rate, median_reply_hours,
                        _opt(target_hours, 24.0))


# ----------------------------------------------------------------------------- subscores over the Tables
# Content quality, compliance, performance and authenticity are per-creator aggregates over the
# child Tables with rules no native formula follows (reviewer normalisation pooled over every
# review, a post counting once however many reviewers marked it, KPI defaults from Settings,
# benchmark bands). So these functions take the creator's key plus the child Tables' columns as
# arguments, build small tables from them and run the engine's stages for that one subscore
# (:func:`engine.subscore.subscore`): the same code as the Refresh button, never a second formula.
#
# Why a memo: a function typed per row (``=KOL_CONTENT_SCORE([@key], ...)``) is called with its own
# key but the SAME column arguments on every row, so 10 000 rows would run the engine 10 000 times
# over the whole tables (quadratic). The engine's answer for every creator is kept under the
# content of the column arguments (:func:`workbook.udf_args.content_key`, and the day: pending
# outreach depends on it); the first row computes it, the other rows look their key up. Any edit
# in a column changes the content, so a changed review recalculates; only the last few argument
# sets are kept (memory stays small).
MEMO_SIZE = 8
_MEMO: OrderedDict[tuple[Any, ...], dict[Any, float]] = OrderedDict()


def _frame(**columns: Any) -> pd.DataFrame:
    """One engine input table from Table columns (raw cell values, checked by the engine)."""
    arrays = {k: texts(v) for k, v in columns.items()}
    sizes = {len(a) for a in arrays.values()}
    if len(sizes) > 1:
        raise UdfInputError(f"table columns differ in length: {sorted(sizes)}")
    return pd.DataFrame(arrays, dtype=object, copy=False)


def _creators(keys: Any, **columns: Any) -> pd.DataFrame:
    """The Creators table as the engine reads it, from the creator-key column: a key
    ``platform:handle`` gives back the same key, so the engine matches the child rows as it does
    in the workbook (and leaves out duplicates and rows without a key the same way)."""
    frame = _frame(creator_key=keys, **columns)
    texts_ = ["" if k is None else str(k) for k in frame.pop("creator_key")]
    # two passes, no list of (platform, ":", handle) tuples kept: 10 000 of them would keep
    # Python's garbage collector walking the process's objects
    frame["platform"] = np.array([t.partition(":")[0] or None for t in texts_], dtype=object)
    frame["handle"] = np.array([t.partition(":")[2] or None for t in texts_], dtype=object)
    return frame


def _settings(**values: Any) -> Settings:
    """Settings from the named cells passed in (blank: the default), checked like the sheet's."""
    given = {k: v for k, v in values.items() if k != "er_benchmarks" and v is not None and v != ""}
    bench = values.get("er_benchmarks")
    settings, problems = Settings.from_values(given, bench)
    if problems:
        raise UdfInputError(problems[0].message)
    return settings


def _today() -> pd.Timestamp:
    """The day of the calculation: outreach contacted less than the reply target ago is pending."""
    return pd.Timestamp.today().normalize()


def _engine_subscore(dimension: str, key: Any, args: tuple[Any, ...], tables: Callable[[], dict[str, pd.DataFrame]],
                     settings: Callable[[], Settings]) -> Any:
    """``dimension`` of the creator(s) in ``key`` as the engine computes it from the tables that
    ``tables()`` builds from ``args``; memoised on the content of ``args`` (see MEMO_SIZE)."""
    today = _today()
    memo_key = (dimension, today, content_key(args))
    try:
        by_key, kept = _MEMO.get(memo_key), True
    except TypeError:  # a cell Python cannot hash (no Excel hands one over): computed, not kept
        by_key, kept = None, False
    if by_key is None:
        creator_key, values = subscore(dimension, tables(), settings(), today=today)
        by_key = dict(zip(creator_key.tolist(), values.tolist()))
        if kept:
            _MEMO[memo_key] = by_key
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    else:
        _MEMO.move_to_end(memo_key)
    return float_result(np.array([by_key.get(k, np.nan) for k in texts(key)], dtype=float), is_single(key))


@func(category=CATEGORY)
@arg("creator_key", ndim=2, doc="达人键 Creator key (a cell, or a column for a spilled result)")
@arg("creators", ndim=2, doc="达人键列 Creators' key column: tblCreators[达人键 Creator key]")
@arg("outreach_creator_key", ndim=2, doc="建联表达人键 Outreach: creator key column")
@arg("contacted_at", ndim=2, doc="联系时间 Outreach: contacted-at column")
@arg("replied_at", ndim=2, doc="回复时间 Outreach: replied-at column")
@arg("status", ndim=2, doc="状态 Outreach: status column")
@arg("reply_target_hours", ndim=2, doc="回复时效目标 Settings: set_reply_target_hours")
@_safe
def KOL_RESPONSIVENESS(creator_key, creators, outreach_creator_key, contacted_at, replied_at, status,
                       reply_target_hours=None):
    """响应速度 Responsiveness 0-100 from the creator's outreach rows: reply rate and median hours to reply
    (contacts still inside the reply target count once answered or late), as the Refresh computes it."""
    args = (creators, outreach_creator_key, contacted_at, replied_at, status, reply_target_hours)
    return _engine_subscore("responsiveness", creator_key, args, lambda: {
        "creators": _creators(creators),
        "outreach": _frame(creator_key=outreach_creator_key, contacted_at=contacted_at, replied_at=replied_at,
                           status=status)}, lambda: _settings(reply_target_hours=scalar(reply_target_hours)))


@func(category=CATEGORY)
@arg("creator_key", ndim=2, doc="达人键 Creator key (a cell, or a column for a spilled result)")
@arg("creators", ndim=2, doc="达人键列 Creators' key column: tblCreators[达人键 Creator key]")
@arg("review_creator_key", ndim=2, doc="评审表达人键 Reviews: creator key column")
@arg("reviewer", ndim=2, doc="评审人 Reviews: reviewer column")
@arg("visuals", ndim=2, doc="画面 Reviews: visuals column (1-5)")
@arg("script", ndim=2, doc="脚本 Reviews: script column (1-5)")
@arg("brand_fit", ndim=2, doc="品牌契合 Reviews: brand-fit column (1-5)")
@_safe
def KOL_CONTENT_SCORE(creator_key, creators, review_creator_key, reviewer, visuals, script, brand_fit):
    """内容质量 Content quality 0-100: the creator's reviewer-normalised 1-5 marks, (mean - 1) / 4 x 100."""
    args = (creators, review_creator_key, reviewer, visuals, script, brand_fit)
    return _engine_subscore("content_quality", creator_key, args, lambda: {
        "creators": _creators(creators),
        "reviews": _frame(creator_key=review_creator_key, reviewer=reviewer, visuals=visuals, script=script,
                          brand_fit=brand_fit)}, _settings)


@func(category=CATEGORY)
@arg("creator_key", ndim=2, doc="达人键 Creator key (a cell, or a column for a spilled result)")
@arg("creators", ndim=2, doc="达人键列 Creators' key column: tblCreators[达人键 Creator key]")
@arg("review_creator_key", ndim=2, doc="评审表达人键 Reviews: creator key column")
@arg("review_id", ndim=2, doc="评审编号 Reviews: review ID column")
@arg("collab_id", ndim=2, doc="合作编号 Reviews: collaboration ID column (the post)")
@arg("ad_disclosure", ndim=2, doc="广告标识 Reviews: #ad disclosure column")
@arg("false_claims", ndim=2, doc="虚假宣传 Reviews: false claims column")
@arg("platform_violation", ndim=2, doc="平台违规 Reviews: platform violation column")
@_safe
def KOL_COMPLIANCE(creator_key, creators, review_creator_key, review_id, collab_id, ad_disclosure, false_claims,
                   platform_violation):
    """合规 Compliance 0-100 from the creator's reviewed posts missing #ad, with false claims or a
    platform violation."""
    args = (creators, review_creator_key, review_id, collab_id, ad_disclosure, false_claims, platform_violation)
    return _engine_subscore("compliance", creator_key, args, lambda: {
        "creators": _creators(creators),
        "reviews": _frame(creator_key=review_creator_key, review_id=review_id, collab_id=collab_id,
                          ad_disclosure=ad_disclosure, false_claims=false_claims,
                          platform_violation=platform_violation)}, _settings)


@func(category=CATEGORY)
@arg("creator_key", ndim=2, doc="达人键 Creator key (a cell, or a column for a spilled result)")
@arg("creators", ndim=2, doc="达人键列 Creators' key column: tblCreators[达人键 Creator key]")
@arg("collab_creator_key", ndim=2, doc="合作表达人键 Collaborations: creator key column")
@arg("total_cost", ndim=2, doc="总成本 Collaborations: total cost column (base currency)")
@arg("gmv_base", ndim=2, doc="成交额(本位币) Collaborations: GMV column (base currency)")
@arg("views", ndim=2, doc="播放量 Collaborations: views column")
@arg("likes", ndim=2, doc="点赞 Collaborations: likes column")
@arg("comments", ndim=2, doc="评论 Collaborations: comments column")
@arg("shares", ndim=2, doc="分享 Collaborations: shares column")
@arg("saves", ndim=2, doc="收藏 Collaborations: saves column")
@arg("orders", ndim=2, doc="订单 Collaborations: orders column")
@arg("kpi_views", ndim=2, doc="目标播放 Collaborations: KPI views column")
@arg("kpi_er", ndim=2, doc="目标互动率 Collaborations: KPI ER column")
@arg("kpi_orders", ndim=2, doc="目标订单 Collaborations: KPI orders column")
@arg("kpi_roas", ndim=2, doc="目标 ROAS Collaborations: KPI ROAS column")
@arg("target_cpm", ndim=2, doc="目标 CPM Settings: set_target_cpm")
@arg("er_good", ndim=2, doc="良好互动率 Settings: set_er_good")
@arg("target_roas", ndim=2, doc="目标 ROAS Settings: set_target_roas")
@arg("objective", ndim=2, doc="合作目标 Collaborations: objective column (awareness / launch / sales)")
@arg("followers", ndim=2, doc="粉丝数 Creators: followers column (Instagram's ER is by followers)")
@arg("gross_margin", ndim=2,
     doc="毛利率 Settings: set_gross_margin (a sales post below break-even never meets its target)")
@_safe
def KOL_PERFORMANCE(creator_key, creators, collab_creator_key, total_cost, gmv_base, views, likes, comments, shares,
                    saves, orders, kpi_views, kpi_er, kpi_orders, kpi_roas, target_cpm=None, er_good=None,
                    target_roas=None, objective=None, followers=None, gross_margin=None):
    """效果表现 Performance 0-100: per published post the KPIs of its objective,
    min(actual/target, 1.25)/1.25 x 100, averaged."""
    args = (creators, collab_creator_key, total_cost, gmv_base, views, likes, comments, shares, saves, orders,
            kpi_views, kpi_er, kpi_orders, kpi_roas, target_cpm, er_good, target_roas, objective, followers,
            gross_margin)

    @functools.cache  # tables() reads the base currency from it too: built once a call
    def settings() -> Settings:
        return _settings(target_cpm=scalar(target_cpm), er_good=scalar(er_good), target_roas=scalar(target_roas),
                         gross_margin=scalar(gross_margin))

    def tables() -> dict[str, pd.DataFrame]:
        # cost and GMV arrive already in the base currency (the Collaborations table's own
        # computed columns): the engine is given them as a base-currency fee and GMV
        co = _frame(creator_key=collab_creator_key, fee=total_cost, gmv=gmv_base, views=views, likes=likes,
                    comments=comments, shares=shares, saves=saves, orders=orders, kpi_views=kpi_views,
                    kpi_er=kpi_er, kpi_orders=kpi_orders, kpi_roas=kpi_roas)
        if objective is not None:
            co["objective"] = texts(objective)
        co["currency"] = settings().base_currency
        cr = _creators(creators) if followers is None else _creators(creators, followers=followers)
        return {"creators": cr, "collaborations": co}

    return _engine_subscore("performance", creator_key, args, tables, settings)


@func(category=CATEGORY)
@arg("creator_key", ndim=2, doc="达人键 Creator key (a cell, or a column for a spilled result)")
@arg("creators", ndim=2, doc="达人键列 Creators: creator key column")
@arg("followers", ndim=2, doc="粉丝数 Creators: followers column")
@arg("fake_follower_rate", ndim=2, doc="假粉率 Creators: fake-follower rate column")
@arg("collab_creator_key", ndim=2, doc="合作表达人键 Collaborations: creator key column")
@arg("views", ndim=2, doc="播放量 Collaborations: views column")
@arg("likes", ndim=2, doc="点赞 Collaborations: likes column")
@arg("comments", ndim=2, doc="评论 Collaborations: comments column")
@arg("shares", ndim=2, doc="分享 Collaborations: shares column")
@arg("saves", ndim=2, doc="收藏 Collaborations: saves column")
@arg("snapshot_creator_key", ndim=2, doc="快照达人键 Snapshots: creator key column")
@arg("snapshot_date", ndim=2, doc="日期 Snapshots: date column")
@arg("snapshot_followers", ndim=2, doc="粉丝数 Snapshots: followers column")
@arg("er_benchmarks", ndim=2, doc="互动率基准 Settings: the ER benchmark table (tblERBench)")
@arg("fake_follower_flag", ndim=2, doc="假粉率警戒线 Settings: set_fake_follower_flag")
@arg("er_low_factor", ndim=2, doc="互动率偏低系数 Settings: set_er_low_factor")
@arg("er_high_factor", ndim=2, doc="互动率偏高系数 Settings: set_er_high_factor")
@arg("follower_jump_flag", ndim=2, doc="粉丝突增警戒线 Settings: set_follower_jump_flag")
@_safe
def KOL_AUTHENTICITY(creator_key, creators, followers, fake_follower_rate, collab_creator_key, views, likes, comments,
                     shares, saves, snapshot_creator_key, snapshot_date, snapshot_followers, er_benchmarks=None,
                     fake_follower_flag=None, er_low_factor=None, er_high_factor=None, follower_jump_flag=None):
    """粉丝真实性 Audience authenticity 0-100 from the fake-follower rate, ER against its band, likes per
    comment and follower jumps."""
    args = (creators, followers, fake_follower_rate, collab_creator_key, views, likes, comments, shares, saves,
            snapshot_creator_key, snapshot_date, snapshot_followers, er_benchmarks, fake_follower_flag,
            er_low_factor, er_high_factor, follower_jump_flag)

    def settings() -> Settings:
        bench = None
        if er_benchmarks is not None and er_benchmarks != "":
            keys = load_schema().settings_tables["er_benchmarks"].keys
            rows = [row[:len(keys)] + [None] * (len(keys) - len(row)) for row in grid(er_benchmarks)]
            bench = pd.DataFrame(rows, columns=keys)
        return _settings(er_benchmarks=bench, fake_follower_flag=scalar(fake_follower_flag),
                         er_low_factor=scalar(er_low_factor), er_high_factor=scalar(er_high_factor),
                         follower_jump_flag=scalar(follower_jump_flag))

    return _engine_subscore("authenticity", creator_key, args, lambda: {
        "creators": _creators(creators, followers=followers, fake_follower_rate=fake_follower_rate),
        "collaborations": _frame(creator_key=collab_creator_key, views=views, likes=likes, comments=comments,
                                 shares=shares, saves=saves),
        "snapshots": _frame(creator_key=snapshot_creator_key, date=snapshot_date, followers=snapshot_followers)},
        settings)


def _matches(values: np.ndarray, enum_name: str, targets: Any) -> np.ndarray:
    """1 where the value (code or label) is in the comma-separated target list, 0 if not, NaN if blank."""
    enum = load_schema().enums[enum_name]
    text = ",".join(str(c) for c in texts(targets) if c is not None)
    wanted = {enum.normalise(t) or t.strip() for t in text.split(",") if t.strip()}
    if not wanted:
        return np.full(len(values), np.nan)  # no target list: the part is left out, as the engine does
    decided: dict[tuple[type, Any], float] = {}  # once per distinct cell: a column holds a few markets

    def match(v: Any) -> float:
        if v is None or not str(v).strip():
            return np.nan
        return 1.0 if (enum.normalise(v) or str(v).strip()) in wanted else 0.0

    return np.array([decided[k] if (k := (type(v), v)) in decided else decided.setdefault(k, match(v))
                     for v in values], dtype=float)


@func(category=CATEGORY)
@arg("market", ndim=2, doc="国家/市场 Creator's market")
@arg("language", ndim=2, doc="语言 Language")
@arg("category", ndim=2, doc="品类 Category")
@arg("audience_target_share", ndim=2, doc="目标市场受众占比 Audience in target market (0-1)")
@arg("audience_top_country", ndim=2, doc="受众主要国家 Audience top country")
@arg("target_markets", ndim=2, doc="目标市场 Settings: set_target_markets")
@arg("target_languages", ndim=2, doc="目标语言 Settings: set_target_languages")
@arg("target_categories", ndim=2, doc="目标品类 Settings: set_target_categories")
@_safe
def KOL_FIT(market, language, category, audience_target_share, audience_top_country, target_markets,
            target_languages, target_categories):
    """受众匹配 Audience fit 0-100: market, language, category and audience share against the targets."""
    single = is_single(market, language, category, audience_target_share, audience_top_country)
    columns = [texts(v) for v in (market, language, category, audience_top_country)]
    m, lang, cat, top, share = broadcast(*columns, numbers(audience_target_share))
    score = scoring.audience_fit_score(_matches(m, "market", target_markets), _matches(lang, "language",
                                                                                       target_languages),
                                       _matches(cat, "category", target_categories), share,
                                       _matches(top, "market", target_markets))
    return float_result(score, single)


# ----------------------------------------------------------------------------- score and tier
@func(category=CATEGORY)
@arg("subscores", ndim=2, doc="六个维度分 The six subscores (one row per creator)")
@arg("weights", ndim=2, doc="权重 Settings: Weights")
@_safe
def KOL_SCORE(subscores, weights):
    """总分 Score 0-100: the subscores' weighted mean, missing dimensions left out."""
    rows = grid(subscores)
    w = numbers(weights)
    if len(w) != len(DIMENSIONS) or np.isnan(w).any() or w.sum() <= 0:
        raise UdfInputError("weights must be 6 numbers that add up to more than 0")
    s = np.array([[number(c) for c in row] for row in rows], dtype=float)
    if s.shape[1] != len(w):
        if s.shape[0] == len(w) and s.shape[1] == 1:
            s = s.T
        else:
            raise UdfInputError(f"subscores need {len(w)} columns, got {s.shape[1]}")
    score, _completeness = scoring.weighted_score(s, w)
    return result(score, s.shape[0] == 1)


def _yes(values: np.ndarray) -> np.ndarray:
    enum = load_schema().enums["yes_no"]
    return np.array([enum.normalise(v) == "yes" if v is not None and not isinstance(v, bool) else bool(v)
                     for v in values], dtype=bool)


@func(category=CATEGORY)
@arg("score", ndim=2, doc="总分 Score")
@arg("blacklisted", ndim=2, doc="黑名单 Blacklisted (是 Yes / 否 No)")
@arg("cutoffs", ndim=2, doc="分数线 Settings: TierCutoffs (S, A, B)")
@arg("completeness", ndim=2, doc="数据完整度 Completeness (0-1)")
@arg("min_completeness", ndim=2, doc="评级所需最低完整度 Settings: set_min_completeness")
@_safe
def KOL_TIER(score, blacklisted=None, cutoffs=None, completeness=None, min_completeness=None):
    """等级 Tier S/A/B/C from the score and the cut-offs; blacklisted creators are C."""
    single = is_single(score, blacklisted if blacklisted is not None else "",
                       completeness if completeness is not None else "")
    # the tier of the score as shown (84.96 shows 85.0: S), as the engine does
    sc = np.atleast_1d(scoring.round_half_up(numbers(score), 1))
    bl = _yes(texts(blacklisted)) if blacklisted is not None else np.zeros(1, dtype=bool)
    cut = numbers(cutoffs) if cutoffs is not None else np.array([85.0, 70.0, 55.0])
    if len(cut) != 3 or np.isnan(cut).any():
        raise UdfInputError("cut-offs must be 3 numbers (S, A, B)")
    comp = numbers(completeness) if completeness is not None else None
    arrays = [sc, bl] + ([comp] if comp is not None else [])
    arrays = broadcast(*arrays)
    min_comp = None if min_completeness in (None, "") else number(min_completeness)
    tier = scoring.assign_tier(arrays[0], arrays[1], tuple(cut), arrays[2] if comp is not None else None,
                               min_comp if comp is not None else None)
    return result(tier, single)


@func(category=CATEGORY)
@arg("platform", ndim=2, doc="平台 Platform")
@arg("handle", ndim=2, doc="账号或主页链接 Handle or profile URL")
@_safe
def KOL_KEY(platform, handle):
    """达人键 Creator key: platform + normalised handle, e.g. tiktok:glowwithmia."""
    single = is_single(platform, handle)
    p, h = broadcast(texts(platform), texts(handle))
    keys, _reasons = creator_keys(pd.Series(p, dtype=object, copy=False), pd.Series(h, dtype=object, copy=False))
    return result(keys, single)


# ----------------------------------------------------------------------------- outreach insights
@func(category=CATEGORY)
@arg("replied_range", ndim=2, doc="回复时间列 Replied-at column (blank = no reply)")
@arg("contacted_range", ndim=2, doc="联系时间列 Contacted-at column (same rows)")
@arg("with_interval", doc="TRUE: also the 95% Wilson interval and the count (spills 4 cells)")
@_safe(per_row=False)
def KOL_REPLY_RATE(replied_range, contacted_range, with_interval=False):
    """回复率 Reply rate of the contacted rows; with_interval=TRUE adds the 95% Wilson low, high and n."""
    from .insights.stats import reply_rate_from_ranges

    try:
        r = reply_rate_from_ranges(replied_range, contacted_range)
    except ValueError as exc:
        raise UdfInputError(str(exc)) from exc
    if with_interval and str(with_interval).strip().casefold() not in ("false", "0", "否 no", "no"):
        return [[cell(r.rate), cell(r.low), cell(r.high), r.n]]
    return cell(r.rate)


#: Every function a user can type, for the VBA generator, the guide and the tests.
UDF_NAMES = ("KOL_SCORE", "KOL_TIER", "KOL_ROI", "KOL_ROAS", "KOL_ER", "KOL_CPM", "KOL_CPE", "KOL_CPA",
             "KOL_RESPONSE_SCORE", "KOL_RESPONSIVENESS", "KOL_AUTHENTICITY", "KOL_CONTENT_SCORE", "KOL_COMPLIANCE",
             "KOL_PERFORMANCE",
             "KOL_FIT", "KOL_KEY", "KOL_REPLY_RATE")
