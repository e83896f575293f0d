"""The declarative description of the workbook (schema.toml, settings.toml, sample data).

Kept as a package so the files ship inside the wheel and every part loads them the same way,
through :mod:`workbook_addin.core.schema`.
"""
