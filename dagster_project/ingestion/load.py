"""Ingest one system's new batch files into its raw table: registry, contract, quarantine, dedupe.

Files are read in path order and loaded in groups (about half a million rows at a time, to bound
memory), each group in one DuckDB transaction together with its file registry rows, so a crash never
leaves a half-ingested file. Duplicate event_ids keep the first copy recon records: earlier files (by
path) before later ones, earlier lines before later ones, and anything already in the raw table before
anything new (the raw table is append-only). The replays (replay_quarantine.py, resync_orders.py) run
the same steps: `staged_group`, then the quarantine, insert and registry functions they need.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.contract import DECIMAL, INTEGER, TIMESTAMP, field_names, fields
from dagster_project.ingestion.landing import LandingFile
from dagster_project.ingestion.raw_schema import ensure_schema, raw_table
from dagster_project.ingestion.readers import FileRows, UnreadableFile, read_file
from expectations.contracts import validate_contract

GROUP_ROWS = 500_000  # rows validated and loaded per transaction
SAMPLE_PROBLEMS = 3  # row problems quoted in a whole-file quarantine reason


@dataclass
class SystemIngest:
    """What one system's ingestion did: the counts users see in the CLI and in asset metadata."""

    system: str
    files_ingested: int = 0
    files_duplicate: int = 0
    files_quarantined: int = 0
    rows_in_files: int = 0  # rows of the new (non-duplicate) files: ingested + duplicate + quarantined
    rows_ingested: int = 0
    rows_duplicate: int = 0
    rows_quarantined: int = 0
    failed_expectations: int = 0
    contract_seconds: float = 0.0  # time spent in the Great Expectations contract check
    quarantined_by_field: Counter = field(default_factory=Counter)

    def add(self, other: SystemIngest) -> None:
        for f in dataclass_fields(self):
            if f.type in ("int", "float"):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        self.quarantined_by_field.update(other.quarantined_by_field)


@dataclass
class NewFile:
    file: LandingFile
    sha256: str
    data: bytes
    rows: FileRows | None = None
    unreadable: UnreadableFile | None = None

    @property
    def row_count(self) -> int:
        return self.rows.table.num_rows if self.rows else self.unreadable.rows_total


@dataclass(frozen=True)
class IngestContext:
    conn: duckdb.DuckDBPyConnection
    quarantine_dir: Path
    max_invalid_share: float
    run_id: str
    now: datetime  # naive UTC, stamped on every row written


def ingest_system(
    ctx: IngestContext, system: str, files: list[LandingFile], progress: Callable[[str], None] | None = None
) -> SystemIngest:
    """Ingest every file of `files` (all of one system) whose content the registry does not know yet."""
    ensure_schema(ctx.conn)
    known = {row[0] for row in ctx.conn.execute("select sha256 from recon.files").fetchall()}
    total = SystemIngest(system)
    group: list[NewFile] = []
    group_rows = 0
    for done, landing_file in enumerate(files, start=1):
        data = landing_file.path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if sha in known:
            total.files_duplicate += 1
            ctx.conn.execute(
                "insert into recon.file_sightings values (?, ?, ?, ?)",
                [sha, landing_file.rel_path, ctx.now, ctx.run_id],
            )
            continue
        known.add(sha)
        new = NewFile(landing_file, sha, data)
        try:
            new.rows = read_file(data, landing_file.format, system, ctx.conn)
        except UnreadableFile as exc:
            new.unreadable = exc
        group.append(new)
        group_rows += new.row_count
        if group_rows >= GROUP_ROWS:
            total.add(_load_group(ctx, system, group))
            group, group_rows = [], 0
            if progress:
                progress(f"{system}: {done}/{len(files)} files, {total.rows_in_files:,} rows")
    if group:
        total.add(_load_group(ctx, system, group))
    return total


def _load_group(ctx: IngestContext, system: str, group: list[NewFile]) -> SystemIngest:
    with staged_group(ctx, system, group) as staged:
        whole = mark_whole_files(ctx, group, staged.invalid)
        result = SystemIngest(
            system, failed_expectations=staged.failed_expectations, contract_seconds=staged.contract_seconds
        )
        result.quarantined_by_field = quarantine_rows(ctx, system, group)
        per_file = insert_new_rows(ctx, system, group)
        register_files(ctx, system, group, whole, staged.invalid, per_file, result)
    return result


