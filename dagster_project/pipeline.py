"""Run recon's assets in-process (the `recon run` path) and collect what they did."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import dagster as dg

from dagster_project.contract import SYSTEMS
from dagster_project.defs.ingest import COUNTS, ingest_assets
from dagster_project.defs.resources import ReconResource
from dagster_project.defs.transform import build_dbt_assets, dbt_resource, prepare_manifest
from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.ingestion.landing import SkippedFile, scan_landing, unknown_folder_message
from dagster_project.marts import divergence_counts, read_warehouse

DAGSTER_YAML = """\
# Written by recon for its home: SQLite instance storage here; no telemetry (no network at run time).
telemetry:
  enabled: false
"""

# Users see recon's own progress lines, not Dagster's event log (it is in the UI for every run).
# Failures reach the user as one `recon: error:` line (see _root_cause), so the console logger stays quiet.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def open_instance(home: Home) -> dg.DagsterInstance:
    """The home's persistent Dagster instance, so CLI runs show in `recon ui` too."""
    config = home.ensure().dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return dg.DagsterInstance.from_config(str(home.dagster_home))


@dataclass
class RunReport:
    systems: dict[str, dict[str, int]]
    contract_seconds: dict[str, float]
    divergences: dict | None  # None when the marts were not built
    unknown_folders: list[str]
    skipped: list[SkippedFile]
    run_id: str
    as_of: datetime | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def nothing_new(self) -> bool:
        return all(c["files_ingested"] == 0 and c["files_quarantined"] == 0 for c in self.systems.values())

    def to_json(self) -> dict:
        summary: dict = {system: dict(counts) for system, counts in self.systems.items()}
        if self.divergences is not None:
            summary["divergences"] = self.divergences
        summary["unknown_folders"] = self.unknown_folders
        summary["skipped_files"] = [{"file": s.rel_path, "reason": s.reason} for s in self.skipped]
        return summary


def _root_cause(result: dg.ExecuteInProcessResult) -> str:
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error.cause is not None:
            error = error.cause
        return error.message.strip().removeprefix("dagster_project.errors.ReconError: ")
    return "the run failed; see `recon ui` for its event log"


def run_pipeline(home: Home, landing: Path, as_of: datetime | None = None, marts: bool = True) -> RunReport:
    """Ingest every new file under `landing` into the home's warehouse, then (with `marts`) build the dbt
    marts and their checks."""
    home.ensure().config()  # a bad recon.yaml stops here, before any run starts
    scan = scan_landing(landing)
    assets = list(ingest_assets)
    resources: dict = {
        "recon": ReconResource(home=str(home.root), landing=str(landing), as_of=as_of.isoformat() if as_of else None)
    }
    if marts:
        prepare_manifest()
        assets.append(build_dbt_assets())
        resources["dbt"] = dbt_resource()
    log = logging.getLogger("recon")
    for folder in scan.unknown_folders:
        log.warning(unknown_folder_message(folder))
    log_file = home.root / "logs" / "last_run.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # dagster-dbt echoes every dbt event to stdout; the CLI's stdout is for its summary (and --json).
    with log_file.open("w") as sink, contextlib.redirect_stdout(sink):
        result = dg.materialize(
            assets,
            resources=resources,
            instance=open_instance(home),
            run_config=QUIET_RUN_CONFIG,
            raise_on_error=False,
            tags={"recon/trigger": "cli"},
        )
    if not result.success:
        raise ReconError(f"{_root_cause(result)} (dbt's log of the run: {log_file})")
    systems, contract_seconds = {}, {}
    for system in SYSTEMS:
        (materialization,) = result.asset_materializations_for_node(f"{system}__events")
        systems[system] = {name: materialization.metadata[name].value for name in COUNTS}
        contract_seconds[system] = materialization.metadata["contract_check_seconds"].value
    counts = None
    if marts:
        with read_warehouse(home.warehouse) as conn:
            counts = divergence_counts(conn)
    return RunReport(systems, contract_seconds, counts, scan.unknown_folders, scan.skipped, result.run_id, as_of)
