"""The evaluation engine: the one entry point every front calls (CLI, refresh, builder, sync, UDFs).

:func:`evaluate` takes the workbook's input tables (raw or typed), checks them against the schema,
computes every metric and subscore over whole tables with pandas/numpy (no per-row Python), and
returns the tables with their computed columns filled, a Scores table (one row per creator), the
problems found (sheet, row, column) and notes. :func:`score_creator` scores one creator by calling
:func:`evaluate` on one-creator tables, so there is never a second implementation of a formula.

The run is a row of named stages, each a function over whole tables, in the order
:func:`evaluate` calls them: :func:`typed_inputs`, :func:`creator_rows`, :func:`child_positions`,
:func:`outreach_stage` (responsiveness), :func:`collaborations_stage` (money and performance),
:func:`content_stage` and :func:`compliance_stage` (reviews), :func:`authenticity_stage`,
:func:`audience_fit_stage`, :func:`score_and_tier`, :func:`red_flags` and :func:`scores_table`.
A rule change belongs to one stage; the array plumbing they share is in :mod:`.arrays`.

The model (subscores, weights, missing data, tiers) is described in :mod:`workbook_addin.engine.scoring`
and the README's "Evaluation model" section.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import authenticity as auth
from ..core import distinct
from . import metrics, scoring
from .arrays import (Flag, first_ids, flag, float_columns, group_mean, join_flags, number_column, percent_texts,
                     sum_or_nan,
                     text_column)
from ..core.fx import rates_for
from ..core.keys import try_creator_key
from .reviewers import normalise_scores
from ..core.schema import Schema, load_schema
from ..core.settings import DIMENSIONS, Settings
from ..core.coerce import coerce_table
from ..core.key_columns import creator_keys, match_creator_keys
from ..core.problems import Problem, excel_rows

INPUT_SHEETS = ("creators", "outreach", "collaborations", "reviews", "snapshots")
CHILD_SHEETS = ("outreach", "collaborations", "reviews", "snapshots")
_NOT_READ = {"display_name", "email", "contact", "agency", "owner", "notes", "template", "campaign",
             "promo_code", "utm_campaign", "source", "outreach_id", "blacklist_reason", ("collaborations", "collab_id"),
             ("collaborations", "post_url"), ("reviews", "review_id"), ("reviews", "collab_id")}
#: Columns :func:`evaluate` checks per sheet: every typed column (number, percent, money, date,
#: drop-down) and the text it reads. Free text, IDs and post links it never reads pass through
#: untouched: there is nothing in them to score, and on 500 000 rows checking them would cost
#: more than the scoring. The workbook builder and importers check them with coerce_table().
ENGINE_COLUMNS = {
    key: [c.key for c in load_schema().sheet(key).columns
          if c.key != "creator_key" and c.key not in _NOT_READ and (key, c.key) not in _NOT_READ]
    for key in INPUT_SHEETS
}


@dataclass
class Evaluation:
    """What :func:`evaluate` returns: filled tables, problems found, and notes on the run."""

    tables: dict[str, pd.DataFrame]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def scores(self) -> pd.DataFrame:
        return self.tables["scores"]

    def tier_counts(self) -> dict[str, int]:
        """Creators per tier (S, A, B, C) and without a tier ("-")."""
        tiers = self.scores["tier"].fillna("-")
        return {t: int((tiers == t).sum()) for t in (*scoring.TIERS, "-")}

def _empty_frame(sheet_key: str) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(dtype=object) for k in load_schema().sheet(sheet_key).keys})


def _market_labels(schema: Schema, values: np.ndarray) -> np.ndarray:
    """Creators' country as its bilingual market label (None when empty or not a market)."""
    enum = schema.enums["market"]
    labels = {}
    for v in dict.fromkeys(values.tolist()):
        code = enum.normalise(v) if isinstance(v, str) else None
        labels[v] = enum.label_of(code) if code is not None else None
    return np.array([labels.get(v) for v in values.tolist()], dtype=object)


@dataclass
class Run:
    """What every stage reads (schema, settings, the run's date) and where it reports problems."""

    schema: Schema
    settings: Settings
    today: pd.Timestamp
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Creators:
    """The Creators rows that are scored: one per distinct creator key, in sheet order.

    ``frame`` is the whole typed sheet (its score and tier columns are filled at the end),
    ``scored`` the rows with a usable, first-seen key, ``positions`` where those rows sit in
    ``frame``, and ``key_index`` the keys the child sheets' rows are looked up in.
    """

    frame: pd.DataFrame
    keys: np.ndarray
    positions: np.ndarray
    key_index: pd.Index
    scored: pd.DataFrame

    @property
    def count(self) -> int:
        return len(self.positions)


# ----------------------------------------------------------------------------- stage 1: inputs
def typed_inputs(tables: Mapping[str, pd.DataFrame], run: Run) -> dict[str, pd.DataFrame]:
    """Every input sheet typed against the schema (missing sheets count as empty); cells that do
    not parse are reported and left empty, so one bad cell never stops the run."""
    typed: dict[str, pd.DataFrame] = {}
    for key in INPUT_SHEETS:
        frame = tables.get(key)
        frame = _empty_frame(key) if frame is None else frame
        typed[key], found = coerce_table(key, frame, columns=ENGINE_COLUMNS.get(key))
        run.problems.extend(found)
    return typed


# ----------------------------------------------------------------------------- stage 2: creators and their keys
def _report_unkeyed_rows(creators: pd.DataFrame, reasons: np.ndarray, rows: np.ndarray, run: Run) -> None:
    """A problem for each non-empty Creators row no key can be made for (platform + handle)."""
    sheet = run.schema.sheet("creators")
    input_keys = [c.key for c in sheet.input_columns]
    no_key = np.flatnonzero(reasons != "")
    empty_row = (creators.iloc[no_key][input_keys].isna().all(axis=1).to_numpy() if len(no_key)
                 else np.zeros(0, dtype=bool))
    for i in no_key[~empty_row]:
        if creators["platform"].iat[i] is None and creators["handle"].iat[i] is None:
            continue  # both missing: already reported as required values
        run.problems.append(Problem(sheet.name, int(rows[i]), sheet.column("handle").header,
                                    f"no creator key can be made: {reasons[i]}", creators["handle"].iat[i], "creators",
                                    "handle"))


