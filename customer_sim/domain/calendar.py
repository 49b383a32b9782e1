"""Simulated time: minutes since the scenario's start, days, and opening hours.

The engine's clock is a float of minutes since ``start`` (a midnight). The services are told
absolute times (``start`` + minutes), so a run is a reproducible stretch of calendar time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR


@dataclass(frozen=True)
class OpeningHours:
    """The store is open every day from ``open_minute`` to ``close_minute`` (minutes after
    midnight, close excluded). ``OpeningHours(0, 1440)`` is round the clock."""

    open_minute: int
    close_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.open_minute < self.close_minute <= MINUTES_PER_DAY:
            raise ValueError(
                f"opening hours must satisfy 0 <= open < close <= {MINUTES_PER_DAY} minutes"
            )

    @property
    def round_the_clock(self) -> bool:
        return self.open_minute == 0 and self.close_minute == MINUTES_PER_DAY

    @property
    def open_minutes_per_day(self) -> int:
        return self.close_minute - self.open_minute

    def is_open(self, t: float) -> bool:
        return self.open_minute <= t % MINUTES_PER_DAY < self.close_minute

    def next_opening(self, t: float) -> float:
        """The earliest time at or after ``t`` when the store is open."""
        day_start = math.floor(t / MINUTES_PER_DAY) * MINUTES_PER_DAY
        minute = t - day_start
        if minute < self.open_minute:
            return day_start + self.open_minute
        if minute >= self.close_minute:
            return day_start + MINUTES_PER_DAY + self.open_minute
        return t

    def open_minutes_until(self, t: float) -> float:
        """Minutes of opening time from the start (a midnight) to ``t``."""
        days, minute = divmod(t, MINUTES_PER_DAY)
        today = min(max(minute, self.open_minute), self.close_minute) - self.open_minute
        return days * self.open_minutes_per_day + today

    def open_minutes_between(self, start: float, end: float) -> float:
        """Minutes of opening time in [start, end] (what out-of-stock time is measured in)."""
        return self.open_minutes_until(end) - self.open_minutes_until(start)

    def closed_periods(self, horizon: float) -> list[tuple[float, float]]:
        """The (start, end) of every closed period in [0, horizon] (a night runs from one
        day's close to the next day's opening), for shading plots."""
        periods: list[tuple[float, float]] = []
        if self.round_the_clock:
            return periods
        for day in range(math.ceil(horizon / MINUTES_PER_DAY) + 1):
            midnight = day * MINUTES_PER_DAY
            morning = (midnight, midnight + self.open_minute)
            evening = (midnight + self.close_minute, midnight + MINUTES_PER_DAY)
            for start, end in (morning, evening):
                if end <= start or start >= horizon:
                    continue
                if periods and periods[-1][1] == start:
                    start = periods.pop()[0]
                periods.append((start, min(end, horizon)))
        return periods

    def advance_open_minutes(self, t: float, minutes: float) -> float:
        """The time at which ``minutes`` of opening time have passed since ``t``.

        Closed periods do not count: this maps a process running in "open time" onto the
        calendar, which is how arrivals respect opening hours without wasted draws.
        """
        if self.round_the_clock:
            return t + minutes
        t = self.next_opening(t)
        while True:
            close = math.floor(t / MINUTES_PER_DAY) * MINUTES_PER_DAY + self.close_minute
            room = close - t
            if minutes < room:
                return t + minutes
            minutes -= room
            t = self.next_opening(close)


ROUND_THE_CLOCK = OpeningHours(0, MINUTES_PER_DAY)


@dataclass(frozen=True)
class SimulationCalendar:
    """Converts between the engine's minutes and the absolute times the services record."""

    start: datetime
    days: int

    @property
    def horizon(self) -> float:
        """The end of the last day, in minutes since the start."""
        return float(self.days * MINUTES_PER_DAY)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    def at(self, minutes: float) -> datetime:
        return self.start + timedelta(minutes=minutes)

    def day_of(self, minutes: float) -> int:
        """The day (0-based) a time belongs to; a visit that runs past the end of the last
        day counts in the last day."""
        return min(max(int(minutes // MINUTES_PER_DAY), 0), self.days - 1)

    def date_of_day(self, day: int) -> str:
        """The calendar date of a day, in the start's time zone (ISO format)."""
        return (self.start + timedelta(days=day)).date().isoformat()
