"""What the simulator tests share: the run's parameters and the loaded outputs of one simulated run."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.simulator import SimulationResult
from tests.simulator.simulator_oracle import FileReport

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
SEED = 7
ORDERS = 3000


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass
class Simulated:
    result: SimulationResult
    rows: dict[str, list[dict]]  # valid, de-duplicated landing rows per system
    reports: list[FileReport]  # one per batch file read
    ignored_folders: list[str]
    labels: list[dict[str, str]]
    orders: list[dict[str, str]]
    bad_input: list[dict[str, str]]
