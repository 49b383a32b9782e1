"""Request and response bodies: what clients may send and what they get back.

Separate from the table models, so that clients can never set ids or internal columns and
responses never leak them. Request bodies reject unknown fields, so a typo is a 422, not a
silent no-op. Money is a JSON number with at most two decimals (a `Decimal` inside).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from servicekit.http import Id, Text
from servicekit.simtime import SPAN, Instant
from store_service.application.queries import DailySales, Reconciliation
from store_service.domain.model import Cart, Order, Product, Store

MAX_QUANTITY = 1_000_000
Name = Text(max_length=200, strip=True)
Category = Text(max_length=64, strip=True)
CustomerRef = Text(max_length=128)
#: Money out: a JSON number (clients do arithmetic on it), exact to the cent.
Money = Annotated[Decimal, PlainSerializer(float, return_type=float)]
#: Money in: at most 2 decimals and NUMERIC(12,2)'s range; a JSON number or a string.
Price = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False, examples=[1.49]),
]
At = Annotated[
    Instant | None,
    Field(
        description=f"When this happens (ISO-8601 with a zone, {SPAN}). Absent: the server's "
        "UTC clock.",
        examples=["2026-03-02T09:30:00Z"],
    ),
]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- stores ---------------------------------------------------------------------------------


class StoreIn(RequestBody):
    id: Id | None = Field(
        None,
        description="The store's id, also its stock location in the inventory. Absent: "
        "generated.",
        examples=["store-1"],
    )
    name: Name = Field(examples=["Main Street"])
    at: At = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"id": "store-1", "name": "Main Street"}]},
    )


class StoreOut(BaseModel):
    id: str
    name: str
    created_at: datetime

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": "store-1", "name": "Main Street", "created_at": "2026-03-01T08:00:00Z"}
            ]
        }
    )

    @classmethod
    def from_domain(cls, store: Store) -> StoreOut:
        return cls(id=store.id, name=store.name, created_at=store.created_at)


# -- catalog --------------------------------------------------------------------------------


class ProductPut(RequestBody):
    name: Name = Field(examples=["Milk 1 l"])
    category: Category = Field(examples=["dairy"])
    price: Price

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Milk 1 l", "category": "dairy", "price": 1.49}]},
    )


class ProductOut(BaseModel):
    sku: str
    name: str
    category: str
    price: Money
    available: int | None = Field(
        None,
        description="Units on hand at the inventory at `at` (0 when it has no item for the "
        "SKU). Present only when availability was asked for.",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"sku": "milk-1l", "name": "Milk 1 l", "category": "dairy", "price": 1.49},
                {
                    "sku": "milk-1l",
                    "name": "Milk 1 l",
                    "category": "dairy",
                    "price": 1.49,
                    "available": 18,
                },
            ]
        }
    )

    @classmethod
    def from_domain(cls, product: Product, available: int | None = None) -> ProductOut:
        return cls(
            sku=product.sku,
            name=product.name,
            category=product.category,
            price=product.price,
            available=available,
        )


# -- carts ----------------------------------------------------------------------------------


class CartLineIn(RequestBody):
    sku: Id = Field(examples=["milk-1l"])
    quantity: int = Field(ge=1, le=MAX_QUANTITY, description="Units wanted.", examples=[2])

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"sku": "milk-1l", "quantity": 2}]}
    )


class CartIn(RequestBody):
    customer_ref: CustomerRef | None = Field(
        None, description="Who shops (free text).", examples=["c-42"]
    )
    items: list[CartLineIn] = Field(
        default_factory=list,
        max_length=1000,
        description="The cart's lines, each at the catalog's current price: a whole basket "
        "in one request (`PUT /carts/{cart}/items/{sku}` changes them later). Each SKU once.",
    )
    at: At = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"customer_ref": "c-42", "items": [{"sku": "milk-1l", "quantity": 2}]},
                {"customer_ref": "c-43"},
            ]
        },
    )

    @field_validator("items")
    @classmethod
    def _each_sku_once(cls, items: list[CartLineIn]) -> list[CartLineIn]:
        skus = [item.sku for item in items]
        repeated = sorted({sku for sku in skus if skus.count(sku) > 1})
        if repeated:
            raise ValueError(f"each SKU once; repeated: {', '.join(repeated)}")
        return items


class SaleIn(CartIn):
    cart_id: Id = Field(
        description="The id of the cart the sale opens, chosen by the client (a fresh one per "
        "sale, such as `cart-` and a UUID): a repeat with the same id and items is that "
        "cart's checkout, so a sale retried after a timeout or a 503 is sold once; the id "
        "with other items, or at another store, is a 409.",
        examples=["cart-5a0c9d3e6f5b4e1c8f0e2d7b9a1c3e5f"],
    )
    items: list[CartLineIn] = Field(
        min_length=1,
        max_length=1000,
        description="The basket, each line at the catalog's current price. Each SKU once.",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "cart_id": "cart-5a0c9d3e6f5b4e1c8f0e2d7b9a1c3e5f",
                    "customer_ref": "c-42",
                    "items": [{"sku": "milk-1l", "quantity": 2}, {"sku": "bread", "quantity": 1}],
                    "at": "2026-03-02T09:30:00Z",
                }
            ]
        },
    )


class CartItemPut(RequestBody):
    quantity: int = Field(
        ge=0, le=MAX_QUANTITY, description="Units wanted; 0 removes the item.", examples=[2]
    )

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"quantity": 2}]})


class CartItemOut(BaseModel):
    sku: str
    quantity: int
    unit_price: Money = Field(description="The catalog price when the item was last put.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"sku": "milk-1l", "quantity": 2, "unit_price": 1.49}]}
    )


class CartOut(BaseModel):
    id: str
    store_id: str
    status: str = Field(description="open or checked_out")
    customer_ref: str | None
    items: list[CartItemOut] = Field(description="In SKU order.")
    created_at: datetime
    checkout_pending: bool = Field(
        description="A checkout failed in a way that may have reached the inventory: the "
        "items are frozen until a retried checkout completes."
    )
    checked_out_at: datetime | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "cart-5a0c9d3e6f5b4e1c8f0e2d7b9a1c3e5f",
                    "store_id": "store-1",
                    "status": "open",
                    "customer_ref": "c-42",
                    "items": [{"sku": "milk-1l", "quantity": 2, "unit_price": 1.49}],
                    "created_at": "2026-03-02T09:25:00Z",
                    "checkout_pending": False,
                    "checked_out_at": None,
                }
            ]
        }
    )

    @classmethod
    def from_domain(cls, cart: Cart) -> CartOut:
        return cls(
            id=cart.id,
            store_id=cart.store_id,
            status=cart.status.value,
            customer_ref=cart.customer_ref,
            items=[
                CartItemOut(sku=item.sku, quantity=item.quantity, unit_price=item.unit_price)
                for item in cart.lines
            ],
            created_at=cart.created_at,
            checkout_pending=cart.checkout_pending,
            checked_out_at=cart.checked_out_at,
        )


class CheckoutIn(RequestBody):
    at: At = None

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"at": "2026-03-02T09:30:00Z"}]}
    )


# -- orders and sales -----------------------------------------------------------------------


class OrderLineOut(BaseModel):
    sku: str
    requested: int
    fulfilled: int = Field(description="Units the inventory issued.")
    lost: int = Field(description="requested - fulfilled: lost demand.")
    unit_price: Money

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"sku": "milk-1l", "requested": 5, "fulfilled": 3, "lost": 2, "unit_price": 1.49}
            ]
        }
    )


class OrderOut(BaseModel):
    id: str
    store_id: str
    cart_id: str
    status: str = Field(description="placed")
    placed_at: datetime = Field(description="When the stock was issued.")
    lines: list[OrderLineOut]
    total: Money = Field(description="Sum of fulfilled * unit_price.")
    units_requested: int
    units_fulfilled: int
    units_lost: int

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "order-0b7e4c1d2a3f4e5d9c8b7a6f5e4d3c2b",
                    "store_id": "store-1",
                    "cart_id": "cart-5a0c9d3e6f5b4e1c8f0e2d7b9a1c3e5f",
                    "status": "placed",
                    "placed_at": "2026-03-02T09:30:00Z",
                    "lines": [
                        {
                            "sku": "milk-1l",
                            "requested": 2,
                            "fulfilled": 2,
                            "lost": 0,
                            "unit_price": 1.49,
                        },
                        {
                            "sku": "bread",
                            "requested": 1,
                            "fulfilled": 0,
                            "lost": 1,
                            "unit_price": 2.2,
                        },
                    ],
                    "total": 2.98,
                    "units_requested": 3,
                    "units_fulfilled": 2,
                    "units_lost": 1,
                }
            ]
        }
    )

    @classmethod
    def from_domain(cls, order: Order) -> OrderOut:
        return cls(
            id=order.id,
            store_id=order.store_id,
            cart_id=order.cart_id,
            status=order.status,
            placed_at=order.placed_at,
            lines=[
                OrderLineOut(
                    sku=line.sku,
                    requested=line.requested,
                    fulfilled=line.fulfilled,
                    lost=line.lost,
                    unit_price=line.unit_price,
                )
                for line in order.lines
            ],
            total=order.total,
            units_requested=order.units_requested,
            units_fulfilled=order.units_fulfilled,
            units_lost=order.units_lost,
        )


class DailySalesOut(BaseModel):
    day: date = Field(description="A UTC day.")
    orders: int
    units_sold: int
    units_lost: int
    revenue: Money

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "day": "2026-03-02",
                    "orders": 41,
                    "units_sold": 97,
                    "units_lost": 6,
                    "revenue": 182.35,
                }
            ]
        }
    )

    @classmethod
    def from_domain(cls, sales: DailySales) -> DailySalesOut:
        return cls(
            day=sales.day,
            orders=sales.orders,
            units_sold=sales.units_sold,
            units_lost=sales.units_lost,
            revenue=sales.revenue,
        )


class SkuBalanceOut(BaseModel):
    sku: str
    fulfilled: int = Field(description="Units fulfilled across the store's orders.")
    issued: int = Field(description="Units issued in the inventory's ledger.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"sku": "milk-1l", "fulfilled": 131, "issued": 131}]}
    )


class ReconciliationOut(BaseModel):
    store: str
    balanced: bool = Field(description="True when fulfilled equals issued for every SKU.")
    skus: list[SkuBalanceOut]
    carts_pending_checkout: int = Field(
        description="Open carts whose checkout may have issued stock and awaits a retry."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "store": "store-1",
                    "balanced": True,
                    "skus": [{"sku": "milk-1l", "fulfilled": 131, "issued": 131}],
                    "carts_pending_checkout": 0,
                }
            ]
        }
    )

    @classmethod
    def from_domain(cls, result: Reconciliation) -> ReconciliationOut:
        return cls(
            store=result.store,
            balanced=result.balanced,
            skus=[
                SkuBalanceOut(sku=x.sku, fulfilled=x.fulfilled, issued=x.issued)
                for x in result.skus
            ],
            carts_pending_checkout=result.carts_pending_checkout,
        )
