"""`recon simulate`: orders -> timelines -> faults -> events -> batch files, plus the ground truth."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.contract import SYSTEMS
from dagster_project.simulator.background import add_batch_calls
from dagster_project.simulator.bad_files import write_bad_files
from dagster_project.simulator.bad_input import BadItem
from dagster_project.simulator.bad_rows import Injection, plan_row_injections
from dagster_project.simulator.batches import Batch, plan_batches
from dagster_project.simulator.catalogue import CATALOGUE, assign
from dagster_project.simulator.derive import derive
from dagster_project.simulator.events import EventLog
from dagster_project.simulator.faults.context import FaultContext
from dagster_project.simulator.flows import Plan, sample_primaries, shape_flow
from dagster_project.simulator.formatting import Formatter
from dagster_project.simulator.keys import Keys
from dagster_project.simulator.labels import Labels
from dagster_project.simulator.orphans import add_orphans
from dagster_project.simulator.recording import record
from dagster_project.simulator.skeleton import Orders, assign_numbers, sample_created, sample_orders
from dagster_project.simulator.steps import emit_timeline
from dagster_project.simulator.timeline import Timeline, stream
from dagster_project.simulator.truth import (
    label_table,
    write_bad_input,
    write_labels,
    write_manifest,
    write_orders,
)
from dagster_project.simulator.writer import encode

WINDOW_DAYS = 28  # orders are created over the four weeks before as_of
SCENARIO_NAMES = [s.name for s in CATALOGUE]


@dataclass(frozen=True)
class SimulationResult:
    as_of: datetime
    seed: int
    orders: int
    events_written: int
    files_written: int
    labels: int
    bad_items: int
    out: Path
    landing: Path
    labels_path: Path
    orders_path: Path
    bad_input_path: Path
    manifest_path: Path


def simulate(
    orders: int,
    seed: int,
    out: Path,
    as_of: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> SimulationResult:
    """Write a simulated landing zone for `orders` OMS orders and the simulator's ground truth beside it.

    Layout under `out`: `landing/<system>/...` (batch files per SOURCE_CONTRACT.md, with injected faults
    and bad input), `labels.csv` (every divergence RULES.md must find), `orders.csv`, `bad_input.csv` and
    `simulation.json`. The same (orders, seed, as_of) always gives byte-identical files. `as_of` defaults
    to the current UTC time floored to the hour; naive datetimes are read as UTC. `progress` receives
    short human-readable status lines. Raises FileExistsError if `out/landing` already has files.
    """
    if orders < 1:
        raise ValueError("orders must be at least 1")
    say = progress or (lambda message: None)
    as_of = _resolve_as_of(as_of)
    now = int(as_of.timestamp())
    out = Path(out)
    landing = out / "landing"
    if landing.exists() and any(landing.iterdir()):
        raise FileExistsError(f"{landing} is not empty: simulate into a new directory")
    started = time.monotonic()
    say(f"simulating {orders:,} orders (seed {seed}, as of {as_of.isoformat()})")
    world = _generate(orders, seed, now)
    say(f"{sum(len(e['ts']) for e in world.events.values()):,} events ({time.monotonic() - started:.0f} s)")
    batches, items = _land(landing, world, seed, now, say)

    labelled = world.labels.frame()
    table = label_table(labelled, world.keys)
    write_labels(out / "labels.csv", table)
    write_orders(
        out / "orders.csv",
        world.orders,
        SCENARIO_NAMES,
        world.created,
        world.promised_by,
        labelled["order"].to_numpy(),
        world.keys,
    )
    write_bad_input(out / "bad_input.csv", items)
    files = sum(1 for p in landing.rglob("*") if p.is_file())
    events_written = sum(len(b.rows) for b in batches)
    write_manifest(out / "simulation.json", _manifest(as_of, seed, world, batches, items, table, files))
    say(
        f"done: {events_written:,} events in {files:,} files, {len(table):,} labels "
        f"({time.monotonic() - started:.0f} s)"
    )
    return SimulationResult(
        as_of=as_of,
        seed=seed,
        orders=orders,
        events_written=events_written,
        files_written=files,
        labels=len(table),
        bad_items=len(items),
        out=out,
        landing=landing,
        labels_path=out / "labels.csv",
        orders_path=out / "orders.csv",
        bad_input_path=out / "bad_input.csv",
        manifest_path=out / "simulation.json",
    )


@dataclass
class _World:
    """Everything simulated, before it is written."""

    orders: Orders
    created: np.ndarray
    promised_by: np.ndarray
    labels: Labels
    keys: Keys
    events: dict[str, dict[str, np.ndarray]]  # per system, as recorded by as_of
    orphan_keys: int


def _generate(n: int, seed: int, now: int) -> _World:
    orders, tl, labels, log = _simulate_orders(n, seed, now)
    orphans = add_orphans(log, labels, orders, tl["created"], now, stream(seed, "orphans"))
    add_batch_calls(log, now, WINDOW_DAYS, stream(seed, "background"))
    keys = Keys.build(orders, orphans.width, orphans.keys, orphans.awbs)
    events = {s: record(log.collect(s), s, now, stream(seed, f"record:{s}")) for s in SYSTEMS}
    return _World(orders, tl["created"], tl["promised_by"], labels, keys, events, len(orphans.keys))


def _land(
    landing: Path, world: _World, seed: int, now: int, say: Callable[[str], None]
) -> tuple[list[Batch], list[BadItem]]:
    """Write every batch file, with bad rows injected, then the bad files; returns batches and bad items."""
    events = world.events
    formatters = {s: Formatter(s, events[s], world.orders, world.keys, world.promised_by) for s in SYSTEMS}
    batches = [b for s in SYSTEMS for b in plan_batches(s, events[s], now, stream(seed, f"batches:{s}"))]
    injections, fresh_ids = plan_row_injections(batches, formatters, world.orders.n, stream(seed, "bad_rows"))
    items = _write_batches(landing, batches, formatters, injections, say)
    items += write_bad_files(landing, batches, formatters, fresh_ids, stream(seed, "bad_files"))
    return batches, items


def _manifest(
    as_of: datetime,
    seed: int,
    world: _World,
    batches: list[Batch],
    items: list[BadItem],
    table: pd.DataFrame,
    files: int,
) -> dict:
    """simulation.json: the run's parameters and what it wrote."""
    counts = np.bincount(world.orders.scenario, minlength=len(CATALOGUE)).tolist()
    return {
        "seed": seed,
        "orders": world.orders.n,
        "as_of": as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "window_days": WINDOW_DAYS,
        "events_per_system": {s: len(world.events[s]["ts"]) for s in SYSTEMS},
        "events_written": sum(len(b.rows) for b in batches),
        "batch_files_per_system": dict(Counter(b.system for b in batches)),
        "files_written": files,
        "labels": len(table),
        "labels_per_rule": table["rule"].value_counts().sort_index().to_dict(),
        "orders_per_scenario": dict(zip(SCENARIO_NAMES, counts, strict=True)),
        "orphan_keys": world.orphan_keys,
        "bad_input_per_kind": dict(Counter(i.kind for i in items)),
    }


