"""The engine's dimension stages, one per subscore family: responsiveness (outreach), money and
performance (collaborations), content and compliance (reviews), audience authenticity (snapshots)
and audience fit. Each takes whole typed tables and the creator index :mod:`.inputs` built, and
returns arrays with one value per scored creator.

A rule about one dimension changes here and nowhere else; how the subscores become a score, a tier,
flags and the Scores table is :mod:`.evaluation`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import authenticity as auth
from ..core import distinct
from . import metrics, scoring
from .arrays import (Flag, first_ids, float_columns, group_mean, number_column, sum_or_nan,
                     text_column)
from ..core.fx import rates_for
from .reviewers import normalise_scores
from ..core.schema import load_schema
from ..core.settings import Settings
from ..core.coerce import coerce_table
from ..core.problems import Problem, excel_rows

from .inputs import Creators, Run


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
def creator_bands(creators: Creators, settings: Settings) -> dict[str, np.ndarray]:
    """Each scored creator's ER benchmark band (by platform and followers), which the
    collaborations and authenticity stages both read."""
    return auth.benchmark_band(text_column(creators.scored, "platform"), number_column(creators.scored, "followers"),
                               settings.er_benchmarks)


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


