"""Fault injection: make the fake answer like a struggling Google so retry and timeout paths run.

Kinds: "429" (RESOURCE_EXHAUSTED quota error), "500" (INTERNAL), "503" (UNAVAILABLE),
"drop" (close the connection without an answer), "delay" (sleep ``delay_seconds`` before
answering normally, long enough to pass a client timeout). Faults apply to API calls only, not to
the token endpoint, and are consumed in order: ``schedule([("429", 2), ("500", 1)])`` fails the
next two calls with 429 and the third with 500.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from typing import Iterable

KINDS = ("429", "500", "503", "drop", "delay")

MESSAGES = {
    "429": (429, "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.", "RESOURCE_EXHAUSTED"),
    "500": (500, "Internal error encountered.", "INTERNAL"),
    "503": (503, "The service is currently unavailable.", "UNAVAILABLE"),
}


class Faults:
    """A queue of scheduled faults plus an optional random fault rate."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[str] = deque()
        self._rate = 0.0
        self._kinds: tuple[str, ...] = ()
        self._rng = random.Random(0)
        self.delay_seconds = 2.0
        self.injected: list[str] = []

    def schedule(self, plan: Iterable[tuple[str, int]]) -> None:
        """Queue faults: ``[(kind, count), ...]`` applied to the next API calls in order."""
        with self._lock:
            for kind, count in plan:
                if kind not in KINDS:
                    raise ValueError(f"unknown fault kind {kind!r}; expected one of {KINDS}")
                self._queue.extend([kind] * count)

    def random(self, rate: float, kinds: Iterable[str] = ("429", "500"), seed: int | None = 0) -> None:
        """Fail a fraction ``rate`` of API calls with a kind drawn from ``kinds`` (seeded, reproducible)."""
        kinds = tuple(kinds)
        for kind in kinds:
            if kind not in KINDS:
                raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._rate = rate
            self._kinds = kinds
            self._rng = random.Random(seed)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._rate = 0.0

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def next(self) -> str | None:
        """The fault for this call, if any."""
        with self._lock:
            kind = None
            if self._queue:
                kind = self._queue.popleft()
            elif self._rate and self._rng.random() < self._rate:
                kind = self._rng.choice(self._kinds)
            if kind:
                self.injected.append(kind)
            return kind
