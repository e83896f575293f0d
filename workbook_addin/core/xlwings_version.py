"""The one xlwings version the workbook runs with, and the words a person sees when theirs differs.

The workbook carries xlwings' standalone VBA module, copied at build time from the installed
package (:mod:`.vba`). That module names its native parts after its own version: the Windows DLL
the functions load (``xlwings64-0.37.8.dll``, installed by ``pip install xlwings==0.37.8`` next to
python.exe) and, on a Mac, the AppleScript the button calls (``xlwings-0.37.8.applescript``, put in
place by ``xlwings runpython install``). Any other installed version ships differently named files,
so the functions cannot load their DLL and a Mac button cannot find its script. Hence
``pyproject.toml`` pins xlwings to exactly :data:`REQUIRED`, the build refuses any other version,
and a test reads the version back out of the built workbook's VBA.

Where Python does run with another version (the Windows button always starts Python; a stale DLL
may start the functions), the button shows :func:`problem` and a function raises it for the VBA
wrapper to show. Where Python cannot start, the VBA says the same (:mod:`.vba_problems`).

None of this concerns xlwings Lite: there the functions run in the add-in's own Pyodide with the
xlwings its ``requirements.txt`` installs, and no VBA, DLL or AppleScript is involved
(:func:`classic_runtime` tells the two apart).
"""
from __future__ import annotations

import functools
import os
import sys
from .errors import LianxingError

#: The xlwings release whose standalone VBA module is inside the workbook; pyproject pins it.
REQUIRED = "0.37.8"


def pip_command(version: str = REQUIRED) -> str:
    """The exact command that installs the xlwings this workbook needs."""
    return f"pip install xlwings=={version}"


def installed_version() -> str | None:
    """The xlwings version this Python would use, or None when it is not installed."""
    try:
        import xlwings
    except ImportError:
        return None
    version = getattr(xlwings, "__version__", None)
    return None if version is None else str(version)


def classic_runtime() -> bool:
    """Whether this is classic (desktop) xlwings, with its ``udfs.py`` UDF server, rather than xlwings
    Lite's Pyodide (or any xlwings without that module), where no version needs to match."""
    if sys.platform == "emscripten":
        return False
    try:
        import xlwings
    except ImportError:
        return True  # no xlwings at all: the classic message says what to install
    path = list(getattr(xlwings, "__path__", None) or [])
    return bool(path) and os.path.isfile(os.path.join(path[0], "udfs.py"))


def problem(installed: str | None = None) -> str | None:
    """A bilingual message when ``installed`` (default: this Python's xlwings) is not :data:`REQUIRED`."""
    found = installed_version() if installed is None else installed
    if found == REQUIRED:
        return None
    have_zh = f"当前 Python 安装的是 {found}" if found else "当前 Python 没有安装 xlwings"
    have_en = f"this Python has {found}" if found else "this Python has no xlwings"
    return (f"xlwings 版本不符：本工作簿需要 xlwings {REQUIRED}，{have_zh}。"
            f"请在命令行运行 {pip_command()}，然后重新打开 Excel。\n"
            f"Wrong xlwings version: this workbook needs xlwings {REQUIRED}, {have_en}. "
            f"Run {pip_command()} in a terminal, then restart Excel.")


class WrongXlwings(LianxingError, RuntimeError):
    """Raised by a function running under classic xlwings of another version. The workbook's VBA
    wrapper recognises the message (it holds the pip command), shows it once and keeps the cell's
    last-refresh value; a traceback never reaches a cell."""


def classic_functions_here() -> bool:
    """Classic xlwings runs worksheet functions only on Windows (COM). Elsewhere the functions are
    called by other hosts (the tests, xlwings Lite's Pyodide) whose xlwings is not the VBA's."""
    return sys.platform == "win32" and classic_runtime()


def classic_button_here() -> bool:
    """The button runs classic xlwings' RunPython on Windows and Mac, never under Lite's Pyodide."""
    return classic_runtime()


@functools.cache
def _function_problem() -> str | None:
    return problem() if classic_functions_here() else None


def check_function_host() -> None:
    """Raise :class:`WrongXlwings` when classic xlwings of another version runs the functions
    (checked once per Python process: a new xlwings only takes effect after Excel restarts Python)."""
    found = _function_problem()
    if found:
        raise WrongXlwings(found)


def button_problem() -> str | None:
    """The message the button shows instead of refreshing, or None."""
    return problem() if classic_button_here() else None
