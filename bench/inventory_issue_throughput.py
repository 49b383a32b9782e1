"""Issue throughput of inventory_service: a simple concurrent client against local uvicorn +
PostgreSQL.

Starts one ``python -m inventory_service serve`` process on a fresh database, stocks a few
locations, then has ``--clients`` threads (one keep-alive connection each) post single-line
issues for ``--seconds``. Two rounds: spread over ``--locations`` locations (they proceed in
parallel), and all on one location (its row lock serializes them). Prints issues/s and
latency percentiles.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from servicekit.migrations import upgrade  # noqa: E402
from testkit import database  # noqa: E402
from testkit.processes import ROOT, ServiceProcess  # noqa: E402

from harness import percentile, run_clients  # noqa: E402  (bench/ is the script's folder)

SKUS = [f"sku-{n}" for n in range(10)]


def stock_up(base_url: str, locations: list[str]) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for location in locations:
            for sku in SKUS:
                body = {"on_hand": 10_000_000, "at": "2026-01-01T00:00:00Z"}
                client.put(f"/locations/{location}/items/{sku}", json=body).raise_for_status()


def hammer(base_url: str, locations: list[str], clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client_loop(index: int) -> None:
        nonlocal errors
        mine: list[float] = []
        failed = 0
        with httpx.Client(base_url=base_url, timeout=30) as client:
            n = 0
            while time.perf_counter() < stop_at:
                location = locations[(index + n) % len(locations)]
                body = {
                    "reference": uuid.uuid4().hex,
                    "at": "2026-01-02T00:00:00Z",
                    "lines": [{"sku": SKUS[n % len(SKUS)], "quantity": 1}],
                }
                start = time.perf_counter()
                answer = client.post(f"/locations/{location}/issues", json=body)
                mine.append(time.perf_counter() - start)
                failed += answer.status_code != 201
                n += 1
        with lock:
            latencies.extend(mine)
            errors += failed

    elapsed = run_clients(client_loop, clients)
    return {
        "requests": len(latencies),
        "errors": errors,
        "per_second": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--locations", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    admin_url = database.find_server()
    url = database.create_database(admin_url, "dss_bench_inventory")
    try:
        upgrade(ROOT / "inventory_service" / "migrations", url)
        env = {"INVENTORY_DATABASE_URL": url, "INVENTORY_DB_POOL_SIZE": "20"}
        with ServiceProcess("inventory_service", env) as server:
            spread = [f"bench-{n}" for n in range(args.locations)]
            stock_up(server.url, spread)
            hammer(server.url, spread, args.clients, 2)  # warm-up
            rounds = {
                f"{args.locations} locations": hammer(
                    server.url, spread, args.clients, args.seconds
                ),
                "1 hot location": hammer(server.url, spread[:1], args.clients, args.seconds),
            }
    finally:
        database.drop_database(admin_url, url)

    print(f"inventory issue throughput: {args.clients} client threads, {args.seconds:.0f}s each")
    print(f"{'round':<16} {'requests':>9} {'errors':>7} {'issues/s':>9} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")  # fmt: skip
    for name, r in rounds.items():
        print(
            f"{name:<16} {r['requests']:>9} {r['errors']:>7} {r['per_second']:>9.1f} "
            f"{r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['p99_ms']:>7.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
