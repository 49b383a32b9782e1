"""`make bench`: the performance figures of the README, measured on this machine.

1. simulated customers per second on ``default.yaml``, SQLite and PostgreSQL (median of runs,
   the two interleaved), each run's outcomes checked against the golden;
2. checkouts of 2 lines per second and their latency (p50, p99) on PostgreSQL at C = 1, 8, 32
   clients, by a cart then its checkout and by a sale in one request, with 1 and 2 uvicorn
   workers per service, and ``pgbench -N`` at the same C: the share of what the database
   alone does;
3. per hot route: round trip, CPU ms and SQL statements in each service, on SQLite;
4. the one-worker ceiling (a minimal FastAPI route with one SQLite insert) and each route's
   CPU as a multiple of it.

Prints a table and writes ``bench/results/bench-<time>.json``. Needs the dev virtualenv,
PostgreSQL (found as by the tests) and ``pgbench``. ``--quick`` takes shorter samples.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from typing import Any

import checkout
import routes
import simulation
from harness import ROOT, machine

RESULTS = ROOT / "bench" / "results"
SECTIONS = ("simulation", "checkout", "routes")


def print_report(report: dict[str, Any]) -> None:
    info = report["machine"]
    print(
        f"\nmachine: {info['cpus']} CPUs ({info['cpu_model']}), Python {info['python']}, load "
        f"average at start {info['load_average_at_start']}, revision {info['revision']}"
    )
    if "simulation" in report:
        print("\n1. simulated customers/s, default.yaml (median of runs; CPU ms per customer)")
        print(f"{'backend':<11} {'customers/s':>11}  {'runs':<22} {'sim':>5} {'store':>6} "
              f"{'inv.':>6}  same outcomes")  # fmt: skip
        for backend, figures in report["simulation"].items():
            cpu = figures["median_run"]["cpu_ms_per_customer"]
            runs = ", ".join(f"{rate:.1f}" for rate in figures["customers_per_second_runs"])
            print(f"{backend:<11} {figures['customers_per_second_median']:>11.1f}  {runs:<22} "
                  f"{cpu['simulator']:>5.1f} {cpu['store']:>6.1f} {cpu['inventory']:>6.1f}  "
                  f"{'yes' if figures['all_same_outcomes_as_golden'] else 'NO'}")  # fmt: skip
    if "checkout" in report:
        figures = report["checkout"]
        print("\n2. checkout of 2 lines on PostgreSQL by C clients: a cart with its lines, then "
              "its checkout (cart); or a sale in one request (sale)")  # fmt: skip
        print(f"{'':>4} {'':>7} {'':>3} {'':>11} {'':>7} {'':>7} {'':>6} {'':>14} {'':>7}  "
              f"CPU ms per checkout")  # fmt: skip
        print(f"{'flow':<4} {'workers':>7} {'C':>3} {'checkouts/s':>11} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'failed':>6} {'pgbench -N tps':>14} {'share':>7}  {'store':>5} "
              f"{'inv.':>5} {'client':>6} {'machine':>7} {'busy':>5}")  # fmt: skip
        for run in figures["runs"]:
            tps = figures["pgbench_tps"][str(run["clients"])]
            share = f"{100 * run['share_of_pgbench']:.2f}%" if run["share_of_pgbench"] else "-"
            cpu = run["cpu_ms_per_checkout"]
            print(f"{run['flow']:<4} {run['workers']:>7} {run['clients']:>3} "
                  f"{run['checkouts_per_second']:>11.1f} {run['p50_ms']:>7.1f} "
                  f"{run['p99_ms']:>7.1f} {run['failures']:>6} "
                  f"{tps if tps else 'no pgbench':>14} {share:>7}  {cpu['store']:>5.1f} "
                  f"{cpu['inventory']:>5.1f} {cpu['client']:>6.1f} {cpu['machine']:>7.1f} "
                  f"{100 * run['machine_busy']:>4.0f}%")  # fmt: skip
        by = {(run["flow"], run["workers"], run["clients"]): run for run in figures["runs"]}
        for flow, workers, clients in by:
            one, two = by[(flow, 1, clients)], by.get((flow, 2, clients))
            if workers != 1 or two is None or not one["checkouts_per_second"]:
                continue
            print(f"  {flow}: 2 workers / 1 worker at C={clients}: "
                  f"{two['checkouts_per_second'] / one['checkouts_per_second']:.2f}x (at most "
                  f"{1 / max(one['machine_busy'], 0.01):.2f}x at the same CPU per checkout: "
                  f"one worker left the machine {100 * (1 - one['machine_busy']):.0f}% "
                  f"idle)")  # fmt: skip
    if "routes" in report:
        figures = report["routes"]
        limit = figures["ceiling"]
        print(f"\n3-4. hot routes on SQLite, one request at a time; the ceiling (minimal FastAPI "
              f"route, one SQLite insert), measured before each route; the median, which the "
              f"routes are compared with: {limit['round_trip_ms']:.2f} ms round trip, "
              f"{limit['service_cpu_ms']:.2f} CPU ms (runs: "
              f"{', '.join(f'{x:.2f}' for x in limit['service_cpu_ms_runs'])})")  # fmt: skip
        print(f"{'route':<52} {'trip ms':>7} {'store':>11} {'inventory':>11} {'x ceiling':>9}")
        print(f"{'':<52} {'':>7} {'cpu ms/SQL':>11} {'cpu ms/SQL':>11}")
        for name, route in figures["routes"].items():
            print(f"{name:<52} {route['round_trip_ms']:>7.2f} "
                  f"{route['store_cpu_ms']:>6.2f}/{route['store_statements']:<4g} "
                  f"{route['inventory_cpu_ms']:>6.2f}/{route['inventory_statements']:<4g} "
                  f"{route['cpu_vs_ceiling']:>9.2f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The README's performance figures.")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only these")
    parser.add_argument("--quick", action="store_true", help="shorter samples, one sim run each")
    args = parser.parse_args(argv)
    sections = args.only or list(SECTIONS)
    report: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    began = time.perf_counter()
    if "simulation" in sections:
        report["simulation"] = simulation.measure(["sqlite", "postgresql"], 1 if args.quick else 3)
    if "checkout" in sections:
        seconds = 4 if args.quick else 10
        report["checkout"] = checkout.measure([1, 8, 32], [1, 2], seconds)
    if "routes" in sections:
        report["routes"] = routes.measure(100 if args.quick else 300)
    report["seconds"] = round(time.perf_counter() - began, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"bench-{stamp}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    print_report(report)
    print(f"\nwritten to {path.relative_to(ROOT)} in {report['seconds']:.0f} s")
    same = all(f["all_same_outcomes_as_golden"] for f in report.get("simulation", {}).values())
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
