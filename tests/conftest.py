"""Fixtures shared across test modules."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbook_addin.workbook.build import build_workbook


@pytest.fixture(scope="session")
def sample_workbook(tmp_path_factory) -> Path:
    """The sample workbook exactly as `lianxing build` writes it, built once per test run.

    Tests only read it (LibreOffice opens a copy); a test that changes a workbook copies it first.
    """
    path = tmp_path_factory.mktemp("sample_wb") / "Lianxing_Evaluation.xlsm"
    build_workbook(path)
    return path
