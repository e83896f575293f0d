"""The bundled example: about a dozen clearly fictional creators (handles end in ``_demo``).

The CSV files in ``templates/sample/`` use schema column keys as headers and leave computed columns
out, so they are exactly what a person would type into the workbook. They exercise every input
column and every rule of the engine (a blacklisted creator, a high fake-follower rate, a follower
jump, a missing #ad disclosure, a false claim, unpublished posts, several currencies), which is why
``lianxing demo``, the README example and the tests all start from them.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

#: sheet key -> CSV file name in ``templates/sample/``.
SAMPLE_FILES = {
    "creators": "creators.csv",
    "outreach": "outreach.csv",
    "collaborations": "collaborations.csv",
    "reviews": "reviews.csv",
    "snapshots": "snapshots.csv",
}


def read_csv_tables(folder) -> dict[str, pd.DataFrame]:
    """Reads ``<sheet key>.csv`` files from ``folder`` as raw text (the engine coerces types).

    Cells are kept as strings, exactly as typed, so "1,900,000" or "4%" reach the engine's input
    checks unchanged; empty cells become missing values. Missing files are simply left out.
    """
    folder = Path(folder) if isinstance(folder, str) else folder
    tables: dict[str, pd.DataFrame] = {}
    for key, name in SAMPLE_FILES.items():
        path = folder.joinpath(name)
        if not path.is_file():
            continue
        with path.open("r", encoding="utf-8-sig") as fh:
            tables[key] = pd.read_csv(fh, dtype=object, keep_default_na=False, na_values=[""])
    return tables


def load_sample() -> dict[str, pd.DataFrame]:
    """The bundled fictional example tables, keyed by schema sheet key."""
    return read_csv_tables(resources.files("templates").joinpath("sample"))
