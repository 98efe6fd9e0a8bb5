"""Write landing-zone batches (SOURCE_CONTRACT.md) from event dicts, in any of the three formats."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def encode(events: Sequence[dict], fmt: str) -> bytes:
    """The bytes of one batch file holding `events` (values as text, None as an empty cell / absent key)."""
    if fmt == "jsonl":
        return "".join(json.dumps({k: v for k, v in e.items() if v is not None}) + "\n" for e in events).encode()
    columns = list(dict.fromkeys(k for e in events for k in e))
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([["" if e.get(c) is None else e[c] for c in columns] for e in events])
        return out.getvalue().encode()
    buffer = io.BytesIO()
    table = pa.table(
        {c: pa.array([None if e.get(c) is None else str(e[c]) for e in events], pa.string()) for c in columns}
    )
    pq.write_table(table, buffer)
    return buffer.getvalue()


def write_batch(landing: Path, system: str, name: str, events: Sequence[dict], fmt: str = "jsonl") -> Path:
    """Write `landing/<system>/<name>.<fmt>`; `name` may contain sub-folders."""
    path = landing / system / f"{name}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode(events, fmt))
    return path


def oms_event(n: int, status: str = "CONFIRMED", order: str = "ORD-0000001", **fields) -> dict:
    """A valid OMS event; CREATED carries every field the contract requires on it."""
    event = {
        "event_id": f"oms-{n}",
        "event_ts": f"2026-03-01T{n % 24:02d}:00:00+05:30",
        "order_id": order,
        "status": status,
    }
    if status == "CREATED":
        event |= {
            "amount": "1499.00",
            "currency": "INR",
            "payment_mode": "prepaid",
            "sku_category": "apparel",
            "warehouse_id": "WH-1",
            "vendor_type": "1p",
            "region": "south",
            "zone": "Z1",
            "promised_by": "2026-03-05T18:00:00Z",
        }
    return event | fields


def crm_placed(n: int, order: str) -> dict:
    """A valid CRM status update: the CRM knows the order (placed)."""
    return {
        "event_id": f"crm-{n}",
        "event_ts": "2026-03-01T09:00:00Z",
        "order_ref": order,
        "event_type": "status_update",
        "status": "Order Placed",
    }
