"""What every part agrees on: the schema read from ``templates/``, the Settings, creator keys, the
parsing of cell text into typed values, currencies, and the small helpers they share.

It imports nothing else of the project, so the engine, the importers, the workbook, the jobs and
``sheets_sync`` can all build on it. Change here what changes the meaning of a cell.
"""
