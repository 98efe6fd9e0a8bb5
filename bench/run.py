"""The side-by-side benchmark (`make bench`): recon end to end, its stages, and the alternatives, per size.

    python -m bench.run --orders 10000 100000 1000000

For each size: simulate (reused when already under bench/work/), one measured `recon run` (bench/e2e.py),
then on the warehouse it wrote the delivery-conflict comparison done by DuckDB, pandas and datacompy and
the one-pass lower bound (bench/compare.py), all checked equal by checksum. DuckDB runs on 2 threads
everywhere. Writes bench/results.md and bench/results.json (with the ratios against the targets).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.compare import run_comparison
from bench.e2e import AS_OF, WORK, ensure_simulation, measure_recon_run
from bench.measure import DUCKDB_THREADS, machine, write_results
from dagster_project.home import Home

BENCH = Path(__file__).parent
MILLION = 1_000_000


@dataclass(frozen=True)
class Target:
    key: str
    text: str
    value: Callable[[dict], float]
    met: Callable[[float], bool]
    unit: str
    at_orders: int | None = None  # the size the target is stated for, when it is one size's


TARGETS = [
    Target("e2e_seconds", "1,000,000 orders end to end in under 2 minutes", lambda r: r["e2e"]["seconds"],
           lambda v: v < 120, "s", MILLION),
    Target("events_per_second", "end to end at 150,000 events/s or more", lambda r: r["e2e"]["events_per_second"],
           lambda v: v >= 150_000, "events/s"),
    Target("peak_rss_mib", "peak RSS under 4 GiB (recon and its dbt process together)",
           lambda r: r["e2e"]["peak_tree_rss_mib"], lambda v: v < 4096, "MiB"),
    Target("ingest_rows_per_second", "ingestion with contract checks at 200,000 rows/s or more",
           lambda r: r["e2e"]["ingest_rows_per_second"], lambda v: v >= 200_000, "rows/s"),
    Target("marts_over_lower_bound", "the marts within 10× of the one-pass lower bound",
           lambda r: r["ratios"]["marts_over_lower_bound"], lambda v: v <= 10, "×"),
    Target("datacompy_over_recon", "the delivery-conflict comparison at least 5× faster than datacompy",
           lambda r: r["ratios"]["datacompy_over_recon"], lambda v: v >= 5, "×"),
]  # fmt: skip


def ratios(e2e: dict, comparison: dict) -> dict:
    seconds = {name: r["seconds"] for name, r in comparison["implementations"].items()}
    bound = comparison["lower_bound"]["seconds"]
    return {
        # The marts: the whole dbt build step (start-up, models, tests); and its models alone (wall span).
        "marts_over_lower_bound": round(e2e["dbt_seconds"] / bound, 1),
        "marts_models_over_lower_bound": round(e2e["dbt"]["build_seconds"] / bound, 1),
        # The comparison: recon's R1 models inside its build vs each alternative on the same data.
        "datacompy_over_recon": round(seconds["datacompy"] / seconds["recon"], 2),
        "pandas_over_recon": round(seconds["pandas"] / seconds["recon"], 2),
        "recon_over_duckdb_sql": round(seconds["recon"] / seconds["duckdb_sql"], 1),
        "datacompy_over_duckdb_sql": round(seconds["datacompy"] / seconds["duckdb_sql"], 1),
    }


def measure(orders: int, seed: int) -> dict:
    sim = ensure_simulation(orders, seed)
    home = Home(WORK / f"e2e-home-{orders}")
    print(f"[{orders:,}] recon run ...", file=sys.stderr)
    e2e = measure_recon_run(sim / "landing", home.root, AS_OF)
    print(f"[{orders:,}] comparisons ...", file=sys.stderr)
    comparison = run_comparison(home.warehouse, AS_OF, home.config().rules.grace)
    # recon's time for the comparison: the models R1 depends on, as they ran inside the build.
    comparison["implementations"]["recon"]["seconds"] = e2e["dbt"]["r1_lineage_seconds"]
    return {"orders": orders, "e2e": e2e, "comparison": comparison, "ratios": ratios(e2e, comparison)}


def evaluate(results: list[dict]) -> list[dict]:
    """Each target at the size it names, else at the largest size measured."""
    largest = max(results, key=lambda r: r["orders"])
    evaluated = []
    for target in TARGETS:
        at = next((r for r in results if r["orders"] == target.at_orders), None) if target.at_orders else largest
        value = target.value(at) if at else None
        evaluated.append({
            "target": target.key, "text": target.text, "unit": target.unit,
            "orders": at["orders"] if at else target.at_orders, "measured": value,
            "met": target.met(value) if at else None,
        })  # fmt: skip
    return evaluated


# --- Markdown --------------------------------------------------------------------------------------------


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return "" if value is None else str(value)


def md_table(headers: list[str], rows: list[list[object]]) -> str:
    align = ["---"] + ["---:"] * (len(headers) - 1)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def by_size(results: list[dict], rows: list[tuple[str, Callable[[dict], object]]]) -> str:
    headers = ["", *(f"{r['orders']:,} orders" for r in results)]
    return md_table(headers, [[name, *(get(r) for r in results)] for name, get in rows])


def shares(result: dict) -> str:
    """Where the wall time of one size's `recon run` went, and the libraries' shares inside the stages."""
    e2e = result["e2e"]
    part = lambda seconds, whole=e2e["seconds"]: f"{seconds / whole:.0%}"  # noqa: E731
    return (
        f"Where the time goes at {result['orders']:,} orders ({e2e['seconds']:,.1f} s): process start-up and "
        f"report {part(e2e['startup_seconds'])}, ingestion {part(e2e['ingest_seconds'])} (Great Expectations "
        f"{part(e2e['contract_check_seconds'], e2e['ingest_seconds'])} of it), the dbt build "
        f"{part(e2e['dbt_seconds'])} (dbt's start-up {part(e2e['dbt']['startup_seconds'], e2e['dbt_seconds'])} "
        f"of it, the models {part(e2e['dbt']['build_seconds'], e2e['dbt_seconds'])}, the tests "
        f"{part(e2e['dbt']['tests_seconds'], e2e['dbt_seconds'])}, between nodes "
        f"{part(e2e['dbt']['between_nodes_seconds'], e2e['dbt_seconds'])}), the exception sync "
        f"{part(e2e['exception_sync_seconds'])}."
    )


def render(results: list[dict], targets: list[dict], note: str | None, seed: int) -> str:
    impl = lambda name, key="seconds": lambda r: r["comparison"]["implementations"][name].get(key)  # noqa: E731
    e2e = lambda key: lambda r: r["e2e"][key]  # noqa: E731
    dbt = lambda key: lambda r: r["e2e"]["dbt"][key]  # noqa: E731
    r1 = lambda key: lambda r: r["comparison"]["r1"][key]  # noqa: E731
    box = results[-1]["machine"]
    lines = [
        "# Benchmark: recon end to end and side by side", "",
        *([f"> {note}", ""] if note else []),
        f"Simulated orders (seed {seed}, as_of {AS_OF.isoformat()}), about 15 events each across the systems. "
        f"DuckDB on {DUCKDB_THREADS} threads everywhere (recon's ingestion and dbt included). "
        f"Machine: {box['cpus']} CPUs, Python {box['python']}, DuckDB {box['duckdb']}, measured "
        f"{box['measured_at']}. `make bench` (`python -m bench.run`) writes this file and "
        "bench/results.json.", "",
        "## Targets", "",
        md_table(["target", "orders", "measured", "met"],
                 [[t["text"], t["orders"], f"{_fmt(t['measured'])} {t['unit']}" if t["measured"] is not None
                   else "not measured", t["met"]] for t in targets]), "",
        "## `recon run` end to end", "",
        "One `recon run --json` on a fresh home, as a user runs it (the dbt manifest parsed before). Peak RSS: "
        "recon and its dbt process together, sampled every 0.1 s; largest process: the kernel's exact figure.", "",
        by_size(results, [
            ("events ingested", e2e("events")), ("wall s", e2e("seconds")), ("events/s", e2e("events_per_second")),
            ("peak RSS MiB (process tree)", e2e("peak_tree_rss_mib")),
            ("largest process RSS MiB", e2e("max_process_rss_mib")),
            ("process start-up and report s", e2e("startup_seconds")),
            ("ingest s (7 systems)", e2e("ingest_seconds")), ("ingest rows/s", e2e("ingest_rows_per_second")),
            ("of which Great Expectations s", e2e("contract_check_seconds")),
            ("Great Expectations share of ingest", lambda r: f"{r['e2e']['contract_check_share']:.0%}"),
            ("dbt build s (marts and checks)", e2e("dbt_seconds")),
            ("dbt start-up s", dbt("startup_seconds")),
            ("dbt models s (wall)", dbt("build_seconds")), ("dbt tests s (wall)", dbt("tests_seconds")),
            ("dbt between nodes s", dbt("between_nodes_seconds")),
            ("dbt nodes", dbt("nodes")), ("median dbt node s", dbt("median_node_seconds")),
            ("exception sync s", e2e("exception_sync_seconds")),
            ("divergences", e2e("divergences")),
        ]), "",
        *(shares(r) + "\n" for r in results),
        "## The delivery-conflict comparison", "",
        "Per OMS order: the latest delivery phase of oms, carrier (active awb) and crm as of as_of, and whether "
        "two that exist differ (bench/README.md defines it). The alternatives read the raw tables recon "
        "ingested (loaded into pandas once, timed apart); recon's answer is `fct_order_state`, its time the "
        "summed time of the models R1 depends on inside the dbt build above.", "",
        by_size(results, [
            ("events compared (oms, carrier, crm)", lambda r: sum(r["comparison"]["input_rows"].values())),
            ("load into pandas s", lambda r: r["comparison"]["load_seconds"]),
            ("recon (R1's models in dbt) s", impl("recon")),
            ("DuckDB, one query s", impl("duckdb_sql")),
            ("pandas s", impl("pandas")),
            ("datacompy s", impl("datacompy")),
            ("of which pandas latest phases s", impl("datacompy", "latest_seconds")),
            ("of which datacompy compares s", impl("datacompy", "compare_seconds")),
            ("datacompy ÷ recon", lambda r: r["ratios"]["datacompy_over_recon"]),
            ("pandas ÷ recon", lambda r: r["ratios"]["pandas_over_recon"]),
            ("recon ÷ DuckDB one query", lambda r: r["ratios"]["recon_over_duckdb_sql"]),
            ("checksums equal (all four)", lambda r: r["comparison"]["checksums_equal"]),
            ("orders diverged now", r1("diverged_orders")),
            ("of which open R1 divergences (> grace)", r1("open_r1_divergences")),
            ("of which within grace", r1("diverged_within_grace")),
            ("open R1 = diverged longer than grace", r1("open_r1_equals_lasting_longer_than_grace")),
        ]), "",
        "## Lower bound: one DuckDB pass", "",
        "The latest state per (order, system) over every order system's events with `arg_max`, checked equal "
        "to `fct_order_state`'s latest states.", "",
        by_size(results, [
            ("events read", lambda r: r["comparison"]["lower_bound"]["events"]),
            ("seconds", lambda r: r["comparison"]["lower_bound"]["seconds"]),
            ("equal to fct_order_state", lambda r: r["comparison"]["lower_bound"]["equal_to_fct_order_state"]),
            ("dbt build ÷ lower bound", lambda r: r["ratios"]["marts_over_lower_bound"]),
            ("dbt models alone ÷ lower bound", lambda r: r["ratios"]["marts_models_over_lower_bound"]),
        ]), "",
    ]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000, 100_000, MILLION])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--note", default=None, help="a line shown at the top of results.md (e.g. a small run)")
    parser.add_argument("--out", type=Path, default=BENCH, help="folder for results.md and results.json")
    args = parser.parse_args(argv)
    results = []
    for orders in sorted(args.orders):
        results.append({**measure(orders, args.seed), "machine": machine()})
    targets = evaluate(results)
    text = render(results, targets, args.note, args.seed)
    data = {"orders": sorted(args.orders), "seed": args.seed, "as_of": AS_OF.isoformat(),
            "duckdb_threads": DUCKDB_THREADS, "note": args.note, "targets": targets,
            "ratios": {r["orders"]: r["ratios"] for r in results}, "results": results}  # fmt: skip
    md, js = write_results("results", text, data, folder=args.out)
    print(text)
    print(f"written: {md}, {js}")


if __name__ == "__main__":
    main()
