"""An .xlsx/.xlsm package opened for patching: sheets, Excel Tables and defined names, then a save
that rewrites only the parts that changed and copies every other zip member byte for byte."""
from __future__ import annotations

import hashlib
import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .refs import col_letter, parse_range, range_ref, split_ref
from .ranges import follows_table
from .sheetxml import Growth, Region, SheetEdit
from .members import BIG_PART, Members, PackageError, deflate, inflate, write_raw
from .part_patch import SecondProcess, patch_part

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_R_ID = f"{{{NS['r']}}}id"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml."


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


@dataclass
class SheetPart:
    name: str
    part: str  # zip member, e.g. "xl/worksheets/sheet3.xml"
    state: str = "visible"


@dataclass
class TablePart:
    name: str
    part: str
    sheet: str
    ref: tuple[int, int, int, int]  # (first row, first col, last row, last col) incl. header
    columns: list[str]
    header_rows: int = 1
    totals_rows: int = 0
    calculated: dict[int, str] = field(default_factory=dict)  # sheet column -> calculatedColumnFormula

    @property
    def header_row(self) -> int:
        return self.ref[0]

    @property
    def first_data_row(self) -> int:
        return self.ref[0] + self.header_rows

    @property
    def last_data_row(self) -> int:
        return self.ref[2] - self.totals_rows

    @property
    def first_col(self) -> int:
        return self.ref[1]

    @property
    def last_col(self) -> int:
        return self.ref[3]


@dataclass(frozen=True)
class DefinedCell:
    """A defined name that points at one cell (``set_tier_s``, ``RefreshStatus``)."""

    name: str
    sheet: str
    row: int
    col: int


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_path(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


_DEFINED_NAME = re.compile(r"(<definedName\b[^>]*>)([^<]*)(</definedName>)")
#: one area of a defined name: 'Sheet'!$A$1:$Z$13 (sheet group 2 quoted, 3 plain; range group 4)
_NAME_AREA = re.compile(r"((?:'((?:[^']|'')+)'|([A-Za-z0-9_.\u0080-\uffff]+)))"
                        r"!(\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+)")
#: a changed sheet part this large (XML) is patched in the second process, when there is one;
#: seconds to wait for it before patching the part here (it takes about one a 100 MB sheet)
OFFLOAD_BYTES = 20_000_000
OFFLOAD_WAIT = 120
_NAME_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Z]{1,3}\$?\d+)$")


