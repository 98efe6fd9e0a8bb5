"""Integration calls that belong to no order: hourly ERP invoice batches and daily bulk tracking pulls."""

from __future__ import annotations

import numpy as np

from dagster_project.simulator.events import EventLog
from dagster_project.simulator.timeline import between
from dagster_project.simulator.vocab import DAY, HOUR, MINUTE, OUTCOMES, call


def add_batch_calls(log: EventLog, as_of: int, days: int, rng: np.random.Generator) -> None:
    """Always delivered: a failed call with no order_id would count as the sync cause of every divergence
    near it (RULES.md), and the faults' classifications must stay unambiguous."""
    start = as_of - days * DAY
    for endpoint, every, actor in (
        (call("oms", "erp", "POST /erp/batch/invoices"), HOUR, "batch:erp_sync"),
        (call("carrier", "oms", "GET /tracking/bulk"), DAY, "batch:tracking_resync"),
    ):
        slots = np.arange(start // every + 1, as_of // every) * every
        t = slots + between(rng, 0, 5 * MINUTE, len(slots))
        log.add(
            "integration_log",
            np.full(len(t), -1),
            t,
            None,
            actor,
            call=endpoint,
            http=200,
            outcome=OUTCOMES.index("delivered"),
        )
