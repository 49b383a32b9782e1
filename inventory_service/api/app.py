"""The composition root: settings → engine → unit of work → routes, metrics and error mapping."""

from __future__ import annotations


from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter

from inventory_service.api.routes import router
from inventory_service.application.unit_of_work import UnitOfWork
from inventory_service.config import Settings
from inventory_service.domain.model import (
    Event,
    InventoryError,
    PurchaseOrderPlaced,
    PurchaseOrderReceived,
    ReferenceReused,
    StockIssued,
    TimeWentBackwards,
    UnknownLocation,
    UnknownSkus,
)
from servicekit.app import bind_units_of_work, install_domain_errors, service_app, service_engine
from servicekit.logging import configure_logging

DESCRIPTION = """
Stock per (location, SKU), a movement ledger, replenishment policies (`none`, `rQ`, `sS`,
`RS`) and purchase orders with lead times.

**Time is data**: every write takes an optional `at` (ISO-8601 with a zone); receipts and
periodic reviews due by then are applied, in time order, before the request is handled.
"""

STATUS_OF_ERROR: dict[type[Exception], int] = {
    UnknownLocation: 404,
    UnknownSkus: 404,
    TimeWentBackwards: 409,
    ReferenceReused: 409,
}


class DomainMetrics:
    """Counters fed by the domain events each committed unit of work publishes."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.issued = Counter(
            "inventory_units_issued_total", "Units issued from stock.", registry=registry
        )
        self.short = Counter(
            "inventory_units_short_total",
            "Units requested but not on hand (lost demand).",
            registry=registry,
        )
        self.placed = Counter(
            "inventory_purchase_orders_placed_total", "Purchase orders placed.", registry=registry
        )
        self.received = Counter(
            "inventory_units_received_total",
            "Units received from purchase orders.",
            registry=registry,
        )

    def publish(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, StockIssued):
                self.issued.inc(event.issued)
                self.short.inc(event.requested - event.issued)
            elif isinstance(event, PurchaseOrderPlaced):
                self.placed.inc()
            elif isinstance(event, PurchaseOrderReceived):
                self.received.inc(event.quantity)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    connections = settings.per_worker(settings.db_pool_size)  # this worker's share
    engine = service_engine("inventory_service", settings.database_url, connections)
    app, registry = service_app(
        title="inventory_service",
        description=DESCRIPTION,
        engine=engine,
        routers=[router],
    )
    bind_units_of_work(app, UnitOfWork, DomainMetrics(registry).publish)
    install_domain_errors(app, InventoryError, STATUS_OF_ERROR)
    return app
