"""``lianxing schema``: list the workbook's sheets and columns as templates/ declares them."""
from __future__ import annotations

import argparse

from .registry import command


def _no_arguments(_: argparse.ArgumentParser) -> None:
    pass


@command("schema", "list the workbook's sheets and columns from templates/", _no_arguments)
def _schema(args: argparse.Namespace) -> int:
    from ..core.schema import load_schema

    for sheet in load_schema().sheets:
        print(f"{sheet.name}  [{sheet.table}]  {len(sheet.columns)} columns")
        for col in sheet.columns:
            flags = ",".join(f for f, on in (("sync", col.sync), ("personal", col.personal), ("required",
                                                                                              col.required)) if on)
            print(f"    {col.key:<24} {col.type:<9} {col.role:<9} {col.header}  {flags}")
    return 0
