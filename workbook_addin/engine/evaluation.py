"""The evaluation engine: the one entry point every front calls (CLI, refresh, builder, sync, UDFs).

:func:`evaluate` takes the workbook's input tables (raw or typed), checks them against the schema,
computes every metric and subscore over whole tables with pandas/numpy (no per-row Python), and
returns the tables with their computed columns filled, a Scores table (one row per creator), the
problems found (sheet, row, column) and notes. :func:`score_creator` scores one creator by calling
:func:`evaluate` on one-creator tables, so there is never a second implementation of a formula.

The run is a row of named stages, each a function over whole tables, in the order
:func:`evaluate` calls them (the first three in :mod:`.inputs`, the dimension stages in
:mod:`.dimensions`, the verdict and the Scores table here): :func:`typed_inputs`, :func:`creator_rows`,
:func:`child_positions`, :func:`outreach_stage` (responsiveness), :func:`collaborations_stage` (money and performance),
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
from . import metrics, scoring
from .arrays import Flag, flag, join_flags, percent_texts, text_column
from ..core.keys import try_creator_key
from ..core.schema import Schema, load_schema
from ..core.settings import DIMENSIONS, Settings
from ..core.problems import Problem

from .inputs import Creators, child_positions, creator_rows, start_run, typed_inputs
from .dimensions import (
    Authenticity,
    Compliance,
    Content,
    Performance,
    Responsiveness,
    audience_fit_stage,
    authenticity_stage,
    collaborations_stage,
    compliance_stage,
    content_stage,
    creator_bands,
    outreach_stage,
)


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

def _market_labels(schema: Schema, values: np.ndarray) -> np.ndarray:
    """Creators' country as its bilingual market label (None when empty or not a market)."""
    enum = schema.enums["market"]
    labels = {}
    for v in dict.fromkeys(values.tolist()):
        code = enum.normalise(v) if isinstance(v, str) else None
        labels[v] = enum.label_of(code) if code is not None else None
    return np.array([labels.get(v) for v in values.tolist()], dtype=object)


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
    run = start_run(settings, today)
    notes: list[str] = list(settings.notes)
    typed = typed_inputs(tables, run)
    creators = creator_rows(typed["creators"], run)
    creator_of = child_positions(typed, creators, run)
    n = creators.count
    band = creator_bands(creators, settings)
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

