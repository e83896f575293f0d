"""Fixtures shared across test modules."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbook_addin.office.libreoffice import LibreOffice
from workbook_addin.workbook.build import build_workbook


@pytest.fixture(scope="session")
def sample_workbook(tmp_path_factory) -> Path:
    """The sample workbook exactly as `lianxing build` writes it, built once per test run.

    Tests only read it (LibreOffice opens a copy); a test that changes a workbook copies it first.
    """
    path = tmp_path_factory.mktemp("sample_wb") / "Lianxing_Evaluation.xlsm"
    build_workbook(path)
    return path


@pytest.fixture(autouse=True, scope="session")
def refresh_memo_folder(tmp_path_factory):
    """Refresh memos (workbook_addin.jobs.refresh_memo) go to a folder of this test run, not the
    user's cache: a test never meets a memo an earlier run left."""
    import os

    from workbook_addin.jobs.refresh_memo import CACHE_ENV

    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("lianxing-cache"))
    yield
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(scope="module")
def srv():
    """The fake Sheets API on loopback, one per test module (its spreadsheets outlive each test,
    so a module's tests make their own archive with ``new_archive``). A module that needs a
    differently set-up fake (faults, delays) defines its own ``srv``."""
    from tests.fake_sheets_api import FakeSheetsServer

    with FakeSheetsServer() as server:
        yield server


@pytest.fixture(scope="module")
def office():
    """One headless LibreOffice per test module (a module that kills it does not affect the next)."""
    with LibreOffice() as lo:
        yield lo
