"""The HTTP routes: thin translations between HTTP and the use cases and queries."""

from __future__ import annotations

from typing import Annotated, Callable, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlalchemy import Connection

from inventory_service.api.schemas import (
    At,
    ClockIn,
    ClockOut,
    IssueIn,
    IssueOut,
    ItemPublic,
    ItemPut,
    LedgerTotal,
    LocationOut,
    MovementOut,
    PolicyIn,
    PurchaseOrderOut,
    Reference,
)
from inventory_service.application import queries, services
from inventory_service.application.unit_of_work import UnitOfWork
from inventory_service.domain.policies import InvalidPolicy, Policy, make_policy
from servicekit.app import get_reader, get_unit_of_work
from servicekit.http import (
    ID_PATTERN,
    Id,
    Page,
    PageQuery,
    PeriodQuery,
    error_responses,
    invalid_input,
)

UowDep = Annotated[UnitOfWork, Depends(get_unit_of_work)]
ReaderDep = Annotated[Callable[[], Connection], Depends(get_reader)]
LocationId = Annotated[str, Path(pattern=ID_PATTERN, examples=["store-1"])]
Sku = Annotated[str, Path(pattern=ID_PATTERN, examples=["milk-1l"])]
AtQuery = Annotated[
    At,
    Query(description="Apply receipts and reviews due by this time first (ISO-8601, zoned)."),
]

router = APIRouter(prefix="/locations", tags=["inventory"])


def build_policy(body: PolicyIn) -> Policy:
    try:
        return make_policy(body.type, **body.model_dump(exclude={"type"}))
    except InvalidPolicy as error:
        raise invalid_input(
            ("body", "policy", error.field), error.message, getattr(body, error.field, None)
        ) from error


@router.get("", summary="List locations", response_model=Page[LocationOut])
def list_locations(reader: ReaderDep, page: PageQuery) -> Page[LocationOut]:
    with reader() as connection:
        found = queries.list_locations(connection, page.limit, page.offset)
    data = [LocationOut(id=row.id, clock=row.clock, items=row.items) for row in found.rows]
    return Page(data=data, total=found.total, limit=page.limit, offset=page.offset)


@router.get(
    "/{location}/items",
    summary="List a location's stock items",
    response_model=Page[ItemPublic],
    responses=error_responses(404, 503),
)
def list_items(
    location: LocationId,
    reader: ReaderDep,
    uow: UowDep,
    page: PageQuery,
    at: AtQuery = None,
    sku: Annotated[list[Id] | None, Query(description="Only these SKUs (repeatable).")] = None,
) -> Page[ItemPublic]:
    with reader() as connection:
        if at is not None:
            services.advance_clock_if_due(uow, connection, location, at)
        items, total = queries.list_items(connection, location, page.limit, page.offset, sku)
    data = [ItemPublic.from_domain(location, item) for item in items]
    return Page(data=data, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/{location}/items/{sku}",
    summary="Get one stock item",
    response_model=ItemPublic,
    responses=error_responses(404, 503),
)
def get_item(
    location: LocationId, sku: Sku, reader: ReaderDep, uow: UowDep, at: AtQuery = None
) -> ItemPublic:
    with reader() as connection:
        if at is not None:
            services.advance_clock_if_due(uow, connection, location, at)
        return ItemPublic.from_domain(location, queries.get_item(connection, location, sku))


@router.put(
    "/{location}/items/{sku}",
    summary="Create or update a stock item",
    response_model=ItemPublic,
    responses={201: {"model": ItemPublic, "description": "Created"}, **error_responses(409, 503)},
)
def put_item(
    location: LocationId, sku: Sku, body: ItemPut, uow: UowDep, response: Response
) -> ItemPublic:
    policy = build_policy(body.policy) if body.policy is not None else None
    change = services.put_item(
        uow,
        location,
        sku,
        body.at,
        on_hand=body.on_hand,
        policy=policy,
        lead_time_minutes=body.lead_time_minutes,
        reference=body.reference,
    )
    if change.created:
        response.status_code = status.HTTP_201_CREATED
    return ItemPublic.from_domain(location, change.item)


@router.post(
    "/{location}/issues",
    summary="Issue stock (idempotent by reference)",
    response_model=IssueOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": IssueOut, "description": "A repeat"},
        **error_responses(404, 409, 503),
    },
)
def issue(location: LocationId, body: IssueIn, uow: UowDep, response: Response) -> IssueOut:
    """All lines in one transaction; each line issues what is on hand (partial per line).

    A repeat with the same ``reference`` answers 200 with the first result and moves nothing.
    Policies are evaluated in the same transaction, placing purchase orders as needed.
    """
    lines = [(line.sku, line.quantity) for line in body.lines]
    result = services.issue(uow, location, body.reference, body.at, lines)
    if result.replayed:
        response.status_code = status.HTTP_200_OK
    return IssueOut.from_domain(result.record, result.replayed)


@router.post(
    "/{location}/clock",
    summary="Advance a location's time",
    response_model=ClockOut,
    responses=error_responses(404, 503),
)
def advance_clock(location: LocationId, uow: UowDep, body: ClockIn | None = None) -> ClockOut:
    """Apply the receipts and periodic reviews due by ``at``; call it at least daily so that
    quiet days still see their reviews and deliveries."""
    result = services.advance_clock(uow, location, body.at if body is not None else None)
    return ClockOut(
        location=result.location,
        at=result.at,
        clock=result.clock,
        receipts=result.receipts,
        purchase_orders_placed=result.purchase_orders_placed,
    )


@router.get(
    "/{location}/movements",
    summary="The movement ledger",
    response_model=Page[MovementOut],
    responses=error_responses(404),
)
def list_movements(
    location: LocationId,
    reader: ReaderDep,
    page: PageQuery,
    period: PeriodQuery,
    sku: str | None = None,
    kind: Literal["receipt", "issue", "adjustment"] | None = None,
    reference: Annotated[Reference | None, Query()] = None,
) -> Page[MovementOut]:
    with reader() as connection:
        found = queries.list_movements(
            connection, location, page.limit, page.offset, sku, kind, reference, *period
        )
    data = [MovementOut.model_validate(row) for row in found.rows]
    return Page(data=data, total=found.total, limit=page.limit, offset=page.offset)


@router.get(
    "/{location}/movements/totals",
    summary="Ledger totals per SKU",
    response_model=list[LedgerTotal],
    responses=error_responses(404),
)
def ledger_totals(
    location: LocationId, reader: ReaderDep, period: PeriodQuery
) -> list[LedgerTotal]:
    """Units received, issued and adjusted per SKU: what reconciliation with sales uses."""
    with reader() as connection:
        totals = queries.ledger_totals(connection, location, *period)
    return [LedgerTotal(**row) for row in totals]


@router.get(
    "/{location}/purchase-orders",
    summary="Purchase orders",
    response_model=Page[PurchaseOrderOut],
    responses=error_responses(404),
)
def list_purchase_orders(
    location: LocationId,
    reader: ReaderDep,
    page: PageQuery,
    period: PeriodQuery,
    sku: str | None = None,
    status: Literal["open", "received"] | None = None,
) -> Page[PurchaseOrderOut]:
    with reader() as connection:
        found = queries.list_purchase_orders(
            connection, location, page.limit, page.offset, sku, status, *period
        )
    data = [PurchaseOrderOut.model_validate(row) for row in found.rows]
    return Page(data=data, total=found.total, limit=page.limit, offset=page.offset)
