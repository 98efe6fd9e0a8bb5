"""`recon demo`: simulate a landing zone with faults, run the pipeline on it, print what happened."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import duckdb

from dagster_project.cli.render import table
from dagster_project.cli.run import render_report
from dagster_project.contract import SYSTEMS
from dagster_project.home import Home
from dagster_project.pipeline import run_pipeline

# A fixed simulated "now": the demo gives the same files and figures on every machine and every day.
DEMO_AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def warehouse_totals(home: Home) -> str:
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        rows = [[system, conn.execute(f"select count(*) from {system}.events").fetchone()[0]] for system in SYSTEMS]
        quarantined_rows = conn.execute("select count(*) from recon.quarantined_rows").fetchone()[0]
        quarantined_files = conn.execute("select count(*) from recon.quarantined_files").fetchone()[0]
        duplicates = conn.execute("select count(*) from recon.duplicate_events").fetchone()[0]
    rows.append(["total", sum(r[1] for r in rows)])
    return "\n".join(
        [
            f"Warehouse {home.warehouse}:",
            "",
            table(["system", "events"], rows),
            "",
            f"Quarantined: {quarantined_rows:,} rows and {quarantined_files:,} files, each with its reason; "
            f"{duplicates:,} duplicate events counted and set aside.",
        ]
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from dagster_project.simulator import simulate

    home = Home.resolve(args.home).ensure()
    out = home.root / "demo"
    print(f"Simulating {args.orders:,} orders (seed {args.seed}, as of {args.as_of.isoformat()}) into {out} ...")
    sim = simulate(args.orders, args.seed, out, as_of=args.as_of, progress=print)
    print(f"Running the pipeline over {sim.landing} ...\n")
    report = run_pipeline(home, sim.landing, args.as_of)
    print(render_report(report, sim.landing))
    print()
    print(warehouse_totals(home))
    print(f"\nNext: `recon ui --home {home.root}` to explore the runs in Dagster.")
    return 0


def configure_demo(parser: argparse.ArgumentParser) -> None:
    from dagster_project.cli import parse_as_of

    parser.add_argument("--orders", type=int, default=3000, help="orders to simulate (default 3000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--as-of", type=parse_as_of, default=DEMO_AS_OF, help=f"simulated 'now' (default {DEMO_AS_OF.isoformat()})"
    )


COMMANDS = [
    ("demo", "simulate orders with injected faults and run the whole pipeline on them", configure_demo, cmd_demo),
]
