"""The README's main job on the bundled example, headless, as one library call.

Build the sample workbook, refresh it from the sample platform and shop exports
(``templates/sample/exports``), sync the creators to the local SQLite archive beside it and
evaluate the result: the same path a team's nightly run takes, so the quick start proves it.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..engine import INPUT_SHEETS, Evaluation, evaluate
from ..workbook.build import build_workbook
from ..workbook.tables_io import read_workbook
from .refresh import RefreshReport, refresh_workbook


@dataclass
class DemoRun:
    """What the demo made: the workbook, the refresh's report, the evaluation and the archive file."""

    workbook: Path
    refresh: RefreshReport
    evaluation: Evaluation
    archive: Path


def copy_sample_exports(folder: Path) -> Path:
    """Copies the bundled export files into ``folder`` (made if missing) so a refresh can read them."""
    folder.mkdir(parents=True, exist_ok=True)
    for item in resources.files("templates").joinpath("sample", "exports").iterdir():
        if item.is_file():
            (folder / item.name).write_bytes(item.read_bytes())
    return folder


def demo(out_dir: str | Path) -> DemoRun:
    """Builds, refreshes, syncs and evaluates the sample workbook in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    book = out_dir / "Lianxing_Evaluation.xlsm"
    build_workbook(book)
    report = refresh_workbook(book, copy_sample_exports(out_dir / "exports"))
    data = read_workbook(book)
    settings, _ = data.settings()
    result = evaluate({k: data.tables[k] for k in INPUT_SHEETS}, settings, today=report.run_at.date())
    archive = out_dir / str(data.settings_values.get("archive_path") or "lianxing_archive.sqlite")
    return DemoRun(book, report, result, archive)
