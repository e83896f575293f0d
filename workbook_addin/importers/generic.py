"""Formats nobody coded, described by rows of the Settings sheet's import map.

Each row says: in files of format ``format``, the column ``source_column`` fills ``target_column``
(a field name such as ``views`` or ``post_url``, or a collaborations column's label such as
"播放量 Views"), and optionally ``match_by`` (post_url, video_id, promo_code, utm_campaign, handle)
restricts how the rows are matched. A file is recognised when its header holds a source column for
every target. Mapping ``order_id`` makes a shop format whose rows are aggregated like Shopify's.
A new format is therefore a few rows in the workbook, not code.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ..core.schema import load_schema
from .formats import FIELD_TYPES, Format, norm_header
from .problems import Problem

MATCH_KEYS = ("post_url", "video_id", "promo_code", "utm_campaign", "handle")
_SHEET = "设置 Settings · 导入映射 Import map"


def _target_names() -> dict[str, str]:
    """Accepted spellings of a target -> field: the field itself and the collaborations labels."""
    names = {norm_header(f): f for f in FIELD_TYPES}
    for col in load_schema().sheet("collaborations").columns:
        if col.key in FIELD_TYPES:
            for label in (col.header, col.zh, col.en):
                names.setdefault(norm_header(label), col.key)
    return names


def mapping_rows(mapping: Any) -> list[dict[str, Any]]:
    """Mapping rows as dicts, from a DataFrame, a list of dicts or a list of 3-4 tuples."""
    if mapping is None:
        return []
    if isinstance(mapping, pd.DataFrame):
        return mapping.to_dict("records")
    rows = []
    for r in mapping:
        if isinstance(r, Mapping):
            rows.append(dict(r))
        else:
            rows.append(dict(zip(("format", "source_column", "target_column", "match_by"), r)))
    return rows


def formats_from_mapping(mapping: Any) -> tuple[list[Format], list[Problem]]:
    """The generic formats the mapping describes, and a problem for each row that cannot be used."""
    targets = _target_names()
    problems: list[Problem] = []
    grouped: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(mapping_rows(mapping)):
        excel_row = i + 2
        name = str(row.get("format") or "").strip()
        source = str(row.get("source_column") or "").strip()
        target_raw = str(row.get("target_column") or "").strip()
        if not (name or source or target_raw):
            continue
        if not name or not source or not target_raw:
            missing = ("格式名 Format name" if not name else "源列名 Source column" if not source
                       else "目标列 Target column")
            problems.append(Problem(_SHEET, excel_row, missing, "映射行不完整 mapping row is incomplete; row ignored"))
            continue
        target = targets.get(norm_header(target_raw))
        if target is None:
            problems.append(Problem(_SHEET, excel_row, "目标列 Target column",
                                    f"未知目标列 unknown target {target_raw!r}; use one of: "
                                    f"{', '.join(sorted(FIELD_TYPES))}", target_raw))
            continue
        spec = grouped.setdefault(name, {"aliases": {}, "match_by": []})
        spec["aliases"].setdefault(target, []).append(source)
        for key in _split(row.get("match_by")):
            if key not in MATCH_KEYS:
                problems.append(Problem(_SHEET, excel_row, "匹配方式 Match by",
                                        f"未知匹配方式 unknown match key {key!r}; use {', '.join(MATCH_KEYS)}", key))
            elif key not in spec["match_by"]:
                spec["match_by"].append(key)
    formats = []
    for name, spec in grouped.items():
        aliases = {t: tuple(s) for t, s in spec["aliases"].items()}
        formats.append(Format(
            name=name, label=f"{name} (导入映射 import map)", platform=None,
            kind="orders" if "order_id" in aliases else "posts",
            aliases=aliases, required=tuple((t,) for t in aliases), match_by=tuple(spec["match_by"]),
        ))
    return formats, problems


def _split(value: Any) -> Iterable[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [p.strip().casefold() for p in str(value).replace(";", ",").split(",") if p.strip()]
