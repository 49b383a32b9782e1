"""`make demo`: both services on the embedded SQLite default, the default scenario, a report.

Starts inventory_service and store_service with uvicorn on free local ports (their default
SQLite files under ./data), runs ``customer_sim run customer_sim/scenarios/default.yaml``
against them, and stops them again, also on Ctrl-C or failure. The simulator starts with the
services (its start-up overlaps theirs) and waits for them (``--wait-for-services``). Service
logs go to ``out/demo/*.log``; the report (report.html, summary.json, daily.csv, plots) to
``out/demo``. Extra arguments go to ``customer_sim run`` (``make demo ARGS="--replications 5
--parallel 2"``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.processes import ServiceProcess, stop_all  # noqa: E402

SCENARIO = "customer_sim/scenarios/default.yaml"
#: How long the services may take to start.
WAIT_SECONDS = 60


def interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str]) -> int:
    # Ctrl-C (even where a parent shell started us with SIGINT ignored) and a plain `kill`
    # both end up in the `finally` below, which stops the services.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    out = ROOT / "out" / "demo"
    out.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    # The embedded default: no database URLs, so each service uses its SQLite file in ./data.
    env = {"LOG_LEVEL": "WARNING"}
    inventory = ServiceProcess("inventory_service", env, log_path=out / "inventory.log")
    store_env = {**env, "INVENTORY_URL": inventory.url}
    store = ServiceProcess("store_service", store_env, log_path=out / "store.log")
    print("starting inventory_service and store_service on SQLite ...", flush=True)
    command = [sys.executable, "-m", "customer_sim", "run", SCENARIO, "--out", str(out)]
    command += ["--wait-for-services", str(WAIT_SECONDS)]
    run_env = {
        **os.environ,
        "STORE_URL": store.url,
        "INVENTORY_URL": inventory.url,
        "PYTHONPATH": str(ROOT),
    }
    simulator: subprocess.Popen | None = None
    try:
        # All three at once, on two cores: the services' readiness needs only their own
        # databases, and the simulator waits for both.
        services = (inventory.launch(), store.launch())
        simulator = subprocess.Popen(command + argv, cwd=ROOT, env=run_env)
        for service in services:
            service.wait_ready(WAIT_SECONDS)
        print(f"  inventory {inventory.url}   store {store.url}", flush=True)
        returncode = simulator.wait()
    except KeyboardInterrupt:
        print("\ninterrupted; services stopped", file=sys.stderr)
        return 130
    except RuntimeError as error:  # a service did not start
        print(f"demo: {error}; see {out.relative_to(ROOT)}/*.log", file=sys.stderr)
        return 1
    finally:
        if simulator is not None and simulator.poll() is None:
            simulator.terminate()  # (interrupted, or a service did not start)
            simulator.wait()
        stop_all(store, inventory)
    report = (out / "report.html").relative_to(ROOT)
    print(f"demo finished in {time.monotonic() - began:.1f}s; open {report} in a browser")
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
