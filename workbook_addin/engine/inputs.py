"""The engine's first stages: the input tables typed against the schema, the Creators rows that are
scored (one per distinct creator key) and where each child-sheet row's creator sits.

Kept apart from the dimension stages so that a change in what counts as a usable row (keys,
duplicates, unreadable cells) is made in one place, and every dimension reads the same rows.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.schema import Schema, load_schema
from ..core.settings import Settings
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


def empty_frame(sheet_key: str) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(dtype=object) for k in load_schema().sheet(sheet_key).keys})


@dataclass
class Run:
    """What every stage reads (schema, settings, the run's date) and where it reports problems."""

    schema: Schema
    settings: Settings
    today: pd.Timestamp
    problems: list[Problem] = field(default_factory=list)


def start_run(settings: Settings, today: Any = None) -> Run:
    """A run on ``today`` (default: the current date; decides which outreach is still pending)."""
    return Run(load_schema(), settings, pd.Timestamp(today if today is not None else pd.Timestamp.today()).normalize())


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
def typed_inputs(tables: Mapping[str, pd.DataFrame], run: Run,
                 sheets: tuple[str, ...] = INPUT_SHEETS) -> dict[str, pd.DataFrame]:
    """Every input sheet in ``sheets`` typed against the schema (missing sheets count as empty);
    cells that do not parse are reported and left empty, so one bad cell never stops the run."""
    typed: dict[str, pd.DataFrame] = {}
    for key in sheets:
        frame = tables.get(key)
        frame = empty_frame(key) if frame is None else frame
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

    All the child sheets' keys (those in ``typed``) are matched in one go: they name the same
    creators, so the distinct key texts among them are looked up (and, where not typed as a known
    key, parsed) once.
    """
    sheets = [key for key in CHILD_SHEETS if key in typed]
    raw = {key: typed[key]["creator_key"].to_numpy(dtype=object) for key in sheets}
    ends = np.cumsum([len(raw[key]) for key in sheets])
    all_idx, all_todo, all_canon, all_present = match_creator_keys(
        np.concatenate([raw[key] for key in sheets]) if len(ends) and ends[-1] else np.zeros(0, dtype=object),
        creators.key_index)
    positions: dict[str, np.ndarray] = {}
    creators_name = run.schema.sheet("creators").name
    for key, end in zip(sheets, ends.tolist()):
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


