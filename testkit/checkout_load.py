"""A checkout load for the fault tests, and the audit of what it left behind.

Shoppers in threads each open a cart with a few lines and check it out, over and over,
against real store and inventory processes. They behave as the API asks clients to: a 503
or a dropped connection means "retry the same checkout later", so the cart is kept and
checked out again after the fault. `audit` then checks the promises: every cart that was
answered with an order has exactly one order; each order's fulfilled units equal the
inventory's issues under that cart's reference, issued once; on hand equals the sum of each
SKU's ledger; and the store reconciles with the inventory.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import httpx

from testkit.fixtures import unique_id


@dataclass
class Tally:
    """What the shoppers saw, by kind."""

    orders: dict[str, dict] = field(default_factory=dict)  # cart id -> the order answered
    unfinished: set[str] = field(default_factory=set)  # carts whose checkout must be retried
    statuses: Counter = field(default_factory=Counter)
    resets: list[str] = field(default_factory=list)  # requests cut off after being sent
    refused: int = 0  # connections refused before a request was sent


def open_store(store_url: str, inventory_url: str, skus: dict[str, int]) -> str:
    """A new store selling ``skus`` (sku -> units on hand), stocked at the inventory."""
    store = unique_id("fault")
    with httpx.Client(base_url=store_url, timeout=30) as client:
        client.post("/stores", json={"id": store, "name": "Fault test"}).raise_for_status()
        for sku in skus:
            product = {"name": sku, "category": "test", "price": 1.0}
            client.put(f"/stores/{store}/products/{sku}", json=product).raise_for_status()
    with httpx.Client(base_url=inventory_url, timeout=30) as client:
        for sku, on_hand in skus.items():
            client.put(f"/locations/{store}/items/{sku}", json={"on_hand": on_hand})
    return store


class CheckoutLoad:
    """``with CheckoutLoad(...) as load:`` shops until the block ends; then `finish`."""

    def __init__(
        self, store_url: str, store: str, skus: list[str], shoppers: int = 6, seed: int = 1
    ) -> None:
        self.store_url = store_url
        self.store = store
        self.skus = skus
        self.shoppers = shoppers
        self.seed = seed
        self.tally = Tally()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sent: dict[int, float] = {}  # thread -> when its request in flight was sent

    def __enter__(self) -> CheckoutLoad:
        for number in range(self.shoppers):
            thread = threading.Thread(target=self._shop, args=(self.seed * 1000 + number,))
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def waiting(self, seconds: float) -> int:
        """How many shoppers have had a request in flight for at least ``seconds``."""
        now = time.monotonic()
        with self._lock:
            return sum(1 for sent in self._sent.values() if now - sent >= seconds)

    def _post(self, client: httpx.Client, path: str, body: dict) -> httpx.Response:
        thread = threading.get_ident()
        with self._lock:
            self._sent[thread] = time.monotonic()
        try:
            return client.post(path, json=body)
        finally:
            with self._lock:
                del self._sent[thread]

    def checkouts(self) -> int:
        with self._lock:
            return len(self.tally.orders)

    def wait_for(self, checkouts: int, timeout: float = 60) -> None:
        """Block until the shoppers have completed ``checkouts`` more checkouts."""
        target = self.checkouts() + checkouts
        deadline = time.monotonic() + timeout
        while self.checkouts() < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.checkouts()} checkouts, {self.tally.statuses}")
            time.sleep(0.05)

    def _record(self, status: str) -> None:
        with self._lock:
            self.tally.statuses[status] += 1

    def _shop(self, seed: int) -> None:
        rng = random.Random(seed)
        # A fresh connection per request: a reset then means this request, not an idle one.
        fresh = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=self.store_url, timeout=30, limits=fresh) as client:
            while not self._stop.is_set():
                items = [{"sku": sku, "quantity": rng.randint(1, 3)}
                         for sku in rng.sample(self.skus, k=2)]  # fmt: skip
                cart = self._open_cart(client, items)
                if cart is not None:
                    self._check_out(client, cart)

    def _open_cart(self, client: httpx.Client, items: list[dict]) -> str | None:
        try:
            answer = self._post(client, f"/stores/{self.store}/carts", {"items": items})
        except httpx.TransportError as error:
            self._transport_error("open cart", error)
            return None
        self._record(f"open cart {answer.status_code}")
        return answer.json()["id"] if answer.status_code == 201 else None

    def _check_out(self, client: httpx.Client, cart: str) -> bool:
        try:
            answer = self._post(client, f"/carts/{cart}/checkout", {})
        except httpx.TransportError as error:
            self._transport_error("checkout", error)
            with self._lock:
                self.tally.unfinished.add(cart)
            return False
        self._record(f"checkout {answer.status_code}")
        with self._lock:
            if answer.status_code in (200, 201):
                order = answer.json()
                previous = self.tally.orders.setdefault(cart, order)
                assert previous["id"] == order["id"], f"two orders for {cart}"
                self.tally.unfinished.discard(cart)
                return True
            self.tally.unfinished.add(cart)
        return False

    def _transport_error(self, what: str, error: httpx.TransportError) -> None:
        with self._lock:
            if isinstance(error, httpx.ConnectError):
                self.tally.refused += 1  # nothing was sent: the client may simply retry
            else:
                self.tally.resets.append(f"{what}: {error!r}")
        time.sleep(0.05)  # the service is away: do not spin

    def finish(self, timeout: float = 60) -> None:
        """Retry every checkout that was left unanswered, as a client would, until done."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.store_url, timeout=30) as client:
            while self.tally.unfinished:
                for cart in sorted(self.tally.unfinished):
                    self._check_out(client, cart)
                if self.tally.unfinished and time.monotonic() > deadline:
                    raise AssertionError(f"checkouts never completed: {self.tally.unfinished}")
                time.sleep(0.2)


