"""The one timer the refresh steps and the build stages report through."""
import pytest

from workbook_addin.core.timing import timed
from workbook_addin.workbook.build import build_workbook


def test_a_step_run_twice_adds_up_and_a_failing_step_is_still_timed():
    seconds: dict[str, float] = {}
    for _ in range(2):
        with timed(seconds, "write"):
            sum(range(20_000))
    first = seconds["write"]
    with pytest.raises(ValueError), timed(seconds, "write"):
        raise ValueError("boom")
    assert seconds["write"] >= first > 0 and list(seconds) == ["write"]


def test_the_build_reports_each_stage_inside_the_total(tmp_path):
    report = build_workbook(tmp_path / "w.xlsm", empty=True)
    stages = ("evaluate", "insights", "vba", "write")
    assert list(report.seconds) == ["evaluate", "insights", "vba", "lite", "write", "total"]
    assert report.seconds["lite"] <= report.seconds["write"]
    assert sum(report.seconds[s] for s in stages) <= report.seconds["total"]
