import math

import pytest

from customer_sim.simulation.engine import Engine


def test_events_are_processed_in_time_order():
    engine: Engine[str] = Engine()
    for at, name in [(5.0, "c"), (1.0, "a"), (3.0, "b")]:
        engine.schedule(at, name)
    seen: list[tuple[float, str]] = []
    engine.run(lambda event: seen.append((engine.now, event)))
    assert seen == [(1.0, "a"), (3.0, "b"), (5.0, "c")]


def test_ties_run_in_the_order_they_were_scheduled():
    engine: Engine[str] = Engine()
    names = [f"e{i}" for i in range(50)]
    for name in names:
        engine.schedule(2.0, name)
    engine.schedule(1.0, "first")
    seen: list[str] = []
    engine.run(seen.append)
    assert seen == ["first", *names]


def test_handlers_may_schedule_more_events_including_at_the_current_time():
    engine: Engine[str] = Engine()
    engine.schedule(1.0, "start")
    engine.schedule(1.0, "already queued")
    seen: list[str] = []

    def handle(event: str) -> None:
        seen.append(event)
        if event == "start":
            engine.schedule_in(0.0, "same time, later")
            engine.schedule_in(2.5, "later")

    processed = engine.run(handle)
    assert seen == ["start", "already queued", "same time, later", "later"]
    assert processed == 4
    assert engine.now == 3.5


def test_the_past_cannot_be_scheduled():
    engine: Engine[str] = Engine()
    engine.schedule(10.0, "x")
    engine.run(lambda _event: None)
    with pytest.raises(ValueError):
        engine.schedule(9.0, "too late")
    with pytest.raises(ValueError):
        engine.schedule(math.nan, "not a time")


def test_run_until_leaves_later_events_queued():
    engine: Engine[str] = Engine()
    for at in (1.0, 2.0, 3.0):
        engine.schedule(at, f"at {at}")
    seen: list[str] = []
    engine.run(seen.append, until=2.0)
    assert seen == ["at 1.0", "at 2.0"]
    assert len(engine) == 1
    assert engine.peek() == 3.0


def test_same_schedule_gives_the_same_run():
    def play() -> list[tuple[float, int]]:
        engine: Engine[int] = Engine()
        for index, at in enumerate([3, 1, 2, 1, 3, 2]):
            engine.schedule(float(at), index)
        seen: list[tuple[float, int]] = []
        engine.run(lambda event: seen.append((engine.now, event)))
        return seen

    assert play() == play() == [(1, 1), (1, 3), (2, 2), (2, 5), (3, 0), (3, 4)]
