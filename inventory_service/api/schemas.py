"""Request and response bodies: what clients may send and what they get back.

Separate from the table models, so that clients can never set internal columns and responses
never leak them. Request bodies reject unknown fields, so a typo is a 422, not a silent no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from inventory_service.domain.model import IssueRecord, StockItem
from servicekit.http import Id, Text
from servicekit.simtime import SPAN, Instant

MAX_UNITS = 1_000_000_000
Reference = Text(max_length=128)
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


class PolicyIn(RequestBody):
    """A replenishment policy. Which parameters a type needs:

    - ``none``: none.
    - ``rQ``: ``reorder_point`` (r >= 0), ``order_quantity`` (Q >= 1). Continuous review: at
      or below r, order Q, repeatedly until above r.
    - ``sS``: ``reorder_point`` (s >= 0), ``order_up_to`` (S > s). Continuous review: at or
      below s, order up to S.
    - ``RS``: ``review_period_minutes`` (R >= 1), ``order_up_to`` (S >= 1). Every R minutes,
      order up to S.
    """

    type: str = Field(description="none, rQ, sS or RS", examples=["rQ"])
    reorder_point: int | None = Field(None, ge=0, le=MAX_UNITS)
    order_quantity: int | None = Field(None, ge=1, le=MAX_UNITS)
    order_up_to: int | None = Field(None, ge=1, le=MAX_UNITS)
    review_period_minutes: int | None = Field(None, ge=1, le=10 * 525_600)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"type": "rQ", "reorder_point": 20, "order_quantity": 40},
                {"type": "sS", "reorder_point": 10, "order_up_to": 60},
                {"type": "RS", "review_period_minutes": 1440, "order_up_to": 80},
                {"type": "none"},
            ]
        },
    )


class PolicyOut(BaseModel):
    type: str
    reorder_point: int | None
    order_quantity: int | None
    order_up_to: int | None
    review_period_minutes: int | None


class ItemPut(RequestBody):
    """Create or update a stock item. Absent fields keep their value (new items: 0 on hand,
    policy ``none``, lead time 0). Setting ``on_hand`` books the difference as an adjustment."""

    on_hand: int | None = Field(None, ge=0, le=MAX_UNITS, examples=[50])
    policy: PolicyIn | None = None
    lead_time_minutes: int | None = Field(None, ge=0, le=10 * 525_600, examples=[2880])
    at: At = None
    reference: Reference | None = Field(
        None, description="Why on hand was set (ledger reference)", examples=["stock count"]
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "on_hand": 50,
                    "policy": {"type": "rQ", "reorder_point": 20, "order_quantity": 40},
                    "lead_time_minutes": 2880,
                    "at": "2026-03-01T08:00:00Z",
                }
            ]
        },
    )


class ItemPublic(BaseModel):
    location: str
    sku: str
    on_hand: int
    on_order: int
    inventory_position: int = Field(description="on hand + on order")
    policy: PolicyOut
    lead_time_minutes: int
    next_review_at: datetime | None = Field(description="Next periodic review (RS policies).")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "location": "store-1",
                    "sku": "milk-1l",
                    "on_hand": 18,
                    "on_order": 40,
                    "inventory_position": 58,
                    "policy": {
                        "type": "rQ",
                        "reorder_point": 20,
                        "order_quantity": 40,
                        "order_up_to": None,
                        "review_period_minutes": None,
                    },
                    "lead_time_minutes": 2880,
                    "next_review_at": None,
                }
            ]
        }
    )

    @classmethod
    def from_domain(cls, location: str, item: StockItem) -> ItemPublic:
        return cls(
            location=location,
            sku=item.sku,
            on_hand=item.on_hand,
            on_order=item.on_order,
            inventory_position=item.inventory_position,
            policy=PolicyOut(**item.policy.parameters()),
            lead_time_minutes=item.lead_time_minutes,
            next_review_at=item.next_review_at,
        )


class IssueLineIn(RequestBody):
    sku: Id = Field(examples=["milk-1l"])
    quantity: int = Field(ge=1, le=MAX_UNITS, examples=[2])


class IssueIn(RequestBody):
    reference: Reference = Field(
        description="Idempotency key: a repeat with the same reference returns the first "
        "result and moves no stock.",
        examples=["order-7f3c"],
    )
    at: At = None
    lines: list[IssueLineIn] = Field(min_length=1, max_length=500)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reference": "cart-7f3c",
                    "at": "2026-03-02T09:30:00Z",
                    "lines": [{"sku": "milk-1l", "quantity": 2}, {"sku": "bread", "quantity": 1}],
                }
            ]
        },
    )


class IssueLineOut(BaseModel):
    sku: str
    requested: int
    issued: int = Field(description="Units taken from stock; requested - issued were short.")


class IssueOut(BaseModel):
    reference: str
    at: datetime
    lines: list[IssueLineOut]
    replayed: bool = Field(description="True when this is the stored result of a repeat.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reference": "cart-7f3c",
                    "at": "2026-03-02T09:30:00Z",
                    "lines": [
                        {"sku": "milk-1l", "requested": 2, "issued": 2},
                        {"sku": "bread", "requested": 1, "issued": 0},
                    ],
                    "replayed": False,
                }
            ]
        }
    )

    @classmethod
    def from_domain(cls, record: IssueRecord, replayed: bool) -> IssueOut:
        lines = [
            IssueLineOut(sku=x.sku, requested=x.requested, issued=x.issued) for x in record.lines
        ]
        return cls(reference=record.reference, at=record.at, lines=lines, replayed=replayed)


class ClockIn(RequestBody):
    at: At = None

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"at": "2026-03-03T00:00:00Z"}]}
    )


class ClockOut(BaseModel):
    location: str
    at: datetime
    clock: datetime = Field(description="Time of the latest event recorded at the location.")
    receipts: int = Field(description="Purchase orders received by this call.")
    purchase_orders_placed: int = Field(description="Orders placed by periodic reviews.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "location": "store-1",
                    "at": "2026-03-03T00:00:00Z",
                    "clock": "2026-03-02T21:00:00Z",
                    "receipts": 1,
                    "purchase_orders_placed": 0,
                }
            ]
        }
    )


class MovementOut(BaseModel):
    id: int
    sku: str
    kind: str = Field(description="receipt, issue or adjustment")
    quantity: int = Field(description="Signed change of on hand.")
    on_hand_after: int
    at: datetime
    reference: str
    purchase_order_id: int | None

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 812,
                    "sku": "milk-1l",
                    "kind": "issue",
                    "quantity": -2,
                    "on_hand_after": 18,
                    "at": "2026-03-02T09:30:00Z",
                    "reference": "cart-7f3c",
                    "purchase_order_id": None,
                }
            ]
        },
    )


class LedgerTotal(BaseModel):
    sku: str
    received: int
    issued: int = Field(description="Units issued, as a positive number.")
    adjusted: int = Field(description="Net adjustment (signed).")
    movements: int

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"sku": "milk-1l", "received": 120, "issued": 131, "adjusted": 50, "movements": 77}
            ]
        }
    )


class PurchaseOrderOut(BaseModel):
    id: int
    sku: str
    quantity: int
    status: str = Field(description="open or received")
    reason: str = Field(description="continuous review or periodic review")
    placed_at: datetime
    due_at: datetime
    received_at: datetime | None

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 31,
                    "sku": "milk-1l",
                    "quantity": 40,
                    "status": "open",
                    "reason": "continuous review",
                    "placed_at": "2026-03-02T09:30:00Z",
                    "due_at": "2026-03-04T09:30:00Z",
                    "received_at": None,
                }
            ]
        },
    )


class LocationOut(BaseModel):
    id: str
    clock: datetime
    items: int

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{"id": "store-1", "clock": "2026-03-02T09:30:00Z", "items": 10}]
        },
    )
