"""Instructions per request, counted by valgrind's callgrind: a figure that does not drift
with the machine, for A/B comparisons of changes too small for wall-clock runs to resolve.

The measured service's app runs in-process under callgrind, driven through ASGI (no socket,
no uvicorn: its own code, FastAPI, SQLAlchemy and the driver), against a real database and,
for the store, a real inventory process. After a warm-up, instrumentation is switched on for
``--cycles`` cycles only:

- ``store``: a cart with 2 lines (``POST /stores/{s}/carts``), then its checkout, which calls
  the inventory over HTTP (counted on the store's side); with ``--sale``, the same as one sale
  (``POST /stores/{s}/orders``), as the simulator buys;
- ``inventory``: an issue of 2 lines (``POST /locations/{l}/issues``);
- with ``--look``, a customer's look at the shelf instead, 10 products as in
  ``default.yaml``: the store's ``GET /stores/{s}/products?availability=true&at=``, which asks
  the inventory (counted on the store's side), and the inventory's answer to it,
  ``GET /locations/{l}/items?sku=...&at=`` with the 10 SKUs; a later ``at`` each time.

Run it from the dev virtualenv; it needs valgrind (Debian/Ubuntu: ``apt-get install
valgrind``) and, for PostgreSQL, the server the tests use:

    .venv/bin/python bench/instructions.py [--backend postgresql|sqlite] [--look|--sale]

Each service takes about half a minute here. Counts of the same revision varied by up to 2.5%
between runs (timers, the event loop's polling, the database's answers), so compare revisions
by differences larger than that, or by several runs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from harness import ROOT, fresh_databases

from testkit.processes import ServiceProcess

SKUS = [f"sku-{n:02d}" for n in range(50)]
LOCATION = "bench-instructions"
START = "2026-01-01T00:00:00Z"
WARM_UP = 40


# -- the measured side, in the process under callgrind ---------------------------------------


async def call(app: Any, method: str, target: str, body: Any = None) -> tuple[int, Any]:
    """One request straight into the ASGI app: (status, decoded JSON body)."""
    raw = json.dumps(body).encode() if body is not None else b""
    path, _, query = target.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
        "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(raw)).encode())],
    }  # fmt: skip
    messages = [{"type": "http.request", "body": raw, "more_body": False}]
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # no more body: wait until the app is done
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], json.loads(answer["body"]) if answer["body"] else None


def seeded(look: bool) -> list[str]:
    """The SKUs seeded: the 10 products of ``default.yaml``'s shop for a look, else 50."""
    return SKUS[:10] if look else SKUS


def minute(number: int) -> str:
    """The simulated time ``number`` minutes after `START`."""
    return f"2026-01-01T{number // 60:02d}:{number % 60:02d}:00Z"


async def drive(service: str, cycles: int, look: bool, sale: bool) -> None:
    """Seed, warm up, say "ready"; on "go" from the parent run the cycles, say "done"; then
    wait for "end" (the parent switches instrumentation off in between)."""
    if service == "store":
        from store_service.api.app import create_app
    else:
        from inventory_service.api.app import create_app
    app, pick = create_app(), random.Random(1)

    async def expect(status: set[int], method: str, path: str, body: Any = None) -> Any:
        got, answer = await call(app, method, path, body)
        if got not in status:
            raise RuntimeError(f"{method} {path}: {got} {answer}")
        return answer

    skus = seeded(look)
    shelf = "&".join(f"sku={sku}" for sku in skus)
    minutes = itertools.count(1)  # each look a minute later than the one before

    async def cycle(number: int) -> None:
        lines = [{"sku": sku, "quantity": 1} for sku in pick.sample(skus, 2)]
        at = minute(next(minutes))
        if look and service == "store":
            await expect({200}, "GET", f"/stores/{LOCATION}/products?availability=true&at={at}")
        elif look:
            await expect({200}, "GET", f"/locations/{LOCATION}/items?{shelf}&at={at}")
        elif service == "store" and sale:
            body = {"cart_id": f"cart-bench-{number}", "items": lines}
            await expect({201}, "POST", f"/stores/{LOCATION}/orders", body)
        elif service == "store":
            cart = await expect({201}, "POST", f"/stores/{LOCATION}/carts", {"items": lines})
            await expect({201}, "POST", f"/carts/{cart['id']}/checkout", {})
        else:
            body = {"reference": f"bench-{number}", "lines": lines}
            await expect({201}, "POST", f"/locations/{LOCATION}/issues", body)

    async with app.router.lifespan_context(app):
        if service == "store":
            await expect({201}, "POST", "/stores", {"id": LOCATION, "name": "Bench"})
            product = {"category": "bench", "price": 1.25}
            for sku in skus:
                await expect({201}, "PUT", f"/stores/{LOCATION}/products/{sku}",
                             {"name": sku, **product})  # fmt: skip
        else:
            for sku in skus:
                await expect({200, 201}, "PUT", f"/locations/{LOCATION}/items/{sku}",
                             {"on_hand": 10**9, "at": START})  # fmt: skip
        for number in range(WARM_UP):
            await cycle(-1 - number)
        print("ready", flush=True)
        sys.stdin.readline()  # "go"
        for number in range(cycles):
            await cycle(number)
        print("done", flush=True)
        sys.stdin.readline()  # "end"


