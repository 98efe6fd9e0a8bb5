"""One asset per source system: its new landing files, contract-checked, into `<system>.events`."""

import logging

import dagster as dg

from dagster_project.contract import SYSTEMS
from dagster_project.defs.resources import WAREHOUSE_POOL, ReconResource
from dagster_project.ingestion.landing import scan_landing
from dagster_project.ingestion.load import IngestContext, SystemIngest, ingest_system

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


def build_ingest_asset(system: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=[system, "events"],
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
        finally:
            conn.close()
        context.log.info(
            f"{system}: {result.rows_ingested:,} rows ingested, {result.rows_duplicate:,} "
            f"duplicate, {result.rows_quarantined:,} quarantined"
        )
        return dg.MaterializeResult(metadata=ingest_metadata(result, skipped))

    return _ingest


ingest_assets = [build_ingest_asset(system) for system in SYSTEMS]