@dataclass(frozen=True)
class StagedGroup:
    invalid: dict[int, int]  # invalid rows per file index
    failed_expectations: int
    contract_seconds: float


@contextmanager
def staged_group(ctx: IngestContext, system: str, group: list[NewFile]) -> Iterator[StagedGroup]:
    """Validate the group's rows and stage them typed (temp table `staged`, views `group_rows`/`group_files`,
    an empty `whole_files`), inside one transaction that commits when the block ends and rolls back if it
    raises. The block decides what is written: quarantined rows, new events, registry rows."""
    conn = ctx.conn
    table = _concat(system, group)
    started = time.perf_counter()
    reasons, reason_fields, failed_expectations = _contract_failures(system, table)
    contract_seconds = time.perf_counter() - started
    conn.begin()
    try:
        conn.register(
            "group_rows", table.append_column("_reason", reasons).append_column("_reason_field", reason_fields)
        )
        conn.register(
            "group_files",
            pa.table(
                {
                    "idx": pa.array(range(len(group)), pa.int32()),
                    "file_path": [f.file.rel_path for f in group],
                    "sha256": [f.sha256 for f in group],
                }
            ),
        )
        conn.execute(f"create or replace temp table staged as {_staging_sql(system)}")
        invalid = dict(conn.execute("select _file_idx, count(_reason) from staged group by 1").fetchall())
        conn.execute("create or replace temp table whole_files (idx integer)")
        yield StagedGroup(invalid, failed_expectations, contract_seconds)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        for view in ("group_rows", "group_files"):
            conn.unregister(view)


def mark_whole_files(ctx: IngestContext, group: list[NewFile], invalid: dict[int, int]) -> dict[int, str]:
    """Decide which files of the staged group are quarantined whole (table `whole_files`); their reasons."""
    whole = _whole_file_reasons(ctx, group, invalid)
    if whole:
        ctx.conn.executemany("insert into whole_files values (?)", [[i] for i in whole])
    return whole


def _concat(system: str, group: list[NewFile]) -> pa.Table:
    schema = pa.schema(
        [("_line", pa.int32()), ("_error", pa.string())]
        + [(name, pa.string()) for name in field_names(system)]
        + [("extras", pa.string()), ("_file_idx", pa.int32())]
    )
    parts = [
        f.rows.table.append_column("_file_idx", pa.array(np.full(f.rows.table.num_rows, i, np.int32))).cast(schema)
        for i, f in enumerate(group)
        if f.rows is not None
    ]
    return pa.concat_tables(parts) if parts else schema.empty_table()


def _contract_failures(system: str, table: pa.Table) -> tuple[pa.Array, pa.Array, int]:
    """Each row's first problem: structural (from the reader) or the first contract expectation failed."""
    reasons = np.array(table["_error"].to_pylist(), dtype=object)
    at_fault = np.full(table.num_rows, None, dtype=object)
    readable = pc.is_null(table["_error"])
    frame = table.filter(readable).select(list(field_names(system))).to_pandas()
    frame.index = np.flatnonzero(readable.to_numpy(zero_copy_only=False))
    failures, summary = validate_contract(system, frame)
    for failure in failures:
        reasons[failure.index] = failure.reason
        at_fault[failure.index] = failure.field
    return pa.array(reasons, pa.string()), pa.array(at_fault, pa.string()), summary["failed_expectations"]


def _typed(name: str, type_: str) -> str:
    if type_ == TIMESTAMP:
        return f"try_cast({name} as timestamptz) at time zone 'UTC'"
    if type_ == DECIMAL:  # plain decimals exactly; exponent notation through double
        return (
            f"coalesce(try_cast(trim({name}) as decimal(18, 4)), "
            f"try_cast(try_cast(trim({name}) as double) as decimal(18, 4)))"
        )
    if type_ == INTEGER:
        return f"try_cast(trim({name}) as integer)"
    return name


_CAST_PROBLEM = {
    TIMESTAMP: "is not a valid date and time",
    DECIMAL: "is out of range for an amount",
    INTEGER: "is out of range for a whole number",
}


