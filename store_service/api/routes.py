"""The HTTP routes: thin translations between HTTP and the use cases and queries.

Each route hands its database work to the app's `servicekit.app.Database` (``read``, ``write``
or ``run``), which runs it on the event loop; the calls to the inventory inside it are made on
the loop too (the inventory client's ``on_the_event_loop``), which serves other requests while
they wait.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Annotated, Iterator

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from servicekit.app import DatabaseDep
from servicekit.http import (
    ID_PATTERN,
    Page,
    PageQuery,
    Period,
    PeriodQuery,
    checked_period,
    error_responses,
    invalid_input,
)
from servicekit.simtime import Day, Instant
from store_service.api.schemas import (
    Category,
    CartIn,
    CartItemPut,
    CartOut,
    CheckoutIn,
    DailySalesOut,
    OrderOut,
    ProductOut,
    ProductPut,
    ReconciliationOut,
    SaleIn,
    StoreIn,
    StoreOut,
)
from store_service.application import queries, services
from store_service.application.ports import Inventory
from store_service.domain.model import Product, ProductNotSold


async def get_inventory(request: Request) -> Inventory:
    """The process's inventory client (``async``: see `servicekit.app` on dependencies)."""
    return request.app.state.inventory


InventoryDep = Annotated[Inventory, Depends(get_inventory)]
StoreId = Annotated[str, Path(pattern=ID_PATTERN, examples=["store-1"])]
Sku = Annotated[str, Path(pattern=ID_PATTERN, examples=["milk-1l"])]
CartId = Annotated[str, Path(pattern=ID_PATTERN, examples=["cart-5a0c9d3e6f5b4e1c"])]
OrderId = Annotated[str, Path(pattern=ID_PATTERN, examples=["order-0b7e4c1d2a3f4e5d"])]
AtQuery = Annotated[
    Instant | None,
    Query(description="Availability at this time (ISO-8601, zoned). Absent: now."),
]

router = APIRouter()
#: What a checkout, or a sale, answers: 201 with the new order, or 200 with it on a repeat.
ORDER_ANSWERS = {
    200: {"model": OrderOut, "description": "A repeat: the cart's order"},
    **error_responses(404, 409, 503),
}


def now_or(at: datetime | None) -> datetime:
    return at if at is not None else datetime.now(timezone.utc)


# -- stores and catalog ---------------------------------------------------------------------


@router.post(
    "/stores",
    tags=["stores"],
    summary="Open a store",
    response_model=StoreOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409, 503),
)
async def create_store(body: StoreIn, database: DatabaseDep) -> StoreOut:
    """The store's id is also its stock location at the inventory service."""
    store = await database.write(
        lambda uow: services.create_store(uow, body.name, now_or(body.at), body.id)
    )
    return StoreOut.from_domain(store)


@router.get("/stores", tags=["stores"], summary="List stores", response_model=Page[StoreOut])
async def list_stores(database: DatabaseDep, page: PageQuery) -> Page[StoreOut]:
    stores, total = await database.read(
        lambda connection: queries.list_stores(connection, page.limit, page.offset)
    )
    data = [StoreOut.from_domain(store) for store in stores]
    return Page(data=data, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/stores/{store}",
    tags=["stores"],
    summary="Get a store",
    response_model=StoreOut,
    responses=error_responses(404),
)
async def get_store(store: StoreId, database: DatabaseDep) -> StoreOut:
    return StoreOut.from_domain(
        await database.read(lambda connection: queries.get_store(connection, store))
    )


@router.put(
    "/stores/{store}/products/{sku}",
    tags=["catalog"],
    summary="Create or update a product of the store's catalog",
    response_model=ProductOut,
    response_model_exclude_none=True,
    responses={201: {"model": ProductOut, "description": "Created"}, **error_responses(404, 503)},
)
async def put_product(
    store: StoreId, sku: Sku, body: ProductPut, database: DatabaseDep, response: Response
) -> ProductOut:
    """Open carts keep the price they captured; new and changed lines get the new one."""
    product = Product(sku=sku, name=body.name, category=body.category, price=body.price)
    at = datetime.now(timezone.utc)
    change = await database.write(lambda uow: services.put_product(uow, store, product, at))
    if change.created:
        response.status_code = status.HTTP_201_CREATED
    return ProductOut.from_domain(change.product)


