"""Resync given orders from the landing zone: ingest their events that the raw tables do not have yet, from
every batch file, without ingesting the rest of those files (docs/ingestion.md "Replaying quarantined rows and
files; resyncing orders").

A file read here is not registered: the next normal run ingests it whole, and event_id dedupe keeps the events
taken here from being inserted twice. That run also quarantines the file's invalid rows and records its
duplicates, so the resync writes neither; it reports the invalid rows it found. Rows in quarantine are left
to the quarantine replay (replay_quarantine.py), and files quarantined whole are not read.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.contract import SYSTEMS, fields
from dagster_project.errors import ReconError
from dagster_project.ingestion.landing import LandingFile, SkippedFile, scan_landing
from dagster_project.ingestion.load import (
    IngestContext,
    NewFile,
    counts_per_file,
    insert_first_seen,
    staged_group,
)
from dagster_project.ingestion.raw_schema import ensure_schema
from dagster_project.ingestion.readers import FileRows, UnreadableFile, read_file
from dagster_project.marts import normalise_order_id

# The field naming a row's order, per system (SOURCE_CONTRACT.md). CRM spells the order id its own way;
# carrier rows name an awb, which the order got on an OMS SHIPPED/REPLACEMENT_CREATED event.
ORDER_KEY = {
    "oms": "order_id",
    "wms": "order_id",
    "carrier": "awb",
    "crm": "order_ref",
    "payments": "order_id",
    "erp": "order_id",
    "integration_log": "order_id",
}


@dataclass
class SystemResync:
    system: str
    rows_found: int = 0  # the orders' rows in the landing zone: the four counts below add up to it
    rows_ingested: int = 0  # inserted into the raw table now
    rows_duplicate: int = 0  # valid, but their event_id was in the raw table already (or earlier in this resync)
    rows_invalid: int = 0  # failing the contract (listed in `invalid_rows`)
    rows_in_quarantine: int = 0  # in recon.quarantined_rows, not replayed: the quarantine replay's business


@dataclass(frozen=True)
class InvalidRow:
    system: str
    file_path: str
    line: int
    order_id: str
    field: str | None  # the field at fault; None for a structural problem
    reason: str
    file_registered: bool  # True: ingestion has seen the file; False: the next normal run quarantines the row


@dataclass
class OrdersResync:
    replay_id: str  # recorded here only: a resync writes no bookkeeping row to stamp it on
    order_ids: list[str]  # as normalised, in the order given
    systems: dict[str, SystemResync]
    missing: list[str] = field(default_factory=list)  # order ids with no row in any landing file searched
    invalid_rows: list[InvalidRow] = field(default_factory=list)
    skipped_files: list[SkippedFile] = field(default_factory=list)  # not searched: quarantined whole or unreadable

    def to_json(self) -> dict:
        """Every field as JSON-ready dicts and lists (the audit trail and `--json` output carry it)."""
        return asdict(self)


def resync_orders(ctx: IngestContext, landing: Path, order_ids: Iterable[str], *, replay_id: str) -> OrdersResync:
    """Insert the events of `order_ids` (any spelling `recon order` accepts) found in any batch file under
    `landing`, registered or not, that pass the contract and whose event_id is not in the raw table yet.
    Each system in one transaction; inserted rows carry `_run_id = ctx.run_id`."""
    wanted = list(dict.fromkeys(normalise_order_id(o) for o in order_ids if o.strip()))
    if not wanted:
        raise ReconError("no order id given: name at least one order (ORD-0001234, #0001234, ord-0001234 ...)")
    ensure_schema(ctx.conn)
    scan = scan_landing(landing)
    registered = dict(ctx.conn.execute("select sha256, status from recon.files").fetchall())
    result = OrdersResync(replay_id, wanted, {system: SystemResync(system) for system in SYSTEMS})
    found: Counter = Counter()
    for system in SYSTEMS:  # oms before carrier: carrier rows are found by the awbs the OMS rows gave the orders
        orders_of = _order_matcher(ctx, system, set(wanted))
        quarantined = _quarantined_lines(ctx, system)
        matched = [
            m
            for landing_file in scan.files[system]
            if (m := _matched_rows(ctx, landing_file, registered, quarantined, orders_of, result)) is not None
        ]
        counts = result.systems[system]
        for m in matched:
            found.update(m.order_at_line.values())
            counts.rows_in_quarantine += m.in_quarantine
        group = [m for m in matched if m.file.rows.table.num_rows]
        if group:
            _ingest_matched(ctx, system, group, registered, result)
        counts.rows_found = sum(len(m.order_at_line) for m in matched)
    result.missing = [o for o in wanted if not found[o]]
    return result


def _order_matcher(ctx: IngestContext, system: str, wanted: set[str]) -> Callable[[str], str | None]:
    """The order a value of the system's order key belongs to, if one of `wanted`."""
    if system == "crm":
        return lambda ref: order if (order := normalise_order_id(ref)) in wanted else None
    if system == "carrier":
        shipped = next(f for f in fields("oms") if f.name == "awb").when_values
        awbs = dict(
            ctx.conn.execute(
                "select distinct awb, order_id from oms.events "
                "where list_contains(?, order_id) and list_contains(?, status) and awb is not null",
                [sorted(wanted), list(shipped)],
            ).fetchall()
        )
        return awbs.get
    return lambda order_id: order_id if order_id in wanted else None


