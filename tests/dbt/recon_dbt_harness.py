"""Helpers for the dbt rule tests: build events in contract form, land them, ingest them, run dbt, read marts.

Scenarios add events in the landing format (SOURCE_CONTRACT.md field names, ISO 8601 timestamps with an
offset). The fixtures write them as landing batch files (JSONL, CSV and Parquet across the systems),
ingest those with the real ingestion code, and build the dbt project on the warehouse it wrote.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.contract import SYSTEMS, field_names
from dagster_project.ingestion.load import SystemIngest
from tests.ingestion.helpers import ingest
from tests.landing_builder import write_batch

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
"""Scenario clocks start here. AS_OF is after most scenarios' events; scenarios that test the as_of cut-off
place events just before and after it (an event after as_of has not happened yet and must not count)."""
AS_OF = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def at(hours: float = 0, minutes: float = 0, *, base: datetime = T0) -> datetime:
    return base + timedelta(hours=hours, minutes=minutes)


def iso(ts: datetime | str) -> str:
    """A timestamp as the landing zone writes it (ISO 8601 with offset)."""
    if isinstance(ts, str):
        return ts
    if ts.tzinfo is None:
        raise ValueError(f"timestamp {ts!r} has no offset: the contract requires one")
    return ts.isoformat()


@dataclass
class RawEvent:
    system: str
    fields: dict[str, Any]


@dataclass
class Events:
    """A batch of raw events in contract form, with sensible defaults per system."""

    events: list[RawEvent] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def by_system(self) -> dict[str, list[dict[str, Any]]]:
        """The events as landing-zone records per system (what a landing-file writer takes)."""
        records: dict[str, list[dict[str, Any]]] = {}
        for event in self.events:
            records.setdefault(event.system, []).append(dict(event.fields))
        return records

    def add(self, system: str, event_ts: datetime | str, **values: Any) -> RawEvent:
        values = {key: value for key, value in values.items() if value is not None}
        unknown = set(values) - set(field_names(system))
        if unknown:  # ingestion would keep them as extras, silently: a misspelt field is a scenario bug
            raise ValueError(f"{system} has no contract field(s) {sorted(unknown)}")
        values.setdefault("event_id", f"{system}-{next(self._ids):05d}")
        values["event_ts"] = iso(event_ts)
        for name in ("recorded_at", "promised_by"):
            if name in values:
                values[name] = iso(values[name])
        event = RawEvent(system, values)
        self.events.append(event)
        return event

    def oms(self, order_id: str, status: str, ts: datetime | str, **values: Any) -> RawEvent:
        return self.add("oms", ts, order_id=order_id, status=status, **values)

    def wms(self, order_id: str, status: str, ts: datetime | str, **values: Any) -> RawEvent:
        return self.add("wms", ts, order_id=order_id, status=status, **values)

    def carrier(self, awb: str, status: str, ts: datetime | str, carrier: str = "BlueDart", **values: Any) -> RawEvent:
        if status == "NDR":
            values.setdefault("ndr_reason", "customer unavailable")
        return self.add("carrier", ts, awb=awb, carrier=carrier, status=status, **values)

    def crm(
        self,
        order_ref: str,
        ts: datetime | str,
        status: str | None = None,
        event_type: str = "status_update",
        **values: Any,
    ) -> RawEvent:
        if event_type in ("ticket_opened", "ticket_resolved"):
            values.setdefault("ticket_id", f"TCK-{order_ref}")
        return self.add("crm", ts, order_ref=order_ref, event_type=event_type, status=status, **values)

    def payments(
        self,
        order_id: str,
        status: str,
        ts: datetime | str,
        amount: Any = "1000.00",
        currency: str = "INR",
        **values: Any,
    ) -> RawEvent:
        return self._money("payments", "payment_id", "PAY", order_id, status, ts, amount, currency, **values)

    def erp(
        self,
        order_id: str,
        status: str,
        ts: datetime | str,
        amount: Any = "1000.00",
        currency: str = "INR",
        **values: Any,
    ) -> RawEvent:
        return self._money("erp", "invoice_id", "INV", order_id, status, ts, amount, currency, **values)

    def _money(
        self,
        system: str,
        id_field: str,
        prefix: str,
        order_id: str,
        status: str,
        ts: datetime | str,
        amount: Any,
        currency: str,
        **values: Any,
    ) -> RawEvent:
        """Payments and ERP events share a shape: an id of their own, an amount and a currency."""
        values.setdefault(id_field, f"{prefix}-{order_id}")
        return self.add(system, ts, order_id=order_id, status=status, amount=amount, currency=currency, **values)

    def call(
        self,
        source_system: str,
        target_system: str,
        outcome: str,
        ts: datetime | str,
        order_id: str | None = None,
        **values: Any,
    ) -> RawEvent:
        values.setdefault("attempt", 1)
        return self.add(
            "integration_log",
            ts,
            source_system=source_system,
            target_system=target_system,
            outcome=outcome,
            order_id=order_id,
            **values,
        )

    # -- whole orders ---------------------------------------------------------------------------------

    def order(
        self,
        order_id: str,
        start: datetime = T0,
        *,
        skip: Iterable[str] = (),
        times: dict[str, datetime] | None = None,
        amount: str = "1000.00",
        awb: str | None = None,
        carrier: str = "BlueDart",
        **created: Any,
    ) -> str:
        """A consistent, delivered order across all six systems (no rule fires on it).

        Steps are named `system:STATUS` (`oms:DELIVERED`, `carrier:DLVD`, `crm:Delivered`, ...);
        `skip` leaves steps out and `times` moves them. Returns the order's awb.
        """
        awb = awb or f"AWB-{order_id}"
        times = times or {}
        skip = set(skip)
        created = {
            "amount": amount,
            "currency": "INR",
            "payment_mode": "prepaid",
            "sku_category": "apparel",
            "warehouse_id": "WH-1",
            "vendor_type": "1p",
            "region": "north",
            "zone": "Z1",
            "promised_by": start + timedelta(days=3),
            **created,
        }
        steps: list[tuple[str, float, Any]] = [
            ("oms:CREATED", 0, lambda ts: self.oms(order_id, "CREATED", ts, **created)),
            ("crm:Order Placed", 0, lambda ts: self.crm(order_id, ts, "Order Placed")),
            ("payments:CAPTURED", 0, lambda ts: self.payments(order_id, "CAPTURED", ts, amount=amount)),
            ("oms:CONFIRMED", 0.1, lambda ts: self.oms(order_id, "CONFIRMED", ts)),
            ("wms:PICKED", 0.8, lambda ts: self.wms(order_id, "PICKED", ts)),
            ("wms:PACKED", 1, lambda ts: self.wms(order_id, "PACKED", ts)),
            ("oms:PACKED", 1, lambda ts: self.oms(order_id, "PACKED", ts)),
            ("wms:MANIFESTED", 2, lambda ts: self.wms(order_id, "MANIFESTED", ts, awb=awb)),
            ("oms:SHIPPED", 2, lambda ts: self.oms(order_id, "SHIPPED", ts, awb=awb, carrier=carrier)),
            ("carrier:PICKUP", 2, lambda ts: self.carrier(awb, "PICKUP", ts, carrier=carrier)),
            ("crm:Shipped", 2, lambda ts: self.crm(order_id, ts, "Shipped")),
            ("erp:INVOICED", 2, lambda ts: self.erp(order_id, "INVOICED", ts, amount=amount)),
            ("carrier:IN_TRANSIT", 4, lambda ts: self.carrier(awb, "IN_TRANSIT", ts, carrier=carrier)),
            ("crm:In Transit", 4, lambda ts: self.crm(order_id, ts, "In Transit")),
            ("carrier:OFD", 20, lambda ts: self.carrier(awb, "OFD", ts, carrier=carrier)),
            ("oms:OUT_FOR_DELIVERY", 20, lambda ts: self.oms(order_id, "OUT_FOR_DELIVERY", ts)),
            ("crm:Out for Delivery", 20, lambda ts: self.crm(order_id, ts, "Out for Delivery")),
            ("carrier:DLVD", 22, lambda ts: self.carrier(awb, "DLVD", ts, carrier=carrier)),
            ("oms:DELIVERED", 22, lambda ts: self.oms(order_id, "DELIVERED", ts)),
            ("crm:Delivered", 22, lambda ts: self.crm(order_id, ts, "Delivered")),
            ("erp:REVENUE_RECOGNIZED", 23, lambda ts: self.erp(order_id, "REVENUE_RECOGNIZED", ts, amount=amount)),
        ]
        unknown = (skip | set(times)) - {name for name, _, _ in steps}
        if unknown:
            raise ValueError(f"unknown steps: {sorted(unknown)}")
        for name, offset_hours, emit in steps:
            if name not in skip:
                emit(times.get(name, start + timedelta(hours=offset_hours)))
        return awb


# -- landing zone and ingestion -----------------------------------------------------------------------

LANDING_FORMATS = {
    "oms": "jsonl",
    "wms": "csv",
    "carrier": "parquet",
    "crm": "csv",
    "payments": "parquet",
    "erp": "jsonl",
    "integration_log": "csv",
}
"""The batch format each system's events are written in: all three formats the contract allows."""


