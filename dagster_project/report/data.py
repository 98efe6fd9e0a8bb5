"""The report's figures, read from the marts into plain dataclasses.

Each figure is a mart's own column, or a sum of it, so the report never disagrees with the marts or the CLI:
the divergence totals are `marts.divergence_counts`, the ones the run summary prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb
import yaml

from dagster_project.lib.dbt import DBT_DIR
from dagster_project.marts import divergence_counts

TOP_CLUSTERS = 10
# RULES.md classifications, in the order the charts stack them.
CLASSIFICATIONS = ("mapping_error", "manual_override", "sync_delay", "unknown")


@dataclass(frozen=True)
class Kpis:
    as_of: datetime
    orders: int  # OMS orders with a created day: rpt_kpis_daily's denominator
    match_rate: float | None
    divergences: int
    open_action: int
    informational: int
    exceptions_per_1000_orders: float | None
    open_exposure: Decimal
    exposure_currencies: tuple[str, ...]
    resolved: int
    mean_time_to_resolution_hours: float | None
    manual_override_share: float | None
    crm_oms_alignment_rate: float | None
    clusters: int


@dataclass(frozen=True)
class DailyMatchRate:
    day: date
    orders: int
    match_rate: float | None


@dataclass(frozen=True)
class RuleCount:
    rule: str
    classification: str
    divergences: int


@dataclass(frozen=True)
class Cluster:
    cluster_id: str
    rule: str
    classification: str
    owner_team: str | None
    dimensions: tuple[tuple[str, str], ...]  # (name, value) of the cluster's non-empty dimensions
    bucket: str
    divergences: int
    orders: int
    open_divergences: int
    exposure_amount: Decimal
    currency: str | None
    max_severity: str


@dataclass(frozen=True)
class Exposure:
    value: str
    amount: Decimal


@dataclass(frozen=True)
class DriftPoint:
    system: str
    field: str
    day: date
    psi: float | None  # None: no trailing baseline that day
    is_drift: bool


@dataclass(frozen=True)
class UnmappedRate:
    system: str
    day: date
    rate: float


@dataclass(frozen=True)
class ReportData:
    kpis: Kpis
    match_rate: list[DailyMatchRate]
    by_rule: list[RuleCount]
    top_clusters: list[Cluster]
    exposure_by_carrier: list[Exposure]
    exposure_by_region: list[Exposure]
    drift: list[DriftPoint]
    unmapped: list[UnmappedRate]
    drift_threshold: float


def load(conn: duckdb.DuckDBPyConnection) -> ReportData:
    return ReportData(
        kpis=kpis(conn),
        match_rate=[DailyMatchRate(*row) for row in conn.execute("""
            select kpi_date, orders, match_rate from main.rpt_kpis_daily
            where dimension = 'all' order by kpi_date
        """).fetchall()],
        by_rule=[RuleCount(*row) for row in conn.execute("""
            select rule, classification, count(*) from main.fct_divergences group by all order by rule, classification
        """).fetchall()],
        top_clusters=top_clusters(conn),
        exposure_by_carrier=exposure(conn, "carrier"),
        exposure_by_region=exposure(conn, "region"),
        drift=[DriftPoint(*row) for row in conn.execute("""
            select source_system, field_name, metric_date, psi, is_drift from main.rpt_integration_drift
            order by source_system, field_name, metric_date
        """).fetchall()],
        # The rate is the system's, repeated on each of its fields' rows.
        unmapped=[UnmappedRate(*row) for row in conn.execute("""
            select distinct source_system, metric_date, unmapped_status_rate from main.rpt_integration_drift
            where unmapped_status_rate is not null order by source_system, metric_date
        """).fetchall()],
        drift_threshold=drift_threshold(),
    )  # fmt: skip


def kpis(conn: duckdb.DuckDBPyConnection) -> Kpis:
    counts = divergence_counts(conn)
    orders, with_action, action, exposure_total = conn.execute("""
        select coalesce(sum(orders), 0), coalesce(sum(orders_with_action_divergence), 0),
               coalesce(sum(action_divergences), 0), coalesce(sum(open_exposure_amount), 0)
        from main.rpt_kpis_daily where dimension = 'all'
    """).fetchone()
    # The day's mean time to resolution and shares are means over the day's divergences; over all days they
    # are taken from the same divergences directly, with the mart's own formulas.
    resolved, mttr, overrides = conn.execute("""
        select count(resolved_at), avg((epoch(resolved_at) - epoch(divergence_start)) / 60.0) / 60.0,
               avg(case when classification = 'manual_override' then 1.0 else 0.0 end)
        from main.fct_divergences
    """).fetchone()
    alignment = conn.execute("""
        select sum(case when is_crm_aligned_with_oms then 1 else 0 end) * 1.0
               / nullif(count(*) filter (where oms_delivery_phase is not null and crm_delivery_phase is not null), 0)
        from main.fct_order_state
    """).fetchone()[0]
    currencies = conn.execute("""
        select distinct currency from main.fct_divergences
        where status = 'open' and queue = 'action' and currency is not null order by 1
    """).fetchall()
    return Kpis(
        as_of=conn.execute("select as_of from main.mart_build").fetchone()[0],
        orders=orders,
        match_rate=1.0 - with_action / orders if orders else None,
        divergences=counts["total"],
        open_action=counts["open_action"],
        informational=counts["informational"],
        exceptions_per_1000_orders=action * 1000.0 / orders if orders else None,
        open_exposure=exposure_total,
        exposure_currencies=tuple(c[0] for c in currencies),
        resolved=resolved,
        mean_time_to_resolution_hours=mttr,
        manual_override_share=overrides,
        crm_oms_alignment_rate=alignment,
        clusters=conn.execute("select count(*) from main.fct_divergence_clusters").fetchone()[0],
    )


def top_clusters(conn: duckdb.DuckDBPyConnection) -> list[Cluster]:
    """The TOP_CLUSTERS largest clusters: most divergences, then most exposure, then cluster id."""
    rows = conn.execute("""
        select cluster_id, rule, classification, owner_team, carrier, zone, payment_mode, system, bucket_grain,
               bucket_start, divergences, orders, open_divergences, exposure_amount, currency, max_severity
        from main.fct_divergence_clusters
        order by divergences desc, exposure_amount desc, cluster_id limit ?
    """, [TOP_CLUSTERS]).fetchall()  # fmt: skip
    return [
        Cluster(
            cluster_id=row[0],
            rule=row[1],
            classification=row[2],
            owner_team=row[3],
            dimensions=tuple(
                (name, value)
                for name, value in zip(("carrier", "zone", "payment mode", "system"), row[4:8], strict=True)
                if value is not None
            ),
            bucket=f"{row[9]:%Y-%m-%d %H:%M} ({row[8]})",
            divergences=row[10],
            orders=row[11],
            open_divergences=row[12],
            exposure_amount=row[13],
            currency=row[14],
            max_severity=row[15],
        )
        for row in rows
    ]


def exposure(conn: duckdb.DuckDBPyConnection, dimension: str) -> list[Exposure]:
    """Open action-queue exposure per value of a dimension (rpt_kpis_daily), largest first; none left out."""
    rows = conn.execute("""
        select dimension_value, sum(open_exposure_amount) as amount from main.rpt_kpis_daily
        where dimension = ? group by dimension_value having sum(open_exposure_amount) > 0
        order by amount desc, dimension_value
    """, [dimension]).fetchall()  # fmt: skip
    return [Exposure(*row) for row in rows]


def drift_threshold() -> float:
    """The PSI at which rpt_integration_drift flags drift: a dbt var recon.yaml does not override."""
    return float(yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"]["drift_psi_threshold"])
