"""The evaluation engine: every number (ER, CPM, ROAS, ROI, subscores, score, tier) is computed here,
over whole tables with pandas/numpy, and every front (workbook functions, refresh, report, CLI)
calls it. Change here what changes how a creator is judged.

``from workbook_addin.engine import evaluate`` is the entry point; :mod:`.evaluation` holds it.
"""
from .evaluation import Evaluation, evaluate, score_creator
from .inputs import INPUT_SHEETS

__all__ = ["INPUT_SHEETS", "Evaluation", "evaluate", "score_creator"]
