"""Property: any split of a set of events into batches, arriving in any order, with repeated events and
repeated files, yields the same raw table."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ingestion.helpers import ingest, raw_rows
from tests.landing_builder import oms_event, write_batch

EVENTS = [
    oms_event(n, status, order=f"ORD-{n % 4:07d}")
    for n, status in enumerate(["CREATED", "CONFIRMED", "PACKED", "SHIPPED", "DELIVERED", "CANCELLED"] * 3)
]
for event in EVENTS:
    if event["status"] == "SHIPPED":
        event |= {"awb": f"AWB-{event['event_id']}", "carrier": "bluedart"}
    if event["status"] == "CREATED":
        event |= {k: v for k, v in oms_event(0, "CREATED").items() if k not in ("event_id", "event_ts", "order_id")}


def _reference() -> list[tuple]:
    with tempfile.TemporaryDirectory() as tmp, duckdb.connect() as conn:
        write_batch(Path(tmp) / "landing", "oms", "all", EVENTS)
        ingest(conn, Path(tmp) / "landing", Path(tmp) / "q")
        return raw_rows(conn)


REFERENCE = _reference()

batches = st.lists(  # each batch: event indexes (repeats allowed), a format, arrival run
    st.tuples(
        st.lists(st.integers(0, len(EVENTS) - 1), min_size=1, max_size=8),
        st.sampled_from(["jsonl", "csv", "parquet"]),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=batches, order=st.randoms(use_true_random=False))
def test_any_split_any_order_same_raw_table(batches, order):
    covered = {i for indexes, _, _ in batches for i in indexes}
    missing = [i for i in range(len(EVENTS)) if i not in covered]
    batches = [*batches, (missing, "jsonl", 2)] if missing else batches
    with tempfile.TemporaryDirectory() as tmp, duckdb.connect() as conn:
        landing = Path(tmp) / "landing"
        (landing / "oms").mkdir(parents=True)
        names = [f"b{n:02d}" for n in range(len(batches))]
        order.shuffle(names)  # arrival order differs from path order
        for run in range(3):
            for name, (indexes, fmt, arrives) in zip(names, batches, strict=True):
                if arrives == run:
                    write_batch(landing, "oms", name, [EVENTS[i] for i in indexes], fmt=fmt)
            ingest(conn, landing, Path(tmp) / "q")
        assert raw_rows(conn) == REFERENCE
        rows_in, ingested, duplicate, quarantined = conn.execute(
            "select sum(rows_total), sum(rows_ingested), sum(rows_duplicate), sum(rows_quarantined) from recon.files"
        ).fetchone()
        assert (ingested, quarantined) == (len(EVENTS), 0)
        assert ingested + duplicate + quarantined == rows_in
