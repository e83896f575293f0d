"""The Settings sheet as one typed object: weights, tier cut-offs, KPI targets, ER bands, FX rates.

Defaults come from templates/settings.toml; ops staff change every value on the workbook's Settings
sheet, and :meth:`Settings.from_values` reads those values back, checking each one. A value that
cannot be used is reported (sheet, setting label) and its default is kept, so one typo never stops
a scoring round.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .schema import load_schema
from .cells import parse_number
from .problems import Problem

#: The six dimensions, in the order of every (n, 6) subscore array; keys of the Scores sheet columns.
DIMENSIONS: tuple[str, ...] = ("responsiveness", "content_quality", "compliance", "performance", "authenticity",
                               "audience_fit")
#: Reviews a reviewer must have written before their scores are re-centred (see reviewers.py).
MIN_REVIEWS_TO_NORMALISE = 3


def _list(text: Any) -> tuple[str, ...]:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ()
    return tuple(p.strip() for p in str(text).replace("，", ",").replace(";", ",").split(",") if p.strip())


@dataclass(frozen=True, eq=False)
class Settings:
    """Everything the engine reads from the Settings sheet, already checked and normalised."""

    values: dict[str, Any]
    weights: np.ndarray  # (6,) in DIMENSIONS order, summing to 1
    raw_weights: np.ndarray
    er_benchmarks: pd.DataFrame
    fx_rates: dict[str, float]  # currency -> units of base currency per unit
    notes: tuple[str, ...] = ()
    min_reviews_to_normalise: int = MIN_REVIEWS_TO_NORMALISE
    target_markets: tuple[str, ...] = field(default=())
    target_languages: tuple[str, ...] = field(default=())
    target_categories: tuple[str, ...] = field(default=())

    def __getattr__(self, name: str) -> Any:
        # Scalar settings read as attributes: settings.tier_s, settings.reply_target_hours, ...
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def cutoffs(self) -> tuple[float, float, float]:
        """(S, A, B) lowest scores; below B is C."""
        return (float(self.values["tier_s"]), float(self.values["tier_a"]), float(self.values["tier_b"]))

    @property
    def base_currency(self) -> str:
        return str(self.values["base_currency"])

    @classmethod
    def defaults(cls) -> Settings:
        settings, problems = cls.from_values({})
        assert not problems, problems  # the shipped defaults must be valid
        return settings

    def with_values(self, **changes: Any) -> Settings:
        """A copy with some scalar settings changed (checked like the sheet's values)."""
        merged = {**self.values, **changes}
        settings, problems = Settings.from_values(merged, self.er_benchmarks, pd.DataFrame(
            {"currency": list(self.fx_rates), "rate": list(self.fx_rates.values())}))
        if problems:
            raise ValueError("; ".join(map(str, problems)))
        return settings

    @classmethod
    def from_values(
        cls,
        scalars: Mapping[str, Any],
        er_benchmarks: pd.DataFrame | None = None,
        fx_rates: pd.DataFrame | None = None,
    ) -> tuple[Settings, list[Problem]]:
        """Settings from the sheet's values (keyed by settings.toml keys); unknown keys are kept."""
        schema = load_schema()
        sheet_name = schema.settings_sheet.get("name", "设置 Settings")
        problems: list[Problem] = []
        values = _scalar_values(scalars, schema, sheet_name, problems)
        notes: list[str] = []
        raw_w, weights = _weights(values, schema, sheet_name, problems, notes)
        s_cut, a_cut, b_cut = (float(values[k]) for k in ("tier_s", "tier_a", "tier_b"))
        if not (s_cut >= a_cut >= b_cut):
            problems.append(Problem(sheet_name, None, "等级分数线 Tier cut-offs",
                                    f"cut-offs must fall S ≥ A ≥ B (got S {s_cut:g}, A {a_cut:g}, B {b_cut:g}); using "
                                    "the defaults",
                                    None, "settings", "tier_s"))
            for k in ("tier_s", "tier_a", "tier_b"):
                values[k] = float(schema.setting(k).value)
        bench = _er_table(er_benchmarks, schema, sheet_name, problems)
        fx = _fx_table(fx_rates, schema, sheet_name, values["base_currency"], problems)
        settings = cls(
            values=values,
            weights=weights,
            raw_weights=raw_w,
            er_benchmarks=bench,
            fx_rates=fx,
            notes=tuple(notes),
            min_reviews_to_normalise=int(values.get("reviewer_min_reviews", MIN_REVIEWS_TO_NORMALISE)),
            target_markets=_codes(values["target_markets"], "market", schema, sheet_name, problems),
            target_languages=_codes(values["target_languages"], "language", schema, sheet_name, problems),
            target_categories=_codes(values["target_categories"], "category", schema, sheet_name, problems),
        )
        return settings, problems



def _scalar_values(scalars: Mapping[str, Any], schema: Any, sheet_name: str,
                   problems: list[Problem]) -> dict[str, Any]:
    """Each setting typed by its settings.toml type (a value that cannot be used is reported and its
    default used); keys the schema does not know are kept as given."""
    values: dict[str, Any] = {}
    for s in schema.settings:
        raw = scalars.get(s.key, s.value)
        label = f"{s.zh} {s.en}"
        if s.type in ("number", "percent", "integer"):
            try:
                number = parse_number(raw)
                if np.isnan(number):
                    raise ValueError("is empty")
                typed_percent = isinstance(raw, str) and "%" in raw
                if s.type == "percent" and number > 1 and not typed_percent and s.group != "weights":
                    number /= 100.0
                if number < 0:
                    raise ValueError("must not be negative")
            except ValueError as exc:
                problems.append(Problem(sheet_name, None, label, f"{raw!r} {exc}; using the default {s.value!r}",
                                        raw, "settings", s.key))
                number = float(s.value)
            values[s.key] = int(number) if s.type == "integer" else number
        elif s.type == "enum":
            code = schema.enums[s.enum].normalise(raw) if s.enum else raw
            if code is None:
                problems.append(Problem(sheet_name, None, label, f"{raw!r} is not an allowed value; using {s.value!r}",
                                        raw, "settings", s.key))
                code = s.value
            values[s.key] = code
        else:
            values[s.key] = "" if raw is None else str(raw)
    for key, raw in scalars.items():
        values.setdefault(key, raw)
    return values


def _weights(values: Mapping[str, Any], schema: Any, sheet_name: str, problems: list[Problem],
             notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(weights as typed, weights scaled to sum to 1). Weights typed as points (15 instead of 15 %)
    are read as percent when all look like points; all zero falls back to the defaults."""
    raw_w = np.array([values[f"w_{d}"] for d in DIMENSIONS], dtype=float)
    if raw_w.sum() > 0 and (raw_w > 1).all():
        raw_w = raw_w / 100.0
    total = raw_w.sum()
    if total <= 0:
        problems.append(Problem(sheet_name, None, "权重 Weights", "all weights are zero; using the default weights",
                                None, "settings", "weights"))
        raw_w = np.array([float(schema.setting(f"w_{d}").value) for d in DIMENSIONS])
        total = raw_w.sum()
    if abs(total - 1.0) > 1e-6:
        notes.append(f"权重已归一化 Weights summed to {total:.0%}; each was divided by {total:.3g} so they sum to 100%")
    return raw_w, raw_w / total

def _codes(text: Any, enum_name: str, schema, sheet_name: str, problems: list[Problem]) -> tuple[str, ...]:
    enum = schema.enums[enum_name]
    out = []
    for part in _list(text):
        code = enum.normalise(part)
        if code is None:
            problems.append(Problem(sheet_name, None, enum_name, f"{part!r} is not a known {enum_name} code; ignored",
                                    part, "settings", enum_name))
        else:
            out.append(code)
    return tuple(out)


def _er_table(frame: pd.DataFrame | None, schema, sheet_name: str, problems: list[Problem]) -> pd.DataFrame:
    table = schema.settings_tables["er_benchmarks"]
    if frame is None:
        frame = pd.DataFrame(list(table.rows), columns=table.keys)
    frame = frame.copy()
    plat = schema.enums["platform"]
    frame["platform"] = [plat.normalise(p) for p in frame["platform"]]
    for c in ("min_followers", "max_followers", "er_low", "er_high"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce")
    # views per follower: optional (blank where the platform's ER is taken by followers)
    frame["vpf_low"] = pd.to_numeric(frame["vpf_low"], errors="coerce") if "vpf_low" in frame else np.nan
    bad = frame["platform"].isna() | frame[["min_followers", "max_followers", "er_low", "er_high"]].isna().any(axis=1)
    for i in np.flatnonzero(bad.to_numpy()):
        problems.append(Problem(sheet_name, None, "互动率基准 ER benchmarks",
                                f"row {i + 1} is incomplete or names an unknown platform; ignored", None, "settings",
                                "er_benchmarks"))
    return frame[~bad].reset_index(drop=True)


def _fx_table(frame: pd.DataFrame | None, schema, sheet_name: str, base: str,
              problems: list[Problem]) -> dict[str, float]:
    table = schema.settings_tables["fx_rates"]
    if frame is None:
        frame = pd.DataFrame(list(table.rows), columns=table.keys)
    cur = schema.enums["currency"]
    rates: dict[str, float] = {}
    for c, r in zip(frame["currency"], frame["rate"]):
        code = cur.normalise(c)
        try:
            rate = parse_number(r)
        except ValueError:
            rate = np.nan
        if code is None or not np.isfinite(rate) or rate <= 0:
            problems.append(Problem(sheet_name, None, "汇率 FX rates", f"{c!r}: rate {r!r} cannot be used; ignored", r,
                                    "settings", "fx_rates"))
            continue
        rates[code] = rate
    # Rates are "to base"; if the table was kept for another base, re-base it on the chosen one.
    if base in rates and abs(rates[base] - 1.0) > 1e-12:
        b = rates[base]
        rates = {k: v / b for k, v in rates.items()}
    elif base not in rates:
        problems.append(Problem(sheet_name, None, "汇率 FX rates", f"no rate for the base currency {base}; assuming 1",
                                base, "settings", "fx_rates"))
        rates[base] = 1.0
    return rates


#: What the insights accept as settings: the engine's Settings, a mapping of settings.toml keys to
#: values (a sheet read by hand), or None for the template defaults.
SettingsLike = Settings | Mapping[str, Any] | None
