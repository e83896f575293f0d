"""Importers for the "刷新数据 Refresh metrics" job: platform and shop exports -> collaboration metrics.

    from workbook_addin.importers import read_exports, match_exports
    batch = read_exports("exports/")                     # every CSV/XLSX export in the folder
    result = match_exports(batch, tables["collaborations"], tables["creators"])
    result.updates      # the metric cells that change, indexed like the collaborations table
    result.unmatched    # export rows no collaboration claims, with the reason

``batch.rows`` holds one row per post or per shop order: source_file, source_row, format, post_url,
video_id, creator_key, handle, platform, promo_code, utm_campaign, the metrics (views, likes,
comments, shares, saves, clicks, orders, gmv, gmv_currency, followers), published_at and row_id
(the id rows are de-duplicated by across overlapping exports). ``batch.files`` says, per file, the
format recognised, rows read and skipped and any warning; ``batch.problems`` names file, row and
column of every cell that could not be read.

``result.updates`` has one column per changed collaborations column (None where that cell keeps its
value) plus ``matched_by`` and ``source``; ``result.changes`` lists the same cells one per row
(collab, collab_id, column, old, new, source); ``result.unattributed`` lists shop orders with no
promo code or UTM; ``result.followers`` gives follower counts per creator for the snapshots sheet.

Known formats (header aliases in :mod:`.formats`): TikTok analytics, TikTok Shop affiliate
performance, YouTube Studio content, Instagram / Meta Business Suite content, Shopify orders; any
other CSV through the Settings import map (:mod:`.generic`).
"""
from pathlib import Path

from .batch import FileReport, ImportBatch, read_exports
from .formats import KNOWN_FORMATS, Format
from .match import MatchResult, match_exports
from .platforms import post_key
from .problems import Problem



def sample_exports_folder() -> Path:
    """The bundled example exports (templates/sample/exports/), matching the sample workbook's collaborations."""
    from importlib import resources

    return Path(str(resources.files("templates").joinpath("sample", "exports")))


__all__ = ["sample_exports_folder", "FileReport", "Format", "ImportBatch", "KNOWN_FORMATS", "MatchResult", "Problem",
           "match_exports", "post_key", "read_exports"]