def _quarantined_lines(ctx: IngestContext, system: str) -> dict[str, set[int]]:
    """The lines in quarantine (not replayed), by file sha256."""
    lines: dict[str, set[int]] = {}
    for sha, line in ctx.conn.execute(
        "select file_sha256, line from recon.quarantined_rows where system = ? and replayed_at is null", [system]
    ).fetchall():
        lines.setdefault(sha, set()).add(line)
    return lines


@dataclass
class _Matched:
    file: NewFile  # its rows: the wanted orders' rows that are not in quarantine
    order_at_line: dict[int, str]  # the order of each of the file's rows of the wanted orders, by line
    in_quarantine: int


def _matched_rows(
    ctx: IngestContext,
    landing_file: LandingFile,
    registered: dict[str, str],
    quarantined: dict[str, set[int]],
    orders_of: Callable[[str], str | None],
    result: OrdersResync,
) -> _Matched | None:
    """The file's rows of the wanted orders; None when it has none or is not searched (recorded as skipped)."""
    data = landing_file.path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if registered.get(sha) == "quarantined":
        result.skipped_files.append(
            SkippedFile(landing_file.rel_path, "quarantined whole: its rows come back through the quarantine replay")
        )
        return None
    try:
        rows = read_file(data, landing_file.format, landing_file.system, ctx.conn)
    except UnreadableFile as exc:
        result.skipped_files.append(SkippedFile(landing_file.rel_path, f"unreadable: {exc.reason}"))
        return None
    key = ORDER_KEY[landing_file.system]
    order_by_value = {value: orders_of(value) for value in pc.unique(rows.table[key]).to_pylist() if value}
    hits = pa.array([value for value, order in order_by_value.items() if order], pa.string())
    table = rows.table.filter(pc.is_in(rows.table[key], hits))
    if not table.num_rows:
        return None
    in_quarantine = pc.is_in(table["_line"], pa.array(sorted(quarantined.get(sha, ())), pa.int32()))
    order_at_line = {
        line: order_by_value[value]
        for line, value in zip(table["_line"].to_pylist(), table[key].to_pylist(), strict=True)
    }
    return _Matched(
        NewFile(landing_file, sha, data, FileRows(table.filter(pc.invert(in_quarantine)), rows.raw_text)),
        order_at_line,
        pc.sum(in_quarantine).as_py() or 0,
    )


def _ingest_matched(
    ctx: IngestContext, system: str, matched: list[_Matched], registered: dict[str, str], result: OrdersResync
) -> None:
    group = [m.file for m in matched]
    with staged_group(ctx, system, group):
        insert_first_seen(ctx, system)
        per_file = counts_per_file(ctx)
        invalid = ctx.conn.execute(
            "select _file_idx, _line, _reason_field, _reason from staged where _reason is not null order by 1, 2"
        ).fetchall()
    counts = result.systems[system]
    counts.rows_ingested = sum(ingested for ingested, _ in per_file.values())
    counts.rows_duplicate = sum(duplicate for _, duplicate in per_file.values())
    counts.rows_invalid = len(invalid)
    result.invalid_rows += [
        InvalidRow(
            system,
            group[i].file.rel_path,
            line,
            matched[i].order_at_line[line],
            at_fault,
            reason,
            group[i].sha256 in registered,
        )
        for i, line, at_fault, reason in invalid
    ]
