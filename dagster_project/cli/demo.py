"""`recon demo`: simulate a landing zone with faults, run the pipeline on it, print what happened."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.cli.render import table
from dagster_project.cli.run import render_report, report_slack_error
from dagster_project.cli.simulate import add_simulation_options
from dagster_project.contract import SYSTEMS
from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.pipeline import run_pipeline
from dagster_project.slack import outbox_item
from dagster_project.slack.console import render_item
from dagster_project.store import open_store, pending_messages
from dagster_project.store.utc import utc_now

# A fixed simulated "now": the demo gives the same files and figures on every machine and every day.
DEMO_AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def warehouse_totals(home: Home) -> str:
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        rows = [[system, conn.execute(f"select count(*) from {system}.events").fetchone()[0]] for system in SYSTEMS]
        quarantined_rows = conn.execute("select count(*) from recon.quarantined_rows").fetchone()[0]
        quarantined_files, rows_in_them = conn.execute(
            "select count(*), coalesce(sum(rows_total), 0) from recon.quarantined_files"
        ).fetchone()
        duplicates = conn.execute("select count(*) from recon.duplicate_events").fetchone()[0]
    rows.append(["total", sum(r[1] for r in rows)])
    return "\n".join(
        [
            f"Warehouse {home.warehouse}:",
            "",
            table(["system", "events"], rows),
            "",
            f"Quarantined, each with its reason: {quarantined_rows:,} single rows, and {quarantined_files:,} whole "
            f"files ({rows_in_them:,} rows). {duplicates:,} duplicate events counted and set aside.",
        ]
    )


def _simulated_landing(out: Path, args: argparse.Namespace) -> Path:
    """The demo's landing zone: simulated once, reused by every later demo with the same parameters."""
    from dagster_project.simulator import simulate

    manifest = out / "simulation.json"
    wanted = {"orders": args.orders, "seed": args.seed, "as_of": args.as_of.isoformat().replace("+00:00", "Z")}
    if manifest.exists():
        made = json.loads(manifest.read_text())
        if {key: made.get(key) for key in wanted} != wanted:
            raise ReconError(
                f"{out} holds a simulation with other parameters ({made.get('orders')} orders, seed "
                f"{made.get('seed')}, as of {made.get('as_of')}); use another --home, or delete that home"
            )
        print(f"Reusing the simulated landing zone in {out} (same orders, seed and as_of).")
        return out / "landing"
    print(f"Simulating {args.orders:,} orders (seed {args.seed}, as of {args.as_of.isoformat()}) into {out} ...")
    return simulate(args.orders, args.seed, out, as_of=args.as_of, progress=print).landing


def cmd_demo(args: argparse.Namespace) -> int:
    home = Home.resolve(args.home).ensure()
    out = home.root / "demo"
    landing = _simulated_landing(out, args)
    print(f"Running the pipeline over {landing} ...\n")
    report = run_pipeline(home, landing, args.as_of)
    print(render_report(report, landing))
    print()
    print(warehouse_totals(home))
    preview = first_waiting_message(home)
    if preview:
        print(f"\nThe first exception's Slack message, as it would be posted:\n\n{preview}")
    print(
        f"\nNext: `recon divergences --home {home.root}` for the divergences, "
        f"`recon order ORDER_ID --home {home.root}` for one order's timeline, "
        f"`recon exceptions list --home {home.root}` for the exception queue."
    )
    return report_slack_error(report)


def first_waiting_message(home: Home) -> str | None:
    """The oldest message still in the outbox, rendered as the console shows it (None when all were sent)."""
    messages = pending_messages(open_store(home.store_url), limit=1)
    return render_item(outbox_item(messages[0], now=utc_now())) if messages else None


def configure_demo(parser: argparse.ArgumentParser) -> None:
    add_simulation_options(parser, DEMO_AS_OF, f"ISO 8601 (default {DEMO_AS_OF.isoformat()})")


COMMANDS = [
    ("demo", "simulate orders with injected faults and run the whole pipeline on them", configure_demo, cmd_demo),
]
