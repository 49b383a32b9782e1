"""What each hot route costs, one request at a time on SQLite: round-trip time, CPU time in
each service, SQL statements in each; and the one-worker ceiling (`ceiling_app`) they are
compared with.

The hot routes are what a simulated customer and the simulator's midnight cost: the look at
the shelf (through the store, which reads the inventory), the sale (a cart opened and checked
out in one request, through the store, which issues at the inventory), and the inventory's
own routes; and, for other clients, a cart with its lines, a line put, and a checkout.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from harness import ROOT, cpu_seconds, median, metric, running_services

from servicekit.http_client import JsonClient, ServiceUnreachable
from testkit.processes import free_port

SKUS = [f"sku-{n}" for n in range(10)]
STORE = "bench-routes"
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Clock:
    """Simulated time that only moves forward, as a location's history must."""

    def __init__(self) -> None:
        self.minutes = 0

    def next(self) -> str:
        self.minutes += 1
        return (START + timedelta(minutes=self.minutes)).isoformat()


def timed(
    repeat: int, send: Callable[[int], Any], processes: dict[str, int], metrics_of: dict[str, str]
) -> dict[str, Any]:
    """``send(i)`` ``repeat`` times (after a few to warm up): per request, the round trip and
    each process's CPU time and SQL statements."""
    for i in range(min(20, repeat)):
        send(-1 - i)
    cpu = {name: cpu_seconds(pid) for name, pid in processes.items()}
    statements = {name: metric(url, "db_statements_total") for name, url in metrics_of.items()}
    began = time.perf_counter()
    for i in range(repeat):
        send(i)
    elapsed = time.perf_counter() - began
    result: dict[str, Any] = {"round_trip_ms": round(1000 * elapsed / repeat, 3)}
    for name, pid in processes.items():
        result[f"{name}_cpu_ms"] = round(1000 * (cpu_seconds(pid) - cpu[name]) / repeat, 3)
    for name, url in metrics_of.items():
        sent = metric(url, "db_statements_total") - statements[name]
        result[f"{name}_statements"] = round(sent / repeat, 2)
    return result


def wait_until_listening(client: JsonClient, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.request("GET", "/docs", retries=0)
            return
        except ServiceUnreachable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def ceiling_app() -> Iterator[Callable[[int], dict[str, Any]]]:
    """The minimal FastAPI app with one SQLite insert per request, under uvicorn: yields
    ``measure(repeat)``, its figures as `timed` gives them."""
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        env = {**os.environ, "CEILING_DB": f"{folder}/ceiling.db"}
        command = [sys.executable, "-m", "uvicorn", "ceiling_app:app", "--port", str(port),
                   "--log-level", "warning"]  # fmt: skip
        server = subprocess.Popen(command, cwd=ROOT / "bench", env=env)
        try:
            with JsonClient("ceiling", f"http://127.0.0.1:{port}") as client:
                wait_until_listening(client)
                body = {"sku": "sku-1", "quantity": 2}

                def send(_: int) -> None:
                    client.request("POST", "/lines", json_body=body)

                yield lambda repeat: timed(repeat, send, {"service": server.pid}, {})
        finally:
            server.terminate()
            server.wait()


def measure(repeat: int) -> dict[str, Any]:
    clock = Clock()
    routes: dict[str, Any] = {}
    with running_services("sqlite") as services:
        store = JsonClient("store", services.store.url)
        inventory = JsonClient("inventory", services.inventory.url)
        store.request("POST", "/stores", json_body={"id": STORE, "name": "Routes bench"})
        for sku in SKUS:
            body = {"name": sku, "category": "bench", "price": 1.25}
            store.request("PUT", f"/stores/{STORE}/products/{sku}", json_body=body)
            body = {"on_hand": 1_000_000_000, "at": clock.next()}
            inventory.request("PUT", f"/locations/{STORE}/items/{sku}", json_body=body)
        processes = {
            "store": services.store.process.pid,
            "inventory": services.inventory.process.pid,
        }
        metrics_of = {"store": services.store.url, "inventory": services.inventory.url}
        lines = [{"sku": SKUS[1], "quantity": 1}, {"sku": SKUS[4], "quantity": 2}]

        def new_cart() -> str:
            answer = store.request("POST", f"/stores/{STORE}/carts", json_body={"items": lines})
            return answer.body["id"]

        carts = [new_cart() for _ in range(repeat + 20)]

        def expect(status: int, answer: Any) -> None:
            if answer.status != status:
                raise RuntimeError(f"expected {status}: {answer.status} {answer.detail}")

        def look(_: int) -> None:
            params = {"availability": "true", "at": clock.next()}
            expect(200, store.request("GET", f"/stores/{STORE}/products", params=params))

        def open_cart(_: int) -> None:
            body = {"items": lines}
            expect(201, store.request("POST", f"/stores/{STORE}/carts", json_body=body))

        def put_line(i: int) -> None:
            path = f"/carts/{carts[i]}/items/{SKUS[7]}"
            expect(200, store.request("PUT", path, json_body={"quantity": 1}))

        def check_out(i: int) -> None:
            body = {"at": clock.next()}
            expect(201, store.request("POST", f"/carts/{carts[i]}/checkout", json_body=body))

        def sell(i: int) -> None:
            body = {"cart_id": f"cart-sale-{i}-{clock.minutes}", "items": lines, "at": clock.next()}
            expect(201, store.request("POST", f"/stores/{STORE}/orders", json_body=body))

        def read_items(_: int) -> None:
            params = [("sku", sku) for sku in SKUS] + [("at", clock.next())]
            expect(200, inventory.request("GET", f"/locations/{STORE}/items", params=params))

        def issue(i: int) -> None:
            body = {"reference": f"bench-{i}-{clock.minutes}", "at": clock.next(), "lines": lines}
            expect(201, inventory.request("POST", f"/locations/{STORE}/issues", json_body=body))

        def advance(_: int) -> None:
            body = {"at": clock.next()}
            expect(200, inventory.request("POST", f"/locations/{STORE}/clock", json_body=body))

        hot: dict[str, Callable[[int], None]] = {
            "store GET /stores/{s}/products?availability=true&at=": look,
            "store POST /stores/{s}/carts (2 lines)": open_cart,
            "store PUT /carts/{c}/items/{sku}": put_line,
            "store POST /carts/{c}/checkout": check_out,
            "store POST /stores/{s}/orders (a sale, 2 lines)": sell,
            "inventory GET /locations/{l}/items?sku=...&at=": read_items,
            "inventory POST /locations/{l}/issues (2 lines)": issue,
            "inventory POST /locations/{l}/clock": advance,
        }
        # The ceiling is measured before each route, and the routes are compared with the
        # median: a shared machine's speed drifts within the section, and one sample of the
        # ceiling can be far off.
        ceilings = []
        with ceiling_app() as measure_ceiling:
            for name, send in hot.items():
                ceilings.append(measure_ceiling(repeat))
                routes[name] = timed(repeat, send, processes, metrics_of)
        store.close()
        inventory.close()
    limit = {
        key: round(median([figures[key] for figures in ceilings]), 3)
        for key in ("round_trip_ms", "service_cpu_ms")
    }
    limit["service_cpu_ms_runs"] = [figures["service_cpu_ms"] for figures in ceilings]
    for result in routes.values():
        cpu = result["store_cpu_ms"] + result["inventory_cpu_ms"]
        result["cpu_vs_ceiling"] = round(cpu / limit["service_cpu_ms"], 2)
    return {"routes": routes, "ceiling": limit}