def _duplicate_rows(creators: pd.DataFrame, keys: np.ndarray, reasons: np.ndarray, rows: np.ndarray, all_keys: pd.Index,
                    run: Run) -> np.ndarray:
    """Rows whose key an earlier row already has (reported; only the first row is scored)."""
    key_series = pd.Series(keys, dtype=object, copy=False)
    if not (reasons != "").any() and all_keys.is_unique:
        # the usual case: every row has its own key; the hash table built to see that is the
        # one the child sheets' keys are looked up in
        return np.zeros(len(keys), dtype=bool)
    duplicate = (key_series.duplicated(keep="first") & key_series.notna()).to_numpy()
    if duplicate.any():
        sheet = run.schema.sheet("creators")
        first = ~duplicate & key_series.notna().to_numpy()
        first_row = dict(zip(key_series[first], rows[first]))
        for i in np.flatnonzero(duplicate):
            run.problems.append(Problem(
                sheet.name, int(rows[i]), sheet.column("handle").header,
                f"duplicate creator {keys[i]}: same key as row {first_row[keys[i]]}; only row {first_row[keys[i]]} is "
                "scored",
                creators["handle"].iat[i], "creators", "handle"))
    return duplicate


def creator_rows(creators: pd.DataFrame, run: Run) -> Creators:
    """Each Creators row's key (platform + normalised handle, or the profile link), the rows
    that are scored, and the problems of the rows that are not (no key, duplicate key)."""
    rows = excel_rows(creators)
    keys, reasons = creator_keys(creators["platform"], creators["handle"], creators["profile_url"])
    _report_unkeyed_rows(creators, reasons, rows, run)
    all_keys = pd.Index(keys, dtype=object)
    duplicate = _duplicate_rows(creators, keys, reasons, rows, all_keys, run)
    valid = pd.Series(keys, dtype=object, copy=False).notna().to_numpy() & ~duplicate
    positions = np.flatnonzero(valid)
    n = len(positions)
    key_index = all_keys if n == len(keys) else pd.Index(keys[positions], dtype=object)
    creators["creator_key"] = pd.Series(keys.copy(), index=creators.index, dtype=object, copy=False)
    scored = creators if n == len(creators) else creators.iloc[positions]  # no copy when every row has its own key
    return Creators(creators, keys, positions, key_index, scored)


# ----------------------------------------------------------------------------- stage 3: child tables -> creator index
def child_positions(typed: dict[str, pd.DataFrame], creators: Creators, run: Run) -> dict[str, np.ndarray]:
    """Per child sheet, each row's creator position (-1: no such creator), with the keys written
    back in canonical form and a problem for each key that is malformed or names no creator.

    All four sheets' keys are matched in one go: they name the same creators, so the distinct
    key texts among them are looked up (and, where not typed as a known key, parsed) once.
    """
    raw = {key: typed[key]["creator_key"].to_numpy(dtype=object) for key in CHILD_SHEETS}
    ends = np.cumsum([len(raw[key]) for key in CHILD_SHEETS])
    all_idx, all_todo, all_canon, all_present = match_creator_keys(
        np.concatenate([raw[key] for key in CHILD_SHEETS]) if ends[-1] else np.zeros(0, dtype=object),
        creators.key_index)
    positions: dict[str, np.ndarray] = {}
    creators_name = run.schema.sheet("creators").name
    for key, end in zip(CHILD_SHEETS, ends.tolist()):
        table, raw_keys = typed[key], raw[key]
        start = end - len(raw_keys)
        sheet = run.schema.sheet(key)
        idx = all_idx[start:end]
        lo, hi = np.searchsorted(all_todo, [start, end])
        todo, canon, present = all_todo[lo:hi] - start, all_canon[lo:hi], all_present[lo:hi]
        # only the cells not found as typed need a second look (usually none)
        bad = present & pd.isna(canon)
        if len(todo):
            rows = excel_rows(table)
            header = sheet.column("creator_key").header
            for i in todo[bad]:
                run.problems.append(Problem(sheet.name, int(rows[i]), header,
                                            f"{raw_keys[i]!r} is not a creator key (platform:handle) or profile link",
                                            raw_keys[i], key, "creator_key"))
            for j in np.flatnonzero(present & ~bad & (idx[todo] < 0)):
                run.problems.append(Problem(sheet.name, int(rows[todo[j]]), header,
                                            f"creator {canon[j]} is not in {creators_name}; row left out of the scores",
                                            canon[j], key, "creator_key"))
        keys_out = np.array(raw_keys, dtype=object, copy=True)
        fixed = present & ~bad
        keys_out[todo[fixed]] = canon[fixed]
        table["creator_key"] = pd.Series(keys_out, index=table.index, dtype=object, copy=False)
        positions[key] = idx
    return positions


# ----------------------------------------------------------------------------- stage 4: outreach
@dataclass
class Responsiveness:
    """Per creator: the responsiveness subscore and the two figures it comes from."""

    score: np.ndarray
    reply_rate: np.ndarray
    median_hours: np.ndarray


def _reply_hours(outreach: pd.DataFrame, run: Run) -> np.ndarray:
    """Hours from contact to reply per row (NaN without both times; a reply before the contact
    is reported and left out), also written to the sheet's reply_hours column."""
    sheet = run.schema.sheet("outreach")
    contacted = outreach["contacted_at"].to_numpy(dtype="datetime64[us]")
    replied_at = outreach["replied_at"].to_numpy(dtype="datetime64[us]")
    with np.errstate(invalid="ignore"):
        hours = (replied_at - contacted).astype("timedelta64[us]").astype(np.int64) / 3.6e9
    hours = np.where(np.isnat(replied_at) | np.isnat(contacted), np.nan, hours)
    early = hours < 0
    for i in np.flatnonzero(early):
        run.problems.append(Problem(sheet.name, int(excel_rows(outreach)[i]), sheet.column("replied_at").header,
                                    "reply time is before the contact time", outreach["replied_at"].iat[i], "outreach",
                                    "replied_at"))
    hours = np.where(early, np.nan, hours)
    outreach["reply_hours"] = np.round(hours, 2)
    return hours


