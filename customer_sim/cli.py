"""The command line: ``python -m customer_sim run|compare|list|show|validate``.

Exit codes: 0 ok; 1 the run failed (its records do not reconcile, or a service refused a
request); 2 a bad scenario, argument or run reference (nothing was sent to the services);
3 a service unreachable after bounded retries; 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Sequence

from pydantic import ValidationError

from customer_sim.config import Settings
from customer_sim.domain.calendar import MINUTES_PER_DAY, MINUTES_PER_HOUR
from customer_sim.domain.scenario import Scenario, ScenarioError, load_scenario
from customer_sim.infrastructure.http_client import ServiceError, ServiceUnreachable
from customer_sim.infrastructure.inventory_client import InventoryClient
from customer_sim.infrastructure.reports import (
    COMPARISON_PLOT,
    DAILY_COLUMNS,
    describe_run,
    kpi_table,
    plot_comparison,
    render_table,
    sku_comparison_table,
    write_run_reports,
)
from customer_sim.infrastructure.run_database import RunDatabase
from customer_sim.infrastructure.store_client import StoreClient
from customer_sim.simulation.results import RunResult
from customer_sim.simulation.runner import InconsistentRun, new_store_id, run_scenario
from servicekit.logging import configure_logging

log = logging.getLogger("customer_sim")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # bad arguments: argparse exits with 2
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level, settings.log_format)
    if settings.log_level != "DEBUG":  # one line per request drowns the progress lines
        logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return args.command(args, settings)
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except ServiceUnreachable as error:
        log.error("%s", error)
        return EXIT_UNREACHABLE
    except (InconsistentRun, ServiceError) as error:
        log.error("run failed: %s", error)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\ninterrupted (the run is recorded as failed)", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m customer_sim",
        description="Simulate customers shopping at the store and report what the "
        "replenishment policies achieved.",
    )
    commands = parser.add_subparsers(dest="name", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run one scenario against the services")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    _add_run_options(run)
    run.add_argument("--out", type=Path, help="output folder (default: $SIM_OUTPUT_DIR/<store id>)")
    run.set_defaults(command=run_command)

    compare = commands.add_parser(
        "compare", help="run several scenarios with one seed and compare their KPIs"
    )
    compare.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    _add_run_options(compare)
    compare.add_argument(
        "--out",
        type=Path,
        help="output folder (default: $SIM_OUTPUT_DIR/compare-<id>); one subfolder a run",
    )
    compare.set_defaults(command=compare_command)

    listing = commands.add_parser("list", help="list the runs in the run database")
    listing.add_argument("--limit", type=_positive_int, default=50)
    listing.set_defaults(command=list_command)

    show = commands.add_parser("show", help="print one run's KPIs from the run database")
    show.add_argument("run", help="run number (see list) or store id")
    show.set_defaults(command=show_command)

    validate = commands.add_parser("validate", help="check scenario files, touch nothing")
    validate.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    validate.set_defaults(command=validate_command)
    return parser


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=_positive_int, help="override the scenario's days")
    parser.add_argument("--seed", type=_non_negative_int, help="override the scenario's seed")
    parser.add_argument("--store-url", help="store API (default: $STORE_URL)")
    parser.add_argument("--inventory-url", help="inventory API (default: $INVENTORY_URL)")
    parser.add_argument(
        "--progress",
        choices=["auto", "bar", "log"],
        default="auto",
        help="a progress bar, or log lines (auto: a bar on a terminal, log lines otherwise)",
    )
    parser.add_argument(
        "--log-every-hours",
        type=_positive_int,
        default=24,
        help="simulated hours between progress log lines (default 24)",
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


# -- commands -----------------------------------------------------------------------------------


def run_command(args: argparse.Namespace, settings: Settings) -> int:
    scenario = load_scenario(args.scenario).with_overrides(args.days, args.seed)
    with ExitStack() as stack:
        store, inventory = _connect(args, settings, stack)
        database = RunDatabase(settings.database_url)
        stack.callback(database.close)
        store_id = new_store_id(scenario.name)
        out_dir = args.out or Path(settings.output_dir) / store_id
        clients = (store, inventory)
        result = _execute(scenario, str(args.scenario), store_id, out_dir, args, clients, database)
    print(describe_run(result.summary()))
    _print_performance(result)
    print(f"\nreports: {out_dir}/")
    return EXIT_OK


def compare_command(args: argparse.Namespace, settings: Settings) -> int:
    scenarios = [load_scenario(path) for path in args.scenarios]  # all valid before any call
    seed = args.seed if args.seed is not None else scenarios[0].seed
    scenarios = [scenario.with_overrides(args.days, seed) for scenario in scenarios]
    names = _unique_names([scenario.name for scenario in scenarios])
    out_dir = args.out or Path(settings.output_dir) / f"compare-{uuid.uuid4().hex[:8]}"
    log.info("comparing %s with seed %d", ", ".join(names), seed)
    results: list[RunResult] = []
    with ExitStack() as stack:
        store, inventory = _connect(args, settings, stack)
        database = RunDatabase(settings.database_url)
        stack.callback(database.close)
        for scenario, path, name in zip(scenarios, args.scenarios, names):
            store_id = new_store_id(scenario.name)
            run_dir = out_dir / name
            clients = (store, inventory)
            results.append(
                _execute(scenario, str(path), store_id, run_dir, args, clients, database)
            )
    summaries = [result.summary() for result in results]
    out_dir.mkdir(parents=True, exist_ok=True)
    plot_comparison(summaries, names, out_dir / COMPARISON_PLOT)
    print(f"Comparison with seed {seed}, {scenarios[0].days} days\n")
    print(kpi_table(summaries, names))
    print()
    print(sku_comparison_table(summaries, names))
    print(f"\nreports: {out_dir}/ (comparison plot: {COMPARISON_PLOT}, one folder per scenario)")
    return EXIT_OK


def list_command(args: argparse.Namespace, settings: Settings) -> int:
    database = RunDatabase(settings.database_url)
    try:
        runs = database.list_runs(args.limit)
    finally:
        database.close()
    if not runs:
        print("no runs yet")
        return EXIT_OK
    rows = []
    for run in runs:
        kpis = (run.summary or {}).get("kpis", {})
        rows.append(
            [
                str(run.id),
                run.scenario,
                str(run.seed),
                str(run.days),
                run.status,
                run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                run.store_id,
                _format_rate(kpis.get("shelf_fill_rate")),
                str(kpis.get("units_sold", "-")),
            ]
        )
    header = ["run", "scenario", "seed", "days", "status", "started (UTC)", "store", "shelf fill"]
    print(render_table([*header, "sold"], rows))
    return EXIT_OK


def show_command(args: argparse.Namespace, settings: Settings) -> int:
    database = RunDatabase(settings.database_url)
    try:
        run = database.get_run(args.run)
        daily = database.daily_rows(run.id) if run is not None else []
    finally:
        database.close()
    if run is None:
        print(f"no run {args.run!r} in the run database (see: list)", file=sys.stderr)
        return EXIT_USAGE
    print(f"run {run.id}: {run.status}, scenario file {run.scenario_file}")
    if run.error:
        print(f"error: {run.error}")
    if run.summary:
        print()
        print(describe_run(run.summary))
    if daily:
        print()
        rows = [[_cell(row[column]) for column in DAILY_COLUMNS] for row in daily]
        print(render_table(DAILY_COLUMNS, rows))
    if run.output_dir:
        print(f"\nreports: {run.output_dir}/")
    return EXIT_OK


def validate_command(args: argparse.Namespace, settings: Settings) -> int:
    problems = 0
    for path in args.scenarios:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            print(error, file=sys.stderr)
            problems += 1
            continue
        per_day = scenario.arrivals.expected_per_day(scenario.hours)
        print(
            f"ok: {path} ({scenario.name}: {len(scenario.products)} products, {scenario.days} "
            f"days, about {per_day:.0f} customers a day)"
        )
    return EXIT_USAGE if problems else EXIT_OK


# -- running ------------------------------------------------------------------------------------


def _connect(
    args: argparse.Namespace, settings: Settings, stack: ExitStack
) -> tuple[StoreClient, InventoryClient]:
    """Clients for both services, after checking that both answer (bounded retries)."""
    options = {"timeout_seconds": settings.http_timeout_seconds, "retries": settings.http_retries}
    store = stack.enter_context(StoreClient(args.store_url or settings.store_url, **options))
    inventory = stack.enter_context(
        InventoryClient(args.inventory_url or settings.inventory_url, **options)
    )
    store.health()
    inventory.health()
    return store, inventory


def _execute(
    scenario: Scenario,
    scenario_file: str,
    store_id: str,
    out_dir: Path,
    args: argparse.Namespace,
    clients: tuple[StoreClient, InventoryClient],
    database: RunDatabase,
) -> RunResult:
    """One run, recorded in the run database whatever its outcome."""
    store, inventory = clients
    run_id = database.start_run(
        scenario.name, scenario_file, scenario.seed, scenario.days, store_id
    )
    per_day = scenario.arrivals.expected_per_day(scenario.hours)
    log.info(
        "run %d: %s, seed %d, %d days from %s, about %.0f customers a day, store %s",
        run_id,
        scenario.name,
        scenario.seed,
        scenario.days,
        scenario.start.date(),
        per_day,
        store_id,
    )
    progress = _progress(args, scenario)
    try:
        result = run_scenario(scenario, store, inventory, store_id, progress)
    except InconsistentRun as error:
        progress.close()
        write_run_reports(error.result, out_dir)  # the evidence, for whoever investigates
        summary = error.result.summary()
        daily = [row.as_dict() for row in error.result.daily]
        database.finish_run(run_id, "failed", summary, daily, str(out_dir), str(error))
        raise
    except BaseException as error:
        progress.close()
        database.finish_run(run_id, "failed", error=f"{type(error).__name__}: {error}")
        raise
    progress.close()
    write_run_reports(result, out_dir)
    daily = [row.as_dict() for row in result.daily]
    database.finish_run(run_id, "succeeded", result.summary(), daily, str(out_dir))
    log.info("run %d finished: %s", run_id, out_dir)
    return result


class BarProgress:
    """A tqdm bar in simulated days, for a terminal."""

    def __init__(self, scenario: Scenario) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=scenario.days,
            desc=scenario.name,
            unit="day",
            bar_format="{desc}: {percentage:3.0f}%|{bar}| day {n:.1f}/{total} "
            "[{elapsed}<{remaining}{postfix}]",
            file=sys.stderr,
        )
        self.shown = 0.0
        self.customers = 0

    def update(self, now: float, customers: int) -> None:
        days = now / MINUTES_PER_DAY
        if days - self.shown >= 0.01:
            if customers != self.customers:
                self.bar.set_postfix_str(f"{customers} customers", refresh=False)
                self.customers = customers
            self.bar.update(min(days, self.bar.total) - self.shown)
            self.shown = min(days, self.bar.total)

    def close(self) -> None:
        self.bar.close()


class LogProgress:
    """Plain log lines every N simulated hours, for a Kubernetes Job's log."""

    def __init__(self, scenario: Scenario, every_hours: int) -> None:
        self.scenario = scenario
        self.every = every_hours * MINUTES_PER_HOUR
        self.next_line = self.every
        self.horizon = scenario.days * MINUTES_PER_DAY
        self.started = time.perf_counter()

    def update(self, now: float, customers: int) -> None:
        while now >= self.next_line and self.next_line <= self.horizon:
            elapsed = time.perf_counter() - self.started
            log.info(
                "%s: %d of %d simulated hours, %d customers, %.1fs elapsed (%.0f customers/s)",
                self.scenario.name,
                self.next_line // MINUTES_PER_HOUR,
                self.horizon // MINUTES_PER_HOUR,
                customers,
                elapsed,
                customers / elapsed if elapsed else 0.0,
            )
            self.next_line += self.every

    def close(self) -> None:
        pass


def _progress(args: argparse.Namespace, scenario: Scenario) -> BarProgress | LogProgress:
    bar = args.progress == "bar" or (args.progress == "auto" and sys.stderr.isatty())
    return BarProgress(scenario) if bar else LogProgress(scenario, args.log_every_hours)


def _print_performance(result: RunResult) -> None:
    performance = result.performance
    print(
        f"\n{performance['customers']} customers in {performance['simulation_seconds']:.1f}s "
        f"({performance['customers_per_second']:.0f} simulated customers/s, "
        f"{performance['http_calls']} HTTP calls)"
    )


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return unique


def _format_rate(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)
