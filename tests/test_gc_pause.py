"""The one cycle-collector pause the workbook reader/writer and the archive sync share."""
import gc

import pytest

from workbook_addin.core.gc_pause import gc_paused


@pytest.fixture(autouse=True)
def _collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_restored_after_even_when_the_job_fails():
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_as_a_decorator_each_call_pauses_and_a_collector_left_off_stays_off():
    @gc_paused()
    def job() -> bool:
        return gc.isenabled()

    assert job() is False and job() is False and gc.isenabled()
    gc.disable()
    assert job() is False and not gc.isenabled()  # not switched on by a job that found it off
