"""One subscore over whole tables, running only the stages it reads.

Why: each pooled workbook function (``KOL_CONTENT_SCORE``, ``KOL_PERFORMANCE``, ...) asks for one
dimension. :func:`.evaluation.evaluate` would compute all six of them, the score, tier, red flags,
explanation and the Scores table five times per recalculation, to keep one column each time. Here
the same stage functions run in the same order on the same typed tables, up to the one the
dimension needs, and the value is rounded as the Scores table shows it; a test holds every
dimension equal to :func:`~.evaluation.evaluate`'s on the sample and on generated data.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .dimensions import (authenticity_stage, collaborations_stage, compliance_stage, content_stage,
                         creator_bands, outreach_stage)
from .inputs import Creators, Run, child_positions, creator_rows, start_run, typed_inputs
from ..core.settings import Settings

_Stage = Callable[[dict[str, pd.DataFrame], dict[str, np.ndarray], Creators, Run], np.ndarray]


def _performance(typed: dict[str, pd.DataFrame], creator_of: dict[str, np.ndarray], creators: Creators,
                 run: Run) -> Any:
    return collaborations_stage(typed["collaborations"], creator_of["collaborations"], creators,
                                creator_bands(creators, run.settings), run)


def _authenticity(typed: dict[str, pd.DataFrame], creator_of: dict[str, np.ndarray], creators: Creators,
                  run: Run) -> np.ndarray:
    band = creator_bands(creators, run.settings)
    perf = collaborations_stage(typed["collaborations"], creator_of["collaborations"], creators, band, run)
    return authenticity_stage(typed["snapshots"], creator_of["snapshots"], creators, perf, band, run.settings).score


#: Per dimension: the child sheets it reads and the stage that computes it (as evaluate() calls it).
STAGES: dict[str, tuple[tuple[str, ...], _Stage]] = {
    "responsiveness": (("outreach",), lambda t, c, cr, run: outreach_stage(t["outreach"], c["outreach"], cr.count,
                                                                          run).score),
    "content_quality": (("reviews",), lambda t, c, cr, run: content_stage(t["reviews"], c["reviews"], cr.count,
                                                                          run.settings).score),
    "compliance": (("reviews",), lambda t, c, cr, run: compliance_stage(t["reviews"], c["reviews"], cr.count).score),
    "performance": (("collaborations",), lambda t, c, cr, run: _performance(t, c, cr, run).score),
    "authenticity": (("collaborations", "snapshots"), _authenticity),
}


def subscore(dimension: str, tables: Mapping[str, pd.DataFrame], settings: Settings, *,
             today: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """(creator key, ``dimension``) per scored creator, the numbers the Scores table shows
    (one decimal, NaN where the dimension has no data), from the Creators table and the child
    sheets the dimension reads (missing ones count as empty, as in :func:`evaluate`; others are not read)."""
    sheets, stage = STAGES[dimension]
    run = start_run(settings, today)
    typed = typed_inputs(tables, run, ("creators", *sheets))
    creators = creator_rows(typed["creators"], run)
    creator_of = child_positions(typed, creators, run)
    values = np.asarray(stage(typed, creator_of, creators, run), dtype=float).reshape(creators.count)
    # rounded twice, as evaluate() rounds the subscores for the score and the Scores table for show
    return creators.keys[creators.positions], np.round(np.round(values, 1), 1)
