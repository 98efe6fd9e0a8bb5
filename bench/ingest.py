"""Ingestion throughput: simulate N orders, ingest the landing zone with contract checks, report rows/s.

    python -m bench.ingest --orders 100000

Measures the real path (`run_pipeline`: Dagster in-process, one asset per system) on a fresh home, and
the contract check's share of it (Great Expectations on pandas), as each ingest asset reports it.
"""

from __future__ import annotations

import argparse
import shutil
from datetime import UTC, datetime
from pathlib import Path

from bench.measure import machine, peak_rss_mib, timed, write_results
from dagster_project.cli.render import table
from dagster_project.home import Home
from dagster_project.pipeline import run_pipeline

WORK = Path(__file__).parent / "work"
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    from dagster_project.simulator import simulate

    sim_dir, home_dir = WORK / f"sim-{args.orders}", WORK / f"home-{args.orders}"
    shutil.rmtree(home_dir, ignore_errors=True)
    if not (sim_dir / "simulation.json").exists():
        with timed() as sim_time:
            simulate(args.orders, args.seed, sim_dir, as_of=AS_OF)
        print(f"simulated {args.orders:,} orders in {sim_time.seconds:.1f} s")
    files = sorted(p for p in (sim_dir / "landing").rglob("*") if p.is_file())
    size_mib = sum(p.stat().st_size for p in files) / 2**20
    with timed() as run_time:
        report = run_pipeline(Home(home_dir), sim_dir / "landing", AS_OF)
    total_rows = sum(c["rows_in_files"] for c in report.systems.values())
    contract = sum(report.contract_seconds.values())
    result = {
        "orders": args.orders,
        "files": len(files),
        "landing_mib": round(size_mib, 1),
        "rows": total_rows,
        "seconds": round(run_time.seconds, 2),
        "rows_per_second": round(total_rows / run_time.seconds),
        "contract_check_seconds": round(contract, 2),
        "contract_check_share": round(contract / run_time.seconds, 3),
        "peak_rss_mib": round(peak_rss_mib()),
        "per_system": report.systems,
        "machine": machine(),
    }
    lines = [
        f"# Ingestion benchmark ({args.orders:,} simulated orders)",
        "",
        f"Landing zone: {len(files):,} files, {size_mib:,.1f} MiB, {total_rows:,} rows. `recon run` ingestion "
        f"(Dagster in-process, contract checks with Great Expectations, DuckDB): **{run_time.seconds:.1f} s, "
        f"{result['rows_per_second']:,} rows/s**, peak RSS {result['peak_rss_mib']:,} MiB. Of that, the Great "
        f"Expectations contract check takes {contract:.1f} s ({result['contract_check_share']:.0%}).",
        "",
        table(
            ["system", "rows", "ingested", "duplicate", "quarantined", "contract check s"],
            [
                [
                    s,
                    c["rows_in_files"],
                    c["rows_ingested"],
                    c["rows_duplicate"],
                    c["rows_quarantined"],
                    report.contract_seconds[s],
                ]
                for s, c in report.systems.items()
            ],
        ),
        "",
        f"Machine: {result['machine']['cpus']} CPUs, Python {result['machine']['python']}, "
        f"measured {result['machine']['measured_at']}.",
        "",
    ]
    md, js = write_results("ingest", "\n".join(lines), result)
    print("\n".join(lines))
    print(f"written: {md}, {js}")


if __name__ == "__main__":
    main()
