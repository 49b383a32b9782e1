"""The simulation model: customers shopping at one store, event by event.

A visit is a chain of events, each scheduled by the previous one after the customer's own
step times: arrival → observe (one availability query) → add to cart (the basket, picked from
the shelf) → checkout at the till (the store's sale: a cart opened with the basket and checked
out, one request) → leave. A customer who finds nothing to buy, or can afford nothing, leaves
after observing, without a cart. Visits interleave, so stock can change
between a customer's observation and their checkout; the unfilled units are lost sales, as in
a real shop.

Midnights are events too: the end of each day advances the inventory's clock so that periodic
reviews and deliveries happen on quiet days as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol

from customer_sim.domain.calendar import MINUTES_PER_DAY
from customer_sim.domain.scenario import Scenario
from customer_sim.simulation import random_streams as streams
from customer_sim.simulation.agents import CustomerFactory, choose_basket
from customer_sim.simulation.engine import Engine
from customer_sim.simulation.events import (
    AddToCart,
    Arrival,
    Checkout,
    EndOfDay,
    Event,
    Leave,
    Observe,
    StartOfDay,
)
from customer_sim.simulation.kpis import DemandTally
from customer_sim.simulation.ports import InventoryPort, StorePort
from customer_sim.simulation.random_streams import RandomStreams


class Progress(Protocol):
    """Told after every event how far the run is (the CLI draws a bar or logs from it)."""

    def update(self, now: float, customers: int) -> None: ...


@dataclass
class SimulationOutcome:
    """The simulator's own account of a run (checked against the services' records)."""

    days: list[DemandTally]
    skus: dict[str, DemandTally]
    #: per SKU, when a customer wanted a unit and did not get it (for the cycle service level)
    shortages: dict[str, list[datetime]]
    customers: int
    events: int
    http_calls: int


class StoreEnvironment:
    def __init__(
        self,
        scenario: Scenario,
        store_id: str,
        store: StorePort,
        inventory: InventoryPort,
        progress: Progress | None = None,
    ) -> None:
        self.scenario = scenario
        self.store_id = store_id
        self.store = store
        self.inventory = inventory
        self.progress = progress
        self.calendar = scenario.calendar
        self.hours = scenario.hours
        self.random = RandomStreams(scenario.seed)
        self.customers = CustomerFactory(scenario.customers, scenario.products, self.random)
        self.engine: Engine[Event] = Engine()
        self.days = [DemandTally() for _ in range(scenario.days)]
        self.skus = {product.sku: DemandTally() for product in scenario.products}
        self.shortages: dict[str, list[datetime]] = {p.sku: [] for p in scenario.products}
        self.arrived = 0
        self.http_calls = 0
        self._handlers: dict[type, Callable] = {
            StartOfDay: self._start_of_day,
            Arrival: self._arrival,
            Observe: self._observe,
            AddToCart: self._add_to_cart,
            Checkout: self._checkout,
            Leave: self._leave,
            EndOfDay: self._end_of_day,
        }

    def run(self) -> SimulationOutcome:
        self.engine.schedule(0.0, StartOfDay(0))
        self._schedule_next_arrival(after=0.0)
        events = self.engine.run(self._handle)
        return SimulationOutcome(
            self.days, self.skus, self.shortages, self.arrived, events, self.http_calls
        )

    def _handle(self, event: Event) -> None:
        self._handlers[type(event)](event)
        if self.progress is not None:
            self.progress.update(self.engine.now, self.arrived)

    def _now(self) -> datetime:
        return self.calendar.at(self.engine.now)

    def _today(self) -> DemandTally:
        return self.days[self.calendar.day_of(self.engine.now)]

    def _schedule_next_arrival(self, after: float) -> None:
        rng = self.random[streams.ARRIVALS]
        at = self.scenario.arrivals.next_arrival(after, rng, self.hours)
        if at < self.calendar.horizon:
            self.engine.schedule(at, Arrival())

    # -- the handlers, one per event type ---------------------------------------------------

    def _start_of_day(self, event: StartOfDay) -> None:
        self.engine.schedule((event.day + 1) * MINUTES_PER_DAY, EndOfDay(event.day))

    def _arrival(self, _event: Arrival) -> None:
        customer = self.customers.arrive(self.arrived, self.engine.now)
        self.arrived += 1
        self._today().arrivals += 1
        self.engine.schedule_in(customer.timing.browse, Observe(customer))
        self._schedule_next_arrival(after=self.engine.now)

    def _observe(self, event: Observe) -> None:
        customer = event.customer
        now, today = self._now(), self._today()
        offers = self.store.offers(self.store_id, now)
        self.http_calls += 1
        for wish in customer.wish_list:
            offer = offers.get(wish.sku)
            missing = wish.quantity - min(wish.quantity, max(offer.available if offer else 0, 0))
            if missing:
                today.units_not_on_shelf += missing
                self.skus[wish.sku].units_not_on_shelf += missing
                self.shortages[wish.sku].append(now)
        customer.basket = choose_basket(customer.wish_list, offers, customer.budget)
        if customer.basket:
            self.engine.schedule_in(customer.timing.pick, AddToCart(customer))
        else:
            self.engine.schedule_in(customer.timing.exit, Leave(customer))

    def _add_to_cart(self, event: AddToCart) -> None:
        """The basket is in the customer's hands, not yet the store's: the till sees it."""
        self.engine.schedule_in(event.customer.timing.queue, Checkout(event.customer))

    def _checkout(self, event: Checkout) -> None:
        customer = event.customer
        now = self._now()
        lines = [(line.sku, line.quantity) for line in customer.basket]
        order = self.store.sell(self.store_id, customer.ref, lines, now)
        self.http_calls += 1
        self._today().add_order(order)
        for line in order.lines:
            self.skus[line.sku].add_line(line.requested, line.fulfilled, line.unit_price)
            if line.lost:
                self.shortages[line.sku].append(now)
        self.engine.schedule_in(customer.timing.exit, Leave(customer))

    def _leave(self, _event: Leave) -> None:
        """The visit ends; everything it did was counted at observe and checkout."""

    def _end_of_day(self, event: EndOfDay) -> None:
        self.inventory.advance_clock(self.store_id, self._now())
        self.http_calls += 1
        if event.day + 1 < self.scenario.days:
            self.engine.schedule(self.engine.now, StartOfDay(event.day + 1))
