"""The KPIs of a run, defined once: their names, labels, kinds and formulas.

`KpiSet` is the one typed set of every KPI. A run has one for its store as a whole, one per
SKU and one per day; a KPI that has no meaning at some level (arrivals of one SKU, units of
unlike products added up) is None there. Tables, ``summary.json``, ``daily.csv``, the plots
and the run database all take their names and labels from here, so they speak one vocabulary.

Demand comes from the simulator's own tallies (what customers wanted, put in carts and got);
stock comes from the inventory's ledger and purchase orders, not from the simulator's
bookkeeping: on hand is a step function that changes at each movement, so its time averages
are exact.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Sequence

from customer_sim.domain.calendar import OpeningHours
from customer_sim.simulation.ports import LedgerEntry, PlacedOrder, PurchaseOrderRecord

DAYS_PER_YEAR = 365

#: On hand over time: (time it became this level, level), in time order.
Steps = Sequence[tuple[datetime, int]]


class Kind(enum.Enum):
    """How a KPI is measured, which decides how it is stored, rounded and shown."""

    COUNT = "count"  # whole units or events
    RATE = "rate"  # a share between 0 and 1, shown as a percentage
    MONEY = "money"  # an amount, 2 decimals
    UNITS = "units"  # a time-averaged number of units


class Scope(enum.Flag):
    RUN = enum.auto()  # the store as a whole
    SKU = enum.auto()  # one product
    DAY = enum.auto()  # one day of the store
    ALL = RUN | SKU | DAY


class Group(enum.Enum):
    """The sections of the KPI tables, in their order."""

    SERVICE = "service"
    DEMAND = "demand"
    STOCK = "stock"
    COSTS = "costs"


def _kpi(group: Group, short: str, label: str, kind: Kind, scope: Scope, meaning: str) -> Any:
    """One KPI: its section, a short name for wide tables, its label, kind, where it applies,
    and what it means (for the report and the README)."""
    metadata = {"group": group, "short": short, "label": label, "kind": kind, "scope": scope}
    return field(default=None, metadata={**metadata, "meaning": meaning})


@dataclass(frozen=True)
class KpiSet:
    """Every KPI of one scope (the run, a SKU or a day); None where it does not apply or
    has nothing to measure (a fill rate without demand, a cycle service level without a
    completed cycle)."""

    # -- service --
    fill_rate: float | None = _kpi(
        Group.SERVICE,
        "fill rate",
        "fill rate (sold / wanted)",
        Kind.RATE,
        Scope.ALL,
        "the headline: the shelf (β) fill rate, what a replenishment policy moves",
    )
    cycle_service_level: float | None = _kpi(
        Group.SERVICE,
        "cycle SL",
        "cycle service level",
        Kind.RATE,
        Scope.RUN | Scope.SKU,
        "share of replenishment cycles (each ended by a receipt) in which no unit was lost",
    )
    out_of_stock_open: float | None = _kpi(
        Group.SERVICE,
        "out of stock",
        "out of stock (share of opening time)",
        Kind.RATE,
        Scope.RUN | Scope.SKU,
        "share of opening hours with nothing on hand (the run: averaged over its SKUs)",
    )
    checkout_fill_rate: float | None = _kpi(
        Group.SERVICE,
        "checkout fill",
        "checkout fill rate (sold / put in carts)",
        Kind.RATE,
        Scope.ALL,
        "secondary: high by construction, customers only cart what the shelf shows",
    )
    # -- demand --
    arrivals: int | None = _kpi(
        Group.DEMAND, "arrived", "customers arrived", Kind.COUNT, Scope.RUN | Scope.DAY, "visits"
    )
    buyers: int | None = _kpi(
        Group.DEMAND,
        "bought",
        "customers who bought",
        Kind.COUNT,
        Scope.RUN | Scope.DAY,
        "visits whose order had at least one unit fulfilled",
    )
    orders: int | None = _kpi(
        Group.DEMAND,
        "checkouts",
        "checkouts",
        Kind.COUNT,
        Scope.RUN | Scope.DAY,
        "carts checked out (orders)",
    )
    units_wanted: int | None = _kpi(
        Group.DEMAND,
        "wanted",
        "units wanted",
        Kind.COUNT,
        Scope.ALL,
        "units customers came for and could afford: put in carts + not on the shelf",
    )
    units_sold: int | None = _kpi(
        Group.DEMAND, "sold", "units sold", Kind.COUNT, Scope.ALL, "units fulfilled"
    )
    units_lost_not_on_shelf: int | None = _kpi(
        Group.DEMAND,
        "lost: shelf",
        "lost: not on the shelf",
        Kind.COUNT,
        Scope.ALL,
        "units wanted that the shelf did not show when the customer looked",
    )
    units_lost_at_checkout: int | None = _kpi(
        Group.DEMAND,
        "lost: checkout",
        "lost: at checkout",
        Kind.COUNT,
        Scope.ALL,
        "units put in carts that were gone by checkout (visits interleave)",
    )
    units_lost: int | None = _kpi(
        Group.DEMAND,
        "lost",
        "lost in all",
        Kind.COUNT,
        Scope.ALL,
        "not on the shelf + at checkout = wanted − sold",
    )
    revenue: float | None = _kpi(
        Group.DEMAND, "revenue", "revenue", Kind.MONEY, Scope.ALL, "sum of the orders' totals"
    )
    # -- stock --
    average_on_hand: float | None = _kpi(
        Group.STOCK,
        "avg on hand",
        "average on hand (units)",
        Kind.UNITS,
        Scope.SKU,
        "time-weighted over the whole run, from the ledger (per SKU only: units of unlike "
        "products do not add up)",
    )
    average_inventory_value: float | None = _kpi(
        Group.STOCK,
        "avg inventory",
        "average inventory at cost",
        Kind.MONEY,
        Scope.RUN | Scope.SKU,
        "average on hand × unit cost, summed over the SKUs",
    )
    final_on_hand: int | None = _kpi(
        Group.STOCK,
        "on hand at end",
        "on hand at the end",
        Kind.COUNT,
        Scope.SKU,
        "the ledger's last level",
    )
    purchase_orders: int | None = _kpi(
        Group.STOCK,
        "POs",
        "purchase orders placed",
        Kind.COUNT,
        Scope.RUN | Scope.SKU,
        "placed by the policies",
    )
    units_ordered: int | None = _kpi(
        Group.STOCK,
        "ordered",
        "units ordered",
        Kind.COUNT,
        Scope.SKU,
        "on the purchase orders placed",
    )
    replenishment_cycles: int | None = _kpi(
        Group.STOCK,
        "cycles",
        "replenishment cycles",
        Kind.COUNT,
        Scope.RUN | Scope.SKU,
        "completed cycles: from the start or a receipt to the next receipt",
    )
    # -- costs --
    holding_cost: float | None = _kpi(
        Group.COSTS,
        "holding",
        "holding cost",
        Kind.MONEY,
        Scope.RUN | Scope.SKU,
        "holding cost rate × average inventory at cost × days / 365",
    )
    ordering_cost: float | None = _kpi(
        Group.COSTS,
        "ordering",
        "ordering cost",
        Kind.MONEY,
        Scope.RUN | Scope.SKU,
        "order cost × purchase orders placed",
    )
    lost_sales_cost: float | None = _kpi(
        Group.COSTS,
        "lost sales",
        "lost sales cost",
        Kind.MONEY,
        Scope.RUN | Scope.SKU,
        "lost-sale penalty × units lost (not on the shelf + at checkout)",
    )
    total_cost: float | None = _kpi(
        Group.COSTS,
        "total cost",
        "total cost",
        Kind.MONEY,
        Scope.RUN | Scope.SKU,
        "holding + ordering + lost sales: what a policy choice trades",
    )

    def as_dict(self, scope: Scope) -> dict[str, Any]:
        """The KPIs of ``scope``, by key (the form of ``summary.json`` and ``daily.csv``)."""
        values = asdict(self)
        return {kpi.key: values[kpi.key] for kpi in kpis_of(scope)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> KpiSet:
        """Back from `as_dict` (or a database row); unknown keys are ignored, missing ones
        are None, and each value gets its kind's type back."""
        return cls(**{kpi.key: kpi.parse(values[kpi.key]) for kpi in KPIS if kpi.key in values})

    def value(self, key: str) -> Any:
        return getattr(self, key)


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    group: Group
    short: str
    label: str
    kind: Kind
    scope: Scope
    meaning: str

    def parse(self, value: Any) -> Any:
        if value is None:
            return None
        return int(value) if self.kind is Kind.COUNT else float(value)


