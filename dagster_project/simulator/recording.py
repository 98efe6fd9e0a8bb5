"""When each system records and exports an event, and in which offset it writes the time.

An event exists in the landing zone only once its system has recorded it, so anything recorded after
as_of is dropped: orders in flight at as_of simply stop mid-journey.
"""

from __future__ import annotations

import numpy as np

from dagster_project.simulator.timeline import between
from dagster_project.simulator.vocab import HOUR, OFFSET_WEIGHTS, OFFSETS

# Seconds between an event and its system recording it (ERP exports in batches).
RECORD_LAG = {
    "oms": (0, 90),
    "wms": (0, 300),
    "carrier": (20, 900),
    "crm": (0, 60),
    "payments": (0, 5),
    "erp": (300, 3 * HOUR),
    "integration_log": (0, 0),
}
# Share of rows that carry the optional `recorded_at` field.
RECORDED_SHARE = {
    "oms": 0.9,
    "wms": 0.0,
    "carrier": 1.0,
    "crm": 0.5,
    "payments": 0.0,
    "erp": 1.0,
    "integration_log": 0.0,
}


def record(
    events: dict[str, np.ndarray],
    system: str,
    as_of: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Keep the events recorded by as_of; add `recorded`, `has_recorded` and each row's offset."""
    recorded = events["ts"] + between(rng, *RECORD_LAG[system], len(events["ts"]))
    keep = recorded <= as_of
    out = {name: values[keep] for name, values in events.items()}
    out["recorded"] = recorded[keep]
    n = int(keep.sum())
    out["has_recorded"] = rng.random(n) < RECORDED_SHARE[system]
    drawn = rng.choice(len(OFFSETS), n, p=OFFSET_WEIGHTS[system])
    out["offset"] = np.where(out["offset"] < 0, drawn, out["offset"]).astype(np.int8)
    return out
