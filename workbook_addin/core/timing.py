"""One way to time a named part of a job: the refresh and the build report where their seconds went
(``RefreshReport.timings``, ``BuildReport.seconds``), and the benchmarks print those splits."""
from __future__ import annotations

import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager


@contextmanager
def timed(seconds: MutableMapping[str, float], name: str) -> Iterator[None]:
    """Adds the wall time of the ``with`` block to ``seconds[name]`` (a step run twice adds up),
    also when the block raises."""
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