#: Every KPI, in the order tables show them.
KPIS: tuple[KpiDefinition, ...] = tuple(
    KpiDefinition(key=f.name, **f.metadata) for f in fields(KpiSet)
)
KPI_BY_KEY = {kpi.key: kpi for kpi in KPIS}


def kpis_of(scope: Scope) -> list[KpiDefinition]:
    return [kpi for kpi in KPIS if scope in kpi.scope]


# -- demand, as the simulator counts it --------------------------------------------------------


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None when the whole is zero (no rate to speak of)."""
    return part / whole if whole else None


@dataclass
class DemandTally:
    """What customers wanted and got, as the simulator saw it (per day or per SKU)."""

    arrivals: int = 0
    buyers: int = 0  # customers whose order had at least one unit fulfilled
    orders: int = 0
    units_in_carts: int = 0  # wish list ∩ what the shelf showed, within budget
    units_sold: int = 0
    units_lost_at_checkout: int = 0
    revenue: Decimal = Decimal("0")
    units_not_on_shelf: int = 0  # wished for, but not shown as available when they looked

    @property
    def units_wanted(self) -> int:
        return self.units_in_carts + self.units_not_on_shelf

    @property
    def units_lost(self) -> int:
        return self.units_not_on_shelf + self.units_lost_at_checkout

    @property
    def fill_rate(self) -> float | None:
        """Sold / wanted: units not on the shelf count as lost, as in the textbook (beta)
        fill rate. This is the figure a replenishment policy moves."""
        return ratio(self.units_sold, self.units_wanted)

    @property
    def checkout_fill_rate(self) -> float | None:
        """Sold / put in carts: the store's view, high by construction (customers only cart
        what the shelf shows), so only ever a secondary figure."""
        return ratio(self.units_sold, self.units_in_carts)

    def add_order(self, order: PlacedOrder) -> None:
        self.orders += 1
        fulfilled = sum(line.fulfilled for line in order.lines)
        self.buyers += 1 if fulfilled > 0 else 0
        self.units_in_carts += sum(line.requested for line in order.lines)
        self.units_sold += fulfilled
        self.units_lost_at_checkout += sum(line.lost for line in order.lines)
        self.revenue += order.total

    def add(self, other: DemandTally) -> None:
        """Fold another tally into this one (days into a total)."""
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def add_line(self, requested: int, fulfilled: int, unit_price: Decimal) -> None:
        """Per-SKU tallies: one order line."""
        self.units_in_carts += requested
        self.units_sold += fulfilled
        self.units_lost_at_checkout += requested - fulfilled
        self.revenue += unit_price * fulfilled

    def kpis(self) -> KpiSet:
        """The demand KPIs of this tally (the day's row, or the demand part of a SKU's)."""
        return KpiSet(
            arrivals=self.arrivals,
            buyers=self.buyers,
            orders=self.orders,
            units_wanted=self.units_wanted,
            units_sold=self.units_sold,
            units_lost_not_on_shelf=self.units_not_on_shelf,
            units_lost_at_checkout=self.units_lost_at_checkout,
            units_lost=self.units_lost,
            fill_rate=rate(self.fill_rate),
            checkout_fill_rate=rate(self.checkout_fill_rate),
            revenue=money(self.revenue),
        )


def money(amount: Decimal | float) -> float:
    return float(Decimal(str(amount)).quantize(Decimal("0.01")))


def rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# -- stock, from the inventory's ledger --------------------------------------------------------


def on_hand_steps(ledger: Iterable[LedgerEntry]) -> dict[str, list[tuple[datetime, int]]]:
    """Per SKU, the on-hand level after each movement (the ledger must be in time order)."""
    steps: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for entry in ledger:
        steps[entry.sku].append((entry.at, entry.on_hand_after))
    return dict(steps)


def _segments(
    steps: Steps, start: datetime, end: datetime
) -> Iterable[tuple[datetime, datetime, int]]:
    """(from, to, level) pieces covering [start, end]; the level is 0 before the first step."""
    level, since = 0, start
    for at, after in steps:
        if at >= end:
            break
        if at > since:
            yield since, at, level
            since = at
        level = after
    if end > since:
        yield since, end, level


def time_weighted_average(steps: Steps, start: datetime, end: datetime) -> float:
    """The mean on hand over [start, end], each level weighted by how long it lasted."""
    if end <= start:
        raise ValueError("the window must have a positive length")
    area = sum(
        (to - since).total_seconds() * level for since, to, level in _segments(steps, start, end)
    )
    return area / (end - start).total_seconds()


def share_out_of_stock(steps: Steps, start: datetime, end: datetime, hours: OpeningHours) -> float:
    """The share of the opening time in [start, end] during which nothing was on hand
    (``start`` is the run's first midnight, which opening hours count from)."""
    if end <= start:
        raise ValueError("the window must have a positive length")

    def minutes(at: datetime) -> float:
        return (at - start).total_seconds() / 60

    open_total = hours.open_minutes_between(0, minutes(end))
    if open_total <= 0:
        return 0.0
    empty = sum(
        hours.open_minutes_between(minutes(since), minutes(to))
        for since, to, level in _segments(steps, start, end)
        if level <= 0
    )
    return empty / open_total


def inventory_position_steps(
    on_hand: Steps, purchase_orders: Iterable[PurchaseOrderRecord], end: datetime
) -> list[tuple[datetime, int]]:
    """On hand + on order after each change of either, up to ``end``: an order counts as on
    order from its placement until its due time, when its receipt moves it onto the shelf
    (so a receipt leaves the position unchanged)."""
    changes: list[tuple[datetime, int, int]] = [(at, level, 0) for at, level in on_hand]
    for order in purchase_orders:
        changes.append((order.placed_at, -1, order.quantity))
        if order.due_at <= end:
            changes.append((order.due_at, -1, -order.quantity))
    changes.sort(key=lambda change: change[0])  # stable: equal times keep the ledger's order
    level = on_order = 0
    steps: list[tuple[datetime, int]] = []
    for at, new_level, order_change in changes:
        if new_level >= 0:
            level = new_level
        on_order += order_change
        if steps and steps[-1][0] == at:
            steps.pop()  # one point per instant: the position once everything there is done
        steps.append((at, level + on_order))
    return steps


def receipt_times(ledger: Iterable[LedgerEntry], sku: str) -> list[datetime]:
    """The distinct instants at which purchase orders of ``sku`` were received."""
    return sorted({entry.at for entry in ledger if entry.sku == sku and entry.kind == "receipt"})


def cycles_with_stockouts(
    receipts: Sequence[datetime], shortages: Iterable[datetime]
) -> tuple[int, int]:
    """(completed replenishment cycles, how many of them had a stock-out).

    A cycle runs from the start (or a receipt) up to the next receipt, that receipt
    excluded: a receipt is applied before anything else that happens at its instant. Only
    cycles ended by a receipt count: the one still running at the end of the run is cut
    short and would flatter the figure. A stock-out is any unit a customer wanted and did
    not get (not on the shelf, or gone by checkout), as in the textbook's P(demand in the
    cycle <= stock): the shelf reaching zero with nobody asking is not one.
    """
    stocked_out: set[int] = set()
    for at in shortages:
        cycle = bisect_right(receipts, at)  # receipts at or before `at` close earlier cycles
        if cycle < len(receipts):
            stocked_out.add(cycle)
    return len(receipts), len(stocked_out)


def holding_cost(
    average_value: float, holding_cost_rate: float, start: datetime, end: datetime
) -> float:
    """What holding the average inventory (at cost) for the run's length costs."""
    days = (end - start).total_seconds() / 86_400
    return average_value * holding_cost_rate * days / DAYS_PER_YEAR