# -- the measuring side ------------------------------------------------------------------------


def instructions_per_cycle(
    service: str, backend: str, cycles: int, look: bool, sale: bool
) -> float:
    with fresh_databases(backend) as urls, tempfile.TemporaryDirectory() as folder:
        inventory_env = {"INVENTORY_DATABASE_URL": urls["inventory"], "LOG_LEVEL": "WARNING"}
        with ServiceProcess("inventory_service", inventory_env) as inventory:
            if service == "store":  # the real inventory is the stock the store issues from
                for sku in seeded(look):
                    body = {"on_hand": 10**9, "at": START}
                    url = f"{inventory.url}/locations/{LOCATION}/items/{sku}"
                    httpx.put(url, json=body, timeout=10).raise_for_status()
            out = Path(folder) / "callgrind.out"
            env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING",
                   "INVENTORY_DATABASE_URL": urls["inventory"],
                   "STORE_DATABASE_URL": urls["store"], "INVENTORY_URL": inventory.url}  # fmt: skip
            command = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                       f"--callgrind-out-file={out}", sys.executable, __file__,
                       "--measured", service, "--cycles", str(cycles),
                       *(["--look"] if look else []), *(["--sale"] if sale else [])]  # fmt: skip
            child = subprocess.Popen(
                command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
            assert child.stdin is not None and child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the {service} did not start under callgrind")
            toggle = ["callgrind_control", "--instr"]
            subprocess.run([*toggle, "on", str(child.pid)], check=True, capture_output=True)
            child.stdin.write("go\n")
            child.stdin.flush()
            if child.stdout.readline().strip() != "done":
                raise RuntimeError(f"the {service}'s cycles failed")
            subprocess.run([*toggle, "off", str(child.pid)], check=True, capture_output=True)
            child.stdin.write("end\n")
            child.stdin.close()
            child.wait(timeout=120)
            lines = out.read_text().splitlines()
            totals = [line for line in lines if line.startswith(("totals:", "summary:"))]
            return int(totals[-1].split()[1]) / cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--cycles", type=int, default=60)
    parser.add_argument("--service", choices=("store", "inventory"), action="append")
    parser.add_argument("--look", action="store_true", help="a look at the shelf instead")
    parser.add_argument("--sale", action="store_true", help="the store: a sale instead")
    parser.add_argument("--measured", choices=("store", "inventory"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measured:
        asyncio.run(drive(args.measured, args.cycles, args.look, args.sale))
        return
    what = {"store": "cart with 2 lines + checkout", "inventory": "issue of 2 lines"}
    if args.look:
        what = {"store": "look: 10 products, available", "inventory": "look: 10 items ?at="}
    elif args.sale:
        what = {"store": "sale of 2 lines"}
    for service in args.service or list(what):
        count = instructions_per_cycle(service, args.backend, args.cycles, args.look, args.sale)
        print(f"{service:<9} {args.backend:<10} {what[service]:<30} "
              f"{count / 1e6:6.2f} M instructions per cycle ({args.cycles} cycles)")  # fmt: skip


if __name__ == "__main__":
    main()
