"""The command line: ``python -m customer_sim run|compare|list|show|validate``.

The parser and the commands; what a command does lives in the use cases
(`simulation.recording`) and the adapters (`infrastructure`). Exit codes, decided in `main`
only: 0 ok; 1 the run failed (its records do not reconcile, or a service refused a
request); 2 a bad scenario, argument or run reference (nothing was sent to the services);
3 a service unreachable after bounded retries; 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import uuid
from pathlib import Path
from typing import Sequence

from pydantic import ValidationError

from customer_sim.config import Settings
from customer_sim.domain.scenario import ScenarioError, load_scenario
from customer_sim.infrastructure.http_client import ServiceError, ServiceUnreachable
from customer_sim.infrastructure.progress import make_progress
from customer_sim.infrastructure.reports import (
    COMPARISON_PLOT,
    REPORT_FILE,
    previous_report,
    where_the_report_is,
    write_comparison_reports,
    write_run_reports,
)
from customer_sim.infrastructure.run_database import RunDatabase
from customer_sim.infrastructure.services import HttpServices
from customer_sim.infrastructure.tables import (
    comparison_table,
    daily_table,
    describe_run,
    format_value,
    performance_line,
    render_table,
    sku_comparison_table,
)
from customer_sim.simulation.kpis import KPI_BY_KEY
from customer_sim.simulation.recording import RunPlan, record_run
from customer_sim.simulation.replications import Comparison, ReplicatedRun
from customer_sim.simulation.runner import InconsistentRun, new_run_key
from servicekit.logging import configure_logging
from servicekit.settings import check_http_url, settings_problem

log = logging.getLogger("customer_sim")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
MAX_REPLICATIONS, MAX_PARALLEL = 1000, 32


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # bad arguments: argparse exits with 2
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"customer_sim: error: {settings_problem(error)}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level, settings.log_format)
    if settings.log_level != "DEBUG":  # per-migration lines drown the progress
        logging.getLogger("alembic").setLevel(logging.WARNING)
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
    run.add_argument("--out", type=Path, help="output folder (default: $SIM_OUTPUT_DIR/<run key>)")
    run.set_defaults(command=run_command)

    compare = commands.add_parser(
        "compare",
        help="run several scenarios with the same seeds and compare their KPIs (paired)",
    )
    compare.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    _add_run_options(compare)
    compare.add_argument(
        "--out",
        type=Path,
        help="output folder (default: $SIM_OUTPUT_DIR/compare-<id>); one subfolder a scenario",
    )
    compare.set_defaults(command=compare_command)

    listing = commands.add_parser("list", help="list the runs in the run database")
    listing.add_argument("--limit", type=_bounded_int(1, 100_000), default=50)
    listing.set_defaults(command=list_command)

    show = commands.add_parser("show", help="print one run's KPIs from the run database")
    show.add_argument("run", help="run number (see list), run key or store id")
    show.set_defaults(command=show_command)

    validate = commands.add_parser("validate", help="check scenario files, touch nothing")
    validate.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    validate.set_defaults(command=validate_command)
    return parser


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=_bounded_int(1), help="override the scenario's days")
    parser.add_argument(
        "--seed", type=_bounded_int(0), help="override the scenario's seed (replication 1's)"
    )
    parser.add_argument(
        "--replications",
        type=_bounded_int(1, MAX_REPLICATIONS),
        default=1,
        metavar="N",
        help="independent replications, each in its own store; KPIs get 95%% confidence "
        "intervals from 2 on (default 1)",
    )
    parser.add_argument(
        "--parallel",
        type=_bounded_int(1, MAX_PARALLEL),
        default=1,
        metavar="K",
        help="replications run at once (default 1); the results do not depend on it",
    )
    parser.add_argument("--store-url", type=_http_url, help="store API (default: $STORE_URL)")
    parser.add_argument(
        "--inventory-url", type=_http_url, help="inventory API (default: $INVENTORY_URL)"
    )
    parser.add_argument(
        "--wait-for-services",
        type=_bounded_int(0, 600),
        default=0,
        metavar="SECONDS",
        help="give services that are still starting up to SECONDS to answer (default 0)",
    )
    parser.add_argument(
        "--progress",
        choices=["auto", "bar", "log"],
        default="auto",
        help="a progress bar, or log lines (auto: a bar on a terminal, log lines otherwise)",
    )
    parser.add_argument(
        "--log-every-hours",
        type=_bounded_int(1),
        default=24,
        help="simulated hours between progress log lines (default 24)",
    )


def _http_url(text: str) -> str:
    try:
        return check_http_url(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} {error}") from None


def _bounded_int(low: int, high: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"from {low} to {high}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    return parse


# -- commands -----------------------------------------------------------------------------------


def run_command(args: argparse.Namespace, settings: Settings) -> int:
    scenario = load_scenario(args.scenario).with_overrides(args.days, args.seed)
    services = _services(args, settings)
    services.check(args.wait_for_services)
    key = new_run_key(scenario.name)
    out_dir = args.out or Path(settings.output_dir) / key
    plan = RunPlan(scenario, str(args.scenario), key, args.replications, out_dir)
    database = RunDatabase(settings.database_url)
    try:
        began = time.perf_counter()
        run = _record(plan, services, database, args)
        seconds = time.perf_counter() - began
    finally:
        database.close()
    print(describe_run(run))
    print()
    print(performance_line([run], seconds, args.parallel))
    print(f"\nreport: {out_dir / REPORT_FILE} (and summary.json, daily.csv, plots)")
    return EXIT_OK


def compare_command(args: argparse.Namespace, settings: Settings) -> int:
    scenarios = [load_scenario(path) for path in args.scenarios]  # all valid before any call
    seed = args.seed if args.seed is not None else scenarios[0].seed
    scenarios = [scenario.with_overrides(args.days, seed) for scenario in scenarios]
    names = _unique_names([scenario.name for scenario in scenarios])
    key = f"compare-{uuid.uuid4().hex[:8]}"
    out_dir = args.out or Path(settings.output_dir) / key
    services = _services(args, settings)
    services.check(args.wait_for_services)
    log.info("comparing %s: seed %d, %d replications", ", ".join(names), seed, args.replications)
    plans = [
        RunPlan(scenario, str(path), new_run_key(scenario.name), args.replications,
                out_dir / name, comparison=key)  # fmt: skip
        for scenario, path, name in zip(scenarios, args.scenarios, names)
    ]
    database = RunDatabase(settings.database_url)
    try:
        began = time.perf_counter()
        runs = [_record(plan, services, database, args) for plan in plans]
        seconds = time.perf_counter() - began
    finally:
        database.close()
    comparison = Comparison(runs, names)
    _replacing(out_dir)
    write_comparison_reports(comparison, plans, out_dir, key)
    what = (
        f"{args.replications} replications (paired: the same seeds, so the same customers, "
        "in every scenario; * = significant at 95%)"
        if args.replications > 1
        else "1 replication (no confidence intervals: use --replications N)"
    )
    print(f"Comparison with seed {seed}, {scenarios[0].days} days, {what}\n")
    print(comparison_table(comparison))
    for kpi in ("fill_rate", "total_cost"):
        print()
        print(sku_comparison_table(comparison, kpi))
    print()
    print(performance_line(runs, seconds, args.parallel))
    print(f"\nreport: {out_dir / REPORT_FILE} ({COMPARISON_PLOT}, one folder per scenario)")
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
    rows = [
        [
            str(run.id),
            run.scenario,
            str(run.seed),
            str(run.days),
            str(run.replications),
            run.status,
            run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            run.key,
            format_value(KPI_BY_KEY["fill_rate"].kind, run.fill_rate),
            run.comparison or "",
        ]
        for run in runs
    ]
    header = ["run", "scenario", "seed", "days", "replications", "status", "started (UTC)",
              "key", "fill rate", "comparison"]  # fmt: skip
    print(render_table(header, rows))
    return EXIT_OK


def show_command(args: argparse.Namespace, settings: Settings) -> int:
    database = RunDatabase(settings.database_url)
    try:
        record = database.get_run(args.run)
        run = database.replicated_run(record) if record is not None else None
    finally:
        database.close()
    if record is None or run is None:
        print(f"no run {args.run!r} in the run database (see: list)", file=sys.stderr)
        return EXIT_USAGE
    print(f"run {record.id} ({record.key}): {record.status}, scenario file {record.scenario_file}")
    if record.comparison:
        print(f"part of {record.comparison}")
    if record.error:
        print(f"error: {record.error}")
    print()
    print(describe_run(run))
    if run.replications:
        print()
        print(daily_table(run))
    if record.output_dir:
        print()
        print(where_the_report_is(Path(record.output_dir), record.key))
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


# -- helpers of the commands --------------------------------------------------------------------


def _services(args: argparse.Namespace, settings: Settings) -> HttpServices:
    return HttpServices(
        args.store_url or settings.store_url,
        args.inventory_url or settings.inventory_url,
        settings.http_timeout_seconds,
        settings.http_retries,
    )


def _record(
    plan: RunPlan, services: HttpServices, database: RunDatabase, args: argparse.Namespace
) -> ReplicatedRun:
    """One scenario's replications, recorded and reported, with progress on the way."""
    scenario = plan.scenario
    _replacing(plan.output_dir)
    log.info(
        "run %s: %s, seed %d, %d days from %s, about %.0f customers a day, %d replication(s)",
        plan.key,
        scenario.name,
        scenario.seed,
        scenario.days,
        scenario.start.date(),
        scenario.arrivals.expected_per_day(scenario.hours),
        plan.replications,
    )
    progress = make_progress(args.progress, scenario, plan.replications, args.log_every_hours)
    try:
        return record_run(plan, services, database, write_run_reports, progress, args.parallel)
    finally:
        progress.close()


def _replacing(out_dir: Path) -> None:
    """Say so when a folder's earlier report is about to be replaced (never silently)."""
    earlier = previous_report(out_dir)
    if earlier is not None:
        log.warning("%s holds the report of %s: it is replaced by this run's", out_dir, earlier)


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return unique
