"""Column access shared by the insight modules.

The insights read the engine's ``Evaluation.tables`` (already typed by the engine's coercion), but
also hand-built frames in tests and partly filled workbooks, where a column may be missing. These
accessors return a Series of the right kind either way, so no insight repeats the same guards.
They do not re-implement the engine's input checks: values that do not parse simply become
missing here (the engine's Problems already name the sheet, row and column).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ..core.settings import SettingsLike
from ..core.schema import load_schema
from ..core.cells import is_missing

EMPTY = pd.DataFrame()


def table(tables: Mapping[str, pd.DataFrame], key: str) -> pd.DataFrame:
    """The sheet ``key`` from ``tables``, or an empty frame when the workbook has none."""
    frame = tables.get(key)
    return frame if frame is not None else EMPTY


def _text(v: Any) -> str | None:
    if is_missing(v):
        return None
    text = str(v).strip()
    return text or None


def _per_distinct(values: pd.Series, fn: Callable[[Any], Any]) -> np.ndarray:
    """``fn`` of each value (an object array), called once per distinct value: an insight column of
    50 000 rows holds a few dozen distinct codes, and per-value Python calls were most of the
    insights' time. Values of different kinds that compare equal (1, 1.0, True) are not merged:
    such columns go value by value. Blanks (None, NaN, NaT) are handed to ``fn`` once per kind."""
    arr = values.to_numpy(dtype=object)
    if infer_dtype(arr, skipna=True) not in ("string", "empty") and len(set(map(type, arr)) - {str, type(None)}) > 1:
        return _object_array([fn(v) for v in arr])
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    done = _object_array([fn(u) for u in uniques] + [None])
    out = done[codes]  # a blank's code, -1, takes the last slot, filled below
    blank = codes < 0
    if blank.any():
        blanks = arr[blank]
        by_kind = {type(v): v for v in blanks}
        if len(by_kind) == 1:
            out[blank] = _object_array([fn(blanks[0])])[0]
        else:
            out[blank] = _object_array([fn(by_kind[type(v)]) for v in blanks])
    return out


def _object_array(items: list[Any]) -> np.ndarray:
    """``items`` as a 1-d object array (``np.array`` would turn a list of tuples into 2-d)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _text_of(values: np.ndarray) -> np.ndarray:
    """:func:`_text` of every value of an object array, stripped in one pass when all are text."""
    if infer_dtype(values, skipna=False) == "string":
        return _object_array([s.strip() or None for s in values])
    return _per_distinct(pd.Series(values, dtype=object), _text)


def texts(frame: pd.DataFrame, key: str) -> pd.Series:
    """Stripped text (None for blanks) — the same length and index as ``frame``."""
    if key not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype="object")
    return pd.Series(_text_of(frame[key].to_numpy(dtype=object)), index=frame.index, dtype="object")


def numbers(frame: pd.DataFrame, key: str) -> pd.Series:
    if key not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[key], errors="coerce").astype(float)


def dates(frame: pd.DataFrame, key: str) -> pd.Series:
    """Dates as datetime64 (NaT for blanks), time-zone naive."""
    if key not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    s = frame[key]
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s.astype("object"), errors="coerce", format="mixed")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return s


def codes(frame: pd.DataFrame, key: str, enum: str) -> pd.Series:
    """Enum codes through the schema's own label lookup ("已谈妥 Agreed" -> "agreed")."""
    values = load_schema().enums[enum]
    return pd.Series(_per_distinct(texts(frame, key), lambda v: None if v is None else values.normalise(v)),
                     index=frame.index, dtype="object")


def as_date(value: Any) -> pd.Timestamp:
    """``today`` arguments accept date, datetime, Timestamp or ISO text."""
    if value is None:
        return pd.Timestamp(dt.date.today())
    return pd.Timestamp(value).normalize()


def setting(settings: SettingsLike, key: str) -> Any:
    """A scalar setting by its settings.toml key: from the engine's Settings when it carries it,
    else the template default (so the insights work before a Settings sheet exists)."""
    if settings is not None:
        for name in ("values", "scalars"):
            holder = getattr(settings, name, None)
            if isinstance(holder, Mapping) and key in holder:
                return holder[key]
        if hasattr(settings, key):
            return getattr(settings, key)
        if isinstance(settings, Mapping) and key in settings:
            return settings[key]
    return load_schema().setting(key).value


def schema_labels(sheet: str, keys: Sequence[str] | None = None) -> dict[str, tuple[str, str]]:
    """Column key -> (zh, en) of an insight sheet in templates/schema.toml, in the sheet's order
    (or in the order of ``keys``): the modules take their table columns from the schema, so the
    workbook sheet, the report and the DataFrame never disagree on a column or its label."""
    columns = load_schema().sheet(sheet).columns
    by_key = {c.key: (c.zh, c.en) for c in columns}
    return {k: by_key[k] for k in (keys if keys is not None else [c.key for c in columns])}


def bilingual(zh: str, en: str) -> str:
    """"中文 English" (Chinese first); a label that is the same in both ("ROI") once."""
    return zh if zh == en else f"{zh} {en}"


def label(enum: str, code: Any) -> str:
    """The bilingual label of an enum code ("US" -> "美国 US"); the code itself when unknown."""
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return "未填 Blank"
    try:
        return load_schema().enums[enum].label_of(str(code))
    except KeyError:
        return str(code)


def labels(enum: str, codes: pd.Series) -> pd.Series:
    """:func:`label` of every code, as ``codes.map`` would give them, worked out once per distinct code."""
    return pd.Series(_per_distinct(codes, lambda c: label(enum, c)), index=codes.index, name=codes.name)


def creator_keys(frame: pd.DataFrame, sheet: str) -> pd.Series:
    """Canonical creator keys of a sheet's rows, whether or not the engine has filled them in:
    child sheets' typed keys through the engine's ``normalise_key_column``; on the Creators sheet
    the computed ``creator_key``, or, in raw tables, the engine's ``creator_keys(platform, handle,
    profile_url)``. So an insight gives the same answer on raw tables and on Evaluation.tables."""
    from ..core.key_columns import creator_keys as make_keys
    from ..core.key_columns import normalise_key_column

    typed = texts(frame, "creator_key")
    if sheet == "creators" and typed.isna().all() and len(frame):
        keys = make_keys(texts(frame, "platform"), texts(frame, "handle"), texts(frame, "profile_url"))[0]
        return pd.Series(keys, index=frame.index, dtype="object")
    return pd.Series(normalise_key_column(typed)[0], index=frame.index, dtype="object")