def _staging_sql(system: str) -> str:
    """Typed rows of the group; a value the contract's shape check let through but that does not cast
    (2026-02-30, an amount beyond 18 digits) becomes the row's reason."""
    typed = [f for f in fields(system) if f.type in _CAST_PROBLEM]
    cast_checks = "\n".join(
        f"when {f.name} is not null and {f.name}__typed is null "
        f"then '{f.name} ''' || {f.name} || ''' {_CAST_PROBLEM[f.type]}'"
        for f in typed
    )
    cast_fields = "\n".join(f"when {f.name} is not null and {f.name}__typed is null then '{f.name}'" for f in typed)
    values = []
    for f in fields(system):
        value = f"{f.name}__typed" if f.type in _CAST_PROBLEM else f.name
        if f.name == "recorded_at":
            value = "coalesce(recorded_at__typed, event_ts__typed)"
        elif f.name == "actor":
            value = "coalesce(actor, 'system')"
        values.append(f"{value} as {f.name}")
    typed_cols = ", ".join(f"{_typed(f.name, f.type)} as {f.name}__typed" for f in typed)
    return f"""
        with typed as (select *, {typed_cols} from group_rows)
        select
            _file_idx,
            _line,
            coalesce(_reason, case {cast_checks} end) as _reason,
            coalesce(_reason_field, case {cast_fields} end) as _reason_field,
            {", ".join(values)},
            extras::json as extras
        from typed
    """


def _over_share(f: NewFile, invalid: int, limit: float) -> bool:
    total = f.rows.table.num_rows
    return total > 0 and invalid / total > limit


def _whole_file_reasons(ctx: IngestContext, group: list[NewFile], invalid: dict[int, int]) -> dict[int, str]:
    """Files quarantined whole: unreadable ones, and those whose invalid share is over the limit."""
    whole = {i: f.unreadable.reason for i, f in enumerate(group) if f.unreadable}
    for i, f in enumerate(group):
        if f.rows is None or not _over_share(f, invalid.get(i, 0), ctx.max_invalid_share):
            continue
        total = f.rows.table.num_rows
        problems = ctx.conn.execute(
            "select _line, _reason from staged where _file_idx = ? and _reason is not null order by _line limit ?",
            [i, SAMPLE_PROBLEMS],
        ).fetchall()
        whole[i] = (
            f"{invalid[i]} of {total} rows invalid ({invalid[i] / total:.0%}), over the "
            f"{ctx.max_invalid_share:.0%} limit (ingest.max_invalid_share); first problems: "
            + "; ".join(f"line {line}: {reason}" for line, reason in problems)
        )
    return whole


def quarantine_rows(ctx: IngestContext, system: str, group: list[NewFile]) -> Counter:
    """Store each invalid row of the files ingested (not quarantined whole) with its source text."""
    bad = ctx.conn.execute(
        "select _file_idx, _line, _reason_field, _reason from staged "
        "where _reason is not null and _file_idx not in (select idx from whole_files) "
        "order by _file_idx, _line"
    ).fetchall()
    if bad:
        rows = pa.table(
            {
                "system": [system] * len(bad),
                "file_path": [group[i].file.rel_path for i, *_ in bad],
                "file_sha256": [group[i].sha256 for i, *_ in bad],
                "line": pa.array([line for _, line, *_ in bad], pa.int32()),
                "raw_text": [group[i].rows.raw_text(line) for i, line, *_ in bad],
                "field": pa.array([f for _, _, f, _ in bad], pa.string()),
                "reason": [r for *_, r in bad],
            }
        )
        ctx.conn.register("bad_rows", rows)
        ctx.conn.execute(
            "insert into recon.quarantined_rows (system, file_path, file_sha256, line, raw_text, field, reason, "
            "quarantined_at, run_id) select *, ?::timestamp, ? from bad_rows",
            [ctx.now, ctx.run_id],
        )
        ctx.conn.unregister("bad_rows")
    return Counter(f or "structure" for _, _, f, _ in bad)


def insert_new_rows(ctx: IngestContext, system: str, group: list[NewFile]) -> dict[int, tuple[int, int]]:
    """Append first-seen events to the raw table, record the others as duplicates.

    Returns per file index: (rows ingested, rows duplicate)."""
    insert_first_seen(ctx, system)
    _record_duplicates(ctx, system, group)
    return counts_per_file(ctx)


