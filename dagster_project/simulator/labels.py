"""Ground truth: the divergences RULES.md must find, one row per (order, rule), as the faults declare them."""

from __future__ import annotations

import numpy as np
import pandas as pd

RULES: dict[str, str] = {
    "R1": "delivery_status_conflict",
    "R2": "timeline_sequence_error",
    "R3": "rto_without_ndr",
    "R4": "revenue_not_recognized",
    "R5": "refund_before_return",
    "R6": "ticket_closed_before_order",
    "R7": "status_reversal",
    "R8": "missing_in_system",
    "R9": "orphan_record",
    "R10": "amount_mismatch",
    "R11": "overdue_unfulfilled",
}
MAPPING, MANUAL, SYNC, UNKNOWN = "mapping_error", "manual_override", "sync_delay", "unknown"
CLASSIFICATIONS = (SYNC, MAPPING, MANUAL, UNKNOWN)
OPEN, RESOLVED = "open", "resolved"
ACTION, INFO = "action", "informational"
COLUMNS = ("order_id", "rule", "classification", "queue", "status")


class Labels:
    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, idx: np.ndarray, rule: str, classification, status=OPEN, queue=ACTION) -> None:
        """One expected divergence per order index (real orders, or orphan keys past them)."""
        n = len(idx)
        self._parts.append(
            pd.DataFrame(
                {
                    "order": np.asarray(idx, np.int64),
                    "rule": RULES[rule],
                    "classification": np.broadcast_to(np.asarray(classification, object), (n,)),
                    "queue": np.broadcast_to(np.asarray(queue, object), (n,)),
                    "status": np.broadcast_to(np.asarray(status, object), (n,)),
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        """Every label with its order index (`order`), in no particular order."""
        if not self._parts:
            return pd.DataFrame({"order": np.empty(0, np.int64), **{c: [] for c in COLUMNS[1:]}})
        return pd.concat(self._parts, ignore_index=True)
