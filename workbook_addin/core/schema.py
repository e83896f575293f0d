"""Loads ``templates/schema.toml`` and ``templates/settings.toml`` into typed objects.

Every part of the product (builder, importers, engine input checks, sync) asks this module which
sheets and columns exist instead of carrying its own column list, so adding a column is one edit in
``templates/``.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from collections.abc import Iterable
from typing import Any

COLUMN_TYPES = {"text", "integer", "number", "money", "percent", "date", "datetime", "url", "enum", "bool"}
NUMERIC_TYPES = {"integer", "number", "money", "percent"}
ROLES = {"input", "computed"}


@dataclass(frozen=True)
class EnumValue:
    code: str
    label: str


@dataclass(frozen=True)
class Enum:
    """An allowed-values list; inputs may be given as code, label, or either half of the label."""

    name: str
    values: tuple[EnumValue, ...]

    @property
    def codes(self) -> list[str]:
        return [v.code for v in self.values]

    @property
    def labels(self) -> list[str]:
        return [v.label for v in self.values]

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Kept on the value: finding it by the enum's hash hashed every value each call (10 000 creator
        keys an export)."""
        return _enum_lookup(self)

    def normalise(self, value: Any) -> str | None:
        """The code for ``value``, or None when it is not one of the allowed values."""
        if value is None:
            return None
        return self.lookup.get(str(value).strip().casefold())

    def label_of(self, code: str) -> str:
        for v in self.values:
            if v.code == code:
                return v.label
        raise KeyError(f"{code!r} is not a value of {self.name}")


@cache
def _enum_lookup(enum: Enum) -> dict[str, str]:
    exact: dict[str, str] = {}
    partial: dict[str, set[str]] = {}
    for v in enum.values:
        exact.setdefault(v.code.casefold(), v.code)
        exact.setdefault(v.label.casefold(), v.code)
        # "Instagram 私信 DM": also accept every tail and head of the label ("私信 DM", "Instagram").
        parts = v.label.split(" ")
        for i in range(1, len(parts)):
            for piece in (" ".join(parts[i:]), " ".join(parts[:i])):
                partial.setdefault(piece.casefold(), set()).add(v.code)
    # A piece shared by two values ("DM") is ambiguous and accepted for neither.
    for piece, codes in partial.items():
        if len(codes) == 1:
            exact.setdefault(piece, codes.pop())
    return exact


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    type: str
    role: str = "input"
    enum: str | None = None
    currency: str | None = None
    sync: bool = False
    personal: bool = False
    required: bool = False
    external: bool = False
    min: float | None = None
    max: float | None = None
    width: float | None = None
    help_zh: str = ""
    help_en: str = ""

    @property
    def header(self) -> str:
        """The bilingual header shown in the workbook, Chinese first ("ROI", not "ROI ROI")."""
        return self.en if self.zh == self.en else f"{self.zh} {self.en}"

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def is_input(self) -> bool:
        return self.role == "input"


def normalise_header(text: Any) -> str:
    """Header text as compared: white space folded, case ignored."""
    return re.sub(r"\s+", " ", str(text or "")).strip().casefold()


def header_map(columns: Iterable[Column]) -> dict[str, str]:
    """Normalised header text -> column key, for every reader of a sheet's header row.

    Accepts the bilingual header, the zh or en half and the key, because people rename or
    shorten headers and old workbooks differ: "<zh> <en>" is accepted even where the header now
    shows a label once ("ROAS", not "ROAS ROAS"), or a workbook built before that change would lose
    the column. A full header always wins over a half shared with another column.
    """
    columns = list(columns)
    out: dict[str, str] = {}
    for c in columns:
        for label in (c.header, f"{c.zh} {c.en}", c.key):
            out.setdefault(normalise_header(label), c.key)
    for c in columns:
        for label in (c.zh, c.en):
            out.setdefault(normalise_header(label), c.key)
    return out