@router.get(
    "/stores/{store}/products",
    tags=["catalog"],
    summary="List the store's products",
    response_model=Page[ProductOut],
    response_model_exclude_none=True,
    responses=error_responses(404, 503),
)
async def list_products(
    store: StoreId,
    database: DatabaseDep,
    inventory: InventoryDep,
    page: PageQuery,
    category: Annotated[Category | None, Query()] = None,
    availability: Annotated[
        bool, Query(description="Add `available` (from the inventory, one request per page).")
    ] = False,
    at: AtQuery = None,
) -> Page[ProductOut]:

    def look() -> Page[ProductOut]:
        with database.reader() as connection:  # closed before the inventory is asked
            products, total = queries.list_products(
                connection, store, page.limit, page.offset, category
            )
        available = queries.availability(inventory, store, products, at) if availability else {}
        data = [ProductOut.from_domain(item, available.get(item.sku)) for item in products]
        return Page(data=data, total=total, limit=page.limit, offset=page.offset)

    return await database.run(look)


@router.get(
    "/stores/{store}/products/{sku}",
    tags=["catalog"],
    summary="Get a product with its availability",
    response_model=ProductOut,
    responses=error_responses(404, 503),
)
async def get_product(
    store: StoreId, sku: Sku, database: DatabaseDep, inventory: InventoryDep, at: AtQuery = None
) -> ProductOut:
    """``available`` is read from the inventory at ``at``; 503 when the inventory is down."""

    def look() -> ProductOut:
        with database.reader() as connection:  # closed before the inventory is asked
            product = queries.get_product(connection, store, sku)
        available = queries.availability(inventory, store, [product], at)
        return ProductOut.from_domain(product, available[sku])

    return await database.run(look)


# -- carts and checkout ---------------------------------------------------------------------


@router.post(
    "/stores/{store}/carts",
    tags=["carts"],
    summary="Open a cart, with its lines",
    response_model=CartOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(404, 503),
)
async def open_cart(store: StoreId, database: DatabaseDep, body: CartIn | None = None) -> CartOut:
    """``items`` puts a whole basket in the cart in one request; 422 (and no cart) when the
    store does not sell one of them."""
    body = body or CartIn()
    items = [(line.sku, line.quantity) for line in body.items]
    with lines_sold(items):
        cart = await database.write(
            lambda uow: services.open_cart(uow, store, now_or(body.at), body.customer_ref, items)
        )
    return CartOut.from_domain(cart)


@contextmanager
def lines_sold(items: list[tuple[str, int]]) -> Iterator[None]:
    """A line the store does not sell is a 422 that says which, like the schema's own."""
    try:
        yield
    except ProductNotSold as error:
        line = [sku for sku, _ in items].index(error.sku)
        raise invalid_input(("body", "items", line, "sku"), str(error), error.sku) from error


@router.get(
    "/carts/{cart}",
    tags=["carts"],
    summary="Get a cart",
    response_model=CartOut,
    responses=error_responses(404),
)
async def get_cart(cart: CartId, database: DatabaseDep) -> CartOut:
    return CartOut.from_domain(
        await database.read(lambda connection: queries.get_cart(connection, cart))
    )


@router.put(
    "/carts/{cart}/items/{sku}",
    tags=["carts"],
    summary="Set the quantity of a product in a cart (0 removes it)",
    response_model=CartOut,
    responses=error_responses(404, 409, 503),
)
async def set_cart_item(
    cart: CartId, sku: Sku, body: CartItemPut, database: DatabaseDep
) -> CartOut:
    """422 when the store does not sell the SKU; 409 when the cart is no longer open (or a
    checkout of it awaits a retry)."""
    return CartOut.from_domain(
        await database.write(lambda uow: services.set_cart_item(uow, cart, sku, body.quantity))
    )


