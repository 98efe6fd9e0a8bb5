"""The marts' headline figures, as metadata on their Dagster materialisations (docs/ui_metadata.md).

Each mart's figures come from that mart alone, so a run that built only some marts describes each of them
truly, and with the formulas the marts (and `recon divergences`, the run summary) use: the divergence counts
are `marts.divergence_counts`, the match rate the one `rpt_kpis_daily` computes per day, taken over all days.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import dagster as dg
import duckdb

from dagster_project.marts import divergence_counts
from dagster_project.slack.outbox import permalink
from dagster_project.store.outbox import ExceptionThread

ORDER_STATE = "fct_order_state"
DIVERGENCES = "fct_divergences"
CLUSTERS = "fct_divergence_clusters"
KPIS = "rpt_kpis_daily"
DRIFT = "rpt_integration_drift"
MARTS = (ORDER_STATE, DIVERGENCES, CLUSTERS, KPIS, DRIFT)

TOP_CLUSTERS = 10

# Cluster ids → their exceptions (and Slack threads), from the operational store.
ClusterThreads = Callable[[list[str]], Mapping[str, ExceptionThread]]


def mart_metadata(
    conn: duckdb.DuckDBPyConnection, marts: Collection[str], cluster_threads: ClusterThreads
) -> dict[str, dict[str, dg.MetadataValue]]:
    """Metadata by mart name, for those of `marts` that have figures; `cluster_threads` is asked only when the
    clusters mart is among them, for the clusters of its top-clusters table."""
    readers = {
        ORDER_STATE: lambda: order_state_metadata(conn),
        DIVERGENCES: lambda: divergences_metadata(conn),
        CLUSTERS: lambda: clusters_metadata(conn, cluster_threads),
        KPIS: lambda: kpis_metadata(conn),
        DRIFT: lambda: drift_metadata(conn),
    }
    return {mart: readers[mart]() for mart in MARTS if mart in marts}


def order_state_metadata(conn: duckdb.DuckDBPyConnection) -> dict[str, dg.MetadataValue]:
    orders, in_agreement, with_open_action = conn.execute("""
        select count(*), count(*) filter (where is_in_agreement), count(*) filter (where open_action_divergences > 0)
        from main.fct_order_state
    """).fetchone()  # fmt: skip
    return {
        "orders": dg.MetadataValue.int(orders),
        "orders_in_agreement": dg.MetadataValue.int(in_agreement),
        "orders_with_open_action_divergences": dg.MetadataValue.int(with_open_action),
    }


def divergences_metadata(conn: duckdb.DuckDBPyConnection) -> dict[str, dg.MetadataValue]:
    counts = divergence_counts(conn)
    (exposure,) = conn.execute("""
        select coalesce(sum(exposure_amount) filter (where status = 'open' and queue = 'action'), 0)
        from main.fct_divergences
    """).fetchone()  # fmt: skip
    return {
        "divergences": dg.MetadataValue.int(counts["total"]),
        "open_action_divergences": dg.MetadataValue.int(counts["open_action"]),
        "informational_divergences": dg.MetadataValue.int(counts["informational"]),
        "open_exposure_amount": dg.MetadataValue.float(float(exposure)),
    }


def kpis_metadata(conn: duckdb.DuckDBPyConnection) -> dict[str, dg.MetadataValue]:
    # Dimension `all` has one row per day, each order on its created day: the sums over days are exact.
    orders, with_action, action = conn.execute("""
        select coalesce(sum(orders), 0), coalesce(sum(orders_with_action_divergence), 0),
               coalesce(sum(action_divergences), 0)
        from main.rpt_kpis_daily where dimension = 'all'
    """).fetchone()  # fmt: skip
    return {
        "orders": dg.MetadataValue.int(orders),
        "orders_with_action_divergence": dg.MetadataValue.int(with_action),
        # Undefined without orders, as in the mart (null there); NaN keeps the key a float every run.
        "match_rate": dg.MetadataValue.float(1.0 - with_action / orders if orders else math.nan),
        "exceptions_per_1000_orders": dg.MetadataValue.float(action * 1000.0 / orders if orders else math.nan),
    }


def drift_metadata(conn: duckdb.DuckDBPyConnection) -> dict[str, dg.MetadataValue]:
    # The status counts are per system and day, repeated on each of that day's field rows: count them once.
    status_events, unmapped, drift_flags = conn.execute("""
        with system_days as (
            select distinct source_system, metric_date, status_events, unmapped_status_events
            from main.rpt_integration_drift
        )
        select (select coalesce(sum(status_events), 0) from system_days),
               (select coalesce(sum(unmapped_status_events), 0) from system_days),
               (select count(*) filter (where is_drift) from main.rpt_integration_drift)
    """).fetchone()  # fmt: skip
    return {
        "status_events": dg.MetadataValue.int(status_events),
        "unmapped_status_events": dg.MetadataValue.int(unmapped),
        "unmapped_status_rate": dg.MetadataValue.float(unmapped / status_events if status_events else math.nan),
        "drift_flags": dg.MetadataValue.int(drift_flags),
    }


CLUSTER_COLUMNS = (
    "cluster_id", "rule", "classification", "owner_team", "carrier", "zone", "payment_mode", "system",
    "bucket_grain", "bucket_start", "divergences", "open_divergences", "exposure_amount", "currency",
)  # fmt: skip


def top_clusters(conn: duckdb.DuckDBPyConnection) -> tuple[int, int, list[dict]]:
    """(clusters, action clusters, the `TOP_CLUSTERS` top clusters): most open divergences first, then most exposure,
    most divergences, cluster id. One query: the counts are window aggregates over the whole mart."""
    rows = conn.execute(
        f"""
        select count(*) over (), count(*) filter (where action_divergences > 0) over (), {", ".join(CLUSTER_COLUMNS)}
        from main.fct_divergence_clusters
        order by open_divergences desc, exposure_amount desc, divergences desc, cluster_id
        limit ?
        """,
        [TOP_CLUSTERS],
    ).fetchall()
    if not rows:
        return 0, 0, []
    return rows[0][0], rows[0][1], [dict(zip(CLUSTER_COLUMNS, row[2:], strict=True)) for row in rows]


def clusters_metadata(conn: duckdb.DuckDBPyConnection, cluster_threads: ClusterThreads) -> dict[str, dg.MetadataValue]:
    clusters, action_clusters, top = top_clusters(conn)
    return {
        "clusters": dg.MetadataValue.int(clusters),
        "action_clusters": dg.MetadataValue.int(action_clusters),
        "top_clusters": dg.MetadataValue.md(
            top_clusters_markdown(top, cluster_threads([row["cluster_id"] for row in top]))
        ),
    }


TOP_CLUSTERS_HEADER = (
    "rule", "classification", "owner", "dimensions", "bucket", "divergences", "open", "exposure", "exception",
)  # fmt: skip


def top_clusters_markdown(rows: list[dict], threads: Mapping[str, ExceptionThread]) -> str:
    """The top clusters as a Markdown table, each with its exception (by cluster id in `threads`) linked to its
    Slack thread."""
    if not rows:
        return "No divergence clusters."
    lines = [
        "| " + " | ".join(TOP_CLUSTERS_HEADER) + " |",
        "|:--|:--|:--|:--|:--|--:|--:|--:|:--|",
    ]
    for row in rows:
        dimensions = ", ".join(
            f"{name} {md_text(row[name])}" for name in ("carrier", "zone", "payment_mode", "system") if row[name]
        )
        cells = [
            md_text(row["rule"]),
            md_text(row["classification"]),
            md_text(row["owner_team"]),
            dimensions or "—",
            bucket_text(row["bucket_start"], row["bucket_grain"]),
            f"{row['divergences']:,}",
            f"{row['open_divergences']:,}",
            amount_text(row["exposure_amount"], row["currency"]),
            thread_cell(threads[row["cluster_id"]]) if row["cluster_id"] in threads else "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def thread_cell(thread: ExceptionThread) -> str:
    """`exception 12`, linked to its Slack thread once Slack has taken its parent message."""
    label = f"exception {thread.exception_id}"
    if thread.channel_id is None or thread.message_ts is None:
        return label
    return f"[{label}]({permalink(thread.channel_id, thread.message_ts)})"


def bucket_text(start: datetime | None, grain: str | None) -> str:
    return "—" if start is None else f"{start:%Y-%m-%d %H:%M} ({md_text(grain)})"


def amount_text(amount: Decimal | None, currency: str | None) -> str:
    return f"{amount or 0:,.2f}" + (f" {md_text(currency)}" if currency else "")


# Characters that would end a table cell, start Markdown or HTML, or make an entity: dimension values come from
# the source systems, so they are shown as typed.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")


def md_text(value: Any) -> str:
    """Text for a Markdown table cell: on one line, its Markdown characters escaped."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(value).split()))
