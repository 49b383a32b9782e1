"""KPI arithmetic: demand tallies, fill rate, and stock levels integrated over time.

Stock comes from the inventory's ledger, not from the simulator's bookkeeping: on hand is a
step function that changes at each movement, so its time-weighted average is exact.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Iterable, Sequence

from customer_sim.simulation.ports import LedgerEntry, PlacedOrder

#: On hand over time: (time it became this level, level), in time order.
Steps = Sequence[tuple[datetime, int]]


def fill_rate(sold: int, demanded: int) -> float | None:
    """Units sold / units demanded; None when nothing was demanded (no rate to speak of)."""
    return sold / demanded if demanded else None


@dataclass
class DemandTally:
    """What customers asked for and got, as the simulator saw it at checkout."""

    arrivals: int = 0
    buyers: int = 0  # customers whose order had at least one unit fulfilled
    orders: int = 0
    units_demanded: int = 0  # units put in carts (wish list ∩ available, within budget)
    units_sold: int = 0
    units_lost: int = 0
    revenue: Decimal = Decimal("0")
    units_not_found: int = 0  # wished for, but not available when the customer looked

    @property
    def fill_rate(self) -> float | None:
        """Sold / demanded: how well checkouts were served (the store's view)."""
        return fill_rate(self.units_sold, self.units_demanded)

    @property
    def shelf_fill_rate(self) -> float | None:
        """Sold / (demanded + not found): units not on the shelf count as lost too, as in the
        textbook (beta) fill rate. This is the figure a replenishment policy moves most."""
        return fill_rate(self.units_sold, self.units_demanded + self.units_not_found)

    def add_order(self, order: PlacedOrder) -> None:
        self.orders += 1
        fulfilled = sum(line.fulfilled for line in order.lines)
        self.buyers += 1 if fulfilled > 0 else 0
        self.units_demanded += sum(line.requested for line in order.lines)
        self.units_sold += fulfilled
        self.units_lost += sum(line.lost for line in order.lines)
        self.revenue += order.total

    def add(self, other: DemandTally) -> None:
        """Fold another tally into this one (days into a total)."""
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def add_line(self, requested: int, fulfilled: int, unit_price: Decimal) -> None:
        """Per-SKU tallies: one order line."""
        self.units_demanded += requested
        self.units_sold += fulfilled
        self.units_lost += requested - fulfilled
        self.revenue += unit_price * fulfilled


def on_hand_steps(ledger: Iterable[LedgerEntry]) -> dict[str, list[tuple[datetime, int]]]:
    """Per SKU, the on-hand level after each movement (the ledger must be in time order)."""
    steps: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for entry in ledger:
        steps[entry.sku].append((entry.at, entry.on_hand_after))
    return dict(steps)


def _segments(steps: Steps, start: datetime, end: datetime) -> Iterable[tuple[float, int]]:
    """(seconds, level) pieces covering [start, end]; the level is 0 before the first step."""
    level, since = 0, start
    for at, after in steps:
        if at >= end:
            break
        if at > since:
            yield (at - since).total_seconds(), level
            since = at
        level = after
    if end > since:
        yield (end - since).total_seconds(), level


def time_weighted_average(steps: Steps, start: datetime, end: datetime) -> float:
    """The mean on hand over [start, end], each level weighted by how long it lasted."""
    if end <= start:
        raise ValueError("the window must have a positive length")
    area = sum(seconds * level for seconds, level in _segments(steps, start, end))
    return area / (end - start).total_seconds()


def fraction_out_of_stock(steps: Steps, start: datetime, end: datetime) -> float:
    """The share of [start, end] during which nothing was on hand."""
    if end <= start:
        raise ValueError("the window must have a positive length")
    empty = sum(seconds for seconds, level in _segments(steps, start, end) if level <= 0)
    return empty / (end - start).total_seconds()
