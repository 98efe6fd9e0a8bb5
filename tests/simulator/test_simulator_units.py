"""The simulator's building blocks, on small hand-made inputs."""

from __future__ import annotations

from datetime import UTC, datetime
from math import ceil

import numpy as np
import pyarrow as pa
import pytest

from dagster_project.simulator.catalogue import CLEAN, FAULTS, allocate
from dagster_project.simulator.events import EventLog
from dagster_project.simulator.faults.context import BURST_SIZE, FaultContext
from dagster_project.simulator.formatting import iso, money
from dagster_project.simulator.keys import Keys, order_digits_width
from dagster_project.simulator.labels import Labels
from dagster_project.simulator.skeleton import sample_orders
from dagster_project.simulator.timeline import Timeline, last_second_of_hour, morning_ist, stream
from dagster_project.simulator.vocab import DAY, HOUR, IST, OFFSETS
from dagster_project.simulator.writer import encode

AS_OF = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())


@pytest.mark.parametrize("n", [1, 7, 150, 1000, 20_000, 1_000_000])
def test_allocation_covers_every_order(n: int) -> None:
    counts = allocate(n)
    assert counts.sum() == n and (counts >= 0).all()


def test_allocation_is_exact_and_gives_every_fault_its_orders() -> None:
    counts = allocate(20_000)[len(CLEAN) :]
    assert counts.tolist() == [ceil(s.share * 20_000) for s in FAULTS]
    assert (allocate(1000)[len(CLEAN) :] >= 1).all()
    assert allocate(50)[len(CLEAN) :].sum() <= 15  # tiny runs stay mostly clean


def test_burst_groups_share_carrier_zone_and_start_hour() -> None:
    n = 40
    rng = stream(1, "test")
    orders = sample_orders(n, np.zeros(n, np.int16), rng)
    tl = Timeline(n)
    tl["created"] = AS_OF - 10 * DAY + np.arange(n) * 997
    idx = np.arange(n)
    ctx = FaultContext(tl, orders, EventLog(orders), Labels(), AS_OF, rng)
    anchor = tl["created"].copy()
    ctx.place(idx, anchor, 5 * HOUR, 5 * DAY, burst=1.0)
    moved = tl["created"]
    assert ((AS_OF - moved >= 5 * HOUR) & (AS_OF - moved <= 5 * DAY)).all()
    groups = {}
    for i in idx:
        groups.setdefault((orders.carrier[i], orders.zone[i], moved[i] // HOUR), []).append(i)
    assert all(len(members) >= BURST_SIZE[0] for members in groups.values())
    assert sum(map(len, groups.values())) == n


def test_day_shift_keeps_the_time_of_day() -> None:
    n = 200
    rng = stream(2, "test")
    orders = sample_orders(n, np.zeros(n, np.int16), rng)
    tl = Timeline(n)
    tl["created"] = AS_OF - 30 * DAY + rng.integers(0, 30 * DAY, n)
    before = tl["created"].copy()
    ctx = FaultContext(tl, orders, EventLog(orders), Labels(), AS_OF, rng)
    ctx.place(np.arange(n), before, 2 * DAY, 4 * DAY)
    assert ((before - tl["created"]) % DAY == 0).all()
    assert ((AS_OF - tl["created"] >= 2 * DAY) & (AS_OF - tl["created"] <= 4 * DAY)).all()


def test_timestamps_keep_their_instant_in_every_offset() -> None:
    ts = np.array([AS_OF] * len(OFFSETS), np.int64)
    texts = iso(ts, np.arange(len(OFFSETS), dtype=np.int8)).to_pylist()
    assert texts[0] == "2026-03-01T00:00:00Z"
    assert texts[2] == "2026-03-01T05:30:00+05:30"
    assert {datetime.fromisoformat(t).timestamp() for t in texts} == {AS_OF}


def test_money_is_written_in_major_units() -> None:
    assert money(np.array([129950, 100, 5])).to_pylist() == ["1299.50", "1.00", "0.05"]


def test_promises_end_at_the_last_second_of_an_hour_and_vans_leave_in_the_morning() -> None:
    assert last_second_of_hour(np.array([AS_OF, AS_OF + 1])).tolist() == [AS_OF + HOUR - 1] * 2
    mornings = morning_ist(stream(3, "test"), np.full(500, AS_OF), 1)
    local = (mornings + IST) % DAY
    assert ((local >= 8 * HOUR) & (local <= 10.5 * HOUR)).all()
    assert ((mornings + IST) // DAY == (AS_OF + IST) // DAY + 1).all()


def test_order_ids_are_seven_digits_and_wider_when_needed() -> None:
    assert order_digits_width(9_999_999) == 7 and order_digits_width(10_000_000) == 8
    orders = sample_orders(2, np.zeros(2, np.int16), stream(4, "test"))
    orders.number[:] = [1234, 12_345_678]
    keys = Keys.build(orders, order_digits_width(12_345_678), ["ord-00001234"], [])
    assert keys.order_ids.to_pylist() == ["ORD-00001234", "ORD-12345678", "ord-00001234"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_injected_lines_land_on_the_reported_line(fmt: str) -> None:
    table = pa.table({"event_id": [f"e{i}" for i in range(5)], "event_ts": ["2026-03-01T00:00:00Z"] * 5})
    data, lines = encode(table, fmt, "oms", [(3, "BAD-B\n"), (0, "BAD-A\n"), (5, "BAD-C\n")])
    text = data.decode().splitlines()
    assert [text[line - 1] for line in lines] == ["BAD-B", "BAD-A", "BAD-C"]
    assert len(text) == 5 + 3 + (fmt == "csv")
