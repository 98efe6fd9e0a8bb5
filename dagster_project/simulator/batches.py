"""How events land: per system, in batch files under per-day folders, formats mixed, rows shuffled, and a
few events arriving days late in a later batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil

import numpy as np

from dagster_project.simulator.timeline import between
from dagster_project.simulator.vocab import CARRIERS, DAY, HOUR, MINUTE

FORMAT_WEIGHTS: dict[str, dict[str, float]] = {
    "oms": {"jsonl": 0.6, "csv": 0.2, "parquet": 0.2},
    "wms": {"csv": 0.7, "parquet": 0.3},
    "carrier": {"jsonl": 0.5, "csv": 0.5},
    "crm": {"jsonl": 0.8, "csv": 0.2},
    "payments": {"parquet": 0.5, "csv": 0.3, "jsonl": 0.2},
    "erp": {"csv": 0.6, "parquet": 0.4},
    "integration_log": {"jsonl": 0.8, "parquet": 0.2},
}
MAX_ROWS = 100_000
MIN_ROWS = 150  # quiet systems batch several days together rather than writing tiny files
LATE_SHARE = 0.03
MAX_CHUNKS = 8


@dataclass
class Batch:
    system: str
    path: str  # relative to the landing zone
    fmt: str
    day: int  # UTC day number of the folder
    rows: np.ndarray  # event rows of the system, in file order


def plan_batches(
    system: str,
    events: dict[str, np.ndarray],
    as_of: int,
    rng: np.random.Generator,
) -> list[Batch]:
    """Group `system`'s events into batch files by the time they landed (an export a few minutes to hours
    after recording; LATE_SHARE of them days later, in a batch that otherwise holds newer events)."""
    n = len(events["ts"])
    if not n:
        return []
    landing = events["recorded"] + between(rng, 5 * MINUTE, 2 * HOUR, n)
    landing = np.where(rng.random(n) < LATE_SHARE, landing + between(rng, DAY, 6 * DAY, n), landing)
    day = np.minimum(landing, as_of) // DAY
    first, last = int(day.min()), int(day.max())
    lanes = len(CARRIERS) if system == "carrier" else 1
    lane = events["carrier"].astype(np.int64) if system == "carrier" else np.zeros(n, np.int64)
    period = int(np.clip(ceil(MIN_ROWS * (last - first + 1) * lanes / n), 1, 7))
    group = (day - first) // period * lanes + lane
    sizes = np.bincount(group)
    chunks = np.maximum(1, -(-sizes // MAX_ROWS)) + (sizes >= 4 * MIN_ROWS) * rng.integers(0, 2, len(sizes))
    chunks = np.minimum(chunks, MAX_CHUNKS)
    chunk = np.floor(rng.random(n) * chunks[group]).astype(np.int64)
    key = group * MAX_CHUNKS + chunk
    order = np.lexsort((rng.random(n), key))
    keys, starts = np.unique(key[order], return_index=True)
    ends = np.append(starts[1:], n)
    formats = list(FORMAT_WEIGHTS[system])
    picks = rng.choice(len(formats), len(keys), p=list(FORMAT_WEIGHTS[system].values()))
    batches = []
    for k, start, end, pick in zip(keys, starts, ends, picks, strict=True):
        g, c = divmod(int(k), MAX_CHUNKS)
        bucket, lane_no = divmod(g, lanes)
        folder_day = min(first + bucket * period + period - 1, last)
        batches.append(
            Batch(
                system,
                _path(system, lane_no, folder_day, c, formats[pick]),
                formats[pick],
                folder_day,
                order[start:end],
            )
        )
    return batches


def day_text(day: int, fmt: str = "%Y-%m-%d") -> str:
    return datetime.fromtimestamp(day * DAY, UTC).strftime(fmt)


def _path(system: str, lane: int, day: int, chunk: int, fmt: str) -> str:
    stamp = day_text(day, "%Y%m%d")
    if system == "carrier":
        return f"carrier/{CARRIERS[lane]}/{day_text(day)}/{CARRIERS[lane]}_{stamp}_{chunk:02d}.{fmt}"
    return f"{system}/{day_text(day)}/{system}_{stamp}_{chunk:02d}.{fmt}"
