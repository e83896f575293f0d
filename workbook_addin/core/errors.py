"""The one root of the errors this project raises on purpose.

Every such error carries a message written for the person using the workbook: what went wrong and
where, in Chinese and English where a person reads it. The fronts (the CLI, the button's message box,
a worksheet function's cell) show ``error.message`` and never a traceback, and a caller that only
wants to know "did Lianxing refuse this, and why" catches :class:`LianxingError`. Each subclass also
keeps the built-in base its callers already catch (``ValueError`` for a cell that cannot be read,
``RuntimeError`` for a workbook or archive that cannot be used).

The xlwings Lite loader is the one exception: it runs before the package is importable, so its
``BundleError`` builds on the standard library alone.
"""
from __future__ import annotations


class LianxingError(Exception):
    """An error whose message is meant for the user; ``message`` holds it (``str(error)`` too)."""

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(message, *args)
        self.message = str(message)

    def __str__(self) -> str:
        return self.message if len(self.args) <= 1 else super().__str__()