def insert_first_seen(ctx: IngestContext, system: str) -> None:
    """Append the staged valid rows whose event_id is new (first copy by file, then line) to the raw table;
    temp table `candidates` keeps every valid row with its rank and whether its event_id was there before."""
    conn, raw = ctx.conn, raw_table(system)
    names = field_names(system)
    conn.execute(f"""
        create or replace temp table candidates as
        select
            s.*,
            row_number() over (partition by s.event_id order by s._file_idx, s._line) as _rank,
            s.event_id in (select event_id from {raw}) as _exists
        from staged as s
        where s._reason is null and s._file_idx not in (select idx from whole_files)
    """)
    conn.execute(
        f"""
        insert into {raw} ({", ".join(names)}, extras, _file_path, _file_sha256, _line, _ingested_at, _run_id)
        select {", ".join(f"c.{n}" for n in names)}, c.extras, g.file_path, g.sha256, c._line, ?, ?
        from candidates as c
        join group_files as g on g.idx = c._file_idx
        where c._rank = 1 and not c._exists
    """,
        [ctx.now, ctx.run_id],
    )


def _record_duplicates(ctx: IngestContext, system: str, group: list[NewFile]) -> None:
    """Store in recon.duplicate_events every candidate that is not the kept copy of its event_id."""
    conn, raw = ctx.conn, raw_table(system)
    same = " and ".join(f"c.{n} is not distinct from r.{n}" for n in field_names(system))
    duplicates = conn.execute(f"""
        select c._file_idx, c._line, c.event_id, {same} as same_content
        from candidates as c
        join {raw} as r on r.event_id = c.event_id
        where c._rank > 1 or c._exists
        order by c._file_idx, c._line
    """).fetchall()
    if duplicates:
        conn.register(
            "dupes",
            pa.table(
                {
                    "system": [system] * len(duplicates),
                    "event_id": [d[2] for d in duplicates],
                    "file_path": [group[d[0]].file.rel_path for d in duplicates],
                    "file_sha256": [group[d[0]].sha256 for d in duplicates],
                    "line": pa.array([d[1] for d in duplicates], pa.int32()),
                    "same_content": [d[3] for d in duplicates],
                    # A copy that differs from the kept event is stored whole: nothing it said is lost.
                    "raw_text": [None if d[3] else group[d[0]].rows.raw_text(d[1]) for d in duplicates],
                }
            ),
        )
        conn.execute("insert into recon.duplicate_events select *, ?::timestamp, ? from dupes", [ctx.now, ctx.run_id])
        conn.unregister("dupes")


def counts_per_file(ctx: IngestContext) -> dict[int, tuple[int, int]]:
    """Per file index of `candidates`: (rows ingested, rows duplicate)."""
    counts = ctx.conn.execute("""
        select
            _file_idx,
            count(*) filter (where _rank = 1 and not _exists),
            count(*) filter (where _rank > 1 or _exists)
        from candidates
        group by 1
    """).fetchall()
    return {idx: (ingested, dup) for idx, ingested, dup in counts}


def register_files(
    ctx: IngestContext,
    system: str,
    group: list[NewFile],
    whole: dict[int, str],
    invalid: dict[int, int],
    per_file: dict[int, tuple[int, int]],
    result: SystemIngest,
) -> None:
    for i, f in enumerate(group):
        total = f.row_count
        ingested, duplicate = per_file.get(i, (0, 0))
        quarantined = total if i in whole else invalid.get(i, 0)
        status = "quarantined" if i in whole else "ingested"
        ctx.conn.execute(
            "insert into recon.files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                f.sha256,
                system,
                f.file.rel_path,
                f.file.format,
                len(f.data),
                total,
                ingested,
                duplicate,
                quarantined,
                status,
                ctx.now,
                ctx.run_id,
            ],
        )
        if i in whole:
            stored = ctx.quarantine_dir / f"{f.sha256}{f.file.path.suffix}"
            stored.parent.mkdir(parents=True, exist_ok=True)
            stored.write_bytes(f.data)
            ctx.conn.execute(
                "insert into recon.quarantined_files (system, file_path, file_sha256, stored_path, rows_total, "
                "rows_invalid, reason, quarantined_at, run_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    system,
                    f.file.rel_path,
                    f.sha256,
                    str(stored),
                    total,
                    invalid.get(i, total),
                    whole[i],
                    ctx.now,
                    ctx.run_id,
                ],
            )
            result.files_quarantined += 1
        else:
            result.files_ingested += 1
        result.rows_in_files += total
        result.rows_ingested += ingested
        result.rows_duplicate += duplicate
        result.rows_quarantined += quarantined
