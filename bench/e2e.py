"""End to end: one `recon run` (ingest, marts, checks, exception sync) measured as a user runs it.

    python -m bench.e2e --orders 10000

The real command in a child process on a fresh home, DuckDB pinned to the benchmark's threads (recon's
own connections and dbt's, through bench/pin/). Measured: wall time, events per second, peak RSS of the
process tree (recon and its dbt subprocess, sampled) and of its largest process (exact). Per stage, from
the run's own records: the Dagster steps (ingest per system with its Great Expectations contract-check
share, the dbt build, the exception sync) and, inside the dbt build, dbt's start-up, the models and the
tests (dbt's run_results.json), and the models the delivery-conflict rule (R1) depends on.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from bench.measure import pinned_env, run_measured, timed
from dagster_project.contract import SYSTEMS
from dagster_project.defs.transform import prepare_manifest
from dagster_project.home import Home
from dagster_project.lib.dbt import dbt_project
from dagster_project.pipeline import open_instance
from dagster_project.simulator import simulate

WORK = Path(__file__).parent / "work"
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
DBT_STEP = "recon_dbt"
EXCEPTIONS_STEP = "exceptions"
R1_MODEL = "model.recon.int_divergence_delivery_status_conflict"


def ensure_simulation(orders: int, seed: int, work: Path = WORK) -> Path:
    """The simulated landing zone for `orders` (kept under bench/work/ and reused: the same bytes each time)."""
    sim = work / f"sim-{orders}" if seed == 7 else work / f"sim-{orders}-{seed}"
    if not (sim / "simulation.json").exists():
        shutil.rmtree(sim, ignore_errors=True)
        with timed() as sim_time:
            simulate(orders, seed, sim, as_of=AS_OF)
        print(f"simulated {orders:,} orders in {sim_time.seconds:.1f} s", file=sys.stderr)
    return sim


def _at(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _span(intervals: list[tuple[float, float]]) -> float:
    """Wall seconds covered by the union of intervals (dbt runs two nodes at a time)."""
    covered, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            covered += stop - max(start, end)
            end = stop
    return covered


def ancestors(manifest: dict, node: str) -> set[str]:
    seen, todo = {node}, [node]
    while todo:
        for parent in manifest["parent_map"].get(todo.pop(), []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def dbt_breakdown(target: Path, step_seconds: float) -> dict:
    """dbt's own timing of the build: its start-up (step minus dbt's elapsed), models and tests (wall spans
    and summed node time), and the summed time of the models R1 depends on."""
    results = json.loads((target / "run_results.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    kinds: dict[str, list[dict]] = {"build": [], "tests": []}
    for result in results["results"]:
        kind = "build" if result["unique_id"].split(".")[0] in ("model", "seed", "snapshot") else "tests"
        kinds[kind].append(result)

    def execute(result: dict) -> tuple[float, float] | None:
        timing = {t["name"]: t for t in result["timing"]}.get("execute")
        return (_at(timing["started_at"]), _at(timing["completed_at"])) if timing else None

    lineage = ancestors(manifest, R1_MODEL)
    node_times = [r["execution_time"] for r in results["results"]]
    nodes_span = _span([i for r in results["results"] if (i := execute(r))])
    return {
        "nodes": len(results["results"]),
        "elapsed_seconds": round(results["elapsed_time"], 2),
        "startup_seconds": round(step_seconds - results["elapsed_time"], 2),
        # dbt's own time around the nodes' SQL within its elapsed time (scheduling, compiling, bookkeeping).
        "between_nodes_seconds": round(results["elapsed_time"] - nodes_span, 2),
        **{f"{kind}_seconds": round(_span([i for r in rs if (i := execute(r))]), 2) for kind, rs in kinds.items()},
        **{f"{kind}_node_seconds": round(sum(r["execution_time"] for r in rs), 2) for kind, rs in kinds.items()},
        "median_node_seconds": round(statistics.median(node_times), 3) if node_times else 0,
        "r1_lineage_models": sorted(u.split(".")[-1] for u in lineage if u.startswith(("model.", "seed."))),
        "r1_lineage_seconds": round(sum(r["execution_time"] for r in results["results"]
                                        if r["unique_id"] in lineage), 2),
    }  # fmt: skip


def run_stages(home: Home) -> dict:
    """The last run in the home's Dagster instance: step durations, contract-check seconds, dbt's timing."""
    instance = open_instance(home)
    (run,) = instance.get_runs(limit=1)
    steps = {s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(run.run_id)}
    stats = instance.get_run_stats(run.run_id)
    contract: dict[str, float] = {}
    for record in instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records:
        materialization = record.event_log_entry.dagster_event.event_specific_data.materialization
        if "contract_check_seconds" in materialization.metadata:
            contract[materialization.asset_key.path[0]] = materialization.metadata["contract_check_seconds"].value
    project = dbt_project()
    (target,) = (Path(project.project_dir) / project.target_path).glob(f"{DBT_STEP}-{run.run_id[:7]}-*")
    ingest = {system: round(steps[f"{system}__events"], 2) for system in SYSTEMS}
    return {
        "run_id": run.run_id,
        "run_seconds": round(stats.end_time - stats.start_time, 2),
        "ingest_seconds": round(sum(ingest.values()), 2),
        "ingest_per_system_seconds": ingest,
        "contract_check_seconds": round(sum(contract.values()), 2),
        "dbt_seconds": round(steps[DBT_STEP], 2),
        "exception_sync_seconds": round(steps[EXCEPTIONS_STEP], 2),
        "dbt": dbt_breakdown(target, steps[DBT_STEP]),
    }


def measure_recon_run(landing: Path, home_root: Path, as_of: datetime = AS_OF) -> dict:
    """`recon run --json` on a fresh home: wall time, memory, events, and the stages of the run."""
    prepare_manifest()  # parsed before, not inside the measurement (a user's second run)
    shutil.rmtree(home_root, ignore_errors=True)
    home_root.mkdir(parents=True)
    out, err = home_root.parent / f"{home_root.name}.stdout", home_root.parent / f"{home_root.name}.stderr"
    recon = Path(sys.executable).parent / "recon"
    cmd = [str(recon), "run", "--home", str(home_root), "--landing", str(landing), "--as-of", as_of.isoformat()]
    cmd.append("--json")
    run = run_measured(cmd, pinned_env(), out, err)
    if run.returncode != 0:
        raise RuntimeError(f"recon run failed ({run.returncode}): {err.read_text()[-2000:]}")
    summary = json.loads(out.read_text())
    events = sum(summary[s]["rows_ingested"] for s in SYSTEMS)
    rows = sum(summary[s]["rows_in_files"] for s in SYSTEMS)
    stages = run_stages(Home(home_root))
    return {
        "seconds": round(run.seconds, 2),
        "events": events,
        "rows_in_files": rows,
        "events_per_second": round(events / run.seconds),
        "peak_tree_rss_mib": round(run.peak_tree_rss_mib),
        "max_process_rss_mib": round(run.max_process_rss_mib),
        "startup_seconds": round(run.seconds - stages["run_seconds"], 2),
        **stages,
        "ingest_rows_per_second": round(rows / stages["ingest_seconds"]),
        "contract_check_share": round(stages["contract_check_seconds"] / stages["ingest_seconds"], 3),
        "divergences": summary["divergences"]["total"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    sim = ensure_simulation(args.orders, args.seed)
    print(json.dumps(measure_recon_run(sim / "landing", WORK / f"e2e-home-{args.orders}"), indent=2))


if __name__ == "__main__":
    main()
