"""Keeps workbook tables and the team's shared creator archive in step.

Backends: the shared Google Sheet (gspread + google-auth) and an embedded local SQLite archive,
the default when no Google Sheet is configured.
"""
