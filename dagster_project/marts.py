"""Reading the marts: what `recon divergences`, `recon order` and the run summary show.

Every figure comes from a mart, so the CLI, the UI and Slack never disagree.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.errors import ReconError

# INTERFACES.md "The divergence mart": the export's columns, in this order.
DIVERGENCE_COLUMNS = (
    "divergence_id", "order_id", "rule", "classification", "queue", "queue_reason", "status",
    "divergence_start", "resolved_at", "systems", "expected_state", "observed_state", "owner_team", "severity",
    "sla_due_at", "exposure_amount", "currency", "carrier", "zone", "region", "warehouse_id", "sku_category",
    "payment_mode", "vendor_type", "cluster_id", "summary",
)  # fmt: skip


@contextmanager
def read_warehouse(warehouse: Path):
    """The warehouse, read-only; a clear error when it does not exist or holds no marts yet."""
    if not warehouse.exists():
        raise ReconError(f"no warehouse at {warehouse}: run `recon run --landing DIR` (or `recon demo`) first")
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        if not conn.execute(
            "select count(*) from information_schema.tables where table_name = 'fct_divergences'"
        ).fetchone()[0]:
            raise ReconError(f"{warehouse} has no marts yet: run `recon run --landing DIR` to build them")
        yield conn
    finally:
        conn.close()


def divergences(
    conn: duckdb.DuckDBPyConnection,
    open_only: bool = False,
    rule: str | None = None,
    order_ids: tuple[str, ...] = (),
) -> list[dict]:
    """The divergence mart's rows in a stable order (start, order, rule, id), as dicts of exported values."""
    where, params = [], []
    if order_ids:
        where.append(f"order_id in ({', '.join('?' for _ in order_ids)})")
        params.extend(order_ids)
    if open_only:
        where.append("status = 'open'")
    if rule:
        where.append("rule = ?")
        params.append(rule)
    sql = (
        f"select {', '.join(DIVERGENCE_COLUMNS)} from main.fct_divergences"
        f"{' where ' + ' and '.join(where) if where else ''} "
        "order by divergence_start, order_id, rule, divergence_id"
    )
    cursor = conn.execute(sql, params)
    return [dict(zip(DIVERGENCE_COLUMNS, map(export_value, row), strict=True)) for row in cursor.fetchall()]


def divergence_clusters(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """`fct_divergence_clusters`, one dict per cluster, in cluster order."""
    cursor = conn.execute("select * from main.fct_divergence_clusters order by cluster_id")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, map(export_value, row), strict=True)) for row in cursor.fetchall()]


def known_rules(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in conn.execute("select distinct rule from main.divergence_rules order by 1").fetchall()]


def export_value(value):
    """Timestamps as ISO 8601 UTC with 'Z'; amounts with two decimals; everything else as is."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def divergence_counts(conn: duckdb.DuckDBPyConnection) -> dict:
    """Totals for the run summary: all, open action-queue ones, and per rule."""
    rows = conn.execute("""
        select rule, count(*), count(*) filter (where status = 'open' and queue = 'action'),
               count(*) filter (where queue = 'informational')
        from main.fct_divergences group by 1 order by 1
    """).fetchall()
    return {
        "total": sum(r[1] for r in rows),
        "open_action": sum(r[2] for r in rows),
        "informational": sum(r[3] for r in rows),
        "by_rule": {r[0]: {"total": r[1], "open_action": r[2], "informational": r[3]} for r in rows},
    }


_ORDER_REF = re.compile(r"^#?(?:ord-)?(\d+)$", re.IGNORECASE)


def normalise_order_id(text: str) -> str:
    """Accept an order id as any system spells it (`ORD-0001234`, `#0001234`, `ord-0001234`, `0001234`)."""
    match = _ORDER_REF.match(text.strip())
    return f"ORD-{match.group(1)}" if match else text.strip()


@dataclass
class OrderView:
    order_id: str
    state: dict | None  # fct_order_state row; None for an orphan key no OMS order has
    timeline: list[dict]
    divergences: list[dict]


def order_view(conn: duckdb.DuckDBPyConnection, order_ref: str) -> OrderView:
    order_id = normalise_order_id(order_ref)
    state = dicts(conn, "select * from main.fct_order_state where order_id = ?", [order_id])
    timeline = dicts(conn, """
        select event_at, source_system, carrier_awb, native_status, canonical_state, delivery_phase,
               is_unmapped, actor
        from main.int_order_events_unioned where order_id = ? order by event_at, source_system, event_id
    """, [order_id])  # fmt: skip
    mine = divergences(conn, order_ids=tuple({order_id, order_ref}))
    if not state and not timeline and not mine:
        raise ReconError(
            f"order {order_ref!r} is not in the warehouse; `recon divergences` lists the orders with divergences"
        )
    return OrderView(order_id, state[0] if state else None, timeline, mine)


def dicts(conn: duckdb.DuckDBPyConnection, sql: str, params: list | tuple = ()) -> list[dict]:
    """The rows of a query as dicts by column name."""
    cursor = conn.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
