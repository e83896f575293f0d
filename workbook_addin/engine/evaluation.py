"""The evaluation engine: the one entry point every front calls (CLI, refresh, builder, sync, UDFs).

:func:`evaluate` takes the workbook's input tables (raw or typed), checks them against the schema,
computes every metric and subscore over whole tables with pandas/numpy (no per-row Python), and
returns the tables with their computed columns filled, a Scores table (one row per creator), the
problems found (sheet, row, column) and notes. :func:`score_creator` scores one creator by calling
:func:`evaluate` on one-creator tables, so there is never a second implementation of a formula.

The model (subscores, weights, missing data, tiers) is described in :mod:`workbook_addin.engine.scoring`
and the README's "Evaluation model" section.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import authenticity as auth
from ..core import distinct
from . import metrics, scoring
from ..core.fx import rates_for
from ..core.keys import try_creator_key
from .reviewers import normalise_scores
from ..core.schema import Schema, load_schema
from ..core.settings import DIMENSIONS, Settings
from ..core.validation import Problem, coerce_table, creator_keys, excel_rows, match_creator_keys

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


def _group_sum(idx: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(sum of present values, count of present values) per creator; idx -1 rows are ignored.

    Rows of unknown creators go to a spare bucket n and missing values count 0 with weight 0:
    the same sums as leaving those rows out, without copying the rows that remain.
    """
    present = ~np.isnan(values)
    bucket = np.where(idx >= 0, idx, n)
    return (np.bincount(bucket, weights=np.where(present, values, 0.0), minlength=n + 1)[:n],
            np.bincount(bucket, weights=present, minlength=n + 1)[:n])


def _group_mean(idx: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    s, c = _group_sum(idx, values, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 0, s / np.where(c > 0, c, 1), np.nan)


def _sum_or_nan(idx: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    s, c = _group_sum(idx, values, n)
    return np.where(c > 0, s, np.nan)


def _col(frame: pd.DataFrame, key: str) -> np.ndarray:
    return frame[key].to_numpy(dtype=float, na_value=np.nan)


def _float_columns(frame: pd.DataFrame):
    """``_col`` for one frame, reading each column once however often the formulas use it."""
    cache: dict[str, np.ndarray] = {}

    def get(key: str) -> np.ndarray:
        if key not in cache:
            cache[key] = _col(frame, key)
        return cache[key]
    return get


def _obj(frame: pd.DataFrame, key: str) -> np.ndarray:
    return frame[key].to_numpy(dtype=object)


def _market_labels(schema: Schema, values: np.ndarray) -> np.ndarray:
    """Creators' country as its bilingual market label (None when empty or not a market)."""
    enum = schema.enums["market"]
    labels = {}
    for v in dict.fromkeys(values.tolist()):
        code = enum.normalise(v) if isinstance(v, str) else None
        labels[v] = enum.label_of(code) if code is not None else None
    return np.array([labels.get(v) for v in values.tolist()], dtype=object)


def _pct(x: np.ndarray, digits: int = 0) -> np.ndarray:
    return scoring._num(np.asarray(x, dtype=float) * 100.0, digits, "%")


#: One flag kind for the creators it concerns: (creator positions, their flag texts).
Flag = tuple[np.ndarray, np.ndarray]


def _flag(mask: np.ndarray, *pieces: Any) -> Flag:
    """The flag texts where ``mask`` holds: pieces are constant strings, or functions given the
    flagged positions and returning their texts, so a flag that concerns 1 % of the creators
    costs 1 % of the formatting."""
    idx = np.flatnonzero(mask)
    texts = scoring.join_texts([p if isinstance(p, str) else p(idx) for p in pieces]) if len(pieces) > 1 or not isinstance(
        pieces[0], str) else [pieces[0]] * len(idx)
    out = np.empty(len(idx), dtype=object)
    out[:] = texts
    return idx, out


def _join_flags(n: int, *flags: Flag) -> np.ndarray:
    """Per creator, the flag texts joined with "; " in the order given ("" where none).

    Creators are grouped by which flags they have (few combinations), so each creator's text is
    one ``"; ".join`` of its flags, and a creator with one flag just gets that text.
    """
    out = np.full(n, "", dtype=object)
    at, texts, pattern = [], [], np.zeros(n, dtype=np.int64)
    for k, (idx, text) in enumerate(flags):
        keep = text.astype(bool)  # an empty text is no flag
        pos = np.full(n, -1, dtype=np.int64)
        pos[idx[keep]] = np.arange(int(keep.sum()))
        at.append(pos)
        texts.append(text[keep])
        pattern[idx[keep]] |= 1 << k
    order = np.argsort(pattern.astype(np.int16) if len(flags) < 15 else pattern, kind="stable")  # int16: a radix sort
    sorted_pattern = pattern[order]
    starts = np.flatnonzero(np.r_[True, sorted_pattern[1:] != sorted_pattern[:-1]]) if n else np.zeros(0, dtype=np.int64)
    for start, end in zip(starts.tolist(), [*starts[1:].tolist(), n]):
        pat = int(sorted_pattern[start])
        if pat == 0:
            continue
        rows = order[start:end]
        cols = [texts[k][at[k][rows]] for k in range(len(flags)) if pat >> k & 1]
        out[rows] = cols[0] if len(cols) == 1 else list(map("; ".join, zip(*cols)))
    return out


def _first_ids(idx: np.ndarray, mask: np.ndarray, ids: np.ndarray) -> Flag:
    """Per creator with rows where mask holds: "ID" or "ID (+k more)" of those rows."""
    sel = np.flatnonzero(mask & (idx >= 0))
    if len(sel) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    c = idx[sel]
    order = np.argsort(c, kind="stable")
    c, sel = c[order], sel[order]
    uniq, first, counts = np.unique(c, return_index=True, return_counts=True)
    text = np.asarray(ids, dtype=object)[sel[first]].astype(str).astype(object)
    more = np.where(counts > 1, " (+" + (counts - 1).astype(str).astype(object) + " more)", "")
    return uniq, text + more


def _empty_frame(sheet_key: str) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(dtype=object) for k in load_schema().sheet(sheet_key).keys})


