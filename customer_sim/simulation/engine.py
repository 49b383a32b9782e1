"""The next-event engine: a clock in minutes and a priority queue of (time, sequence, event).

The clock jumps from one event to the next; nothing happens in between. Events at the same
time run in the order they were scheduled (the sequence number breaks ties), so a run is a
deterministic function of its inputs, as in SimPy's ``Environment``.
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import Callable, Generic, TypeVar

E = TypeVar("E")


class Engine(Generic[E]):
    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._queue: list[tuple[float, int, E]] = []
        self._sequence = itertools.count()
        self.processed = 0

    def __len__(self) -> int:
        """Events scheduled and not yet processed."""
        return len(self._queue)

    def schedule(self, at: float, event: E) -> None:
        """Schedule ``event`` at time ``at``; the past is closed, so ``at`` >= now."""
        if not at >= self.now:  # also rejects NaN
            raise ValueError(f"cannot schedule at {at} before the current time {self.now}")
        heapq.heappush(self._queue, (at, next(self._sequence), event))

    def schedule_in(self, delay: float, event: E) -> None:
        self.schedule(self.now + delay, event)

    def peek(self) -> float:
        """The time of the next event (``math.inf`` when there is none)."""
        return self._queue[0][0] if self._queue else math.inf

    def step(self) -> E:
        """Advance the clock to the next event and return it."""
        at, _, event = heapq.heappop(self._queue)
        self.now = at
        self.processed += 1
        return event

    def run(self, handle: Callable[[E], None], until: float = math.inf) -> int:
        """Process events in time order until none is left or the next is after ``until``.

        ``handle`` may schedule more events. Returns how many events were processed.
        """
        processed = 0
        while self._queue and self.peek() <= until:
            handle(self.step())
            processed += 1
        return processed
