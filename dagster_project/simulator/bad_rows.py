"""Bad rows injected into regular batches: malformed JSON, offset-less timestamps, missing required
fields, non-numeric amounts, and exact repeats of earlier events (duplicate event ids)."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from pathlib import Path

import numpy as np

from dagster_project.simulator.bad_input import FreshIds, line_text, mangle
from dagster_project.simulator.batches import Batch
from dagster_project.simulator.formatting import Formatter
from dagster_project.simulator.writer import JSON_NUMBERS, json_lines

ROW_KINDS: dict[str, float] = {  # share of orders
    "malformed_json": 0.0005,
    "offset_less_timestamp": 0.0005,
    "missing_required_field": 0.0005,
    "non_numeric_amount": 0.0003,
    "duplicate_event_id": 0.001,
}
MIN_ROWS_PER_KIND = 3
MAX_BAD_SHARE = 0.05


@dataclass
class Injection:
    position: int  # data row it is inserted before
    text: str
    kind: str
    detail: str


@dataclass
class _Pick:
    kind: str
    batch: int  # index of the batch the line goes into
    position: int  # data row it is inserted before
    row: int  # the event it copies
    id_row: int  # whose event id the copy carries: a fresh one, or (duplicates) the event's own
    detail: str = ""


def plan_row_injections(
    batches: list[Batch], formatters: dict[str, Formatter], n_orders: int, rng: np.random.Generator
) -> tuple[dict[int, list[Injection]], FreshIds]:
    """Bad rows per batch index. Each is a copy of an event of its own batch, mangled, with a fresh event
    id; duplicates are exact copies of an event of an earlier day's batch of the same feed."""
    fresh = FreshIds(formatters)
    earlier = _earlier_batches(batches)
    capacity = {i: int(len(b.rows) * MAX_BAD_SHARE) for i, b in enumerate(batches) if b.fmt != "parquet"}
    picks: list[_Pick] = []
    for kind, share in ROW_KINDS.items():
        eligible = [i for i in capacity if _eligible(kind, batches[i], bool(earlier[i]))]
        for i in _targets(eligible, capacity, max(MIN_ROWS_PER_KIND, ceil(share * n_orders)), rng):
            batch = batches[i]
            position = int(rng.integers(len(batch.rows) + 1))
            if kind == "duplicate_event_id":
                source = batches[earlier[i][int(rng.integers(len(earlier[i])))]]
                row = int(source.rows[int(rng.integers(len(source.rows)))])
                picks.append(_Pick(kind, i, position, row, row, f"repeats an event of {source.path}"))
            else:
                row = int(batch.rows[int(rng.integers(len(batch.rows)))])
                picks.append(_Pick(kind, i, position, row, int(fresh.take(batch.system, 1)[0])))
    injections: dict[int, list[Injection]] = {}
    for pick, (text, detail) in zip(picks, _render(picks, batches, formatters, rng), strict=True):
        injections.setdefault(pick.batch, []).append(Injection(pick.position, text, pick.kind, detail))
    return injections, fresh


def _render(
    picks: list[_Pick], batches: list[Batch], formatters: dict[str, Formatter], rng: np.random.Generator
) -> list[tuple[str, str]]:
    """Each pick's raw line and detail; the picked rows of a system are formatted in one table."""
    formatted: dict[int, tuple[dict, str]] = {}
    for system in sorted({batches[p.batch].system for p in picks}):
        mine = [j for j, p in enumerate(picks) if batches[p.batch].system == system]
        table = formatters[system].table(
            np.array([picks[j].row for j in mine]), np.array([picks[j].id_row for j in mine])
        )
        lines = json_lines(table, JSON_NUMBERS.get(system, frozenset())).to_pylist()
        formatted.update(zip(mine, zip(table.to_pylist(), lines, strict=True), strict=True))
    out = []
    for j, pick in enumerate(picks):  # in pick order: the mangling draws stay deterministic
        record, line = formatted[j]
        batch = batches[pick.batch]
        columns = formatters[batch.system].columns
        if pick.kind == "duplicate_event_id":
            out.append(
                (
                    line if batch.fmt == "jsonl" else line_text(record, batch.fmt, batch.system, columns),
                    pick.detail,
                )
            )
            continue
        mangled, detail = mangle(pick.kind, record, batch.system, rng)
        out.append(
            (
                mangled if isinstance(mangled, str) else line_text(mangled, batch.fmt, batch.system, columns),
                detail,
            )
        )
    return out


def _eligible(kind: str, batch: Batch, has_earlier: bool) -> bool:
    if kind == "malformed_json":
        return batch.fmt == "jsonl"
    if kind == "non_numeric_amount":
        return batch.system in ("payments", "erp")
    if kind == "duplicate_event_id":
        return has_earlier
    return True


def _targets(eligible: list[int], capacity: dict[int, int], k: int, rng: np.random.Generator) -> list[int]:
    """`k` batches (repeats allowed), weighted by their remaining room for bad rows."""
    eligible = [i for i in eligible if capacity[i] > 0]
    picked: list[int] = []
    while eligible and len(picked) < k:
        weights = np.array([capacity[i] for i in eligible], float)
        i = eligible[int(rng.choice(len(eligible), p=weights / weights.sum()))]
        picked.append(i)
        capacity[i] -= 1
        if not capacity[i]:
            eligible.remove(i)
    return picked


def _earlier_batches(batches: list[Batch]) -> list[list[int]]:
    """Per batch: the batches of an earlier day in its feed (its system; for carriers, its carrier)."""
    feeds: dict[str, list[int]] = {}
    for i, b in enumerate(batches):
        feeds.setdefault(str(Path(b.path).parent.parent), []).append(i)
    return [[j for j in feeds[str(Path(b.path).parent.parent)] if batches[j].day < b.day] for b in batches]
