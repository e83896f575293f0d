"""LibreOffice, driven headless through UNO: opening built workbooks, recalculating, printing sheets
to PDF and PNG. Used to look at the workbook as a person would, where no Excel exists.
"""
