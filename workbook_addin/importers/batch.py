"""``read_exports``: every export file in a folder, read into one table of posts and orders.

Each file is decoded, its format and header row recognised, its cells typed, and its rows turned
into posts (metrics per post) or orders (one per shop order). Files that cannot be used are listed
by name with the reason; nothing is guessed. Rows seen in several exports (overlapping date ranges,
a re-download) are kept once, from the newest export, so a re-import never double-counts.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.cells import CellError, parse_date
from .detect import HEADER_SCAN_ROWS, Detection, detect, guess_header_row
from .fields import extract
from .formats import KNOWN_FORMATS, Format, gmv_basis, norm_header
from .generic import formats_from_mapping
from .platforms import post_rows
from .problems import Problem, file_problem
from .readers import SPREADSHEET_SUFFIXES, Decoding, UnreadableFile, read_bytes, zip_members
from .shopify import order_rows

EXPORT_SUFFIXES = {".csv", ".tsv", ".txt", ".zip"} | SPREADSHEET_SUFFIXES
#: The columns of :attr:`ImportBatch.rows`, in order (see the package docstring).
ROW_COLUMNS = (
    "source_file", "source_row", "format", "kind", "post_url", "video_id", "post_key", "creator_key",
    "handle", "platform", "title", "promo_code", "utm_campaign", "order_id", "views", "likes", "comments",
    "shares", "saves", "clicks", "orders", "gmv", "gmv_currency", "followers", "published_at", "counted",
    "note", "as_of", "match_by", "row_id",
)
NUMERIC_COLUMNS = ("views", "likes", "comments", "shares", "saves", "clicks", "orders", "gmv", "followers")
TEXT_COLUMNS = tuple(c for c in ROW_COLUMNS if c not in NUMERIC_COLUMNS + ("source_row", "published_at", "as_of"))
_DATE_IN_TEXT = re.compile(r"(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|\d{4}年\d{1,2}月\d{1,2}日"
                           r"|[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4})")


@dataclass
class FileReport:
    """What happened to one file: shown in the run log and the status line."""

    name: str
    path: str
    format: str | None
    rows_read: int = 0
    rows_skipped: int = 0
    summary_rows: int = 0
    rows_superseded: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    as_of: dt.datetime | None = None
    #: how GMV was taken from this file, in its own headers ("Subtotal − Refunded Amount"); None: no GMV
    gmv_basis: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportBatch:
    rows: pd.DataFrame
    files: list[FileReport]
    problems: list[Problem]



def export_files(source: str | Path | Iterable[str | Path]) -> list[Path]:
    """The export files in a folder (sorted by name; Office lock files and hidden files left out), or the
    files given."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            return sorted(
                (p for p in path.iterdir()
                 if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES and not p.name.startswith(("~$", "."))),
                key=lambda p: p.name,
            )
        return [path]
    return [Path(p) for p in source]


def read_exports(source: str | Path | Iterable[str | Path], mapping: Any = None) -> ImportBatch:
    """Reads every export in ``source`` (a folder, a file, or a list of files).

    ``mapping``: the Settings import-map rows (format, source_column, target_column, match_by) for
    formats the importers do not know.
    """
    generic, problems = formats_from_mapping(mapping)
    files: list[FileReport] = []
    frames: list[pd.DataFrame] = []
    for path in export_files(source):
        for name, data, mtime in _contents(path):
            report, frame, file_problems = _read_one(name, str(path), data, mtime, generic)
            files.append(report)
            problems.extend(file_problems)
            if frame is not None and not frame.empty:
                frames.append(frame.assign(_file_order=len(files)))
    rows = _dedupe(frames, files)
    return ImportBatch(rows, files, problems)


def _contents(path: Path) -> list[tuple[str, bytes | UnreadableFile | None, float]]:
    """(name, bytes, mtime) of the file, or of each export inside a ZIP download (None: missing)."""
    if not path.is_file():
        return [(path.name, None, 0.0)]
    if path.suffix.lower() == ".zip":
        try:
            return [(f"{path.name}/{name}", data, mtime) for name, data, mtime in zip_members(path)]
        except UnreadableFile as exc:
            return [(path.name, exc, 0.0)]
    return [(path.name, path.read_bytes(), path.stat().st_mtime)]


