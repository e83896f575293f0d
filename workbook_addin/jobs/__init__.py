"""The jobs a button or a nightly run starts: the refresh, writing sync results into the workbook,
and the README's demo. They compose the engine, the importers, the insights, the workbook and
``sheets_sync``; nothing below imports them.
"""
