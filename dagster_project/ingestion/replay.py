"""The ingestion side of controlled replays (docs/ingestion.md "Replaying quarantined rows and files; resyncing
orders"): `replay_quarantined` takes rows and files out of quarantine once their cause is fixed, `resync_orders`
ingests the events of given orders from the landing zone. Both work on any DuckDB connection with the raw
schema (`IngestContext.conn`), the live warehouse or a scratch copy of it for a dry-run.
"""

from dagster_project.ingestion.replay_quarantine import (
    QuarantineReplay,
    StillInvalidRow,
    StillQuarantinedFile,
    SystemReplay,
    corrected_path,
    replay_quarantined,
)
from dagster_project.ingestion.resync_orders import InvalidRow, OrdersResync, SystemResync, resync_orders

__all__ = [
    "InvalidRow",
    "OrdersResync",
    "QuarantineReplay",
    "StillInvalidRow",
    "StillQuarantinedFile",
    "SystemReplay",
    "SystemResync",
    "corrected_path",
    "replay_quarantined",
    "resync_orders",
]
