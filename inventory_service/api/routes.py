"""The HTTP routes: thin translations between HTTP and the use cases and queries.

Each route hands its database work to the app's `servicekit.app.Database` (``read``, ``write``
or ``run``), which runs it without blocking the event loop.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status

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
from inventory_service.domain.policies import InvalidPolicy, Policy, make_policy
from servicekit.app import DatabaseDep
from servicekit.http import (
    ID_PATTERN,
    Id,
    Page,
    PageQuery,
    PeriodQuery,
    error_responses,
    invalid_input,
)

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
async def list_locations(database: DatabaseDep, page: PageQuery) -> Page[LocationOut]:
    found = await database.read(
        lambda connection: queries.list_locations(connection, page.limit, page.offset)
    )
    data = [LocationOut(id=row.id, clock=row.clock, items=row.items) for row in found.rows]
    return Page(data=data, total=found.total, limit=page.limit, offset=page.offset)


@router.get(
    "/{location}/items",
    summary="List a location's stock items",
    response_model=Page[ItemPublic],
    responses=error_responses(404, 503),
)
async def list_items(
    location: LocationId,
    database: DatabaseDep,
    page: PageQuery,
    at: AtQuery = None,
    sku: Annotated[list[Id] | None, Query(description="Only these SKUs (repeatable).")] = None,
) -> Page[ItemPublic]:
    def look() -> queries.ItemsPage:
        with database.reader() as connection:
            found = queries.list_items(connection, location, page.limit, page.offset, sku, at)
            if found.due:  # catch up first (`advance_clock_if_due`), then read again
                uow = database.unit_of_work()
                services.advance_clock_if_due(uow, connection, location, at, due=True)
                found = queries.list_items(connection, location, page.limit, page.offset, sku)
            return found

    found = await database.run(look)
    data = [ItemPublic.from_domain(location, item) for item in found.items]
    return Page(data=data, total=found.total, limit=page.limit, offset=page.offset)


@router.get(
    "/{location}/items/{sku}",
    summary="Get one stock item",
    response_model=ItemPublic,
    responses=error_responses(404, 503),
)
async def get_item(
    location: LocationId, sku: Sku, database: DatabaseDep, at: AtQuery = None
) -> ItemPublic:
    def look() -> ItemPublic:
        with database.reader() as connection:
            if at is not None:
                uow = database.unit_of_work()
                services.advance_clock_if_due(uow, connection, location, at)
            return ItemPublic.from_domain(location, queries.get_item(connection, location, sku))

    return await database.run(look)


@router.put(
    "/{location}/items/{sku}",
    summary="Create or update a stock item",
    response_model=ItemPublic,
    responses={201: {"model": ItemPublic, "description": "Created"}, **error_responses(409, 503)},
)
async def put_item(
    location: LocationId, sku: Sku, body: ItemPut, database: DatabaseDep, response: Response
) -> ItemPublic:
    policy = build_policy(body.policy) if body.policy is not None else None
    change = await database.write(
        lambda uow: services.put_item(
            uow,
            location,
            sku,
            body.at,
            on_hand=body.on_hand,
            policy=policy,
            lead_time_minutes=body.lead_time_minutes,
            reference=body.reference,
        )
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
async def issue(
    location: LocationId, body: IssueIn, database: DatabaseDep, response: Response
) -> IssueOut:
    """All lines in one transaction; each line issues what is on hand (partial per line).

    A repeat with the same ``reference`` answers 200 with the first result and moves nothing.
    Policies are evaluated in the same transaction, placing purchase orders as needed.
    """
    lines = [(line.sku, line.quantity) for line in body.lines]
    result = await database.write(
        lambda uow: services.issue(uow, location, body.reference, body.at, lines)
    )
    if result.replayed:
        response.status_code = status.HTTP_200_OK
    return IssueOut.from_domain(result.record, result.replayed)


@router.post(
    "/{location}/clock",
    summary="Advance a location's time",
    response_model=ClockOut,
    responses=error_responses(404, 503),
)
async def advance_clock(
    location: LocationId, database: DatabaseDep, body: ClockIn | None = None
) -> ClockOut:
    """Apply the receipts and periodic reviews due by ``at``; call it at least daily so that
    quiet days still see their reviews and deliveries."""
    at = body.at if body is not None else None
    result = await database.write(lambda uow: services.advance_clock(uow, location, at))
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
async def list_movements(
    location: LocationId,
    database: DatabaseDep,
    page: PageQuery,
    period: PeriodQuery,
    sku: Annotated[Id | None, Query(description="Only this SKU.")] = None,
    kind: Literal["receipt", "issue", "adjustment"] | None = None,
    reference: Annotated[Reference | None, Query()] = None,
) -> Page[MovementOut]:
    found = await database.read(
        lambda connection: queries.list_movements(
            connection, location, page.limit, page.offset, sku, kind, reference, *period
        )
    )
    data = [MovementOut.model_validate(row) for row in found.rows]
    return Page(data=data, total=found.total, limit=page.limit, offset=page.offset)


@router.get(
    "/{location}/movements/totals",
    summary="Ledger totals per SKU",
    response_model=list[LedgerTotal],
    responses=error_responses(404),
)
async def ledger_totals(
    location: LocationId, database: DatabaseDep, period: PeriodQuery
) -> list[LedgerTotal]:
    """Units received, issued and adjusted per SKU: what reconciliation with sales uses."""
    totals = await database.read(
        lambda connection: queries.ledger_totals(connection, location, *period)
    )
    return [LedgerTotal(**row) for row in totals]


@router.get(
    "/{location}/purchase-orders",
    summary="Purchase orders",
    response_model=Page[PurchaseOrderOut],
    responses=error_responses(404),
)
async def list_purchase_orders(
    location: LocationId,
    database: DatabaseDep,
    page: PageQuery,
    period: PeriodQuery,
    sku: Annotated[Id | None, Query(description="Only this SKU.")] = None,
    status: Literal["open", "received"] | None = None,
) -> Page[PurchaseOrderOut]:
    found = await database.read(
        lambda connection: queries.list_purchase_orders(
            connection, location, page.limit, page.offset, sku, status, *period
        )
    )
    data = [PurchaseOrderOut.model_validate(row) for row in found.rows]
    return Page(data=data, total=found.total, limit=page.limit, offset=page.offset)