@dataclass(frozen=True)
class Sheet:
    key: str
    name: str
    table: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    row_key: tuple[str, ...] = ()
    synced: bool = False
    computed: bool = False
    hidden: bool = False
    help_zh: str = ""
    help_en: str = ""

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(f"sheet {self.name!r} has no column {key!r}")

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def input_columns(self) -> list[Column]:
        return [c for c in self.columns if c.is_input]

    @property
    def computed_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.is_input]

    @property
    def synced_columns(self) -> list[Column]:
        return [c for c in self.columns if c.sync]


@dataclass(frozen=True)
class Setting:
    key: str
    group: str
    zh: str
    en: str
    type: str
    value: Any
    source: str = ""
    enum: str | None = None

    @property
    def name(self) -> str:
        """Excel named range holding the value (e.g. ``set_tier_s``)."""
        return f"set_{self.key}"


@dataclass(frozen=True)
class SettingsTable:
    """A small table on the Settings sheet (ER benchmarks, FX rates, import mapping)."""

    key: str
    table: str
    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


@dataclass(frozen=True)
class Schema:
    enums: dict[str, Enum]
    sheets: tuple[Sheet, ...]
    settings: tuple[Setting, ...]
    settings_tables: dict[str, SettingsTable]
    settings_sheet: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def sheet(self, key: str) -> Sheet:
        for s in self.sheets:
            if s.key == key:
                return s
        raise KeyError(f"no sheet {key!r} in the schema")

    def setting(self, key: str) -> Setting:
        for s in self.settings:
            if s.key == key:
                return s
        raise KeyError(f"no setting {key!r} in the schema")

    def default_settings(self) -> dict[str, Any]:
        return {s.key: s.value for s in self.settings}


def _column(raw: dict[str, Any], where: str, enums: dict[str, Enum]) -> Column:
    col = Column(**raw)
    if col.type not in COLUMN_TYPES:
        raise ValueError(f"{where}: column {col.key!r} has unknown type {col.type!r}")
    if col.role not in ROLES:
        raise ValueError(f"{where}: column {col.key!r} has unknown role {col.role!r}")
    if col.type == "enum" and col.enum not in enums:
        raise ValueError(f"{where}: column {col.key!r} names unknown enum {col.enum!r}")
    return col


def _read(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files("templates").joinpath(name).read_text(encoding="utf-8"))


def parse_schema(schema_doc: dict[str, Any], settings_doc: dict[str, Any]) -> Schema:
    """Builds a :class:`Schema` from the two parsed TOML documents, checking them as it goes."""
    enums = {
        name: Enum(name, tuple(EnumValue(**v) for v in values))
        for name, values in schema_doc["enums"].items()
    }
    sheets = []
    for raw in schema_doc["sheets"]:
        raw = dict(raw)
        cols = tuple(_column(c, raw["name"], enums) for c in raw.pop("columns"))
        keys = [c.key for c in cols]
        if len(set(keys)) != len(keys):
            raise ValueError(f"sheet {raw['name']!r} repeats a column key")
        for c in cols:
            if c.type == "money" and c.currency and c.currency not in keys:
                raise ValueError(f"{raw['name']}: {c.key} names missing currency column {c.currency!r}")
        row_key = tuple(raw.pop("row_key", ()))
        missing = set(row_key) - set(keys)
        if missing:
            raise ValueError(f"{raw['name']}: row_key names unknown columns {sorted(missing)}")
        sheets.append(Sheet(columns=cols, row_key=row_key, **raw))
    settings = tuple(Setting(**s) for s in settings_doc["settings"])
    tables = {}
    for key in ("er_benchmarks", "fx_rates", "import_map"):
        raw = settings_doc[key]
        cols = tuple(_column(c, key, enums) for c in raw["columns"])
        rows = tuple(tuple(r) for r in raw["rows"])
        for r in rows:
            if len(r) != len(cols):
                raise ValueError(f"settings {key}: row {r!r} has {len(r)} values for {len(cols)} columns")
        tables[key] = SettingsTable(key, raw["table"], raw["name"], cols, rows)
    return Schema(enums, tuple(sheets), settings, tables, dict(settings_doc["sheet"]), dict(schema_doc.get("meta", {})))


@cache
def load_schema() -> Schema:
    """The product's schema, read once from the ``templates`` package."""
    return parse_schema(_read("schema.toml"), _read("settings.toml"))
