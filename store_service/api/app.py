"""The composition root: settings → engine, inventory client → unit of work → routes, metrics
and error mapping."""

from __future__ import annotations


from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter

from servicekit.app import bind_units_of_work, install_domain_errors, service_app, service_engine
from servicekit.logging import configure_logging
from store_service.adapters.inventory_client import InventoryClient
from store_service.api.routes import router
from store_service.application.ports import InventoryRejected, InventoryUnavailable
from store_service.application.unit_of_work import UnitOfWork
from store_service.config import Settings
from store_service.domain.model import (
    CartIdTaken,
    CartNotOpen,
    CheckoutPending,
    EmptyCart,
    Event,
    InvalidInput,
    OrderPlaced,
    ProductNotSold,
    StoreError,
    StoreExists,
    UnknownCart,
    UnknownOrder,
    UnknownProduct,
    UnknownStore,
)

DESCRIPTION = """
Stores, their catalogs, carts, checkout against the inventory service, orders and sales.

A checkout issues the cart's lines at the inventory (`POST /locations/{store}/issues`, with
the cart id as the idempotency reference) and records the order with what was fulfilled and
what was lost. It is safe to retry: a repeat returns the same order, and stock is never
issued twice. When the inventory is down: 503, nothing sold, the cart stays open.

**Time is data**: writes take an optional `at` (ISO-8601 with a zone).
"""

#: Subclasses answer like their nearest mapped base (see `servicekit.app.install_domain_errors`).
STATUS_OF_ERROR: dict[type[Exception], int] = {
    UnknownStore: 404,
    UnknownProduct: 404,
    UnknownCart: 404,
    UnknownOrder: 404,
    StoreExists: 409,
    CartNotOpen: 409,
    CartIdTaken: 409,
    EmptyCart: 409,
    CheckoutPending: 409,
    InventoryRejected: 409,
    ProductNotSold: 422,
    InvalidInput: 422,
    InventoryUnavailable: 503,
}


class DomainMetrics:
    """Counters fed by the domain events each committed unit of work publishes."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.checkouts = Counter(
            "store_checkouts_total", "Carts checked out into orders.", registry=registry
        )
        self.sold = Counter(
            "store_units_sold_total", "Units sold (fulfilled by the inventory).", registry=registry
        )
        self.lost = Counter(
            "store_units_lost_total",
            "Units wanted but not in stock (lost demand).",
            registry=registry,
        )
        self.revenue = Counter(
            "store_revenue_total", "Revenue of the orders placed.", registry=registry
        )

    def publish(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, OrderPlaced):
                self.checkouts.inc()
                self.sold.inc(event.order.units_fulfilled)
                self.lost.inc(event.order.units_lost)
                self.revenue.inc(float(event.order.total))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    connections = settings.per_worker(settings.db_pool_size)  # this worker's share
    engine = service_engine("store_service", settings.database_url, connections)
    inventory = InventoryClient(
        settings.inventory_url,
        timeout_seconds=settings.inventory_timeout_seconds,
        retries=settings.inventory_retries,
    )
    app, registry = service_app(
        title="store_service",
        description=DESCRIPTION,
        engine=engine,
        routers=[router],
        # The inventory is reported, but only the store's own database decides readiness.
        extra_checks=lambda: {"inventory": inventory.health()},
        closers=[inventory.close],
    )
    app.state.inventory = inventory
    bind_units_of_work(app, UnitOfWork, DomainMetrics(registry).publish)
    install_domain_errors(app, StoreError, STATUS_OF_ERROR)
    return app
