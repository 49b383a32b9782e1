"""The events of the simulation. Each is a small immutable record; what it does is decided by
the environment's handler for its type (`environment.StoreEnvironment`)."""

from __future__ import annotations

from dataclasses import dataclass

from customer_sim.domain.customer import Customer


@dataclass(frozen=True)
class StartOfDay:
    day: int


@dataclass(frozen=True)
class Arrival:
    """A customer walks in; who they are is drawn when the event is handled."""


@dataclass(frozen=True)
class Observe:
    """The customer looks at the shelves: one availability query to the store."""

    customer: Customer


@dataclass(frozen=True)
class AddToCart:
    customer: Customer


@dataclass(frozen=True)
class Checkout:
    customer: Customer


@dataclass(frozen=True)
class Leave:
    customer: Customer


@dataclass(frozen=True)
class EndOfDay:
    """Midnight: the inventory's clock is advanced so that periodic reviews and receipts
    happen even on a day without sales."""

    day: int


Event = StartOfDay | Arrival | Observe | AddToCart | Checkout | Leave | EndOfDay
