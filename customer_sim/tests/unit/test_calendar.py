from datetime import datetime, timezone

import pytest

from customer_sim.domain.calendar import ROUND_THE_CLOCK, OpeningHours, SimulationCalendar

HOURS = OpeningHours(8 * 60, 20 * 60)
DAY = 1440


def test_is_open():
    assert not HOURS.is_open(7 * 60 + 59)
    assert HOURS.is_open(8 * 60)
    assert HOURS.is_open(DAY + 19 * 60 + 59)
    assert not HOURS.is_open(20 * 60)


def test_next_opening():
    assert HOURS.next_opening(0) == 8 * 60
    assert HOURS.next_opening(9 * 60) == 9 * 60
    assert HOURS.next_opening(20 * 60) == DAY + 8 * 60


def test_advance_open_minutes_skips_the_night():
    assert HOURS.advance_open_minutes(10 * 60, 30) == 10 * 60 + 30
    # 60 minutes before closing, 90 minutes of opening time: 30 minutes into the next day
    assert HOURS.advance_open_minutes(19 * 60, 90) == DAY + 8 * 60 + 30
    # from the night, the clock starts at the next opening
    assert HOURS.advance_open_minutes(22 * 60, 10) == DAY + 8 * 60 + 10
    # two full open days later
    assert HOURS.advance_open_minutes(8 * 60, 2 * 12 * 60) == 2 * DAY + 8 * 60
    assert ROUND_THE_CLOCK.advance_open_minutes(100.5, 2000) == 2100.5


@pytest.mark.parametrize("open_minute, close_minute", [(600, 600), (700, 600), (-1, 10), (0, 1441)])
def test_invalid_hours(open_minute, close_minute):
    with pytest.raises(ValueError):
        OpeningHours(open_minute, close_minute)


def test_calendar_converts_minutes_to_times_and_days():
    start = datetime(2026, 3, 2, tzinfo=timezone.utc)
    calendar = SimulationCalendar(start, days=3)
    assert calendar.at(90) == datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)
    assert calendar.horizon == 3 * DAY
    assert calendar.end == datetime(2026, 3, 5, tzinfo=timezone.utc)
    assert [calendar.day_of(t) for t in (0, DAY - 0.001, DAY, 3 * DAY + 5)] == [0, 0, 1, 2]
    assert calendar.date_of_day(2) == "2026-03-04"


def test_open_minutes_between_two_times():
    assert HOURS.open_minutes_between(0, DAY) == 12 * 60
    assert HOURS.open_minutes_between(0, 3 * DAY) == 36 * 60
    assert HOURS.open_minutes_between(9 * 60, 10 * 60) == 60
    assert HOURS.open_minutes_between(19 * 60, DAY + 9 * 60) == 2 * 60  # over a night
    assert HOURS.open_minutes_between(21 * 60, DAY + 7 * 60) == 0
    assert ROUND_THE_CLOCK.open_minutes_between(100, 250) == 150


def test_closed_periods_for_shading_plots():
    assert HOURS.closed_periods(2 * DAY) == [
        (0, 8 * 60),
        (20 * 60, DAY + 8 * 60),  # one night, not two pieces
        (DAY + 20 * 60, 2 * DAY),
    ]
    assert HOURS.closed_periods(DAY + 600) == [(0, 480), (1200, DAY + 480)]
    assert ROUND_THE_CLOCK.closed_periods(5 * DAY) == []
    assert OpeningHours(0, 22 * 60).closed_periods(2 * DAY) == [
        (22 * 60, DAY),
        (DAY + 22 * 60, 2 * DAY),
    ]