@dataclass
class Ingestion:
    """A warehouse the scenario events were ingested into, and what ingestion did with them."""

    warehouse: Path
    events: dict[str, int]  # events written per system
    results: dict[str, SystemIngest]

    def rows_ingested(self) -> dict[str, int]:
        return {system: result.rows_ingested for system, result in self.results.items() if result.rows_in_files}

    def quarantined(self) -> list[str]:
        """Every quarantined row or file as `path[:line]: reason` (none when every event is valid)."""
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:
            found = conn.execute("""
                select file_path || ':' || line || ': ' || reason from recon.quarantined_rows
                union all
                select file_path || ': ' || reason from recon.quarantined_files
                order by 1
            """).fetchall()
        return [line for (line,) in found]


def write_landing(landing: Path, events: Events) -> list[Path]:
    """Write each system's events as one batch file of the landing zone (SOURCE_CONTRACT.md layout)."""
    return [
        write_batch(landing, system, "scenarios/batch-0001", records, LANDING_FORMATS[system])
        for system, records in events.by_system().items()
    ]


def ingest_events(work_dir: Path, events: Events) -> Ingestion:
    """Land the events under `work_dir/landing` and ingest every system into `work_dir/warehouse.duckdb`."""
    landing, warehouse = work_dir / "landing", work_dir / "warehouse.duckdb"
    write_landing(landing, events)
    with duckdb.connect(str(warehouse)) as conn:
        results = {system: ingest(conn, landing, work_dir / "quarantine", system) for system in SYSTEMS}
    written = {system: len(records) for system, records in events.by_system().items()}
    return Ingestion(warehouse, written, results)


