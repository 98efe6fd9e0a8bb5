"""Detection accuracy against the simulator's ground truth.

    python -m bench.accuracy --orders 20000

Simulates N orders, runs the whole pipeline on them, and compares `fct_divergences` with the labels:
recall per rule, classification / queue / status agreement, unlabelled divergences, divergences on
orders the simulator made clean. Results go to bench/results/accuracy.md and .json.
"""

from __future__ import annotations

import argparse
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from bench.measure import machine, write_results
from dagster_project.cli.render import table
from dagster_project.evaluation import Evaluation, evaluate
from dagster_project.home import Home
from dagster_project.pipeline import run_pipeline
from dagster_project.simulator import simulate

WORK = Path(__file__).parent / "work"
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def run_accuracy(orders: int, seed: int, work: Path) -> Evaluation:
    """Simulate, run the pipeline on a fresh home, evaluate."""
    sim, home = work / f"sim-{orders}-{seed}", Home(work / f"home-{orders}-{seed}")
    shutil.rmtree(home.root, ignore_errors=True)
    if not (sim / "simulation.json").exists():
        shutil.rmtree(sim, ignore_errors=True)
        simulate(orders, seed, sim, as_of=AS_OF)
    run_pipeline(home, sim / "landing", AS_OF)
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return evaluate(conn, sim)


def render(result: Evaluation, orders: int, seed: int) -> str:
    rows = [
        [
            rule,
            s.labelled,
            s.found,
            f"{s.recall:.3f}",
            s.same_classification,
            s.same_queue,
            s.same_status,
            result.extra.get(rule, 0),
        ]
        for rule, s in sorted(result.rules.items())
    ]
    return "\n".join([
        f"# Detection accuracy ({orders:,} simulated orders, seed {seed}, as of {AS_OF.isoformat()})", "",
        table(["rule", "labelled", "found", "recall", "same class.", "same queue", "same status", "unlabelled"],
              rows), "",
        f"Classification accuracy: {result.classification_accuracy:.3f}. "
        f"Divergences on orders the simulator made clean: {result.on_clean_orders}.", "",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    result = run_accuracy(args.orders, args.seed, WORK)
    text = render(result, args.orders, args.seed)
    data = {
        "orders": args.orders, "seed": args.seed, "as_of": AS_OF.isoformat(),
        "classification_accuracy": round(result.classification_accuracy, 4),
        "divergences_on_clean_orders": result.on_clean_orders,
        "rules": {rule: {**vars(s), "recall": round(s.recall, 4)} for rule, s in result.rules.items()},
        "unlabelled": dict(result.extra), "machine": machine(),
    }  # fmt: skip
    md, js = write_results("accuracy", text, data)
    print(text)
    print(f"written: {md}, {js}")


if __name__ == "__main__":
    main()
