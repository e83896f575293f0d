"""A team's existing tracker (CSV files or an XLSX workbook) read into the workbook's input tables.

Teams already keep creators and collaborations in a spreadsheet, so ``lianxing new team.xlsm --from
FILE_OR_DIR`` starts the workbook from their rows. Each file (or each sheet of an XLSX) is matched to
the schema sheet whose column labels its header row names most (Chinese, English, both as the
workbook writes them, or the column key; headers the schema does not know can be mapped with an
import map: ``source_column,target_column[,sheet]``). Cells are taken as text: the engine's one parser
reads them, as it reads what people type. Computed columns are left to the engine.

Nothing is dropped silently: a file or sheet that matches no schema sheet, a column that is not
used and a row that cannot be taken (a required value missing) are each listed with the reason.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.keys import try_creator_key
from ..core.schema import Sheet, load_schema
from .formats import norm_header
from .problems import Problem, file_problem
from .readers import SPREADSHEET_SUFFIXES, UnreadableFile, read_bytes

#: the input sheets a tracker can fill, in the order they are tried
TRACKER_SHEETS = ("creators", "collaborations", "outreach", "reviews", "snapshots")
TRACKER_SUFFIXES = {".csv", ".tsv", ".txt"} | SPREADSHEET_SUFFIXES
#: headers trackers use for the creator where the workbook has a creator key (platform + handle)
CREATOR_HEADERS = ("handle", "creator", "creator handle", "username", "account",
                   "达人", "达人账号", "账号", "达人用户名")
HEADER_ROWS_SEARCHED = 10
#: per sheet, the columns a row is known by: a header must name them all, a row must fill them all
#: (other required values missing are reported by the engine, as for typed rows, and the row is kept)
IDENTITY = {"creators": ("platform", "handle"), "collaborations": ("collab_id", "creator_key"),
            "outreach": ("outreach_id", "creator_key"), "reviews": ("review_id", "collab_id"),
            "snapshots": ("creator_key", "date", "followers")}


@dataclass
class TrackerImport:
    tables: dict[str, pd.DataFrame]  # schema sheet key -> rows (text cells, schema column keys)
    problems: list[Problem] = field(default_factory=list)  # files, columns and rows not taken, and why
    read: list[str] = field(default_factory=list)  # "file [sheet] -> 达人 Creators: 12 rows"


def read_tracker(source: str | Path, mapping: pd.DataFrame | None = None) -> TrackerImport:
    """Every table in ``source`` (a CSV/XLSX file or a folder of them) as workbook input rows."""
    out = TrackerImport({})
    aliases = _aliases(mapping, out.problems)
    frames: dict[str, list[pd.DataFrame]] = {}
    for name, records in _tables(Path(source), out.problems):
        found = _recognise(records, aliases, name)
        if isinstance(found, str):
            out.problems.append(file_problem(name, None, None,
                                             f"这是计算出的工作表 {found}: a sheet the workbook computes; "
                                             "未导入 not imported (it is recomputed from the input sheets)"))
            continue
        if found is None:
            out.problems.append(file_problem(name, None, None,
                                             "没有识别出对应的工作表 no sheet of the workbook matches its header; "
                                             "所有行未导入 none of its rows were taken (add an import map row)"))
            continue
        sheet, header_at, columns = found
        frame = _rows(name, sheet, records, header_at, columns, out.problems)
        out.read.append(f"{name} -> {sheet.name}: {len(frame)} rows")
        frames.setdefault(sheet.key, []).append(frame)
    out.tables = {k: pd.concat(v, ignore_index=True) for k, v in frames.items()}
    return out


def _tables(source: Path, problems: list[Problem]) -> Iterable[tuple[str, list[list[Any]]]]:
    """(name, records) for every CSV file and every non-empty sheet of every spreadsheet."""
    if not source.exists():
        raise FileNotFoundError(f"找不到 not found: {source}")
    def wanted(p: Path) -> bool:
        return p.suffix.lower() in TRACKER_SUFFIXES and not p.name.startswith(("~$", "."))

    paths = sorted(p for p in source.iterdir() if wanted(p)) if source.is_dir() else [source]
    for path in paths:
        if path.suffix.lower() in SPREADSHEET_SUFFIXES:
            yield from _sheets(path, problems)
            continue
        try:
            decodings = read_bytes(path.name, path.read_bytes())
        except UnreadableFile as exc:
            problems.append(file_problem(path.name, None, None, f"无法读取 cannot be read: {exc}"))
            continue
        if decodings:
            yield path.name, decodings[0].records


def _sheets(path: Path, problems: list[Problem]) -> Iterable[tuple[str, list[list[Any]]]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises several error types for damaged files
        problems.append(file_problem(path.name, None, None, f"无法读取 cannot be read: {exc}"))
        return
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if any(any(c not in ("", None) for c in r) for r in rows):
            yield f"{path.name} [{name}]", [list(r) for r in rows]


def _aliases(mapping: pd.DataFrame | None, problems: list[Problem]) -> dict[str, dict[str, str]]:
    """Per input sheet: normalised header -> column key (labels, keys, import-map rows)."""
    schema = load_schema()
    out: dict[str, dict[str, str]] = {}
    for key in TRACKER_SHEETS:
        names: dict[str, str] = {}
        for c in schema.sheet(key).columns:
            for text in (c.key, c.zh, c.en, c.header, f"{c.zh} {c.en}", c.key.replace("_", " ")):
                names.setdefault(norm_header(text), c.key)
        if key != "creators":
            for text in CREATOR_HEADERS:
                names.setdefault(norm_header(text), "creator_key")
        out[key] = names
    for i, row in enumerate([] if mapping is None else mapping.to_dict("records"), start=2):
        source, target = str(row.get("source_column") or "").strip(), norm_header(row.get("target_column"))
        sheets = [str(row["sheet"]).strip()] if str(row.get("sheet") or "").strip() else list(TRACKER_SHEETS)
        hits = [(s, out[s][target]) for s in sheets if s in out and target in out[s]]
        if not source or not hits:
            problems.append(Problem("导入映射 Import map", i, "目标列 Target column",
                                    f"未知目标列 unknown target {row.get('target_column')!r}",
                                    row.get("target_column")))
        for s, key in hits:
            out[s][norm_header(source)] = key
    return out


def _recognise(records: list[list[Any]], aliases: dict[str, dict[str, str]],
               name: str) -> tuple[Sheet, int, dict[int, str]] | str | None:
    """(schema sheet, header row index, column index -> key) for the header naming most input
    columns; the name of a computed sheet (Scores, Reminders, ...) when the header is one of those."""
    schema = load_schema()
    best: tuple[int, int, str, dict[int, str]] | None = None
    computed: tuple[int, str] | None = None
    for at, row in enumerate(records[:HEADER_ROWS_SEARCHED]):
        cells = {norm_header(c) for c in row if str(c or "").strip()}
        for sheet in schema.sheets:
            if sheet.key not in TRACKER_SHEETS:
                hits = len(cells & {norm_header(c.header) for c in sheet.columns})
                if hits >= 2 and (computed is None or hits > computed[0]):
                    computed = (hits, sheet.name)
                continue
            cols = _columns(row, aliases[sheet.key], {c.key for c in sheet.columns})
            if not set(IDENTITY[sheet.key]) <= set(cols.values()):
                continue
            score = len(cols) * 2 + (sheet.key in norm_header(name) or sheet.zh in name)
            if best is None or score > best[0]:
                best = (score, at, sheet.key, cols)
    if computed is not None and (best is None or computed[0] > best[0] // 2):
        return computed[1]
    if best is None:
        return None
    inputs = {c.key for c in schema.sheet(best[2]).columns if c.is_input}
    return schema.sheet(best[2]), best[1], {j: k for j, k in best[3].items() if k in inputs}


def _columns(row: list[Any], aliases: dict[str, str], keys: set[str]) -> dict[int, str]:
    cols: dict[int, str] = {}
    for j, cell in enumerate(row):
        k = aliases.get(norm_header(cell))
        if k in keys and k not in cols.values():
            cols[j] = k
    return cols


def _rows(name: str, sheet: Sheet, records: list[list[Any]], header_at: int, columns: dict[int, str],
          problems: list[Problem]) -> pd.DataFrame:
    """The data rows as text cells under the schema keys; rows missing a required value are listed."""
    header = records[header_at]
    unused = [str(h) for j, h in enumerate(header) if j not in columns and str(h or "").strip()]
    if unused:
        problems.append(file_problem(name, header_at + 1, None, f"未使用的列 columns not used: {', '.join(unused)}"))
    required = [c for c in sheet.columns if c.key in IDENTITY[sheet.key]]
    taken = []
    for i, rec in enumerate(records[header_at + 1:], start=header_at + 2):
        row = {key: _text(rec[j]) if j < len(rec) else None for j, key in columns.items()}
        if all(v is None for v in row.values()):
            continue
        if "creator_key" in row and row["creator_key"] and ":" not in row["creator_key"]:
            row["creator_key"] = try_creator_key(row.get("platform"), row["creator_key"]) or row["creator_key"]
        missing = [c.header for c in required if not row.get(c.key)]
        if missing:
            problems.append(file_problem(name, i, ", ".join(missing),
                                         f"缺少必填值 required value missing: {', '.join(missing)}; "
                                         "此行未导入 row not taken"))
            continue
        taken.append(row)
    return pd.DataFrame(taken, columns=list(dict.fromkeys(columns.values())), dtype=object)


def _text(value: Any) -> str | None:
    """A tracker cell as the text a person would have typed (the engine parses it like typed text)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "strftime"):  # a date cell of an XLSX tracker
        timed = getattr(value, "hour", 0) or getattr(value, "minute", 0)
        value = value.strftime("%Y-%m-%d %H:%M" if timed else "%Y-%m-%d")
    text = str(value).strip()
    return text or None
