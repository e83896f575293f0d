"""Insights ops staff act on, computed from the workbook's tables and the engine's Evaluation.

Modules, one per question: :mod:`.stats` (Wilson intervals, lifts, medians), :mod:`.playbook`
(which outreach works), :mod:`.tier_review` (what S/A creators have in common), :mod:`.history`
(score per campaign and month), :mod:`.duplicates` (same person twice, blacklist hits),
:mod:`.reminders` (dated to-dos), :mod:`.agencies` (服务商 scorecard), :mod:`.pilot` (pilot gate),
:mod:`.quotes` (is a quoted fee in line with what the team paid before).

Scores, tiers, costs and ROI always come from ``workbook_addin.engine.evaluate``; nothing here
recomputes them.
"""

from .workbook import INSIGHT_SHEETS, workbook_tables

__all__ = ["INSIGHT_SHEETS", "workbook_tables"]
