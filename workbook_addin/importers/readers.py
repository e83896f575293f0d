"""Read an export file into rows of cells, whatever its encoding, delimiter or container.

Ops staff download CSVs from many tools: UTF-8 with or without a BOM, Excel's "Unicode text"
(UTF-16, tab-separated), GBK from Chinese seller back-ends, Windows-1252 from old Excel, comma,
semicolon or tab delimited, and XLSX. This module only turns bytes into ``records`` (lists of cells);
which row is the header and what the columns mean is decided later (:mod:`.detect`).

When the bytes are not UTF-8 the encoding is a guess, so :func:`read_bytes` returns every plausible
decoding; the caller keeps the first one whose header it recognises, and warns that it guessed.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from ..core.errors import LianxingError

DELIMITERS = (",", ";", "\t", "|")
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
#: Fallback encodings for files that are not UTF-8, most specific first: GB18030 (a superset of
#: GBK) fails fast on Western text, Windows-1252 covers Excel's "CSV" on Western Windows.
FALLBACK_ENCODINGS = ("gb18030", "cp1252", "latin-1")


class UnreadableFile(LianxingError):
    """The file cannot be read at all (corrupt spreadsheet, not a table); the message says why."""


#: one line as ``io.StringIO(text, newline="")`` yields it: up to and with its \r\n, \r or \n
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|\Z)")


class Decoding:
    """One way of reading the file: its records and what we had to assume to get them.

    A text file's records are parsed when first asked for: the candidates of a file that is not
    UTF-8 (GB18030, Windows-1252, Latin-1) are told apart by their first lines (:attr:`head`), so
    only the decoding kept is parsed whole (a 70 000-row GBK export parsed three times costed
    seconds and hundreds of MB).
    """

    def __init__(self, records: list[list[Any]] | None, encoding: str | None, delimiter: str | None,
                 warnings: list[str] | None = None, truncated: bool = False, text: str | None = None) -> None:
        self._records = records
        self._text = text
        self.encoding, self.delimiter = encoding, delimiter
        self.warnings = list(warnings or [])
        self._cut = truncated  # the bytes end mid-character
        self._truncated: bool | None = None if text is not None else truncated

    @property
    def records(self) -> list[list[Any]]:
        if self._records is None:
            self._records, ends_in_quotes = _parse_all(self._text or "", self.delimiter or ",")
            self._truncated = self._cut or ends_in_quotes
            self._text = None  # the records hold it now
        return self._records

    def head(self, rows: int) -> list[list[Any]]:
        """The first ``rows`` records, without parsing the rest of a text file."""
        if self._records is not None or self._text is None:
            return self.records[:rows]
        lines = (m.group() for m in _LINE.finditer(self._text) if m.group())  # only the lines read are split
        reader = csv.reader(lines, delimiter=self.delimiter or ",", strict=False)
        return list(itertools.islice(reader, rows))

    @property
    def truncated(self) -> bool:
        """The file ends inside a quoted cell or mid-character: it was cut short."""
        if self._truncated is None:
            self.records  # noqa: B018  (parsing settles it)
        return bool(self._truncated)


def read_bytes(name: str, data: bytes) -> list[Decoding]:
    """Every plausible reading of a file's bytes, best first; an empty list means an empty file.

    ``name`` (a file or ZIP member name) tells a spreadsheet from text. Raises
    :class:`UnreadableFile` for a spreadsheet that cannot be opened.
    """
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        return []
    if Path(name).suffix.lower() in SPREADSHEET_SUFFIXES or data[:4] == b"PK\x03\x04" and _is_xlsx(data):
        return [_read_spreadsheet(data)]
    return [_parse_text(text, encoding, warnings, cut) for text, encoding, warnings, cut in decode(data)]


def zip_members(path: Path) -> list[tuple[str, bytes, float]]:
    """The export files inside a ZIP download, as (name, bytes, timestamp).

    YouTube Studio's CSV download is a ZIP of "Table data.csv" (one row per video, the totals
    we want), "Chart data.csv" (the same views split per day) and "Totals.csv" (per day, all
    videos): when "Table data.csv" is there, only it is read.
    """
    try:
        with zipfile.ZipFile(path) as z:
            wanted = {".csv", ".tsv", ".txt"} | SPREADSHEET_SUFFIXES
            infos = [i for i in z.infolist() if not i.is_dir() and Path(i.filename).suffix.lower() in wanted
                     and not Path(i.filename).name.startswith((".", "~$", "__MACOSX"))]
            if any(Path(i.filename).name.casefold() == "table data.csv" for i in infos):
                infos = [i for i in infos if Path(i.filename).name.casefold() == "table data.csv"]
            return [(i.filename, z.read(i), dt.datetime(*i.date_time).timestamp()) for i in infos]
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(f"cannot open the ZIP file ({exc}); is the download complete?") from exc


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "[Content_Types].xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def _sheets(data: bytes) -> Iterator[tuple[str, list[list[Any]]]]:
    """(name, rows) of each sheet, blank cells as "": python-calamine, or openpyxl where calamine
    has no build (xlwings Lite's Pyodide); both give the same cell values for an export."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for sheet in book.worksheets:
            yield sheet.title, [[_as_calamine(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        return
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(data))
    for name in calamine.sheet_names:
        yield name, calamine.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _as_calamine(value: Any) -> Any:
    """An openpyxl cell value as calamine gives it: "" for blank, numbers as floats, a date cell
    (openpyxl: midnight datetime) as a date."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def _read_spreadsheet(data: bytes) -> Decoding:
    try:
        for i, (name, rows) in enumerate(_sheets(data)):
            if any(any(c not in ("", None) for c in r) for r in rows):
                warnings = [] if i == 0 else [f"read sheet {name!r} (the first sheets are empty)"]
                warnings += _formulas_without_values(data, i)
                return Decoding([list(r) for r in rows], None, None, warnings)
    except Exception as exc:  # calamine and openpyxl raise several error types for corrupt files
        raise UnreadableFile(f"cannot open the spreadsheet ({type(exc).__name__}: {exc}); "
                             "is the file complete?") from exc
    return Decoding([], None, None)


_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_SHEET_TARGETS = re.compile(rb'<sheet\b[^>]*?r:id="([^"]+)"')
_VALUE = re.compile(rb"<v>[^<]")  # a calculated value (``<v/>`` or no <v> at all: none)


def _formulas_without_values(data: bytes, index: int) -> list[str]:
    """A warning naming the formula cells an .xlsx stores without a calculated value (files written by
    tools that do not calculate): calamine reads them as empty, which must not go unsaid."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            ids = _SHEET_TARGETS.findall(z.read("xl/workbook.xml"))
            rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            target = re.search(rf'Id="{re.escape(ids[index].decode())}"[^>]*Target="([^"]+)"', rels) or \
                re.search(rf'Target="([^"]+)"[^>]*Id="{re.escape(ids[index].decode())}"', rels)
            xml = z.read("xl/" + target.group(1).lstrip("/").removeprefix("xl/")) if target else b""
    except (KeyError, IndexError, zipfile.BadZipFile):
        return []
    if b"<f" not in xml:
        return []
    empty = [m.group(1).decode() for m in _CELL.finditer(xml)
             if m.group(2) and b"<f" in m.group(2) and not _VALUE.search(m.group(2))]
    if not empty:
        return []
    shown = ", ".join(empty[:10]) + (f" (+{len(empty) - 10})" if len(empty) > 10 else "")
    return [f"{len(empty)} 个公式单元格没有保存的值，按空值读取 formula cells have no saved value and were read as "
            "empty: "
            f"{shown}; 请在 Excel 中打开并保存后重新导出 open and save the file in Excel, then import it again"]


def decode(data: bytes) -> list[tuple[str, str, list[str], bool]]:
    """``(text, encoding, warnings, cut_mid_character)`` candidates for the raw bytes, best first."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            text, cut = _decode_tail_tolerant(data, enc)
            return [(text, enc, [], cut)]
    head = data[:4000]
    if len(head) > 8 and head.count(b"\x00") > len(head) // 4:  # UTF-16 without a BOM
        enc = "utf-16-le" if head[1::2].count(b"\x00") > head[0::2].count(b"\x00") else "utf-16-be"
        text, cut = _decode_tail_tolerant(data, enc)
        return [(text, enc, [f"no byte-order mark: read as {enc.upper()}"], cut)]
    try:
        return [(data.decode("utf-8"), "utf-8", [], False)]
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return [(data[: exc.start].decode("utf-8"), "utf-8", [], True)]
    out = []
    for enc in FALLBACK_ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        out.append((text, enc, [f"文件不是 UTF-8 编码，按 {enc.upper()} 读取，请核对文字 Not UTF-8: read as "
                                f"{enc.upper()}; check names "
                                "and text"], False))
    return out


def _decode_tail_tolerant(data: bytes, enc: str) -> tuple[str, bool]:
    """Decodes, tolerating only a character cut off at the very end (a truncated download)."""
    try:
        return data.decode(enc), False
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:
            return data[: exc.start].decode(enc), True
        raise


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most sample lines into the same number (>1) of cells.

    ``csv.Sniffer`` is thrown off by title lines above the header and by decimal commas; counting
    consistent field counts is not.
    """
    best, best_score = ",", (0, 0)
    sample = "\n".join(lines)
    for delim in DELIMITERS:
        if delim not in sample:
            continue
        counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delim) if len(r) > 1]
        if not counts:
            continue
        width, rows = Counter(counts).most_common(1)[0]
        score = (rows, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _parse_text(text: str, encoding: str, warnings: list[str], cut: bool) -> Decoding:
    delim = sniff_delimiter(text[:200_000].splitlines()[:40])
    return Decoding(None, encoding, delim, list(warnings), cut, text=text)


def _parse_all(text: str, delim: str) -> tuple[list[list[str]], bool]:
    """(records, the text ends inside a quoted cell): one pass of the lenient reader, then only
    the last record read again strictly (only a download stopped mid-row ends inside quotes)."""
    lines = _Lines(text)
    records, last = [], 0
    for rec in csv.reader(lines, delimiter=delim, strict=False):
        records.append(rec)
        last = lines.record_start
        lines.record_start = lines.pos
    return records, _ends_inside_quotes(text[last:], delim)


class _Lines:
    """The text's lines for ``csv.reader``, keeping where the record being read starts."""

    def __init__(self, text: str) -> None:
        self._lines = io.StringIO(text, newline="")
        self.pos = self.record_start = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.pos += len(line)
        return line


def _ends_inside_quotes(text: str, delim: str) -> bool:
    """True when the text ends inside a quoted cell: the download stopped mid-row."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True):
            pass
    except csv.Error as exc:
        return "EOF" in str(exc) or "unexpected end" in str(exc)
    return False
