"""Python behind the Lianxing evaluation workbook.

The evaluation engine, the xlwings functions typed in cells (``=KOL_SCORE(...)``), the macros behind
buttons, the export importers, the workbook builder and the ``lianxing`` command all live here and
all call the one engine, so a number is computed the same way wherever it shows.
"""
__version__ = "0.1.0"
