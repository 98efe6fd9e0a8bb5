"""Time to build the dbt marts from raw, and dbt's peak memory, at several simulated sizes.

    python -m bench.marts --orders 100000 1000000

For each size: simulate (reused when already there), ingest (timed, reported beside), then one
`dbt build` of every model and test over the ingested raw tables, as the dbt asset runs it.
Peak RSS is dbt's process (DuckDB runs inside it). Results go to bench/results/marts.md and .json.
"""

from __future__ import annotations

import argparse
import resource
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from bench.measure import machine, timed, write_results
from dagster_project.cli.render import table
from dagster_project.defs.transform import dbt_resource, prepare_manifest
from dagster_project.home import Home
from dagster_project.lib.dbt import dbt_project, dbt_vars_arg
from dagster_project.pipeline import run_pipeline
from dagster_project.simulator import simulate

WORK = Path(__file__).parent / "work"
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def children_peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measure(orders: int, seed: int) -> dict:
    sim, home = WORK / f"sim-{orders}", Home(WORK / f"marts-home-{orders}")
    if not (sim / "simulation.json").exists():
        shutil.rmtree(sim, ignore_errors=True)
        simulate(orders, seed, sim, as_of=AS_OF)
    shutil.rmtree(home.root, ignore_errors=True)
    with timed() as ingest:
        report = run_pipeline(home, sim / "landing", AS_OF, marts=False)
    events = sum(c["rows_ingested"] for c in report.systems.values())
    prepare_manifest()
    project = dbt_project()
    args = ["build", *dbt_vars_arg(home.config(), AS_OF, home.warehouse)]
    with timed() as build:
        dbt_resource().cli(args, target_path=project.target_path / "bench").wait()
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        divergences = conn.execute("select count(*) from main.fct_divergences").fetchone()[0]
    return {"orders": orders, "events": events, "ingest_seconds": round(ingest.seconds, 1),
            "marts_seconds": round(build.seconds, 1), "events_per_second": round(events / build.seconds),
            "dbt_peak_rss_mib": round(children_peak_rss_mib()), "divergences": divergences}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    results = []
    for orders in args.orders:
        results.append(measure(orders, args.seed))
        print(results[-1])
    text = "\n".join([
        "# Marts build benchmark", "",
        "`dbt build` of every model and test (full rebuild) over raw tables ingested from the simulator, "
        "DuckDB with 2 threads. Peak RSS is the largest dbt process so far in the run.", "",
        table(["orders", "events", "ingest s", "marts s", "events/s (marts)", "dbt peak RSS MiB", "divergences"],
              [[r["orders"], r["events"], r["ingest_seconds"], r["marts_seconds"], r["events_per_second"],
                r["dbt_peak_rss_mib"], r["divergences"]] for r in results]),
        "", f"Machine: {machine()['cpus']} CPUs, measured {machine()['measured_at']}.", "",
    ])  # fmt: skip
    md, js = write_results("marts", text, {"results": results, "machine": machine()})
    print(text)
    print(f"written: {md}, {js}")


if __name__ == "__main__":
    main()