def outreach_stage(outreach: pd.DataFrame, creator_of: np.ndarray, n: int, run: Run) -> Responsiveness:
    """Reply rate and median reply hours per creator, and the responsiveness subscore.

    Contacts still inside the reply window (contacted less than the reply target ago, no answer
    yet) are pending: neither a reply nor a non-reply.
    """
    hours = _reply_hours(outreach, run)
    target_hours = float(run.settings.reply_target_hours)
    stage, counted = metrics.counted_contacts(
        text_column(outreach, "status"), outreach["contacted_at"].to_numpy(dtype="datetime64[us]"),
        outreach["replied_at"].to_numpy(dtype="datetime64[us]"), run.today, target_hours)
    known = creator_of >= 0
    contacts = np.bincount(creator_of[counted & known], minlength=n).astype(float)
    replies = np.bincount(creator_of[counted & (stage >= 1) & known], minlength=n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        reply_rate = np.where(contacts > 0, replies / np.where(contacts > 0, contacts, 1), np.nan)
    timed = known & ~np.isnan(hours)
    median_hours = np.full(n, np.nan)
    if timed.any():
        med = pd.Series(hours[timed]).groupby(creator_of[timed]).median()
        median_hours[med.index.to_numpy()] = med.to_numpy()
    return Responsiveness(scoring.responsiveness_score(reply_rate, median_hours, target_hours), reply_rate,
                          median_hours)


# ----------------------------------------------------------------------------- stage 5: collaborations
def _unreadable_cells(collabs: pd.DataFrame, column: str, run: Run) -> dict[int, Any]:
    """Row position -> the text of ``column`` cells that held something that is not an allowed
    value (already reported): the cell reads as empty, but it was not empty, so nothing may be
    assumed in its place."""
    bad = {p.row: p.value for p in run.problems if p.sheet_key == "collaborations" and p.column_key == column}
    if not bad:
        return {}
    return {int(i): bad[r] for i, r in enumerate(excel_rows(collabs).tolist()) if r in bad}


def _fx_rates(collabs: pd.DataFrame, run: Run) -> tuple[np.ndarray, np.ndarray]:
    """(rate of the fee's currency, rate of the GMV's currency) per row into the base currency,
    NaN where there is no rate (reported: the amounts in it are left out). Never 1:1: a GMV
    currency that was typed but is unknown is not taken to be the fee's currency."""
    sheet = run.schema.sheet("collaborations")
    rates = run.settings.fx_rates
    currency = text_column(collabs, "currency")
    gmv_currency = text_column(collabs, "gmv_currency")
    rows = excel_rows(collabs)
    rate = rates_for(currency, rates)  # one look-up per row, shared by every money column
    unreadable = {"currency": _unreadable_cells(collabs, "currency", run),
                  "gmv_currency": _unreadable_cells(collabs, "gmv_currency", run)}
    if unreadable["currency"]:
        rate[list(unreadable["currency"])] = np.nan
        currency = currency.copy()
        currency[list(unreadable["currency"])] = list(unreadable["currency"].values())
    no_gmv_currency = distinct.isna(gmv_currency)  # GMV in the fee's currency unless stated
    gmv_rate = np.where(no_gmv_currency, rate, rates_for(gmv_currency, rates)) if len(collabs) else rate
    if unreadable["gmv_currency"]:
        at = list(unreadable["gmv_currency"])
        gmv_rate[at], no_gmv_currency[at] = np.nan, False
        gmv_currency = gmv_currency.copy()
        gmv_currency[at] = list(unreadable["gmv_currency"].values())
    gmv_values = number_column(collabs, "gmv")
    for col_key, r in (("currency", rate), ("gmv_currency", gmv_rate)):
        cand = np.flatnonzero(np.isnan(r))  # only rows without a rate need a second look
        named = currency[cand] if col_key == "currency" else np.where(no_gmv_currency[cand], currency[cand],
                                                                      gmv_currency[cand])
        no_rate = named != None  # noqa: E711 (element-wise)
        if col_key == "gmv_currency":
            no_rate = no_rate & ~np.isnan(gmv_values[cand])
        for j in np.flatnonzero(no_rate):
            i = cand[j]
            what = "GMV and the commission on it are" if col_key == "gmv_currency" else "amounts in it are"
            run.problems.append(Problem(sheet.name, int(rows[i]), sheet.column(col_key).header,
                                        f"no exchange rate for {named[j]} in 汇率 FX rates; {what} left out of cost "
                                        "and "
                                        "ROI",
                                        named[j], "collaborations", col_key))
    return rate, gmv_rate


def post_objectives(collabs: pd.DataFrame) -> np.ndarray:
    """Each row's objective (awareness / launch / sales): as typed, else sales where the row has a
    ROAS or orders target or GMV, else awareness (reach and cost are all it can be judged on)."""
    typed = text_column(collabs, "objective")
    col = float_columns(collabs)
    sales_like = ~np.isnan(col("kpi_roas")) | ~np.isnan(col("kpi_orders")) | ~np.isnan(col("gmv"))
    return np.where(distinct.isna(typed), np.where(sales_like, "sales", "awareness"), typed).astype(object)


@dataclass
class PostMetrics:
    """Per collaboration row, in the base currency: cost, GMV, engagement and whether it is live."""

    cost: np.ndarray
    gmv: np.ndarray
    views: np.ndarray
    likes: np.ndarray
    comments: np.ndarray
    engagement: np.ndarray
    er: np.ndarray
    cpm: np.ndarray
    roas: np.ndarray
    roi: np.ndarray
    published: np.ndarray
    objective: np.ndarray


def _platform_er(er_views: np.ndarray, likes: np.ndarray, comments: np.ndarray, creator_of: np.ndarray,
                 basis: np.ndarray, followers: np.ndarray) -> np.ndarray:
    """Each post's ER on its platform's basis (the creator's ER band says which): by followers
    (likes + comments) / followers on Instagram, by views elsewhere."""
    known = creator_of >= 0
    at = np.where(known, creator_of, 0)
    by_followers = known & (basis[at] == "followers") if len(basis) else np.zeros(len(creator_of), dtype=bool)
    if not by_followers.any():
        return er_views
    er_followers = metrics.safe_div(metrics.nansum(likes, comments), followers[at] if len(followers) else np.nan)
    return np.where(by_followers, er_followers, er_views)


def post_metrics(collabs: pd.DataFrame, creator_of: np.ndarray, band: dict[str, np.ndarray], followers: np.ndarray,
                 run: Run) -> PostMetrics:
    """Each collaboration's cost, GMV, ER (by views, and on its platform's basis), CPM/CPE/CPA,
    ROAS and ROI, written to its computed columns. Amounts that cannot be converted are left
    out of the cost (and reported), never converted 1:1."""
    rate, gmv_rate = _fx_rates(collabs, run)
    col = float_columns(collabs)  # each number column read once
    money = {k: col(k) * rate for k in ("fee", "sample_cost", "shipping_cost", "tool_cost")}
    gmv_base = col("gmv") * gmv_rate
    cost = np.asarray(metrics.total_cost(money["fee"], col("commission_rate"), gmv_base, money["sample_cost"],
                                         money["shipping_cost"],
                                         money["tool_cost"], col("agency_fee_pct")), dtype=float)
    views, likes, comments = col("views"), col("likes"), col("comments")
    engagement = metrics.nansum(likes, comments, col("shares"), col("saves"))
    er_views = metrics.safe_div(engagement, views)
    er = _platform_er(er_views, likes, comments, creator_of, band["basis"], followers)
    collabs["total_cost"] = np.round(cost, 2)
    collabs["gmv_base"] = np.round(gmv_base, 2)
    collabs["er_views"] = er_views
    collabs["er"] = er
    cpm = metrics.cpm(cost, views)
    collabs["cpm"] = cpm
    collabs["cpe"] = metrics.cpe(cost, engagement)
    collabs["cpa"] = metrics.cpa(cost, col("orders"))
    roas = metrics.roas(gmv_base, cost)
    collabs["roas"] = roas
    roi = metrics.roi(gmv_base, cost, float(run.settings.gross_margin))
    collabs["roi"] = roi
    return PostMetrics(cost, gmv_base, views, likes, comments, engagement, er, np.asarray(cpm, dtype=float), roas, roi,
                       ~np.isnan(views), post_objectives(collabs))


def post_performance(collabs: pd.DataFrame, post: PostMetrics, settings: Settings) -> np.ndarray:
    """Each published post's performance against the KPIs of its objective (the Settings targets
    where the row has none); NaN for unpublished posts, which are left out."""
    col = float_columns(collabs)
    kpi_views = col("kpi_views")
    kpi_views = np.where(np.isnan(kpi_views), post.cost / float(settings.target_cpm) * 1000.0, kpi_views)
    kpi_er = col("kpi_er")
    kpi_er = np.where(np.isnan(kpi_er), float(settings.er_good), kpi_er)
    kpi_roas = col("kpi_roas")
    kpi_roas = np.where(np.isnan(kpi_roas), float(settings.target_roas), kpi_roas)
    score = scoring.objective_performance(post.objective, post.views, kpi_views, post.er, kpi_er, col("orders"),
                                          col("kpi_orders"),
                                          post.roas, kpi_roas, post.cpm, float(settings.target_cpm), post.roi,
                                          metrics.breakeven_roas(float(settings.gross_margin)))
    return np.where(post.published, score, np.nan)


@dataclass
class Performance:
    """Per creator: the performance subscore, money totals, the engagement sums the authenticity
    checks read, and the evidence the explanation names (loss-making sales posts, ROAS targets
    at or below break-even)."""

    score: np.ndarray
    total_cost: np.ndarray
    gmv: np.ndarray
    roas: np.ndarray
    roi: np.ndarray
    sales_roi: np.ndarray
    sum_likes: np.ndarray
    sum_comments: np.ndarray
    sum_views: np.ndarray
    posts: np.ndarray
    er_views: np.ndarray
    er_followers: np.ndarray
    lost_sales: Flag
    low_roas_targets: Flag


def _tracked_roi(creator_of: np.ndarray, post: PostMetrics, rows: np.ndarray, n: int,
                 margin: float) -> tuple[np.ndarray, np.ndarray]:
    """(ROAS, ROI) per creator over ``rows`` that have both GMV and cost (one definition, used by
    Scores, every insight and the report)."""
    tracked = rows & ~np.isnan(post.gmv) & ~np.isnan(post.cost)
    gmv = sum_or_nan(creator_of, np.where(tracked, post.gmv, np.nan), n)
    cost = sum_or_nan(creator_of, np.where(tracked, post.cost, np.nan), n)
    return metrics.safe_div(gmv, cost), metrics.roi(gmv, cost, margin)


def collaborations_stage(collabs: pd.DataFrame, creator_of: np.ndarray, creators: Creators, band: dict[str, np.ndarray],
                         run: Run) -> Performance:
    """Per-post metrics, then per creator: performance, cost, GMV, ROAS and ROI (over the posts
    that have both GMV and cost; the sales ROI over sales posts only), and ER both ways over
    published posts."""
    n = creators.count
    followers = number_column(creators.scored, "followers")
    post = post_metrics(collabs, creator_of, band, followers, run)
    performance = group_mean(creator_of, post_performance(collabs, post, run.settings), n)
    margin = float(run.settings.gross_margin)
    roas, roi = _tracked_roi(creator_of, post, np.ones(len(collabs), dtype=bool), n, margin)
    sales = post.objective == "sales"
    _, sales_roi = _tracked_roi(creator_of, post, sales, n, margin)
    live = np.where(post.published, creator_of, -1)
    sum_views = sum_or_nan(live, post.views, n)
    sum_likes = sum_or_nan(live, post.likes, n)
    sum_comments = sum_or_nan(live, post.comments, n)
    posts = np.bincount(live[live >= 0], minlength=n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        er_followers = metrics.safe_div(metrics.nansum(sum_likes, sum_comments) / np.where(posts > 0, posts, np.nan),
                                        followers)
    ids = text_column(collabs, "collab_id")
    kpi_roas = number_column(collabs, "kpi_roas")
    return Performance(
        score=performance, total_cost=sum_or_nan(creator_of, post.cost, n), gmv=sum_or_nan(creator_of, post.gmv, n),
        roas=roas, roi=roi, sales_roi=sales_roi, sum_likes=sum_likes, sum_comments=sum_comments, sum_views=sum_views,
        posts=posts,
        er_views=metrics.safe_div(sum_or_nan(live, post.engagement, n), sum_views), er_followers=er_followers,
        lost_sales=first_ids(creator_of, sales & post.published & (np.nan_to_num(post.roi, nan=0.0) < 0), ids),
        low_roas_targets=first_ids(creator_of, sales & (kpi_roas <= metrics.breakeven_roas(margin) + 1e-12), ids),
    )


# ----------------------------------------------------------------------------- stage 6: reviews
@dataclass
class Content:
    """Per creator: the content-quality subscore (reviewer-normalised) and the raw average."""

    score: np.ndarray
    raw: np.ndarray


def _review_marks(reviews: pd.DataFrame) -> np.ndarray:
    """The (n, 3) 1-5 marks: visuals, script, brand fit."""
    if not len(reviews):
        return np.zeros((0, 3))
    return np.column_stack([number_column(reviews, k) for k in ("visuals", "script", "brand_fit")])


def content_stage(reviews: pd.DataFrame, creator_of: np.ndarray, n: int, settings: Settings,
                  reviewer_pool: pd.DataFrame | None = None) -> Content:
    """Content quality per creator: each review's 1-5 marks re-centred per reviewer (once the
    reviewer has enough reviews; by at most ``reviewer_max_adjust`` points), mapped to 0-100 and
    averaged over the creator's reviews; the raw average beside it.

    A reviewer's habit is measured on every review of a known creator, plus ``reviewer_pool``
    (other creators' reviews, for :func:`score_creator`), so one creator scored alone gets the
    same content score as in the whole workbook.
    """
    marks = _review_marks(reviews)
    known = creator_of >= 0
    reviewers = text_column(reviews, "reviewer")[known]
    pool_marks = np.zeros((0, 3))
    if reviewer_pool is not None and len(reviewer_pool):
        pool, _ = coerce_table("reviews", reviewer_pool, columns=["reviewer", "visuals", "script", "brand_fit"])
        pool_marks = _review_marks(pool)
        reviewers = np.concatenate([reviewers, text_column(pool, "reviewer")])
    normalised = marks.copy()
    if known.any():
        together = normalise_scores(reviewers, np.vstack([marks[known], pool_marks]), settings.min_reviews_to_normalise)
        bound = float(settings.reviewer_max_adjust)
        normalised[known] = marks[known] + np.clip(together[:int(known.sum())] - marks[known], -bound, bound)

    def per_creator(values: np.ndarray) -> np.ndarray:
        per_review = scoring.content_score(values[:, 0], values[:, 1], values[:, 2]) if len(reviews) else np.zeros(0)
        return group_mean(creator_of, np.asarray(per_review, dtype=float), n)

    return Content(per_creator(normalised), per_creator(marks))


def _marked(reviews: pd.DataFrame, column: str, bad_value: str) -> np.ndarray:
    """1 where the review marks the problem, 0 where it does not, NaN where not reviewed:
    decided once per distinct value."""
    codes, values = distinct.factorize(text_column(reviews, column))
    flags = np.where(values == bad_value, 1.0, np.where(values == None, np.nan, 0.0))  # noqa: E711 (element-wise)
    return np.append(flags, np.nan)[codes]


@dataclass
class Compliance:
    """Per creator: the compliance subscore, and per problem kind the posts that have it."""

    score: np.ndarray
    post_flags: dict[str, Flag]


def _reviewed_posts(reviews: pd.DataFrame) -> np.ndarray:
    """What each review is about: its collab ID, else its review ID, else its own row ("评审
    Reviews row 7"), so a review without IDs still carries its marks."""
    post = reviews["collab_id"].to_numpy(dtype=object)
    no_collab = distinct.isna(post)
    if no_collab.any():
        post = np.where(no_collab, reviews["review_id"].to_numpy(dtype=object), post)
        no_id = distinct.isna(post)
        if no_id.any():
            post = post.copy()
            post[no_id] = [f"{load_schema().sheet('reviews').name} row {r}" for r in excel_rows(reviews)[no_id]]
    return post


def compliance_stage(reviews: pd.DataFrame, creator_of: np.ndarray, n: int) -> Compliance:
    """Compliance per creator from the reviewers' marks.

    A post counts as having a problem if any reviewer marked it: reviews are grouped by post
    (:func:`_reviewed_posts`), the maximum taken, then the share of the creator's posts with each
    problem.
    """
    post_raw = _reviewed_posts(reviews)
    known = creator_of >= 0
    post_codes, post_ids = distinct.factorize(post_raw if known.all() else np.where(known, post_raw, np.array(None)))
    n_posts = len(post_ids)
    post_creator = np.full(n_posts, -1, dtype=np.int64)
    has_post = post_codes >= 0
    post_creator[post_codes[has_post]] = creator_of[has_post]
    shares = {k: np.full(n, np.nan) for k in scoring.COMPLIANCE_PENALTIES}
    post_flags: dict[str, Flag] = {}
    for k, bad_value in (("ad_disclosure", "no"), ("false_claims", "yes"), ("platform_violation", "yes")):
        marked = _marked(reviews, k, bad_value)
        per_post = np.full(n_posts, np.nan)
        np.fmax.at(per_post, post_codes[has_post], marked[has_post])
        shares[k] = group_mean(post_creator, per_post, n)
        post_flags[k] = first_ids(post_creator, per_post == 1.0, np.asarray(post_ids, dtype=object))
    score = scoring.compliance_score(shares["ad_disclosure"], shares["false_claims"], shares["platform_violation"])
    return Compliance(score, post_flags)


# ----------------------------------------------------------------------------- stage 7: snapshots and authenticity
@dataclass
class Authenticity:
    """Per creator: the authenticity subscore and the evidence behind its flags."""

    score: np.ndarray
    fake: np.ndarray
    band: dict[str, np.ndarray]
    er: np.ndarray
    er_anomaly: np.ndarray
    views_per_follower: np.ndarray
    views_anomaly: np.ndarray
    like_comment_flag: np.ndarray
    like_comment_ratio: np.ndarray
    jumps: dict[str, np.ndarray]


def authenticity_stage(snapshots: pd.DataFrame, creator_of: np.ndarray, creators: Creators, perf: Performance,
                       band: dict[str, np.ndarray], settings: Settings) -> Authenticity:
    """The fake-follower audit, ER against its platform and follower band (each platform's own
    ER definition), views per follower against its band (where ER is taken by views: bought
    followers do not watch), the like/comment ratio and follower jumps between snapshots."""
    n = creators.count
    jumps = auth.follower_jumps(creator_of, snapshots["date"].to_numpy(dtype="datetime64[us]"),
                                number_column(snapshots, "followers"),
                                n, float(settings.follower_jump_flag))
    er = np.where(band["basis"] == "followers", perf.er_followers, perf.er_views)
    er_anomaly = auth.er_anomaly(er, band["er_low"], band["er_high"], float(settings.er_low_factor),
                                 float(settings.er_high_factor))
    with np.errstate(invalid="ignore", divide="ignore"):
        views_per_follower = metrics.safe_div(perf.sum_views / np.where(perf.posts > 0, perf.posts, np.nan),
                                              number_column(creators.scored, "followers"))
    views_anomaly = auth.views_anomaly(views_per_follower, band["vpf_low"])
    lc_flag, lc_ratio = auth.like_comment_anomaly(perf.sum_likes, perf.sum_comments)
    fake = number_column(creators.scored, "fake_follower_rate")
    score = scoring.authenticity_score(fake, er_anomaly, lc_flag, jumps["flag"], float(settings.fake_follower_flag),
                                       views_anomaly)
    return Authenticity(score, fake, band, er, er_anomaly, views_per_follower, views_anomaly, lc_flag, lc_ratio, jumps)


# ----------------------------------------------------------------------------- stage 8: audience fit
def audience_fit_stage(creators: pd.DataFrame, settings: Settings) -> np.ndarray:
    """Market, language, category and audience share against the Settings target lists."""
    n = len(creators)

    def match(column: str, targets: tuple[str, ...]) -> np.ndarray:
        if not targets:
            return np.full(n, np.nan)
        # 1 in the targets, 0 not, NaN empty: decided once per distinct value
        codes, values = distinct.factorize(text_column(creators, column))
        return np.append(pd.Series(values, dtype=object).isin(list(targets)).to_numpy(dtype=float), np.nan)[codes]

    return scoring.audience_fit_score(match("country", settings.target_markets), match("language",
                                                                                       settings.target_languages),
                                      match("category", settings.target_categories),
                                      number_column(creators, "audience_target_share"),
                                      match("audience_top_country", settings.target_markets))


# ----------------------------------------------------------------------------- stage 9: score and tier
@dataclass
class Verdict:
    """Per creator: the six subscores, the weighted score, its completeness and the tier."""

    subscores: np.ndarray
    score: np.ndarray
    completeness: np.ndarray
    tier: np.ndarray
    blacklisted: np.ndarray


def score_and_tier(subscores: list[np.ndarray], creators: pd.DataFrame, sales_roi: np.ndarray,
                   settings: Settings) -> Verdict:
    """The weighted score (rounded to one decimal before the tier is read), its completeness, and
    the tier: none below the minimum completeness, never above C when blacklisted, never above B
    when the creator's sales collaborations lost money in total (unless Settings turn that off)."""
    n = len(creators)
    # the score is the weighted mean of the subscores as shown (one decimal), so the sum in the
    # explanation adds up and the workbook's native formula over the shown cells gives the same number
    sub = np.round(np.column_stack(subscores).astype(float).reshape(n, 6), 1)
    score, completeness = scoring.weighted_score(sub, settings.weights) if n else (np.zeros(0), np.zeros(0))
    score = np.asarray(scoring.round_half_up(np.asarray(score, dtype=float), 1), dtype=float).reshape(n)
    blacklisted = text_column(creators, "blacklisted") == "yes"
    cap = sales_roi if roi_cap_on(settings) else None
    tier = np.asarray(scoring.assign_tier(score, blacklisted, settings.cutoffs, completeness,
                                          float(settings.min_completeness), cap),
                      dtype=object).reshape(n)
    return Verdict(sub, score, completeness, tier, blacklisted)


def roi_cap_on(settings: Settings) -> bool:
    """Whether loss-making creators are capped at B (Settings 亏损达人最高 B 级)."""
    return str(settings.values.get("roi_cap", "yes")) == "yes"


def explanation_notes(perf: Performance, content: Content) -> np.ndarray:
    """What else moved a creator's score, for the explanation: loss-making sales posts (scored
    below their target) with the sales ROI, and reviewer normalisation (raw → normalised)."""
    n = len(perf.score)
    lost_at, lost_ids = perf.lost_sales
    roi_note = np.full(n, "", dtype=object)
    if len(lost_at):
        roi_note[lost_at] = scoring.join_texts([" | ROI ", percent_texts(perf.sales_roi[lost_at]),
                                                " 带货亏损 on sales: loss-making posts count below target (", lost_ids,
                                                ")"])
    raw, normalised = np.round(content.raw, 1), np.round(content.score, 1)
    moved = np.flatnonzero(np.abs(np.nan_to_num(normalised - raw)) >= 0.05)
    review_note = np.full(n, "", dtype=object)
    if len(moved):
        review_note[moved] = scoring.join_texts([" | 评审校准 Reviewer normalisation: raw ",
                                                 scoring.number_texts(raw[moved]),
                                                 " → ",
                                                 scoring.number_texts(normalised[moved])])
    return roi_note + review_note


# ----------------------------------------------------------------------------- stage 10: flags and explanation
def _days(x: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    return lambda i: np.datetime_as_string(x[i], unit="D").astype(object)


def red_flags(creators: pd.DataFrame, verdict: Verdict, authenticity: Authenticity, compliance: Compliance,
              perf: Performance,
              settings: Settings) -> np.ndarray:
    """Each creator's red flags with their evidence, joined with "; " ("" where none)."""
    n = len(creators)
    blacklisted = verdict.blacklisted
    reason = np.full(n, "", dtype=object)  # free text, read as typed for the blacklisted few
    if blacklisted.any():
        reason[blacklisted] = ([str(r).strip() if r is not None and r == r else ""
                               for r in text_column(creators, "blacklist_reason")[blacklisted]])
    fake, a = authenticity.fake, authenticity
    fake_level, min_comp = float(settings.fake_follower_flag), float(settings.min_completeness)
    er_dir = np.nan_to_num(a.er_anomaly)
    band_txt = a.band["band"].astype(object)
    er_low_cut = a.band["er_low"] * float(settings.er_low_factor)
    er_high_cut = a.band["er_high"] * float(settings.er_high_factor)
    lc_on = np.nan_to_num(a.like_comment_flag) > 0
    no_comments = lc_on & np.isinf(np.nan_to_num(a.like_comment_ratio, nan=0.0))
    incomplete = (verdict.tier == None) & ~np.isnan(verdict.score)  # noqa: E711

    def compliance_flag(label: str, k: str) -> Flag:
        idx, ids = compliance.post_flags.get(k, (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)))
        return idx, label + ids

    breakeven = float(metrics.breakeven_roas(float(settings.gross_margin)))

    return join_flags(
        n,
        flag(blacklisted, "黑名单 Blacklisted", lambda i: np.where(reason[i] == "", "",
                                                                ": " + reason[i].astype(str).astype(object))),
        flag(fake >= fake_level, "假粉率高 Fake followers ", lambda i: percent_texts(fake[i]), f" ≥ {fake_level:.0%}"),
        flag(np.isnan(fake), "未审核 Not audited: no fake-follower audit"),
        flag(np.nan_to_num(a.views_anomaly) < 0, "播放/粉丝偏低 Views far below band: ",
             lambda i: percent_texts(a.views_per_follower[i], 1),
             " of followers per post < ", lambda i: percent_texts(a.band["vpf_low"][i], 1), " (", lambda i: band_txt[i],
             ")"),
        flag(er_dir < 0, "互动率偏低 ER far below band: ", lambda i: percent_texts(a.er[i], 1), " < ",
             lambda i: percent_texts(er_low_cut[i], 1), " (", lambda i: band_txt[i], ")"),
        flag(er_dir > 0, "互动率偏高 ER far above band: ", lambda i: percent_texts(a.er[i], 1), " > ",
             lambda i: percent_texts(er_high_cut[i], 1), " (", lambda i: band_txt[i], ")"),
        # the like/comment flag: a ratio, or no comments at all (never both)
        flag(lc_on & ~no_comments, "赞评比异常 Likes per comment ",
             lambda i: scoring.number_texts(a.like_comment_ratio[i], 0),
             f" (normal {auth.LIKE_COMMENT_BAND[0]:g}-{auth.LIKE_COMMENT_BAND[1]:g})"),
        flag(no_comments, "赞评比异常 Likes but no comments"),
        flag(np.nan_to_num(a.jumps["flag"]) > 0, "粉丝突增 Follower jump +",
             lambda i: percent_texts(a.jumps["growth"][i]),
             " (",
             _days(a.jumps["start"]), " → ", _days(a.jumps["end"]), ")"),
        compliance_flag("缺少广告标识 Missing #ad disclosure: ", "ad_disclosure"),
        compliance_flag("虚假宣传 False claims: ", "false_claims"),
        compliance_flag("平台违规 Platform violation: ", "platform_violation"),
        (perf.low_roas_targets[0],
         f"ROAS 目标不高于保本 ROAS target at or below break-even ({breakeven:.2f}): " + perf.low_roas_targets[1]),
        flag(incomplete, "数据不足 Incomplete: ", lambda i: percent_texts(verdict.completeness[i]),
             f" of weight has data (< {min_comp:.0%})"),
    )


# ----------------------------------------------------------------------------- stage 11: the Scores table
def _text(values: np.ndarray) -> pd.Series:
    """Plain Python strings and None (pandas 3 would turn them into its "str" dtype with NaN)."""
    return pd.Series(np.array(values, dtype=object), dtype=object, copy=False)


def scores_table(creators: Creators, reply: Responsiveness, perf: Performance, content: Content,
                 authenticity: Authenticity,
                 verdict: Verdict, flags: np.ndarray, explanation: np.ndarray, schema: Schema) -> pd.DataFrame:
    """One Scores row per scored creator, columns in sheet order."""
    scored = creators.scored
    columns = {
        "creator_key": _text(creators.keys[creators.positions]),
        "platform": _text(text_column(scored, "platform")),
        "handle": _text(text_column(scored, "handle")),
        # the label the cell shows (as the build writes it), so the dashboard's SUMIFS per market match it
        "country": _text(_market_labels(schema, text_column(scored, "country"))),
        "reply_rate": reply.reply_rate,
        "median_reply_hours": np.round(reply.median_hours, 1),
        "er": authenticity.er,
        "total_cost": np.round(perf.total_cost, 2),
        "gmv": np.round(perf.gmv, 2),
        "roas": perf.roas,
        "roi": perf.roi,
        "sales_roi": perf.sales_roi,
        "content_raw": np.round(content.raw, 1),
        **{d: np.round(verdict.subscores[:, j], 1) for j, d in enumerate(DIMENSIONS)},
        "score": verdict.score,
        "tier": _text(verdict.tier),
        "completeness": verdict.completeness,
        "flags": _text(flags),
        "explanation": _text(explanation),
    }
    # in sheet order, taking the fresh arrays as they are (pandas would copy each one otherwise)
    return pd.DataFrame({k: columns[k] for k in schema.sheet("scores").keys}, copy=False)


def _fill_creator_scores(creators: Creators, verdict: Verdict) -> None:
    """The Creators sheet's own score and tier columns (empty for rows that are not scored)."""
    frame = creators.frame
    score_all = np.full(len(frame), np.nan)
    score_all[creators.positions] = verdict.score
    tier_all = np.full(len(frame), None, dtype=object)
    tier_all[creators.positions] = verdict.tier
    frame["score"] = score_all
    frame["tier"] = pd.Series(tier_all, index=frame.index, dtype=object, copy=False)


def evaluate(tables: Mapping[str, pd.DataFrame], settings: Settings | None = None, *,
             today: Any = None, explain: bool = True, reviewer_pool: pd.DataFrame | None = None) -> Evaluation:
    """Scores every creator in ``tables`` (keyed by schema sheet key) with ``settings``.

    Missing tables count as empty. ``today`` (default: the current date) decides which outreach is
    still pending (contacted less than the reply target ago, not counted as unanswered).
    ``explain=False`` skips the explanation sentences (faster for bulk jobs). ``reviewer_pool``:
    further Reviews rows (other creators') on which reviewers' habits are measured.
    """
    settings = settings or Settings.defaults()
    run = Run(load_schema(), settings, pd.Timestamp(today if today is not None else pd.Timestamp.today()).normalize())
    notes: list[str] = list(settings.notes)
    typed = typed_inputs(tables, run)
    creators = creator_rows(typed["creators"], run)
    creator_of = child_positions(typed, creators, run)
    n = creators.count
    band = auth.benchmark_band(text_column(creators.scored, "platform"), number_column(creators.scored, "followers"),
                               settings.er_benchmarks)
    reply = outreach_stage(typed["outreach"], creator_of["outreach"], n, run)
    perf = collaborations_stage(typed["collaborations"], creator_of["collaborations"], creators, band, run)
    content = content_stage(typed["reviews"], creator_of["reviews"], n, settings, reviewer_pool)
    compliance = compliance_stage(typed["reviews"], creator_of["reviews"], n)
    authenticity = authenticity_stage(typed["snapshots"], creator_of["snapshots"], creators, perf, band, settings)
    fit = audience_fit_stage(creators.scored, settings)
    verdict = score_and_tier([reply.score, content.score, compliance.score, perf.score, authenticity.score, fit],
                             creators.scored,
                             perf.sales_roi, settings)
    flags = red_flags(creators.scored, verdict, authenticity, compliance, perf, settings)
    explanation = (scoring.explain(verdict.score, verdict.tier, verdict.completeness, verdict.subscores,
                                   settings.weights,
                                   verdict.blacklisted, settings.cutoffs, float(settings.min_completeness), flags,
                                   perf.sales_roi if roi_cap_on(settings) else None, explanation_notes(perf, content))
                   if explain and n else np.full(n, None, dtype=object))
    _fill_creator_scores(creators, verdict)
    out = dict(typed)
    out["scores"] = scores_table(creators, reply, perf, content, authenticity, verdict, flags, explanation, run.schema)
    if len(typed["outreach"]):
        out["funnel"] = metrics.funnel(typed["outreach"])
    if n and not np.isnan(verdict.score).all():
        missing_share = 1.0 - float(np.mean(verdict.completeness))
        if missing_share > 0.5:
            notes.append(f"数据不足 On average {missing_share:.0%} of the weight had no data; fill more inputs for "
                         "reliable tiers")
    return Evaluation(out, run.problems, notes)


# ----------------------------------------------------------------------------- one creator
def _rows(items: Iterable[Mapping[str, Any]] | pd.DataFrame, key: str | None) -> pd.DataFrame:
    frame = items.copy() if isinstance(items, pd.DataFrame) else pd.DataFrame(list(items))
    if key is not None and len(frame):
        if "creator_key" not in frame.columns:
            frame["creator_key"] = key
        else:
            frame["creator_key"] = frame["creator_key"].where(frame["creator_key"].notna(), key)
    return frame


def score_creator(creator: Mapping[str, Any], outreach: Iterable[Mapping[str, Any]] = (),
                  collaborations: Iterable[Mapping[str, Any]] = (), reviews: Iterable[Mapping[str, Any]] = (),
                  snapshots: Iterable[Mapping[str, Any]] = (), settings: Settings | None = None, *,
                  today: Any = None, explain: bool = True,
                  all_reviews: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None) -> dict[str, Any]:
    """The Scores row for one creator (a dict keyed by Scores column), plus ``problems`` (texts).

    Child rows without a ``creator_key`` are taken to belong to this creator. This calls
    :func:`evaluate` on one-creator tables: the same code path as the whole workbook.

    Content quality re-centres each reviewer on their habit, which is measured over every review
    they wrote. Pass the whole Reviews table as ``all_reviews`` to get the workbook's content score;
    without it the habit is measured on this creator's reviews alone, and the content score can
    differ from the workbook's (the Scores row's ``content_basis`` says which was used).
    """
    key = try_creator_key(creator.get("platform"), creator.get("handle") or creator.get("profile_url"))
    tables = {
        "creators": pd.DataFrame([dict(creator)]),
        "outreach": _rows(outreach, key),
        "collaborations": _rows(collaborations, key),
        "reviews": _rows(reviews, key),
        "snapshots": _rows(snapshots, key),
    }
    pool = None
    if all_reviews is not None:
        pool = _rows(all_reviews, None)
        if len(pool) and "creator_key" in pool.columns:
            own = (pd.Series([try_creator_key(None, k) if isinstance(k, str) and ":" not in k else k
                   for k in pool["creator_key"]]))
            pool = pool[(own != key).to_numpy()]  # this creator's reviews are the ones passed as ``reviews``
    result = evaluate(tables, settings, today=today, explain=explain, reviewer_pool=pool)
    if len(result.scores):
        row = result.scores.iloc[0].to_dict()
    else:
        row = dict.fromkeys(load_schema().sheet("scores").keys)
    row["content_basis"] = "all reviews" if all_reviews is not None else "this creator's reviews only"
    row["problems"] = [str(p) for p in result.problems]
    return row

