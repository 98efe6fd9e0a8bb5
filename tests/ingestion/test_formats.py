"""CSV, JSONL and Parquet carrying the same content give the same raw rows."""

from __future__ import annotations

import duckdb
import pytest

from tests.ingestion.helpers import ingest, raw_rows
from tests.landing_builder import oms_event, write_batch

EVENTS = [
    oms_event(1, "CREATED", actor="api:shopify", recorded_at="2026-03-01T01:05:00+05:30"),
    oms_event(2, "CONFIRMED", note='gift, wrap "red"'),  # an extra field, with quoting
    oms_event(3, "SHIPPED", awb="AWB-9", carrier="delhivery", event_ts="2026-03-01T21:30:00-04:00"),
    oms_event(4, "CANCELLED", event_ts="2026-03-02T00:00:00.250Z"),
]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_every_format_gives_the_same_rows(tmp_path, fmt):
    write_batch(tmp_path / fmt, "oms", "b1", EVENTS, fmt=fmt)
    with duckdb.connect() as conn:
        result = ingest(conn, tmp_path / fmt, tmp_path / "q")
        assert (result.rows_ingested, result.rows_quarantined) == (4, 0)
        rows = raw_rows(conn)
    expected_reference = tmp_path / "reference"
    write_batch(expected_reference, "oms", "b1", EVENTS, fmt="jsonl")
    with duckdb.connect() as conn:
        ingest(conn, expected_reference, tmp_path / "q")
        assert rows == raw_rows(conn)
    created = rows[0]
    assert created[0] == "oms-1" and str(created[1]) == "2026-02-28 19:30:00"
    assert created[3] == "api:shopify" and str(created[6]) == "1499.0000"
    assert rows[1][-1] == '{"note":"gift, wrap \\"red\\""}'
    assert str(rows[2][1]) == "2026-03-02 01:30:00" and str(rows[3][1]) == "2026-03-02 00:00:00.250000"