class XlsxPackage:
    """Holds every zip member in memory; edits collect per sheet and are applied on :meth:`save`."""

    def __init__(self, source: str | Path | IO[bytes]):
        self.path = Path(source) if isinstance(source, (str, Path)) else None
        try:
            if isinstance(source, (str, Path)):
                raw = Path(source).read_bytes()
            else:
                raw = source.read()
            zf = zipfile.ZipFile(io.BytesIO(raw))
            self.infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, KeyError) as exc:
            raise PackageError(f"{source}: not a readable .xlsx/.xlsm file ({exc}) / 无法读取工作簿文件") from exc
        self._raw = raw
        #: every member's bytes, inflated when first asked for (a refresh reads a few parts of 60)
        self.data: Mapping[str, bytes] = Members(zf, raw, self.infos, str(source))
        if "xl/workbook.xml" not in self.data:
            raise PackageError(f"{source}: no xl/workbook.xml inside: not an Excel workbook / 不是 Excel 工作簿")
        self._changed: dict[str, bytes] = {}
        self._deflated: dict[str, tuple[bytes, int, int]] = {}  # parts patched in a second process, as stored
        self._sent: dict[str, tuple[Future, SheetEdit]] = {}  # parts in a second process's hands: see send_final
        self._helper_failed = False  # an answer failed or never came: nothing more is sent or waited for
        self._added: list[str] = []  # new members, saved after the ones read
        self._removed: set[str] = set()
        self._edits: dict[str, SheetEdit] = {}
        self._table_refs: dict[str, tuple[int, int, int, int]] = {}
        self._regions: set[str] = set()
        self._read_workbook()

    def digest(self) -> str:
        """SHA-256 of the package's bytes as read."""
        return hashlib.sha256(self._raw).hexdigest()

    # ------------------------------------------------------------------ reading the layout
    def _xml(self, part: str) -> ET.Element:
        try:
            return ET.fromstring(self.data[part])
        except (KeyError, ET.ParseError) as exc:
            raise PackageError(f"part {part} is missing or damaged ({exc})") from exc

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """rId -> (type suffix, resolved target) for ``part``'s relationships."""
        rels_part = _rels_path(part)
        if rels_part not in self.data:
            return {}
        out: dict[str, tuple[str, str]] = {}
        for rel in self._xml(rels_part).findall("rel:Relationship", NS):
            if rel.get("TargetMode") == "External":
                continue
            out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], _resolve(part, rel.get("Target", "")))
        return out

    def _read_workbook(self) -> None:
        wb = self._xml("xl/workbook.xml")
        pr = wb.find("m:workbookPr", NS)
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        rels = self._rels("xl/workbook.xml")
        #: the shared strings part (None without one)
        self.shared_strings = next((target for kind, target in rels.values() if kind == "sharedStrings"), None)
        self.sheets: dict[str, SheetPart] = {}
        for s in wb.findall("m:sheets/m:sheet", NS):
            kind, target = rels.get(s.get(_R_ID, ""), ("", ""))
            if kind != "worksheet":
                continue  # chartsheets, dialog sheets
            name = s.get("name", "")
            self.sheets[name] = SheetPart(name, target, s.get("state", "visible"))
        self.defined_names: dict[str, str] = {}
        for d in wb.findall("m:definedNames/m:definedName", NS):
            if d.get("localSheetId") is None and d.text:
                self.defined_names[d.get("name", "")] = d.text
        self.tables: dict[str, TablePart] = {}
        for sheet in self.sheets.values():
            for kind, target in self._rels(sheet.part).values():
                if kind == "table":
                    t = self._read_table(target, sheet.name)
                    self.tables[t.name] = t

    def _read_table(self, part: str, sheet: str) -> TablePart:
        t = self._xml(part)
        r1, c1, r2, c2 = parse_range(t.get("ref", ""))
        cols, calc = [], {}
        for i, tc in enumerate(t.findall("m:tableColumns/m:tableColumn", NS)):
            cols.append(tc.get("name", ""))
            f = tc.find("m:calculatedColumnFormula", NS)
            if f is not None and f.text:
                calc[c1 + i] = f.text
        return TablePart(
            name=t.get("displayName") or t.get("name") or "", part=part, sheet=sheet, ref=(r1, c1, r2, c2),
            columns=cols, header_rows=int(t.get("headerRowCount", "1")), totals_rows=int(t.get("totalsRowCount", "0")),
            calculated=calc,
        )

    def defined_cell(self, name: str) -> DefinedCell | None:
        """The single cell a defined name points at, or None (absent, a range, or a formula)."""
        text = self.defined_names.get(name)
        m = _NAME_REF.match(text.strip()) if text else None
        if not m:
            return None
        sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
        row, col = split_ref(m.group(3))
        return DefinedCell(name, sheet, row, col)

    def sheet_xml(self, sheet: str) -> str:
        part = self.sheets[sheet].part
        return self.part_text(part)

    # ------------------------------------------------------------------ new parts
    def part_text(self, part: str) -> str:
        """A member's text as it stands (edited, added or as read)."""
        return (self._changed[part] if part in self._changed else self.data[part]).decode("utf-8")

    def stored_bytes(self, part: str) -> bytes | None:
        """A member's bytes as read, not kept (None where it is not there): see ``Members.uncached``."""
        return self.data.uncached(part) if part in self.data else None  # type: ignore[attr-defined]

    def info(self, part: str) -> zipfile.ZipInfo | None:
        """A member's zip entry as read (None for a new one)."""
        return next((i for i in self.infos if i.filename == part), None)

    def infos_size(self, part: str) -> int:
        """A member's size as stored (0 for a new one): what it costs to read."""
        info = self.info(part)
        return info.compress_size if info is not None else 0

    def _offloadable(self) -> list[zipfile.ZipInfo]:
        """The sheet parts as big as :data:`OFFLOAD_BYTES` (what a second process may patch), the
        biggest first."""
        parts = {s.part for s in self.sheets.values()}
        return sorted((i for i in self.infos if i.filename in parts and i.file_size >= OFFLOAD_BYTES),
                      key=lambda i: i.file_size, reverse=True)

    def preload(self, helper: SecondProcess, parts: int = 2) -> None:
        """Sends the ``parts`` biggest sheet parts as big as :data:`OFFLOAD_BYTES` to ``helper`` as
        stored, to be inflated while it waits for work: those a job sends early (Collaborations, the
        ledger) then cost it only their patch."""
        for info in self._offloadable()[:parts]:
            raw = self.data.raw(info)  # type: ignore[attr-defined]
            if raw is not None:
                helper.preload(raw, info.file_size, info.CRC)

    def worth_a_second_process(self) -> bool:
        """Whether a save of this package may hand a sheet to a second process (a sheet part as big
        as :data:`OFFLOAD_BYTES`): the caller starts one early, before the save."""
        return bool(self._offloadable())

    def has_part(self, part: str) -> bool:
        return part in self.data or part in self._added

    def add_part(self, part: str, data: bytes, content_type: str) -> None:
        """A new member with its content type (written after the members read)."""
        if self.has_part(part):
            raise PackageError(f"part {part} already exists")
        self._changed[part] = data
        self._added.append(part)
        ct = self.part_text("[Content_Types].xml")
        override = f'<Override PartName="/{part}" ContentType="{content_type}"/>'
        self._changed["[Content_Types].xml"] = ct.replace("</Types>", override + "</Types>").encode("utf-8")

    def add_worksheet(self, name: str, sheet_xml: str, *, hidden: bool, table: TablePart | None = None,
                      table_xml: str | None = None) -> None:
        """A new worksheet (with its Excel Table), appended after the last sheet so that no sheet's
        position, which sheet-scoped names and print areas go by, moves."""
        names = [*self.data, *self._added]
        n = 1 + max([int(m) for p in names for m in re.findall(r"^xl/worksheets/sheet(\d+)\.xml$", p)] or [0])
        part = f"xl/worksheets/sheet{n}.xml"
        self.add_part(part, sheet_xml.encode("utf-8"), _CT + "worksheet+xml")
        if table is not None and table_xml is not None:
            self.add_part(table.part, table_xml.encode("utf-8"), _CT + "table+xml")
            rel = posixpath.relpath(table.part, posixpath.dirname(part))
            self.add_part(_rels_path(part), (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                             f'<Relationships xmlns="{NS["rel"]}"><Relationship Id="rId1" '
                                             f'Type="{NS["r"]}/table" Target="{rel}"/></Relationships>').encode(),
                          "application/vnd.openxmlformats-package.relationships+xml")
            self.tables[table.name] = table
        rels = self.part_text("xl/_rels/workbook.xml.rels")
        rid = 1 + max([int(m) for m in re.findall(r'Id="rId(\d+)"', rels)] or [0])
        rels = rels.replace("</Relationships>", f'<Relationship Id="rId{rid}" Type="{NS["r"]}/worksheet" '
                                                f'Target="worksheets/sheet{n}.xml"/></Relationships>')
        self._changed["xl/_rels/workbook.xml.rels"] = rels.encode("utf-8")
        wb = self.part_text("xl/workbook.xml")
        sheet_id = 1 + max([int(m) for m in re.findall(r'<sheet\b[^>]*\bsheetId="(\d+)"', wb)] or [0])
        state = ' state="hidden"' if hidden else ""
        entry = f'<sheet name="{_attr(name)}" sheetId="{sheet_id}"{state} r:id="rId{rid}"/>'
        wb = wb.replace("</sheets>", entry + "</sheets>")
        self._changed["xl/workbook.xml"] = wb.encode("utf-8")
        self.sheets[name] = SheetPart(name, part, "hidden" if hidden else "visible")

    def next_table_id(self) -> tuple[int, str]:
        """(id, part name) for a new Excel Table: ids are unique in the workbook."""
        ids = [int(m) for t in self.tables.values() for m in re.findall(r'<table\b[^>]*?\bid="(\d+)"',
                                                                         self.part_text(t.part))]
        parts = [int(m) for p in [*self.data, *self._added] for m in re.findall(r"^xl/tables/table(\d+)\.xml$", p)]
        return 1 + max(ids or [0]), f"xl/tables/table{1 + max(parts or [0])}.xml"

    # ------------------------------------------------------------------ edits
    def _edit(self, sheet: str) -> SheetEdit:
        if sheet not in self.sheets:
            raise PackageError(f"no worksheet named {sheet!r} / 没有工作表 {sheet!r}")
        return self._edits.setdefault(sheet, SheetEdit())

    def set_cell(self, sheet: str, row: int, col: int, value: Any) -> None:
        self._edit(sheet).set(row, col, value)

    def table_ref(self, table: str) -> tuple[int, int, int, int]:
        return self._table_refs.get(table, self.tables[table].ref)

    def set_table_value(self, table: str, row: int, col: int, value: Any) -> None:
        """Writes inside a table; cells that do not exist yet take the style of the first data row."""
        t = self.tables[table]
        edit = self._edit(t.sheet)
        r1, c1, r2, c2 = self.table_ref(table)
        if not (c1 <= col <= c2):
            raise PackageError(f"column {col} is outside table {table}")
        if table not in self._regions:
            self._regions.add(table)
            edit.regions.append(Region(t.first_data_row, c1, 1_048_576, c2, t.first_data_row))
        edit.values.setdefault(row, {})[col] = value

    def set_table_rows(self, table: str, rows: dict[int, dict[int, Any]], *, owned: bool = False) -> None:
        """Many :meth:`set_table_value` calls at once (row -> sheet column -> value); ``owned``: the
        caller made the row dicts for this call, so they are kept as they are, not copied."""
        if not rows:
            return
        t = self.tables[table]
        edit = self._edit(t.sheet)
        _, c1, _, c2 = self.table_ref(table)
        if table not in self._regions:
            self._regions.add(table)
            edit.regions.append(Region(t.first_data_row, c1, 1_048_576, c2, t.first_data_row))
        bad = sorted(c for c in set().union(*rows.values()) if not c1 <= c <= c2)  # checked once, not a row at a time
        if bad:
            raise PackageError(f"column {bad[0]} is outside table {table}")
        have = edit.values
        for row, values in rows.items():
            found = have.get(row)
            if found is None:
                have[row] = values if owned else dict(values)  # else the caller's dict stays the caller's
            else:
                found.update(values)

    def resize_table(self, table: str, last_data_row: int) -> None:
        """Grows (copying the last row's styles and formulas) or shrinks a table to end at a row."""
        t = self.tables[table]
        if t.totals_rows:
            raise PackageError(f"table {table} has a totals row; resizing it is not supported")
        r1, c1, r2, c2 = self.table_ref(table)
        last_data_row = max(last_data_row, t.first_data_row)  # a table keeps one data row
        if last_data_row == r2:
            return
        edit = self._edit(t.sheet)
        if last_data_row > r2:
            edit.growths.append(Growth(c1, c2, r2, r2 + 1, last_data_row, dict(t.calculated), t.first_data_row))
        else:
            edit.clears.append((last_data_row + 1, c1, r2, c2))
        self._table_refs[table] = (r1, c1, last_data_row, c2)

    # ------------------------------------------------------------------ saving
    def _apply(self, ready: Callable[[str], None] | None = None, helper: SecondProcess | None = None) -> None:
        """Applies the collected edits; ``ready(part)`` is called as each sheet part is final. The
        largest part may go to ``helper`` (see :mod:`.part_patch`), its result kept deflated, as
        may those :meth:`send_final` sent before."""
        edited = {self.sheets[s].part for s, e in self._edits.items() if e}
        for part in [p for p in self._sent if p in edited]:
            self._receive(part, ready, into_xml=True)  # edited again since it was sent: patched further here
        busy = any(not job.done() for job, _ in self._sent.values())  # the next job would wait its turn
        sent = {**self._sent, **({} if busy else self._offload(helper))}
        self._sent = {}
        for sheet, edit in self._edits.items():
            part = self.sheets[sheet].part
            if edit and part not in sent:
                self._patch(part, edit, ready)
        for part, (job, edit) in sent.items():
            self._sent[part] = (job, edit)
            self._receive(part, ready)
        for table, ref in self._table_refs.items():
            t = self.tables[table]
            if ref == t.ref:
                continue
            self._names_follow(t, ref[2])
            text = self.part_text(t.part)
            new = range_ref(*ref)
            keep_ends = rf"\g<1>{new}\g<2>"  # a range such as A1:Z13 holds no backslash or group reference
            text = re.sub(r'(<table\b[^>]*?\bref=")[^"]*(")', keep_ends, text, count=1)
            text = re.sub(r'(<(?:autoFilter|sortState)\b[^>]*?\bref=")[^"]*(")', keep_ends, text)
            self._changed[t.part] = text.encode("utf-8")
        self._edits.clear()
        self._regions.clear()

    def _receive(self, part: str, ready: Callable[[str], None] | None, into_xml: bool = False) -> None:
        """Takes a sent part's answer (deflated, or as XML when ``into_xml``), or patches the part
        here when the second process failed, vanished or hangs."""
        job, edit = self._sent.pop(part)
        try:  # once one answer failed or never came, the others are not waited for
            raw, crc, size, removed = job.result(timeout=0 if self._helper_failed else OFFLOAD_WAIT)
            xml = inflate(raw, size, crc) if into_xml else None
            if into_xml and xml is None:
                raise PackageError(f"{part}: the second process's part does not check out")
        except Exception:  # noqa: BLE001 - patched here instead; the saved bytes are the same
            self._helper_failed = True
            self._patch(part, edit, ready)
            return
        if xml is not None:
            self._changed[part] = xml
        else:
            self._deflated[part] = (raw, crc, size)
        if removed:
            self._drop_calc_chain()

    def send_final(self, sheets: list[str], helper: SecondProcess | None) -> list[str]:
        """Hands the edits collected so far of the big ones of ``sheets`` to ``helper`` now, while
        the caller goes on with other work; returns the sheets sent. For sheets a job will not
        edit again (it may, at a cost: their answer is then patched further here at the save)."""
        sent = []
        for sheet in sheets:
            edit, part = self._edits.get(sheet), self.sheets[sheet].part if sheet in self.sheets else ""
            if edit and helper is not None and part not in self._sent and self._submit(part, edit, helper):
                del self._edits[sheet]
                self._regions -= {name for name, t in self.tables.items() if t.sheet == sheet}
                sent.append(sheet)
        return sent

    def _submit(self, part: str, edit: SheetEdit, helper: SecondProcess) -> bool:
        """Sends one sheet part's edit to ``helper`` if the part is big and as read (False if not sent)."""
        info = self.info(part)
        if info is None or part in self._changed or info.file_size < OFFLOAD_BYTES or self._helper_failed:
            return False
        raw = self.data.raw(info)  # type: ignore[attr-defined]
        job = helper.submit(raw, info.file_size, info.CRC, edit, self.date1904) if raw is not None else None
        if job is not None:
            self._sent[part] = (job, edit)
        return job is not None

    def _patch(self, part: str, edit: SheetEdit, ready: Callable[[str], None] | None) -> None:
        current = self._changed[part] if part in self._changed else self.data[part]
        self._changed[part], removed = patch_part(current, edit, self.date1904)
        del current
        if ready is not None:
            ready(part)
        if removed:
            self._drop_calc_chain()

    def _offload(self, helper: SecondProcess | None) -> dict[str, tuple[Future, SheetEdit]]:
        """The largest edited sheet part, sent to ``helper`` when it is big and another sheet is
        patched here meanwhile (nothing to gain otherwise)."""
        edited = [(self.infos_size(self.sheets[s].part), s) for s, e in self._edits.items() if e]
        if helper is None or len(edited) < 2:
            return {}
        _, sheet = max(edited)
        part = self.sheets[sheet].part
        if not self._submit(part, self._edits[sheet], helper):
            return {}
        return {part: self._sent.pop(part)}

    def _names_follow(self, t: TablePart, new_last: int) -> None:
        """Defined names over a table's rows (its sheet's print area, a settings table's name) end
        where the table now ends, so a printed sheet shows every row and no empty pages."""
        part = "xl/workbook.xml"
        text = self.part_text(part)
        old_last = t.last_data_row  # as read; the table may have been resized more than once since

        def area(m: re.Match) -> str:
            sheet = (m.group(2) or "").replace("''", "'") or m.group(3)
            try:
                r1, c1, r2, c2 = parse_range(m.group(4).replace("$", ""))
            except ValueError:
                return m.group(0)
            if sheet != t.sheet or not follows_table((r1, c1, r2, c2), t.first_col, t.last_col, t.first_data_row,
                                                    old_last, new_last):
                return m.group(0)
            return f"{m.group(1)}!${col_letter(c1)}${r1}:${col_letter(c2)}${new_last}"

        def name(m: re.Match) -> str:
            return m.group(1) + _NAME_AREA.sub(area, m.group(2)) + m.group(3)

        new = _DEFINED_NAME.sub(name, text)
        if new != text:
            self._changed[part] = new.encode("utf-8")

    def _drop_calc_chain(self) -> None:
        """calcChain.xml lists formula cells; a stale entry makes Excel offer to repair the file, while a
        missing chain is simply rebuilt. It goes whenever a formula cell is removed (openpyxl always drops it)."""
        if "xl/calcChain.xml" not in self.data or "xl/calcChain.xml" in self._removed:
            return
        self._removed.add("xl/calcChain.xml")
        ct = self.part_text("[Content_Types].xml")
        ct = re.sub(r'<Override\b[^>]*PartName="/xl/calcChain\.xml"[^>]*/>', "", ct)
        self._changed["[Content_Types].xml"] = ct.encode("utf-8")
        rels = self.part_text("xl/_rels/workbook.xml.rels")
        rels = re.sub(r'<Relationship\b[^>]*Target="(?:/xl/)?calcChain\.xml"[^>]*/>', "", rels)
        self._changed["xl/_rels/workbook.xml.rels"] = rels.encode("utf-8")

    def save(self, target: str | Path | IO[bytes], helper: SecondProcess | None = None) -> None:
        """Writes the package: changed parts re-serialised, every other member copied as it was read.

        Unchanged members are copied still compressed (no inflate/deflate round trip); large changed
        parts are deflated on a second thread while the next sheet is patched (zlib releases the GIL),
        the largest in ``helper``'s process when there is one. The package is not read after a save.
        """
        with ThreadPoolExecutor(max_workers=2) as pool:
            deflated: dict[str, Future] = {}

            def ready(part: str) -> None:
                data = self._changed[part]
                if len(data) > BIG_PART:
                    deflated[part] = pool.submit(deflate, data)

            self._apply(ready, helper)
            with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
                for info in self.infos:
                    if info.filename in self._removed:
                        continue
                    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    new.compress_type = info.compress_type
                    new.external_attr = info.external_attr
                    new.create_system = info.create_system
                    if info.filename in self._deflated:
                        raw_deflated, crc, size = self._deflated[info.filename]
                        if write_raw(z, new, raw_deflated, crc, size):
                            continue
                        inflated = inflate(raw_deflated, size, crc)
                        if inflated is None:
                            raise PackageError(f"{info.filename}: the second process's part does not check out; "
                                               "nothing was saved / 工作表数据校验失败，未保存")
                        data = inflated
                    elif info.filename in self._changed:
                        data = self._changed[info.filename]
                        job = deflated.get(info.filename)
                        if job is not None and info.compress_type == zipfile.ZIP_DEFLATED:
                            raw_deflated, crc = job.result()
                            if write_raw(z, new, raw_deflated, crc, len(data)):
                                continue
                    else:
                        raw = self.data.raw(info)  # type: ignore[attr-defined]
                        if raw is not None and write_raw(z, new, raw, info.CRC, info.file_size):
                            continue
                        data = self.data[info.filename]
                    z.writestr(new, data, compresslevel=1 if len(data) > BIG_PART else None)
                stamp = self.infos[0].date_time if self.infos else (1980, 1, 1, 0, 0, 0)
                for part in self._added:
                    z.writestr(zipfile.ZipInfo(part, date_time=stamp), self._changed[part],
                               compress_type=zipfile.ZIP_DEFLATED)
