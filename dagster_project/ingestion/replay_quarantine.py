"""Replay what ingestion quarantined, after the cause was fixed (docs/ingestion.md "Replaying quarantined rows
and files; resyncing orders").

Rows quarantined one by one are checked again against the current contract; the ones that pass now go into
the raw table through ingestion's own insert (event_id dedupe, duplicates recorded) and leave quarantine.
Files quarantined whole are read again from the copy kept in the home, or from a corrected file dropped beside
it, and go through ingestion's per-file path (invalid rows quarantined one by one, the over-share rule applied
again). Everything runs on `ctx.conn`, so a dry-run runs it on a copy of the warehouse; nothing is written in
the home.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.contract import SYSTEMS
from dagster_project.errors import ReconError
from dagster_project.ingestion.landing import FORMATS, LandingFile
from dagster_project.ingestion.load import (
    IngestContext,
    NewFile,
    SystemIngest,
    insert_new_rows,
    mark_whole_files,
    quarantine_rows,
    register_files,
    staged_group,
)
from dagster_project.ingestion.raw_schema import ensure_schema
from dagster_project.ingestion.readers import FileRows, UnreadableFile, read_file

CORRECTED = ".corrected"  # oms_0301.csv → oms_0301.corrected.csv, in the same folder


@dataclass
class SystemReplay:
    """What a quarantine replay did in one system."""

    system: str
    rows_replayed: int = 0  # quarantined rows that left quarantine: rows_ingested + rows_duplicate
    rows_ingested: int = 0  # ... inserted into the raw table
    rows_duplicate: int = 0  # ... valid now, but their event_id was already there (recorded as duplicates)
    rows_still_invalid: int = 0  # quarantined rows that still fail the contract: left as they are
    files_replayed: int = 0  # files quarantined whole that are ingested now
    files_still_quarantined: int = 0
    file_rows_ingested: int = 0  # rows of the replayed files inserted into the raw table
    file_rows_duplicate: int = 0
    file_rows_quarantined: int = 0  # invalid rows of the replayed files, now quarantined one by one


@dataclass(frozen=True)
class StillInvalidRow:
    system: str
    file_path: str
    file_sha256: str
    line: int
    field: str | None  # the field at fault; None for a structural problem
    reason: str  # the reason under the current contract


@dataclass(frozen=True)
class StillQuarantinedFile:
    system: str
    file_path: str
    file_sha256: str
    read_from: str  # the file the replay read (the kept copy or the corrected file), or looked for
    corrected_path: str  # where a corrected file is picked up
    reason: str


@dataclass
class QuarantineReplay:
    replay_id: str
    systems: dict[str, SystemReplay]
    replayed_files: list[tuple[str, str]] = field(default_factory=list)  # (system, file_path), in replay order
    still_invalid: list[StillInvalidRow] = field(default_factory=list)
    still_quarantined: list[StillQuarantinedFile] = field(default_factory=list)

    def to_json(self) -> dict:
        """Every field as JSON-ready dicts and lists (the audit trail and `--json` output carry it)."""
        return asdict(self)


def corrected_path(kept: Path) -> Path:
    """Where an operator drops the corrected version of a file quarantined whole: beside the kept copy, with
    `.corrected` before the extension (`<home>/quarantine/<sha256>.corrected.csv`)."""
    return kept.with_name(f"{kept.stem}{CORRECTED}{kept.suffix}")


def replay_quarantined(
    ctx: IngestContext,
    *,
    replay_id: str,
    systems: tuple[str, ...] | list[str] | None = None,
    file_sha256s: tuple[str, ...] | list[str] | None = None,
    landing: Path | None = None,
) -> QuarantineReplay:
    """Replay the quarantined rows and files not replayed yet, of `systems` (default all) and, if given, only
    those of the files `file_sha256s`. Rows first, then files, system by system; each system's rows and each
    file in one transaction. `landing` is read only for the header row of quarantined CSV rows (their stored
    text is the row alone); a copy of the file under the quarantine folder is used when it has the same bytes.
    Replaying again ingests nothing: what left quarantine carries `replayed_at`."""
    ensure_schema(ctx.conn)
    chosen = _chosen_systems(systems)
    shas = _checked_shas(ctx, file_sha256s)
    csv_files = _csv_files(ctx, chosen, shas, landing)  # before anything is written: it may refuse the replay
    result = QuarantineReplay(replay_id, {system: SystemReplay(system) for system in chosen})
    for system in chosen:
        _replay_rows(ctx, system, shas, csv_files, result)
        _replay_files(ctx, system, shas, result)
    return result


def _chosen_systems(systems) -> tuple[str, ...]:
    if systems is None:
        return SYSTEMS
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise ReconError(f"unknown system(s) {', '.join(unknown)}: systems are {', '.join(SYSTEMS)}")
    return tuple(s for s in SYSTEMS if s in systems)


def _checked_shas(ctx: IngestContext, file_sha256s) -> list[str] | None:
    if file_sha256s is None:
        return None
    known = {
        row[0]
        for row in ctx.conn.execute(
            "select file_sha256 from recon.quarantined_rows union select file_sha256 from recon.quarantined_files"
        ).fetchall()
    }
    unknown = [sha for sha in file_sha256s if sha not in known]
    if unknown:
        raise ReconError(
            f"file sha256 {', '.join(unknown)}: no row or file of it was ever quarantined; the column file_sha256 "
            "of recon.quarantined_rows and recon.quarantined_files names the files that were"
        )
    return list(file_sha256s)


# Not replayed yet, of the systems given, of the files given (if any). Parameters: systems, shas, shas.
_IN_SCOPE = (
    "replayed_at is null and list_contains(?, system) and (?::varchar[] is null or list_contains(?, file_sha256))"
)


def _replay_rows(
    ctx: IngestContext, system: str, shas: list[str] | None, csv_files: dict[str, Path], result: QuarantineReplay
) -> None:
    conn = ctx.conn
    quarantined = conn.execute(
        f"""
        select q.file_path, q.file_sha256, f.file_format, q.line, q.raw_text
        from (select * from recon.quarantined_rows where {_IN_SCOPE}) as q
        join recon.files as f on f.sha256 = q.file_sha256
        order by q.file_path, q.file_sha256, q.line
    """,
        [[system], shas, shas],
    ).fetchall()
    if not quarantined:
        return
    by_file: dict[tuple[str, str, str], list[tuple[int, str]]] = defaultdict(list)
    for file_path, sha, fmt, line, raw_text in quarantined:
        by_file[(file_path, sha, fmt)].append((line, raw_text))
    group = [  # a LandingFile's path is only read to register or keep a file, which the rows replay never does
        NewFile(
            LandingFile(system, Path(file_path), file_path, fmt),
            sha,
            b"",
            _quarantined_rows(ctx, system, sha, fmt, rows, csv_files),
        )
        for (file_path, sha, fmt), rows in by_file.items()
    ]
    with staged_group(ctx, system, group):
        per_file = insert_new_rows(ctx, system, group)
        conn.execute(
            """
            update recon.quarantined_rows as q set replayed_at = ?, replay_id = ?
            from staged as s
            join group_files as g on g.idx = s._file_idx
            where s._reason is null and q.system = ? and q.file_sha256 = g.sha256 and q.line = s._line
                and q.replayed_at is null
        """,
            [ctx.now, result.replay_id, system],
        )
        still = conn.execute(
            "select _file_idx, _line, _reason_field, _reason from staged where _reason is not null order by 1, 2"
        ).fetchall()
    counts = result.systems[system]
    counts.rows_ingested = sum(ingested for ingested, _ in per_file.values())
    counts.rows_duplicate = sum(duplicate for _, duplicate in per_file.values())
    counts.rows_replayed = counts.rows_ingested + counts.rows_duplicate
    counts.rows_still_invalid = len(still)
    result.still_invalid += [
        StillInvalidRow(system, group[i].file.rel_path, group[i].sha256, line, at_fault, reason)
        for i, line, at_fault, reason in still
    ]


def _quarantined_rows(
    ctx: IngestContext, system: str, sha: str, fmt: str, rows: list[tuple[int, str]], csv_files: dict[str, Path]
) -> FileRows:
    """The file's quarantined rows read again, each under its original line. A JSONL row's stored text is its
    line, a Parquet row's a JSON object of its columns: both are read as JSON lines. A CSV row needs the file's
    header row, so the file itself is read and its quarantined lines kept."""
    lines = [line for line, _ in rows]
    if fmt == "csv":
        read = read_file(csv_files[sha].read_bytes(), fmt, system, ctx.conn)
        return FileRows(read.table.filter(pc.is_in(read.table["_line"], pa.array(lines, pa.int32()))), read.raw_text)
    read = read_file(("\n".join(text for _, text in rows) + "\n").encode(), "jsonl", system, ctx.conn)
    position = read.table.schema.get_field_index("_line")
    original = pc.take(pa.array(lines, pa.int32()), pc.subtract(read.table["_line"], 1))
    return FileRows(read.table.set_column(position, "_line", original), dict(rows).__getitem__)


def _csv_files(
    ctx: IngestContext, systems: tuple[str, ...], shas: list[str] | None, landing: Path | None
) -> dict[str, Path]:
    """Where each CSV file with quarantined rows to replay is, by sha256: in the landing zone, or in the
    quarantine folder (a replayed file's kept copy, or the corrected file that replaced it)."""
    files = ctx.conn.execute(
        f"""
        select q.file_path, q.file_sha256, count(*)
        from (select * from recon.quarantined_rows where {_IN_SCOPE}) as q
        join recon.files as f on f.sha256 = q.file_sha256
        where f.file_format = 'csv'
        group by all
        order by all
    """,
        [list(systems), shas, shas],
    ).fetchall()
    found = {}
    for file_path, sha, row_count in files:
        suffix = Path(file_path).suffix
        candidates = [landing / file_path] if landing else []
        candidates += [ctx.quarantine_dir / f"{sha}{suffix}", *sorted(ctx.quarantine_dir.glob(f"*{CORRECTED}{suffix}"))]
        found[sha] = next((path for path in candidates if path.is_file() and _sha256(path) == sha), None)
        if found[sha] is None:
            where = f"{landing / file_path} and " if landing else "no landing zone was given; "
            raise ReconError(
                f"{file_path} (sha256 {sha}): its {row_count} quarantined CSV row(s) need the file's header row, "
                f"and no file with these bytes was found ({where}{ctx.quarantine_dir} were searched); pass the "
                "landing zone that holds the file, put the file back, or leave it out of the replay (file_sha256s)"
            )
    return found


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _replay_files(ctx: IngestContext, system: str, shas: list[str] | None, result: QuarantineReplay) -> None:
    quarantined = ctx.conn.execute(
        f"select file_path, file_sha256, stored_path from recon.quarantined_files where {_IN_SCOPE} "
        "order by file_path, file_sha256",
        [[system], shas, shas],
    ).fetchall()
    registered = dict(ctx.conn.execute("select sha256, status from recon.files").fetchall())
    for file_path, sha, stored_path in quarantined:
        kept = ctx.quarantine_dir / Path(stored_path).name
        corrected = corrected_path(kept)
        source = corrected if corrected.is_file() else kept
        reason = _replay_file(ctx, system, file_path, sha, source, registered, result)
        if reason:
            result.systems[system].files_still_quarantined += 1
            result.still_quarantined.append(
                StillQuarantinedFile(system, file_path, sha, str(source), str(corrected), reason)
            )


def _replay_file(
    ctx: IngestContext,
    system: str,
    file_path: str,
    sha: str,
    source: Path,
    registered: dict[str, str],
    result: QuarantineReplay,
) -> str | None:
    """Ingest `source` in place of the quarantined file `sha`; the reason it stays quarantined, if it does."""
    if not source.is_file():
        return f"the kept copy is missing and there is no corrected file: drop one at {corrected_path(source)}"
    data = source.read_bytes()
    new_sha = hashlib.sha256(data).hexdigest()
    if new_sha != sha and new_sha in registered:
        if registered[new_sha] != "ingested":
            return f"the corrected file has the bytes of another quarantined file (sha256 {new_sha}); correct it"
        # Already ingested (the source sent the same correction to the landing zone): nothing left to add.
        _mark_replayed(ctx, system, file_path, sha, new_sha, result)
        return None
    new = NewFile(LandingFile(system, source, file_path, FORMATS[source.suffix.lower()]), new_sha, data)
    try:
        new.rows = read_file(data, new.file.format, system, ctx.conn)
    except UnreadableFile as exc:
        return exc.reason
    registered_file = SystemIngest(system)  # the counts register_files keeps
    with staged_group(ctx, system, [new]) as staged:
        whole = mark_whole_files(ctx, [new], staged.invalid)
        if whole:
            return whole[0]
        quarantine_rows(ctx, system, [new])
        per_file = insert_new_rows(ctx, system, [new])
        if new_sha == sha:  # the kept copy itself passes now: its registry row is written again
            ctx.conn.execute("delete from recon.files where sha256 = ?", [sha])
        register_files(ctx, system, [new], {}, staged.invalid, per_file, registered_file)
        _mark_replayed(ctx, system, file_path, sha, new_sha, result)
    registered[new_sha] = "ingested"
    counts = result.systems[system]
    counts.file_rows_ingested += registered_file.rows_ingested
    counts.file_rows_duplicate += registered_file.rows_duplicate
    counts.file_rows_quarantined += registered_file.rows_quarantined
    return None


def _mark_replayed(
    ctx: IngestContext, system: str, file_path: str, sha: str, new_sha: str, result: QuarantineReplay
) -> None:
    ctx.conn.execute(
        "update recon.quarantined_files set replayed_at = ?, replay_id = ?, replayed_sha256 = ? "
        "where file_sha256 = ? and replayed_at is null",
        [ctx.now, result.replay_id, new_sha, sha],
    )
    result.systems[system].files_replayed += 1
    result.replayed_files.append((system, file_path))
