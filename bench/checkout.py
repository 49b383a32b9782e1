"""Checkout throughput on PostgreSQL: C clients, each checking out 2 lines again and again,
against both services with 1 and 2 uvicorn workers; ``pgbench -N`` at the same C in the same
run, as what the database alone does on this machine.

Two flows, each a checkout of 2 lines: ``cart`` opens a cart with its lines, then checks it out
(two requests: the issue's flow, for clients that build a cart); ``sale`` sells them in one
request (``POST /stores/{s}/orders``, as the simulator buys). One store sells 50 SKUs with
stock that never runs out. Each client has its own keep-alive connection. Reported: checkouts
per second, and the latency (p50, p99) of the request that checks out.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import threading
import time
import uuid
from typing import Any

from harness import Services, machine_cpu_seconds, percentile, run_clients, running_services

from servicekit.http_client import JsonClient
from testkit import database

SKUS = [f"sku-{n:02d}" for n in range(50)]
STORE = "bench-checkout"
START = "2026-01-01T00:00:00Z"


def seed(store_url: str, inventory_url: str) -> None:
    with JsonClient("store", store_url) as store, JsonClient("inventory", inventory_url) as inv:
        store.request("POST", "/stores", json_body={"id": STORE, "name": "Checkout bench"})
        for sku in SKUS:
            body = {"name": sku, "category": "bench", "price": 1.25}
            store.request("PUT", f"/stores/{STORE}/products/{sku}", json_body=body)
            body = {"on_hand": 1_000_000_000, "at": START}
            inv.request("PUT", f"/locations/{STORE}/items/{sku}", json_body=body)


FLOWS = ("cart", "sale")


def load(store_url: str, clients: int, seconds: float, flow: str = "cart") -> dict[str, Any]:
    """``clients`` threads checking out 2 lines by ``flow`` (`FLOWS`) for ``seconds``."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    load_id = uuid.uuid4().hex[:8]  # a sale's cart id is new in every load: a repeat would replay

    def client_loop(number: int) -> None:
        nonlocal failures
        pick = random.Random(number)
        mine, failed = [], 0
        with JsonClient("store", store_url, timeout_seconds=60, max_idle_connections=1) as store:
            while time.perf_counter() < stop_at:
                lines = [{"sku": sku, "quantity": 1} for sku in pick.sample(SKUS, 2)]
                if flow == "sale":
                    began = time.perf_counter()
                    body = {"cart_id": f"{load_id}-{number}-{len(mine)}", "items": lines}
                    order = store.request("POST", f"/stores/{STORE}/orders", json_body=body)
                    mine.append(time.perf_counter() - began)
                    failed += order.status != 201
                    continue
                cart = store.request("POST", f"/stores/{STORE}/carts", json_body={"items": lines})
                if cart.status != 201:
                    failed += 1
                    continue
                began = time.perf_counter()
                order = store.request("POST", f"/carts/{cart.body['id']}/checkout", json_body={})
                mine.append(time.perf_counter() - began)
                failed += order.status != 201
        with lock:
            latencies.extend(mine)
            failures += failed

    elapsed = run_clients(client_loop, clients)
    return {
        "checkouts_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * percentile(latencies, 0.50), 1),
        "p99_ms": round(1000 * percentile(latencies, 0.99), 1),
        "checkouts": len(latencies),
        "failures": failures,
    }


def measured_load(
    services: Services, clients: int, seconds: float, flow: str = "cart"
) -> dict[str, Any]:
    """`load`, with where the CPU went: ms per checkout in each service, in the client
    (this process), and on the whole machine (PostgreSQL and the kernel are the rest), and how
    busy the machine was. A machine near 100% busy bounds the throughput, however many workers."""
    services_before, client_before = services.cpu(), time.process_time()
    busy_before, all_before = machine_cpu_seconds()
    run = load(services.store.url, clients, seconds, flow)
    busy_after, all_after = machine_cpu_seconds()
    services_after, client_after = services.cpu(), time.process_time()
    per_checkout = 1000 / max(run["checkouts"], 1)
    run["cpu_ms_per_checkout"] = {
        **{
            name: round(per_checkout * (services_after[name] - services_before[name]), 2)
            for name in services_after
        },
        "client": round(per_checkout * (client_after - client_before), 2),
        "machine": round(per_checkout * (busy_after - busy_before), 2),
    }
    run["machine_busy"] = round((busy_after - busy_before) / max(all_after - all_before, 1e-9), 3)
    return run


def pgbench(clients: int, seconds: float) -> float | None:
    """``pgbench -N`` (no updates of the small tables: little contention) TPS at ``clients``."""
    if shutil.which("pgbench") is None:
        return None
    admin = database.find_server()
    url = database.create_database(admin, "dss_bench_pgbench")
    dsn = database.libpq_dsn(url)
    try:
        subprocess.run(["pgbench", "-i", "-q", "-s", "5", dsn], check=True, capture_output=True)
        threads = str(min(clients, 2))
        done = subprocess.run(
            [
                "pgbench",
                "-N",
                "-n",
                "-c",
                str(clients),
                "-j",
                threads,
                "-T",
                str(int(seconds)),
                dsn,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        database.drop_database(admin, url)
    found = re.search(r"tps = ([\d.]+)", done.stdout)
    return round(float(found.group(1)), 1) if found else None


def measure(
    concurrency: list[int], workers: list[int], seconds: float, flows: tuple[str, ...] = FLOWS
) -> dict[str, Any]:
    results: dict[str, Any] = {"pgbench_tps": {}, "runs": []}
    for count in workers:
        with running_services("postgresql", workers=count) as services:
            seed(services.store.url, services.inventory.url)
            for flow in flows:
                load(services.store.url, 4, 2, flow)  # warm up: connections, caches
                for clients in concurrency:
                    run = measured_load(services, clients, seconds, flow)
                    results["runs"].append(
                        {"flow": flow, "workers": count, "clients": clients, **run}
                    )
    for clients in concurrency:
        results["pgbench_tps"][str(clients)] = pgbench(clients, seconds)
    for run in results["runs"]:
        tps = results["pgbench_tps"][str(run["clients"])]
        run["share_of_pgbench"] = round(run["checkouts_per_second"] / tps, 4) if tps else None
    return results
