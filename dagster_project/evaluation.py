"""How well the marts find what the simulator injected: recall per rule, classification accuracy,
divergences on orders the simulator made clean. Used by `bench/accuracy.py` and the accuracy test."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

LABEL_FIELDS = ("classification", "queue", "status")


@dataclass
class RuleScore:
    labelled: int = 0
    found: int = 0  # labelled (order, rule) pairs the mart has
    same_classification: int = 0
    same_queue: int = 0
    same_status: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0


@dataclass
class Evaluation:
    rules: dict[str, RuleScore] = field(default_factory=dict)
    extra: Counter = field(default_factory=Counter)  # divergences per rule with no label
    on_clean_orders: int = 0  # divergences on orders the simulator made clean

    @property
    def classification_accuracy(self) -> float:
        found = sum(s.found for s in self.rules.values())
        return sum(s.same_classification for s in self.rules.values()) / found if found else 1.0


def _read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def evaluate(conn: duckdb.DuckDBPyConnection, simulation: Path) -> Evaluation:
    """Compare `fct_divergences` with the simulator's labels, by (order_id, rule)."""
    labels = {(r["order_id"], r["rule"]): r for r in _read_csv(simulation / "labels.csv")}
    clean = {r["order_id"] for r in _read_csv(simulation / "orders.csv") if r["is_clean"].lower() == "true"}
    found = {}
    for order_id, rule, *values in conn.execute(
        f"select order_id, rule, {', '.join(LABEL_FIELDS)} from main.fct_divergences"
    ).fetchall():
        found[(order_id, rule)] = dict(zip(LABEL_FIELDS, values, strict=True))
    result = Evaluation()
    for (order_id, rule), label in labels.items():
        score = result.rules.setdefault(rule, RuleScore())
        score.labelled += 1
        got = found.get((order_id, rule))
        if got:
            score.found += 1
            score.same_classification += got["classification"] == label["classification"]
            score.same_queue += got["queue"] == label["queue"]
            score.same_status += got["status"] == label["status"]
    for order_id, rule in found:
        if (order_id, rule) not in labels:
            result.extra[rule] += 1
        result.on_clean_orders += order_id in clean
    return result