@router.post(
    "/carts/{cart}/checkout",
    tags=["carts"],
    summary="Check a cart out (idempotent)",
    response_model=OrderOut,
    status_code=status.HTTP_201_CREATED,
    responses=ORDER_ANSWERS,
)
async def checkout(
    cart: CartId,
    database: DatabaseDep,
    inventory: InventoryDep,
    response: Response,
    body: CheckoutIn | None = None,
) -> OrderOut:
    """Issue the cart's lines at the inventory (reference: the cart id), record the order
    with what was fulfilled and what was lost, close the cart.

    A repeat answers 200 with the same order. When the inventory is down or times out: 503,
    nothing sold, the cart stays open; retrying is safe and never issues stock twice.
    """
    at = body.at if body is not None else None
    result = await database.write(lambda uow: services.checkout(uow, inventory, cart, at))
    return order_answer(result, response)


def order_answer(result: services.CheckoutResult, response: Response) -> OrderOut:
    """The order, with 200 instead of 201 when it was there already (a repeat)."""
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return OrderOut.from_domain(result.order)


# -- orders, sales, reconciliation ----------------------------------------------------------


@router.post(
    "/stores/{store}/orders",
    tags=["sales"],
    summary="Sell a basket in one request (a till): open a cart with it and check it out",
    response_model=OrderOut,
    status_code=status.HTTP_201_CREATED,
    responses=ORDER_ANSWERS,
)
async def sell(
    store: StoreId,
    body: SaleIn,
    database: DatabaseDep,
    inventory: InventoryDep,
    response: Response,
) -> OrderOut:
    """`POST /stores/{store}/carts` and `POST /carts/{cart}/checkout` in one request, under
    the cart id the client chose: the same order, the same answers (422 for a line the store
    does not sell, 503 when the inventory is down: nothing sold, retry). A repeat (the same
    ``cart_id``, store and items) is that cart's checkout: 200 with its order; 409 if the id is
    another store's cart or one with other lines, and nothing is sold.
    """
    items = [(line.sku, line.quantity) for line in body.items]
    with lines_sold(items):
        result = await database.write(
            lambda uow: services.sell(
                uow, inventory, store, body.cart_id, items, body.at, body.customer_ref
            )
        )
    return order_answer(result, response)


@router.get(
    "/orders/{order}",
    tags=["sales"],
    summary="Get an order",
    response_model=OrderOut,
    responses=error_responses(404),
)
async def get_order(order: OrderId, database: DatabaseDep) -> OrderOut:
    return OrderOut.from_domain(
        await database.read(lambda connection: queries.get_order(connection, order))
    )


@router.get(
    "/stores/{store}/orders",
    tags=["sales"],
    summary="List the store's orders by time placed",
    response_model=Page[OrderOut],
    responses=error_responses(404),
)
async def list_orders(
    store: StoreId,
    database: DatabaseDep,
    page: PageQuery,
    period: PeriodQuery,
) -> Page[OrderOut]:
    orders, total = await database.read(
        lambda connection: queries.list_orders(connection, store, page.limit, page.offset, *period)
    )
    data = [OrderOut.from_domain(order) for order in orders]
    return Page(data=data, total=total, limit=page.limit, offset=page.offset)


async def _days(  # async: no I/O, so no hop to the thread pool (see servicekit.app)
    start: Annotated[Day | None, Query(alias="from", description="First UTC day.")] = None,
    end: Annotated[Day | None, Query(alias="to", description="Last UTC day (inclusive).")] = None,
) -> Period:
    return checked_period(start, end)


@router.get(
    "/stores/{store}/sales/daily",
    tags=["sales"],
    summary="Daily sales: orders, units sold and lost, revenue",
    response_model=list[DailySalesOut],
    responses=error_responses(404),
)
async def daily_sales(
    store: StoreId, database: DatabaseDep, days: Annotated[Period, Depends(_days)]
) -> list[DailySalesOut]:
    """Days with orders only, aggregated by the database."""
    sales = await database.read(lambda connection: queries.daily_sales(connection, store, *days))
    return [DailySalesOut.from_domain(day) for day in sales]


@router.get(
    "/stores/{store}/reconciliation",
    tags=["sales"],
    summary="Sales vs the inventory ledger",
    response_model=ReconciliationOut,
    responses=error_responses(404, 503),
)
async def reconciliation(
    store: StoreId, database: DatabaseDep, inventory: InventoryDep
) -> ReconciliationOut:
    """Units fulfilled across the store's orders vs units issued at its inventory location."""
    result = await database.run(lambda: queries.reconcile(database.reader, inventory, store))
    return ReconciliationOut.from_domain(result)
