"""Bad input of every kind SOURCE_CONTRACT.md names, recorded in bad_input.csv.

Nothing here changes ground truth: bad rows are extra copies of real events (mangled, with fresh event
ids) and bad files hold copies of events that also land validly elsewhere, so quarantining them loses
no real event. Row-level items are injected into regular batches (at most 5 % of a batch, far below the
20 % whole-file threshold); whole-file items are extra files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dagster_project.simulator.formatting import Formatter
from dagster_project.simulator.writer import CSV_EOL, csv_line, json_line

REQUIRED = {
    "oms": "status",
    "wms": "order_id",
    "carrier": "awb",
    "crm": "order_ref",
    "payments": "payment_id",
    "erp": "invoice_id",
    "integration_log": "outcome",
}
BAD_AMOUNTS = ("N/A", "12O9.00", "1,299.00 INR")


@dataclass
class BadItem:
    kind: str
    system: str
    file: str  # relative to the landing zone
    line: int | None
    detail: str


class FreshIds:
    """Event ids past every real row of a system, for copies that must not collide with a real event."""

    def __init__(self, formatters: dict[str, Formatter]):
        self._next = {s: len(f.events["ts"]) for s, f in formatters.items()}

    def take(self, system: str, k: int) -> np.ndarray:
        start = self._next[system]
        self._next[system] += k
        return np.arange(start, start + k)


def line_text(record: dict, fmt: str, system: str, columns: list[str]) -> str:
    """One row as a raw line of a JSON Lines or CSV batch with these columns."""
    if fmt == "jsonl":
        return json_line(record)
    return csv_line([record[c] for c in columns], CSV_EOL.get(system, "\n"))


def mangle(kind: str, record: dict, system: str, rng: np.random.Generator) -> tuple[dict | str, str]:
    """A broken copy of `record` and what is wrong with it (a str result is a raw JSON line)."""
    if kind == "offset_less_timestamp":
        record["event_ts"] = record["event_ts"][:19]
        return record, f"event_ts {record['event_ts']!r} has no offset"
    if kind == "missing_required_field":
        record[REQUIRED[system]] = None
        return record, f"required field {REQUIRED[system]!r} missing"
    if kind == "non_numeric_amount":
        record["amount"] = BAD_AMOUNTS[int(rng.integers(len(BAD_AMOUNTS)))]
        return record, f"amount {record['amount']!r} is not a number"
    text = json_line(record).rstrip("\n")
    style = int(rng.integers(3))
    broken = (text[: len(text) * 3 // 5], "HTTP/1.1 200 OK " + text, text.replace('"', "'"))[style]
    return broken + "\n", ("truncated object", "log prefix before the object", "single-quoted strings")[style]