# -- dbt --------------------------------------------------------------------------------------------


@contextmanager
def _env(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Scenarios(list):
    """A test module's event builders, registered with `@SCENARIOS.add` and built together in one dbt run."""

    def add(self, add_events):
        self.append(add_events)
        return add_events


def run_dbt(command: list[str], work_dir: Path, **env: str) -> Any:
    """Invoke dbt in-process on the project (target and logs under `work_dir`), with `env` set."""
    from dbt.cli.main import dbtRunner

    args = [
        *command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
        "--quiet",
    ]
    with _env(**env):
        return dbtRunner().invoke(args)


def dbt_build(work_dir: Path, variables: dict[str, Any], target: str = "duckdb", **env: str) -> None:
    """`dbt build` with these vars, `env` set (RECON_WAREHOUSE, RECON_PG_*); raises with the failures."""
    result = run_dbt(["build", "--target", target, "--vars", json.dumps(variables)], work_dir, **env)
    if not result.success:
        failures = []
        for node_result in getattr(result.result, "results", None) or []:
            if node_result.status not in ("success", "pass"):
                failures.append(f"{node_result.node.unique_id}: {node_result.status}: {node_result.message}")
        raise AssertionError("dbt build failed:\n" + ("\n".join(failures) or str(result.exception)))


def build_warehouse(work_dir: Path, warehouse: Path, **variables: Any) -> None:
    """`dbt build` on an ingested warehouse.

    Variables default to the RULES.md defaults with as_of = AS_OF; pass `as_of=None` to leave it unset
    (the run's start time).
    """
    variables = {"as_of": iso(AS_OF), **variables}
    variables = {key: value for key, value in variables.items() if value is not None}
    dbt_build(work_dir, variables, RECON_WAREHOUSE=str(warehouse))


class Marts:
    """Read-only queries on a built warehouse."""

    def __init__(self, warehouse: Path):
        self.conn = duckdb.connect(str(warehouse))

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def divergences(
        self, *order_ids: str, columns: str = "rule, classification, queue, queue_reason, status"
    ) -> list[dict[str, Any]]:
        """The order's divergences (selected columns), in a stable order."""
        placeholders = ", ".join("?" for _ in order_ids)
        return self.rows(
            f"select {columns} from main.fct_divergences where order_id in ({placeholders})"
            " order by order_id, divergence_start, rule",
            *order_ids,
        )

    def close(self) -> None:
        self.conn.close()


def utc(ts: datetime) -> datetime:
    """A scenario time as the marts store it (naive UTC)."""
    return ts.astimezone(UTC).replace(tzinfo=None)
