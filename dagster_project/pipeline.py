"""Run recon's assets in-process (the `recon run` path) and collect what they did."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg

from dagster_project.contract import SYSTEMS
from dagster_project.dagster_instance import open_instance
from dagster_project.defs.exceptions import SLACK_CHECK, exceptions
from dagster_project.defs.ingest import COUNTS, ingest_assets
from dagster_project.defs.quality import mart_checks
from dagster_project.defs.resources import ReconResource
from dagster_project.defs.transform import build_dbt_assets, dbt_resource, prepare_manifest
from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.ingestion.landing import SkippedFile, scan_landing, unknown_folder_message
from dagster_project.marts import divergence_counts, read_warehouse
from dagster_project.store.utc import utc_now

# Users see recon's own progress lines, not Dagster's event log (it is in the UI for every run).
# Failures reach the user as one `recon: error:` line (see _root_cause), so the console logger stays quiet.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class RunReport:
    systems: dict[str, dict[str, int]]
    contract_seconds: dict[str, float]
    divergences: dict | None  # None when the marts were not built
    unknown_folders: list[str]
    skipped: list[SkippedFile]
    run_id: str
    as_of: datetime | None = None
    # The exception sync's counts and the Slack delivery (None when the marts were not built).
    exceptions: dict | None = None
    # Set when Slack could not be used at all (a bad token, a wrong base URL): the messages stay in the outbox.
    slack_error: str | None = None

    @property
    def nothing_new(self) -> bool:
        return all(c["files_ingested"] == 0 and c["files_quarantined"] == 0 for c in self.systems.values())

    def to_json(self) -> dict:
        summary: dict = {system: dict(counts) for system, counts in self.systems.items()}
        if self.divergences is not None:
            summary["divergences"] = self.divergences
        if self.exceptions is not None:
            summary["exceptions"] = self.exceptions
            summary["slack_error"] = self.slack_error
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


def _failed_blocking_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    """The descriptions of the run's failed blocking checks: each says what failed and what to do."""
    return [
        check.description or f"check {check.check_name} of {check.asset_key.to_user_string()} failed"
        for check in result.get_asset_check_evaluations()
        if check.blocking and not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    ]


def _only_checks_failed(result: dg.ExecuteInProcessResult) -> bool:
    """Whether every failed step failed for a blocking check it evaluated (Dagster fails such a step on purpose)."""
    return all(
        event.step_failure_data.error.cls_name == "DagsterAssetCheckFailedError"
        for event in result.get_step_failure_events()
    )


def _alert_failure(home: Home, result: dg.ExecuteInProcessResult, cause: str) -> str:
    """Tell the data team's channel, as the run-failure sensor would (same key: one alert per run, whichever
    comes first), since a CLI run may have no Dagster daemon watching. Returns what to add to the error."""
    from sensors.run_failure import RunFailure, alert_run_failure

    steps = tuple(dict.fromkeys(e.step_key for e in result.get_step_failure_events() if e.step_key))
    failure = RunFailure(result.job_def.name, result.run_id, steps, cause.splitlines()[0], utc_now())
    try:
        alert_run_failure(home, failure, utc_now())
    except Exception as exc:  # the run's own failure is what the user must see, whatever happens here
        return f"; the data team could not be alerted: {exc}"
    return ""


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
        assets += [build_dbt_assets(), exceptions, *mart_checks]
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
    blocked = _failed_blocking_checks(result)
    if not result.success and not (blocked and _only_checks_failed(result)):
        cause = _root_cause(result)
        raise ReconError(f"{cause} (dbt's log of the run: {log_file}){_alert_failure(home, result, cause)}")
    # A failed blocking check stopped what follows it. Without marts, nothing follows ingestion, which is complete.
    if blocked and marts:
        cause = " ".join(blocked)
        raise ReconError(f"{cause}{_alert_failure(home, result, cause)}")
    systems, contract_seconds = {}, {}
    for system in SYSTEMS:
        (materialization,) = result.asset_materializations_for_node(f"{system}__events")
        systems[system] = {name: materialization.metadata[name].value for name in COUNTS}
        contract_seconds[system] = materialization.metadata["contract_check_seconds"].value
    report = RunReport(systems, contract_seconds, None, scan.unknown_folders, scan.skipped, result.run_id, as_of)
    if marts:
        with read_warehouse(home.warehouse) as conn:
            report.divergences = divergence_counts(conn)
        (materialization,) = result.asset_materializations_for_node("exceptions")
        # The summary's figures; the UI's Markdown table and sync time are not for the terminal or --json.
        report.exceptions = {
            name: entry.value
            for name, entry in materialization.metadata.items()
            if not isinstance(entry, dg.MarkdownMetadataValue | dg.TimestampMetadataValue)
        }
        (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name == SLACK_CHECK]
        report.slack_error = check.metadata["slack_error"].value or None
    return report
