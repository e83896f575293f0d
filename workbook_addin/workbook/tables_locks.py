"""Refusing to write a workbook another program has open, and the errors the file side raises."""
from __future__ import annotations

from pathlib import Path
from ..core.errors import LianxingError


class WorkbookError(LianxingError, RuntimeError):
    """The workbook cannot be read or written; the message says why, in Chinese and English."""


class WorkbookLockedError(WorkbookError):
    """Excel or LibreOffice has the workbook open: saving now would fight with its own save."""


def lock_files(path: Path) -> list[Path]:
    """Lock files that say the workbook is open: Excel's ``~$Name.xlsm``, LibreOffice's ``.~lock.Name.xlsm#``."""
    path = Path(path)
    candidates = [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]
    if len(path.name) > 2:  # Excel shortens long names: ~$ replaces the first two characters
        candidates.append(path.with_name("~$" + path.name[2:]))
    return [p for p in candidates if p.exists()]


def check_not_open(path: Path) -> None:
    found = lock_files(path)
    if found:
        raise WorkbookLockedError(
            f"{Path(path).name} 正在被 Excel 或 LibreOffice 打开，请先关闭再刷新 / is open in Excel or LibreOffice "
            f"(lock file {found[0].name}); close it and run again, or use the Refresh button inside Excel.")
