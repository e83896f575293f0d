"""``lianxing refresh WORKBOOK``: the "刷新数据 Refresh metrics" button, headless (a nightly job).

    lianxing refresh Lianxing_Evaluation.xlsm                  # exports from Settings' export folder
    lianxing refresh Lianxing_Evaluation.xlsm --exports ~/Downloads/exports --no-sync
    lianxing refresh Lianxing_Evaluation.xlsm --unmatched-csv unmatched.csv   # every row left over, in full

Exit codes: 0 refreshed (warnings and unmatched rows are listed, they do not fail the run);
1 refreshed and saved but the archive sync failed; 2 the workbook is open in Excel/LibreOffice, or
the export folder does not exist (nothing saved); 3 the workbook cannot be read or written (missing,
damaged, changed during the run).

With a terminal the progress is a bar; without one (a nightly job's log) it is one plain line per step.
"""
from __future__ import annotations

import argparse
import sys

from .registry import command


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("workbook", help="the .xlsm to refresh (saved atomically; a backup goes to backups/)")
    p.add_argument("--exports", metavar="DIR",
                   help="folder of platform/shop exports (default: Settings' export folder)")
    p.add_argument("--no-sync", action="store_true", help="do not sync the creator archive afterwards")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--unmatched-csv", metavar="FILE",
                   help="also write every unmatched export row and rejected value to this CSV (UTF-8 with BOM, for "
                        "Excel)")


class _PlainLines:
    """Progress for logs: one line per step (a bar's carriage returns leave fragments in a log file)."""

    def __init__(self, quiet: bool):
        self.quiet, self.last = quiet, ""

    def __call__(self, text: str, fraction: float) -> None:
        if not self.quiet and text != self.last:
            print(f"[{fraction:4.0%}] {text}", file=sys.stderr, flush=True)
        self.last = text

    def close(self) -> None:
        pass


def _progress_bar(quiet: bool, stream=None):
    """(closer, progress callback): a bar on a terminal, plain lines otherwise."""
    stream = stream or sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        lines = _PlainLines(quiet)
        return lines, lines
    from tqdm import tqdm

    bar = tqdm(total=100, disable=quiet, bar_format="{desc:<34}|{bar}| {elapsed}", file=stream)

    def progress(text: str, fraction: float) -> None:
        bar.set_description_str(text)
        bar.n = int(round(fraction * 100))
        bar.refresh()

    return bar, progress


@command("refresh", "刷新数据: import platform/shop exports into a workbook, recompute, sync the archive", _arguments)
def run(args: argparse.Namespace) -> int:
    from ..jobs.refresh import ExportFolderError, refresh_workbook
    from ..workbook.tables_io import WorkbookError, WorkbookLockedError

    bar, progress = _progress_bar(args.quiet)
    try:
        report = refresh_workbook(args.workbook, args.exports, sync=not args.no_sync, progress=progress)
    except (WorkbookLockedError, ExportFolderError) as exc:
        bar.close()
        print(f"错误 error: {exc}", file=sys.stderr)
        return 2
    except (WorkbookError, ValueError) as exc:
        bar.close()
        print(f"错误 error: {exc}", file=sys.stderr)
        return 3
    bar.close()
    print(report.summary())
    if args.unmatched_csv:
        report.unmatched_table().to_csv(args.unmatched_csv, index=False, encoding="utf-8-sig")
        print(f"未匹配行已写入 unmatched rows written to {args.unmatched_csv} ({len(report.unmatched_table())})")
    t = report.timings
    print("用时 time: " + ", ".join(f"{k} {v:.2f}s" for k, v in t.items()) + f"; total {sum(t.values()):.2f}s")
    if report.sync_ok is False:
        print("同步失败，工作簿已保存 The archive sync failed; the workbook itself was refreshed and saved.",
              file=sys.stderr)
        return 1
    return 0
