"""What every part agrees on: the schema read from ``templates/`` (:mod:`.schema`), the Settings
(:mod:`.settings`), creator keys (:mod:`.keys`, whole columns in :mod:`.key_columns`), the one parser
of cell text and the one blank-cell rule (:mod:`.cells`), the input checks that type a sheet's
columns (:mod:`.coerce`) and the problems they report (:mod:`.problems`), currencies (:mod:`.fx`),
the one error root (:mod:`.errors`) and the small helpers they share.

It imports nothing else of the project, so the engine, the importers, the workbook, the jobs and
``sheets_sync`` can all build on it. Change here what changes the meaning of a cell.
"""
