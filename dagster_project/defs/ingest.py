"""One asset per source system: its new landing files, contract-checked, into `<system>.events`."""

import logging

import dagster as dg
import duckdb

from dagster_project.contract import SYSTEMS
from dagster_project.defs.resources import WAREHOUSE_POOL, ReconResource
from dagster_project.ingestion.landing import scan_landing
from dagster_project.ingestion.load import IngestContext, SystemIngest, ingest_system

CONTRACT_CHECK = "contract"
LISTED_FILES = 5  # files named in a check's description; all of them are in its metadata
COUNTS = (
    "files_ingested",
    "files_duplicate",
    "files_quarantined",
    "rows_in_files",
    "rows_ingested",
    "rows_duplicate",
    "rows_quarantined",
    "failed_expectations",
)


def ingest_metadata(result: SystemIngest, skipped: list[str]) -> dict:
    metadata: dict = {name: getattr(result, name) for name in COUNTS}
    metadata["contract_check_seconds"] = round(result.contract_seconds, 3)
    metadata["quarantined_by_field"] = dg.MetadataValue.json(dict(sorted(result.quarantined_by_field.items())))
    metadata["skipped_files"] = dg.MetadataValue.json(skipped)
    return metadata


def _percent(share: float) -> str:
    return f"{share * 100:.4g}%"


def _listed(paths: list[str]) -> str:
    more = len(paths) - LISTED_FILES
    return ", ".join(paths[:LISTED_FILES]) + (f" and {more:,} more" if more > 0 else "")


def contract_check(
    result: SystemIngest, max_invalid_share: float, quarantined_files: list[dict]
) -> dg.AssetCheckResult:
    """The blocking verdict on this run's data for one system, from what its ingestion did (no second validation).

    It fails when more than `max_invalid_share` of the rows in the run's new files were quarantined, one by one or
    with their file: the limit one file is held to, applied to the whole run. New files all quarantined whole are
    100 % of their rows. A run with no new rows passes: no new file, or only files in which no row could be counted
    (a wrong header, a corrupt Parquet file). Those hold no row known to be bad, and each opens its schema-drift
    exception for integrations in the exception sync that a failed check would stop.
    `quarantined_files`: the run's rows of recon.quarantined_files for the system (file_path, rows_total, reason).
    """
    system, rows, bad = result.system, result.rows_in_files, result.rows_quarantined
    share = bad / rows if rows else 0.0
    passed = not (rows and share > max_invalid_share)  # as the per-file rule: at the limit passes
    single = sum(result.quarantined_by_field.values())
    paths = [f["file_path"] for f in quarantined_files]
    metadata = {
        "system": system,
        "rows_in_files": rows,
        "rows_quarantined": bad,
        "rows_quarantined_one_by_one": single,
        "rows_in_files_quarantined_whole": bad - single,
        "invalid_share": round(share, 6),
        "max_invalid_share": max_invalid_share,
        "files_ingested": result.files_ingested,
        "files_quarantined": result.files_quarantined,
        "quarantined_files": dg.MetadataValue.json(quarantined_files),
        "quarantined_by_field": dg.MetadataValue.json(dict(sorted(result.quarantined_by_field.items()))),
    }
    limit = f"the {_percent(max_invalid_share)} limit (ingest.max_invalid_share in recon.yaml)"
    whole = f"{len(paths):,} file(s) quarantined whole in recon.quarantined_files ({_listed(paths)})"
    if not rows:
        description = f"{system}: no new rows in this run."
        if paths:
            description += f" No row could be counted in the {whole}; each opens a schema-drift exception."
    elif passed:
        description = f"{system}: {bad:,} of {rows:,} new rows quarantined ({share:.1%}), within {limit}."
        if paths:
            description += f" Among them the rows of {whole}."
    else:
        by_field = ", ".join(f"{field} {n:,}" for field, n in result.quarantined_by_field.most_common())
        where = [f"{single:,} one by one in recon.quarantined_rows ({by_field})"] if single else []
        where += [f"{bad - single:,} in {whole}"] if paths else []
        description = (
            f"{system}: {bad:,} of the {rows:,} rows in this run's new files were quarantined ({share:.1%}), over "
            f"{limit}, so nothing downstream (the marts, the exception sync) runs in this run. Quarantined: "
            f"{'; '.join(where)}. Have the {system} source fix the data (corrected files go beside their kept "
            f"copies in the home's quarantine folder: docs/replays.md), then run `recon replay quarantine --system "
            f"{system}` to see what comes back, and again with `--execute --reason TEXT`."
        )
    return dg.AssetCheckResult(
        check_name=CONTRACT_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata=metadata,
    )


def run_quarantined_files(conn: duckdb.DuckDBPyConnection, system: str, run_id: str) -> list[dict]:
    """The rows of recon.quarantined_files that ingestion wrote for `system` in the run `run_id`."""
    rows = conn.execute(
        "select file_path, rows_total, reason from recon.quarantined_files where system = ? and run_id = ? "
        "order by file_path",
        [system, run_id],
    ).fetchall()
    return [{"file_path": path, "rows_total": total, "reason": reason} for path, total, reason in rows]


def build_ingest_asset(system: str) -> dg.AssetsDefinition:
    key = dg.AssetKey([system, "events"])

    @dg.asset(
        key=key,
        group_name="ingest",
        kinds={"duckdb"},
        owners=["team:integrations"],
        tags={"system": system},
        pool=WAREHOUSE_POOL,
        description=(
            f"Every {system} event recon has received: append-only, one row per event_id, checked against "
            f"the {system} source contract (Great Expectations suite `{system}_contract`). Rows that break "
            "the contract are in `recon.quarantined_rows`, unreadable files in `recon.quarantined_files`."
        ),
        check_specs=[
            dg.AssetCheckSpec(
                CONTRACT_CHECK,
                asset=key,
                blocking=True,
                description=(
                    f"Blocking: the share of this run's new {system} rows quarantined (one by one or with their file) "
                    "is at most ingest.max_invalid_share; over it, the marts and the exception sync do not run."
                ),
            )
        ],
    )
    def _ingest(context: dg.AssetExecutionContext, recon: ReconResource) -> dg.MaterializeResult:
        scan = scan_landing(recon.landing_dir(), systems=(system,))
        skipped = [f"{s.rel_path}: {s.reason}" for s in scan.skipped if s.rel_path.startswith(f"{system}/")]

        def progress(message: str) -> None:
            context.log.info(message)
            logging.getLogger("recon").info(message)

        conn = recon.connect()
        try:
            ingest_ctx = IngestContext(
                conn,
                recon.home_dir().quarantine_dir,
                recon.config().ingest.max_invalid_share,
                context.run.run_id,
                recon.now(),
            )
            result = ingest_system(ingest_ctx, system, scan.files[system], progress=progress)
            quarantined_files = run_quarantined_files(conn, system, context.run.run_id)
        finally:
            conn.close()
        context.log.info(
            f"{system}: {result.rows_ingested:,} rows ingested, {result.rows_duplicate:,} "
            f"duplicate, {result.rows_quarantined:,} quarantined"
        )
        check = contract_check(result, ingest_ctx.max_invalid_share, quarantined_files)
        if not check.passed:
            context.log.error(check.description)
        return dg.MaterializeResult(metadata=ingest_metadata(result, skipped), check_results=[check])

    return _ingest


ingest_assets = [build_ingest_asset(system) for system in SYSTEMS]