def audit(store_url: str, inventory_url: str, store: str, tally: Tally) -> None:
    """Nothing half-applied, nothing twice: the store's orders, the inventory's ledger and
    what the shoppers were answered all agree."""
    with httpx.Client(base_url=store_url, timeout=30) as client:
        orders = _all(client, f"/stores/{store}/orders")
        reconciliation = client.get(f"/stores/{store}/reconciliation").json()
    with httpx.Client(base_url=inventory_url, timeout=30) as client:
        issues = _all(client, f"/locations/{store}/movements", kind="issue")
        items = _all(client, f"/locations/{store}/items")
        totals = client.get(f"/locations/{store}/movements/totals").json()

    per_cart = Counter(order["cart_id"] for order in orders)
    assert all(count == 1 for count in per_cart.values()), "a cart with two orders"
    answered = {cart: order["id"] for cart, order in tally.orders.items()}
    assert {order["cart_id"]: order["id"] for order in orders} == answered

    issued: dict[str, dict[str, int]] = defaultdict(dict)
    for movement in issues:
        lines = issued[movement["reference"]]
        assert movement["sku"] not in lines, f"{movement['reference']} issued twice"
        lines[movement["sku"]] = -movement["quantity"]
    for order in orders:
        fulfilled = {line["sku"]: line["fulfilled"] for line in order["lines"] if line["fulfilled"]}
        assert issued.pop(order["cart_id"], {}) == fulfilled, order
    assert not issued, f"stock issued for carts without an order: {sorted(issued)}"

    ledger = {row["sku"]: row["received"] - row["issued"] + row["adjusted"] for row in totals}
    assert {item["sku"]: item["on_hand"] for item in items} == ledger
    assert reconciliation["balanced"] and reconciliation["carts_pending_checkout"] == 0


def _all(client: httpx.Client, path: str, **params: str) -> list[dict]:
    rows: list[dict] = []
    while True:
        page = client.get(path, params={**params, "limit": 1000, "offset": len(rows)})
        page.raise_for_status()
        body = page.json()
        rows += body["data"]
        if len(rows) >= body["total"]:
            return rows
