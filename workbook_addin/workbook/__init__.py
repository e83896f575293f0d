"""The ``.xlsm`` file: building it from ``templates/`` with XlsxWriter (sheets, formats, the Settings
sheet, the dashboard, the guide, the formulas, the VBA project), reading its tables back and patching
it in place (``tables_io`` and ``xlsx/``). Change here what changes how the workbook looks or is stored.
"""