def _read_one(name: str, where: str, data: bytes | UnreadableFile | None, mtime: float,
              generic: list[Format]) -> tuple[FileReport, pd.DataFrame | None, list[Problem]]:
    report = FileReport(name, where, None)
    if data is None:
        return report, None, [file_problem(name, None, None, "找不到文件 file not found")]
    try:
        if isinstance(data, UnreadableFile):
            raise data
        decodings = read_bytes(name, data)
    except UnreadableFile as exc:
        return report, None, [file_problem(name, None, None, f"无法读取 {exc}")]
    if not decodings or not any(_has_cells(d) for d in decodings):
        return report, None, [file_problem(name, None, None, "文件为空 the file is empty")]
    chosen, det = _recognise(decodings, generic)
    report.encoding, report.delimiter = chosen.encoding, chosen.delimiter
    report.warnings.extend(chosen.warnings)
    if det is None:
        header = guess_header_row(chosen.records)
        cols = [str(c) for c in chosen.records[header]] if header is not None else []
        shown = ", ".join(c for c in cols if c.strip())[:300]
        msg = (f"无法识别的导出格式 unknown export format (columns: {shown}); "
               "在设置表的导入映射中添加这些列 add its columns to the Settings sheet's import map")
        return report, None, [file_problem(name, None if header is None else header + 1, None, msg)]
    report.format = det.format.name
    report.gmv_basis = gmv_basis(det.format, {f: det.headers[j] for f, j in det.columns.items()})
    if any(norm_header(h) in det.format.per_day_headers for h in det.headers):
        msg = ("每日明细，未读取 per-day chart data: not read (its views are per day, not per video); "
               "read Table data.csv instead")
        return report, None, [file_problem(name, det.header_row + 1, None, msg)]
    ex = extract(chosen, det, name)
    problems = list(ex.problems)
    report.rows_skipped, report.summary_rows = ex.skipped, ex.summary_rows
    if chosen.truncated:
        report.warnings.append("文件不完整 the file ends mid-row: it was cut short")
    if det.format.kind == "orders":
        frame, more = order_rows(ex.frame, det.format, name)
        problems.extend(more)
    else:
        frame = post_rows(ex.frame, det.format)
    report.rows_read = len(frame)
    report.as_of = _as_of(name, mtime, chosen, det)
    frame = frame.assign(
        source_file=name, format=det.format.name, kind=det.format.kind, as_of=report.as_of,
        match_by=",".join(det.format.match_by) or None,
    )
    return report, frame, problems


def _has_cells(d: Decoding) -> bool:
    def filled(records: list[list[Any]]) -> bool:
        return any(any(str(c).strip() for c in r) for r in records)

    return filled(d.head(HEADER_SCAN_ROWS)) or filled(d.records)


def _recognise(decodings: list[Decoding], generic: list[Format]) -> tuple[Decoding, Detection | None]:
    """The first decoding whose header a format explains; mapped formats are tried before built-in ones."""
    for d in decodings:
        for formats in (generic, KNOWN_FORMATS):
            if formats and (det := detect(d.head(HEADER_SCAN_ROWS), formats)) is not None:
                return d, det
    return decodings[0], None


def _as_of(name: str, mtime: float, decoding: Decoding, det: Detection) -> dt.datetime:
    """When the export was taken: the latest date in its title lines or file name, else the file's mtime.

    Exports are cumulative, so the newest one holds the truest numbers for a post.
    """
    texts = [Path(name).stem.replace("_", " ")]
    texts += [" ".join(str(c) for c in r) for r in decoding.head(det.header_row)]
    found = []
    for text in texts:
        for m in _DATE_IN_TEXT.finditer(text):
            try:
                if d := parse_date(m.group(1), order="DMY" if "." in m.group(1) else "MDY"):
                    found.append(d)
            except CellError:
                pass
    if found:
        return max(found)
    return dt.datetime.fromtimestamp(mtime)


def _dedupe(frames: list[pd.DataFrame], files: list[FileReport]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ROW_COLUMNS})
    rows = pd.concat(frames, ignore_index=True)
    for c in ROW_COLUMNS:
        if c not in rows:
            rows[c] = None
    rows = _sorted(rows, ["as_of", "_file_order", "source_row"])
    dup = rows.duplicated("row_id", keep="last")
    if dup.any():
        lost = rows.loc[dup, "source_file"].value_counts()
        for rep in files:
            if rep.name in lost.index:
                rep.rows_superseded = int(lost[rep.name])
                rep.warnings.append(f"{rep.rows_superseded} 行在更新的导出中重复 rows also in a newer export: the "
                                    "newer values "
                                    "are used")
        rows = rows.loc[~dup]
    rows = _sorted(rows, ["_file_order", "source_row"])
    rows = rows[list(ROW_COLUMNS)].reset_index(drop=True)
    for c in TEXT_COLUMNS:  # one spelling of "missing" in text columns: None
        missing = rows[c].isna().to_numpy()
        if rows[c].dtype != object or missing.any():
            values = rows[c].to_numpy(dtype=object, copy=True)
            values[missing] = None
            rows[c] = pd.Series(values, index=rows.index, dtype=object)
    return rows


def _sorted(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``rows.sort_values(keys, kind="stable")``, without reordering a frame already in order (one
    export, read top to bottom)."""
    columns = [pd.to_datetime(rows[k]).to_numpy() if k == "as_of" else rows[k].to_numpy() for k in reversed(keys)]
    if rows[keys].isna().to_numpy().any() or any(c.dtype.kind not in "iuM" for c in columns):
        return rows.sort_values(keys, kind="stable")
    order = np.lexsort(columns)
    return rows if (order == np.arange(len(rows))).all() else rows.take(order)
