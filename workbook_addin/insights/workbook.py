"""The insight sheets of the workbook, computed once for every front that writes them.

The builder fills the sheets from :func:`workbook_tables` and the refresh job (headless and from the
Excel button) rewrites them from it after every recompute, so the Playbook, Reminders, Duplicates,
Agencies, Pilot gate and Quote check sheets always show what the insights modules compute from the
engine's Evaluation — never a second copy of their logic.

Each frame has exactly the schema sheet's columns, with cells as the sheet shows them: a drop-down
style column (``type = "enum"``) holds its bilingual label ("是 Yes", "扩量 Scale"), because the
refresh writes these values straight into the cells (as it does for the Scores sheet).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.settings import Settings
from ..core.schema import Column, load_schema
from . import frames
from .agencies import agency_scorecard
from .duplicates import blacklist_hits, duplicate_creators
from .pilot import gates_table, pilot_gates
from .playbook import outreach_facts, playbook
from .quotes import quote_check
from .reminders import reminders

if TYPE_CHECKING:
    from ..engine.evaluation import Evaluation

#: The insight sheets (schema keys), in workbook order.
INSIGHT_SHEETS: tuple[str, ...] = ("playbook", "reminders", "duplicates", "agencies", "pilot", "quotes")

#: Duplicates sheet "kind" values: the blacklist alarm first, then suspected duplicate pairs.
BLACKLIST_KIND = "黑名单达人再次建联 Blacklisted creator contacted again"
DUPLICATE_KIND = "疑似重复 Possible duplicate"


def _cell_value(col: Column, value: Any) -> Any:
    """A value as the sheet shows it: enum codes and booleans as the enum's bilingual label."""
    if col.type != "enum" or value is None or (isinstance(value, float) and np.isnan(value)):
        return value
    enum = load_schema().enums[col.enum or ""]
    if isinstance(value, (bool, np.bool_)):
        value = "yes" if value else "no"
    code = enum.normalise(value)
    return enum.label_of(code) if code is not None else value


def sheet_frame(key: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the columns of schema sheet ``key`` (missing ones blank), in order,
    enum cells as labels, and a plain 0..n-1 index (row i lands on the Table's i-th row)."""
    sheet = load_schema().sheet(key)
    out = frame.reset_index(drop=True).reindex(columns=sheet.keys)
    for col in sheet.columns:
        if col.type == "enum":
            out[col.key] = pd.Series([_cell_value(col, v) for v in out[col.key].astype(object)], index=out.index,
                                     dtype=object)
    return out


def duplicates_table(tables: Mapping[str, pd.DataFrame], evaluation_tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Blacklisted creators contacted again (newest first), then suspected duplicate creator rows.

    Duplicate pairs are looked for in the Creators sheet as typed (``tables``), so the row numbers are
    the ones a person sees; the blacklist check uses the engine's creator keys.
    """
    pairs = duplicate_creators(frames.table(tables, "creators"))
    hits = blacklist_hits(evaluation_tables, pairs).assign(kind=BLACKLIST_KIND)
    pairs = pairs.assign(kind=DUPLICATE_KIND)
    parts = [f for f in (hits, pairs) if len(f)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["kind"])


def workbook_tables(evaluation: Evaluation, tables: Mapping[str, pd.DataFrame] | None = None,
                    settings: Settings | None = None,
                    today: Any = None) -> dict[str, pd.DataFrame]:
    """Schema sheet key -> the frame its insight sheet shows (keys :data:`INSIGHT_SHEETS`).

    ``evaluation`` is what ``engine.evaluate`` returned for ``tables`` (the input tables as the
    workbook holds them; ``evaluation.tables`` when not given), ``settings`` the engine's Settings
    (template defaults when None) and ``today`` the date reminders count from.
    """
    et = evaluation.tables
    raw = tables if tables is not None else et
    day = frames.as_date(today)
    benchmarks = getattr(settings, "er_benchmarks", None)
    facts = outreach_facts(et, benchmarks, today=day, settings=settings)  # the Playbook's and the Agencies'
    found = {
        "playbook": playbook(et, er_benchmarks=benchmarks, today=day, settings=settings, facts=facts),
        "reminders": reminders(et, day, settings=settings),
        "duplicates": duplicates_table(raw, et),
        "agencies": agency_scorecard(et, settings, today=day, facts=facts),
        "pilot": gates_table(pilot_gates(et, settings)),
        "quotes": quote_check(et, settings),
    }
    return {key: sheet_frame(key, found[key]) for key in INSIGHT_SHEETS}