def evaluate(tables: Mapping[str, pd.DataFrame], settings: Settings | None = None, *,
             today: Any = None, explain: bool = True) -> Evaluation:
    """Scores every creator in ``tables`` (keyed by schema sheet key) with ``settings``.

    Missing tables count as empty. ``today`` (default: the current date) decides which outreach is
    still pending (contacted less than the reply target ago, not counted as unanswered).
    ``explain=False`` skips the explanation sentences (faster for bulk jobs).
    """
    schema = load_schema()
    settings = settings or Settings.defaults()
    today = pd.Timestamp(today if today is not None else pd.Timestamp.today()).normalize()
    problems: list[Problem] = []
    notes: list[str] = list(settings.notes)
    typed: dict[str, pd.DataFrame] = {}
    for key in INPUT_SHEETS:
        frame = tables.get(key)
        frame = _empty_frame(key) if frame is None else frame
        typed[key], found = coerce_table(key, frame, columns=ENGINE_COLUMNS.get(key))
        problems.extend(found)

    # ---------------------------------------------------------------- creators and their keys
    cr = typed["creators"]
    c_sheet = schema.sheet("creators")
    rows_c = excel_rows(cr)
    keys, reasons = creator_keys(cr["platform"], cr["handle"], cr["profile_url"])
    input_keys = [c.key for c in c_sheet.input_columns]
    no_key = np.flatnonzero(reasons != "")
    empty_row = cr.iloc[no_key][input_keys].isna().all(axis=1).to_numpy() if len(no_key) else np.zeros(0, dtype=bool)
    for i in no_key[~empty_row]:
        if cr["platform"].iat[i] is None and cr["handle"].iat[i] is None:
            continue  # both missing: already reported as required values
        problems.append(Problem(c_sheet.name, int(rows_c[i]), c_sheet.column("handle").header,
                                f"no creator key can be made: {reasons[i]}", cr["handle"].iat[i], "creators", "handle"))
    key_s = pd.Series(keys, dtype=object, copy=False)
    all_keys = pd.Index(keys, dtype=object)
    if not (reasons != "").any() and all_keys.is_unique:
        # the usual case: every row has its own key; the hash table built to see that is the
        # one the child sheets' keys are looked up in below
        dup = np.zeros(len(keys), dtype=bool)
    else:
        dup = (key_s.duplicated(keep="first") & key_s.notna()).to_numpy()
    if dup.any():
        first_row = dict(zip(key_s[~dup & key_s.notna().to_numpy()], rows_c[~dup & key_s.notna().to_numpy()]))
        for i in np.flatnonzero(dup):
            problems.append(Problem(c_sheet.name, int(rows_c[i]), c_sheet.column("handle").header,
                                    f"duplicate creator {keys[i]}: same key as row {first_row[keys[i]]}; only row {first_row[keys[i]]} is scored",
                                    cr["handle"].iat[i], "creators", "handle"))
    valid = key_s.notna().to_numpy() & ~dup
    cpos = np.flatnonzero(valid)
    n = len(cpos)
    key_index = all_keys if n == len(keys) else pd.Index(keys[cpos], dtype=object)
    cr["creator_key"] = pd.Series(keys.copy(), index=cr.index, dtype=object, copy=False)
    C = cr if n == len(cr) else cr.iloc[cpos]  # no copy when every row has its own key

    # ---------------------------------------------------------------- child tables -> creator index
    # All four sheets' keys are matched in one go: they name the same creators, so the distinct
    # key texts among them are looked up (and, where not typed as a known key, parsed) once.
    raw = {key: typed[key]["creator_key"].to_numpy(dtype=object) for key in CHILD_SHEETS}
    ends = np.cumsum([len(raw[key]) for key in CHILD_SHEETS])
    all_idx, all_todo, all_canon, all_present = match_creator_keys(
        np.concatenate([raw[key] for key in CHILD_SHEETS]) if ends[-1] else np.zeros(0, dtype=object), key_index)
    cidx: dict[str, np.ndarray] = {}
    for key, end in zip(CHILD_SHEETS, ends.tolist()):
        t, raw_keys = typed[key], raw[key]
        start = end - len(raw_keys)
        sheet = schema.sheet(key)
        idx = all_idx[start:end]
        lo, hi = np.searchsorted(all_todo, [start, end])
        todo, canon, present = all_todo[lo:hi] - start, all_canon[lo:hi], all_present[lo:hi]
        # only the cells not found as typed need a second look (usually none)
        bad = present & pd.isna(canon)
        if len(todo):
            rows = excel_rows(t)
            header = sheet.column("creator_key").header
            for i in todo[bad]:
                problems.append(Problem(sheet.name, int(rows[i]), header, f"{raw_keys[i]!r} is not a creator key (platform:handle) or profile link",
                                        raw_keys[i], key, "creator_key"))
            for j in np.flatnonzero(present & ~bad & (idx[todo] < 0)):
                problems.append(Problem(sheet.name, int(rows[todo[j]]), header, f"creator {canon[j]} is not in {c_sheet.name}; row left out of the scores",
                                        canon[j], key, "creator_key"))
        keys_out = np.array(raw_keys, dtype=object, copy=True)
        fixed = present & ~bad
        keys_out[todo[fixed]] = canon[fixed]
        t["creator_key"] = pd.Series(keys_out, index=t.index, dtype=object, copy=False)
        cidx[key] = idx

    # ---------------------------------------------------------------- outreach
    ot, oi = typed["outreach"], cidx["outreach"]
    o_sheet = schema.sheet("outreach")
    contacted = ot["contacted_at"].to_numpy(dtype="datetime64[us]")
    replied_at = ot["replied_at"].to_numpy(dtype="datetime64[us]")
    with np.errstate(invalid="ignore"):
        hours = (replied_at - contacted).astype("timedelta64[us]").astype(np.int64) / 3.6e9
    hours = np.where(np.isnat(replied_at) | np.isnat(contacted), np.nan, hours)
    early = hours < 0
    for i in np.flatnonzero(early):
        problems.append(Problem(o_sheet.name, int(excel_rows(ot)[i]), o_sheet.column("replied_at").header,
                                "reply time is before the contact time", ot["replied_at"].iat[i], "outreach", "replied_at"))
    hours = np.where(early, np.nan, hours)
    ot["reply_hours"] = np.round(hours, 2)
    stage = metrics.stage_reached(_obj(ot, "status"))
    stage = np.where(~np.isnat(replied_at) & (stage == 0), 1, stage)  # a reply time means it was answered
    target_h = float(settings.reply_target_hours)
    pending = (stage == 0) & (_obj(ot, "status") == "contacted") & ~np.isnat(contacted) & \
        ((today.to_datetime64() - contacted).astype("timedelta64[us]").astype(np.int64) / 3.6e9 < target_h)
    counted = (stage >= 0) & ~pending
    contacts = np.bincount(oi[counted & (oi >= 0)], minlength=n).astype(float)
    replies = np.bincount(oi[counted & (stage >= 1) & (oi >= 0)], minlength=n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        reply_rate = np.where(contacts > 0, replies / np.where(contacts > 0, contacts, 1), np.nan)
    ok_h = (oi >= 0) & ~np.isnan(hours)
    median_hours = np.full(n, np.nan)
    if ok_h.any():
        med = pd.Series(hours[ok_h]).groupby(oi[ok_h]).median()
        median_hours[med.index.to_numpy()] = med.to_numpy()
    responsiveness = scoring.responsiveness_score(reply_rate, median_hours, target_h)

    # ---------------------------------------------------------------- collaborations
    co, ci = typed["collaborations"], cidx["collaborations"]
    k_sheet = schema.sheet("collaborations")
    rates = settings.fx_rates
    cur = _obj(co, "currency")
    gmv_cur_typed = _obj(co, "gmv_currency")
    rows_k = excel_rows(co)
    rate = rates_for(cur, rates)  # one look-up per row, shared by every money column
    no_gmv_cur = distinct.isna(gmv_cur_typed)  # GMV in the fee's currency unless stated
    gmv_rate = np.where(no_gmv_cur, rate, rates_for(gmv_cur_typed, rates)) if len(co) else rate
    col = _float_columns(co)  # each number column read once
    gmv_values = col("gmv")
    for col_key, r in (("currency", rate), ("gmv_currency", gmv_rate)):
        cand = np.flatnonzero(np.isnan(r))  # only rows without a rate need a second look
        cur_arr = cur[cand] if col_key == "currency" else np.where(no_gmv_cur[cand], cur[cand], gmv_cur_typed[cand])
        no_rate = cur_arr != None  # noqa: E711 (element-wise)
        if col_key == "gmv_currency":
            no_rate = no_rate & ~np.isnan(gmv_values[cand])
        for j in np.flatnonzero(no_rate):
            i = cand[j]
            problems.append(Problem(k_sheet.name, int(rows_k[i]), k_sheet.column(col_key).header,
                                    f"no exchange rate for {cur_arr[j]} in 汇率 FX rates; amounts in it are left out",
                                    cur_arr[j], "collaborations", col_key))
    money = {k: col(k) * rate for k in ("fee", "sample_cost", "shipping_cost", "tool_cost")}
    gmv_raw = col("gmv")
    gmv_base = gmv_raw * gmv_rate
    commission = col("commission_rate")
    cost = np.asarray(metrics.total_cost(money["fee"], commission, gmv_base, money["sample_cost"], money["shipping_cost"],
                                         money["tool_cost"], col("agency_fee_pct")), dtype=float)
    unconverted = np.zeros(len(co), dtype=bool)
    for k in ("fee", "sample_cost", "shipping_cost", "tool_cost"):
        unconverted |= ~np.isnan(col(k)) & np.isnan(money[k])
    unconverted |= ~np.isnan(gmv_raw) & np.isnan(gmv_base) & ~np.isnan(commission) & (commission > 0)
    cost = np.where(unconverted, np.nan, cost)
    views, likes, comments = col("views"), col("likes"), col("comments")
    shares, saves = col("shares"), col("saves")
    eng = metrics.nansum(likes, comments, shares, saves)
    er_v = metrics.safe_div(eng, views)
    co["total_cost"] = np.round(cost, 2)
    co["gmv_base"] = np.round(gmv_base, 2)
    co["er_views"] = er_v
    co["cpm"] = metrics.cpm(cost, views)
    co["cpe"] = metrics.cpe(cost, eng)
    co["cpa"] = metrics.cpa(cost, col("orders"))
    roas_k = metrics.roas(gmv_base, cost)
    co["roas"] = roas_k
    margin = float(settings.gross_margin)
    co["roi"] = metrics.roi(gmv_base, cost, margin)
    published = ~np.isnan(views)
    kpi_views = col("kpi_views")
    kpi_views = np.where(np.isnan(kpi_views), cost / float(settings.target_cpm) * 1000.0, kpi_views)
    kpi_er = col("kpi_er")
    kpi_er = np.where(np.isnan(kpi_er), float(settings.er_good), kpi_er)
    kpi_roas = col("kpi_roas")
    kpi_roas = np.where(np.isnan(kpi_roas), float(settings.target_roas), kpi_roas)
    post_perf = scoring.performance_score(views, kpi_views, er_v, kpi_er, col("orders"), col("kpi_orders"),
                                          roas_k, kpi_roas)
    post_perf = np.where(published, post_perf, np.nan)
    performance = _group_mean(ci, post_perf, n)
    total_cost_c = _sum_or_nan(ci, cost, n)
    tracked = ~np.isnan(gmv_base) & ~np.isnan(cost)
    gmv_c = _sum_or_nan(ci, gmv_base, n)
    gmv_tracked = _sum_or_nan(ci, np.where(tracked, gmv_base, np.nan), n)
    cost_tracked = _sum_or_nan(ci, np.where(tracked, cost, np.nan), n)
    roas_c = metrics.safe_div(gmv_tracked, cost_tracked)
    roi_c = metrics.roi(gmv_tracked, cost_tracked, margin)
    pub_i = np.where(published, ci, -1)
    sum_views = _sum_or_nan(pub_i, views, n)
    sum_eng = _sum_or_nan(pub_i, eng, n)
    sum_likes = _sum_or_nan(pub_i, likes, n)
    sum_comments = _sum_or_nan(pub_i, comments, n)
    posts = np.bincount(pub_i[pub_i >= 0], minlength=n).astype(float)
    er_views_c = metrics.safe_div(sum_eng, sum_views)
    followers = _col(C, "followers")
    with np.errstate(invalid="ignore", divide="ignore"):
        er_followers_c = metrics.safe_div(metrics.nansum(sum_likes, sum_comments) / np.where(posts > 0, posts, np.nan), followers)

    # ---------------------------------------------------------------- reviews
    rv, ri = typed["reviews"], cidx["reviews"]
    crit = np.column_stack([_col(rv, k) for k in ("visuals", "script", "brand_fit")]) if len(rv) else np.zeros((0, 3))
    use = ri >= 0
    normalised = crit.copy()
    if use.any():
        normalised[use] = normalise_scores(_obj(rv, "reviewer")[use], crit[use], settings.min_reviews_to_normalise)
    review_content = scoring.content_score(normalised[:, 0], normalised[:, 1], normalised[:, 2]) if len(rv) else np.zeros(0)
    content = _group_mean(ri, np.asarray(review_content, dtype=float), n)

    def yes(col: str, bad_value: str) -> np.ndarray:
        # 1 marked, 0 not, NaN not reviewed: decided once per distinct value
        codes, values = distinct.factorize(_obj(rv, col))
        return np.append(np.where(values == bad_value, 1.0, np.where(values == None, np.nan, 0.0)), np.nan)[codes]  # noqa: E711

    # A post counts as having a problem if any reviewer marked it: group reviews by post (collab_id,
    # or the review itself when no collab is named), take the maximum, then average per creator.
    post_raw = rv["collab_id"].to_numpy(dtype=object)
    no_collab = distinct.isna(post_raw)
    if no_collab.any():
        post_raw = np.where(no_collab, rv["review_id"].to_numpy(dtype=object), post_raw)
    use_r = ri >= 0
    post_codes, post_ids = distinct.factorize(post_raw if use_r.all() else np.where(use_r, post_raw, None))
    n_posts = len(post_ids)
    post_creator = np.full(n_posts, -1, dtype=np.int64)
    ok_r = post_codes >= 0
    post_creator[post_codes[ok_r]] = ri[ok_r]
    shares_c = {k: np.full(n, np.nan) for k in scoring.COMPLIANCE_PENALTIES}
    post_flags: dict[str, Flag] = {}
    for k, bad_value in (("ad_disclosure", "no"), ("false_claims", "yes"), ("platform_violation", "yes")):
        v = yes(k, bad_value)
        per_post = np.full(n_posts, np.nan)
        np.fmax.at(per_post, post_codes[ok_r], v[ok_r])
        shares_c[k] = _group_mean(post_creator, per_post, n)
        post_flags[k] = _first_ids(post_creator, per_post == 1.0, np.asarray(post_ids, dtype=object))
    compliance = scoring.compliance_score(shares_c["ad_disclosure"], shares_c["false_claims"], shares_c["platform_violation"])

    # ---------------------------------------------------------------- snapshots and authenticity
    sn, si = typed["snapshots"], cidx["snapshots"]
    jumps = auth.follower_jumps(si, sn["date"].to_numpy(dtype="datetime64[us]"), _col(sn, "followers"), n,
                                float(settings.follower_jump_flag))
    platform = _obj(C, "platform")
    band = auth.er_band(platform, followers, settings.er_benchmarks)
    er_basis = np.where(band["basis"] == "followers", er_followers_c, er_views_c)
    er_anom = auth.er_anomaly(er_basis, band["er_low"], band["er_high"], float(settings.er_low_factor), float(settings.er_high_factor))
    lc_flag, lc_ratio = auth.like_comment_anomaly(sum_likes, sum_comments)
    fake = _col(C, "fake_follower_rate")
    fake_flag_level = float(settings.fake_follower_flag)
    authenticity = scoring.authenticity_score(fake, er_anom, lc_flag, jumps["flag"], fake_flag_level)

    # ---------------------------------------------------------------- audience fit
    def match(col: str, targets: tuple[str, ...]) -> np.ndarray:
        if not targets:
            return np.full(n, np.nan)
        codes, values = distinct.factorize(_obj(C, col))  # 1 in the targets, 0 not, NaN empty: per distinct value
        return np.append(pd.Series(values, dtype=object).isin(list(targets)).to_numpy(dtype=float), np.nan)[codes]

    fit = scoring.audience_fit_score(match("country", settings.target_markets), match("language", settings.target_languages),
                                     match("category", settings.target_categories), _col(C, "audience_target_share"),
                                     match("audience_top_country", settings.target_markets))

    # ---------------------------------------------------------------- score and tier
    sub = np.column_stack([responsiveness, content, compliance, performance, authenticity, fit]).astype(float).reshape(n, 6)
    # the score is the weighted mean of the subscores as shown (one decimal), so the sum in the
    # explanation adds up and the workbook's native formula over the shown cells gives the same number
    sub = np.round(sub, 1)
    score, completeness = scoring.weighted_score(sub, settings.weights) if n else (np.zeros(0), np.zeros(0))
    score = np.round(np.asarray(score, dtype=float), 1)
    blacklisted = _obj(C, "blacklisted") == "yes"
    min_comp = float(settings.min_completeness)
    tier = np.asarray(scoring.assign_tier(score, blacklisted, settings.cutoffs, completeness, min_comp), dtype=object).reshape(n)

    reason = np.full(n, "", dtype=object)  # free text, read as typed for the blacklisted few
    if blacklisted.any():
        raw_reason = _obj(C, "blacklist_reason")[blacklisted]
        reason[blacklisted] = [str(r).strip() if r is not None and r == r else "" for r in raw_reason]
    er_dir = np.nan_to_num(er_anom)
    band_txt = band["band"].astype(object)
    er_low_cut, er_high_cut = band["er_low"] * float(settings.er_low_factor), band["er_high"] * float(settings.er_high_factor)
    lc_on = np.nan_to_num(lc_flag) > 0
    no_comments = lc_on & np.isinf(np.nan_to_num(lc_ratio, nan=0.0))
    jump_on = np.nan_to_num(jumps["flag"]) > 0
    incomplete = (tier == None) & ~np.isnan(score)  # noqa: E711

    def days(x: np.ndarray):
        return lambda i: np.datetime_as_string(x[i], unit="D").astype(object)

    def compliance_flag(label: str, k: str) -> Flag:
        idx, ids = post_flags.get(k, (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)))
        return idx, label + ids

    flags = _join_flags(
        n,
        _flag(blacklisted, "黑名单 Blacklisted", lambda i: np.where(reason[i] == "", "", ": " + reason[i].astype(str).astype(object))),
        _flag(fake >= fake_flag_level, "假粉率高 Fake followers ", lambda i: _pct(fake[i]), f" ≥ {fake_flag_level:.0%}"),
        _flag(er_dir < 0, "互动率偏低 ER far below band: ", lambda i: _pct(er_basis[i], 1), " < ",
              lambda i: _pct(er_low_cut[i], 1), " (", lambda i: band_txt[i], ")"),
        _flag(er_dir > 0, "互动率偏高 ER far above band: ", lambda i: _pct(er_basis[i], 1), " > ",
              lambda i: _pct(er_high_cut[i], 1), " (", lambda i: band_txt[i], ")"),
        # the like/comment flag: a ratio, or no comments at all (never both)
        _flag(lc_on & ~no_comments, "赞评比异常 Likes per comment ", lambda i: scoring._num(lc_ratio[i], 0),
              f" (normal {auth.LIKE_COMMENT_BAND[0]:g}-{auth.LIKE_COMMENT_BAND[1]:g})"),
        _flag(no_comments, "赞评比异常 Likes but no comments"),
        _flag(jump_on, "粉丝突增 Follower jump +", lambda i: _pct(jumps["growth"][i]), " (", days(jumps["start"]), " → ",
              days(jumps["end"]), ")"),
        compliance_flag("缺少广告标识 Missing #ad disclosure: ", "ad_disclosure"),
        compliance_flag("虚假宣传 False claims: ", "false_claims"),
        compliance_flag("平台违规 Platform violation: ", "platform_violation"),
        _flag(incomplete, "数据不足 Incomplete: ", lambda i: _pct(completeness[i]), f" of weight has data (< {min_comp:.0%})"),
    )

    explanation = (scoring.explain(score, tier, completeness, sub, settings.weights, blacklisted, settings.cutoffs, min_comp, flags)
                   if explain and n else np.full(n, None, dtype=object))
    def text(values: np.ndarray) -> pd.Series:
        # plain Python strings and None (pandas 3 would turn them into its "str" dtype with NaN)
        return pd.Series(np.array(values, dtype=object), dtype=object, copy=False)

    columns = {
        "creator_key": text(keys[cpos]),
        "platform": text(platform),
        "handle": text(_obj(C, "handle")),
        # the label the cell shows (as the build writes it), so the dashboard's SUMIFS per market match it
        "country": text(_market_labels(schema, _obj(C, "country"))),
        "reply_rate": reply_rate,
        "median_reply_hours": np.round(median_hours, 1),
        "er": np.where(band["basis"] == "followers", er_followers_c, er_views_c),
        "total_cost": np.round(total_cost_c, 2),
        "gmv": np.round(gmv_c, 2),
        "roas": roas_c,
        "roi": roi_c,
        **{d: np.round(sub[:, j], 1) for j, d in enumerate(DIMENSIONS)},
        "score": score,
        "tier": text(tier),
        "completeness": completeness,
        "flags": text(flags),
        "explanation": text(explanation),
    }
    # in sheet order, taking the fresh arrays as they are (pandas would copy each one otherwise)
    scores = pd.DataFrame({k: columns[k] for k in schema.sheet("scores").keys}, copy=False)
    score_all = np.full(len(cr), np.nan)
    score_all[cpos] = score
    tier_all = np.full(len(cr), None, dtype=object)
    tier_all[cpos] = tier
    cr["score"] = score_all
    cr["tier"] = pd.Series(tier_all, index=cr.index, dtype=object, copy=False)
    out = dict(typed)
    out["scores"] = scores
    if len(ot):
        out["funnel"] = metrics.funnel(ot)
    if n and not np.isnan(score).all():
        missing_share = 1.0 - float(np.mean(completeness))
        if missing_share > 0.5:
            notes.append(f"数据不足 On average {missing_share:.0%} of the weight had no data; fill more inputs for reliable tiers")
    return Evaluation(out, problems, notes)


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
                  today: Any = None, explain: bool = True) -> dict[str, Any]:
    """The Scores row for one creator (a dict keyed by Scores column), plus ``problems`` (texts).

    Child rows without a ``creator_key`` are taken to belong to this creator. This calls
    :func:`evaluate` on one-creator tables: the same code path as the whole workbook.
    """
    key = try_creator_key(creator.get("platform"), creator.get("handle") or creator.get("profile_url"))
    tables = {
        "creators": pd.DataFrame([dict(creator)]),
        "outreach": _rows(outreach, key),
        "collaborations": _rows(collaborations, key),
        "reviews": _rows(reviews, key),
        "snapshots": _rows(snapshots, key),
    }
    result = evaluate(tables, settings, today=today, explain=explain)
    if len(result.scores):
        row = result.scores.iloc[0].to_dict()
    else:
        row = {k: None for k in load_schema().sheet("scores").keys}
    row["problems"] = [str(p) for p in result.problems]
    return row