def _resolve_as_of(as_of: datetime | None) -> datetime:
    if as_of is None:
        return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    as_of = as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)
    return as_of.replace(microsecond=0)


def _simulate_orders(n: int, seed: int, now: int) -> tuple[Orders, Timeline, Labels, EventLog]:
    """Scenario per order, base flows, mirrors, then each scenario's fault; every order's events logged."""
    scenario = assign(n, stream(seed, "scenarios"))
    orders = sample_orders(n, scenario, stream(seed, "orders"))
    tl = Timeline(n)
    tl["created"] = sample_created(n, now, WINDOW_DAYS, stream(seed, "created"))
    plan_rng = stream(seed, "plan")
    plan = Plan.default(n, plan_rng)
    members = _members(scenario)
    for code, sc in enumerate(CATALOGUE):
        idx = members[code]
        orders.set_dims(idx, **sc.dims)
        shape_flow(plan, idx, sc.flow, plan_rng)
        if sc.plan:
            sc.plan(plan, idx, plan_rng)
    sample_primaries(tl, plan, orders.zone, stream(seed, "flows"))
    clean = np.array([sc.clean for sc in CATALOGUE])
    derive(tl, orders, clean[scenario], stream(seed, "derive"))
    log, labels = EventLog(orders), Labels()
    for code, sc in enumerate(CATALOGUE):
        if sc.apply:
            sc.apply(FaultContext(tl, orders, log, labels, now, stream(seed, sc.name)), members[code])
    assign_numbers(orders, tl["created"])
    emit_timeline(log, tl)
    return orders, tl, labels, log


def _members(scenario: np.ndarray) -> list[np.ndarray]:
    """Order indices per scenario code, ascending."""
    order = np.argsort(scenario, kind="stable")
    bounds = np.searchsorted(scenario[order], np.arange(len(CATALOGUE) + 1))
    return [order[bounds[c] : bounds[c + 1]] for c in range(len(CATALOGUE))]


def _write_batches(
    landing: Path,
    batches: list[Batch],
    formatters: dict[str, Formatter],
    injections: dict[int, list[Injection]],
    say: Callable[[str], None],
) -> list[BadItem]:
    items: list[BadItem] = []
    step = max(1, len(batches) // 10)
    for i, batch in enumerate(batches):
        bad = injections.get(i, [])
        data, lines = encode(
            formatters[batch.system].table(batch.rows),
            batch.fmt,
            batch.system,
            [(b.position, b.text) for b in bad],
        )
        path = landing / batch.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        for b, line in zip(bad, lines, strict=True):
            items.append(BadItem(b.kind, batch.system, batch.path, line, b.detail))
        if (i + 1) % step == 0:
            say(f"{i + 1:,}/{len(batches):,} batch files written")
    return items
