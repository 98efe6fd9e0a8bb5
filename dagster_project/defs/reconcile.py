"""The full reconciliation as a job, and its schedule (`schedule.interval` in recon.yaml).

The schedule matters even when no file arrives: rules such as "missing after 6 h" and SLA due times depend on the
clock, so the marts and the exception sync must be re-evaluated on a timer. New files are the landing sensor's
job (sensors/landing.py), which runs the same job for the systems that changed.
"""

import dagster as dg

from dagster_project.config import Config

RECONCILE_JOB = "reconcile"

reconcile_job = dg.define_asset_job(
    RECONCILE_JOB,
    selection=dg.AssetSelection.all(),
    description=(
        "Ingest every new landing file, build the dbt marts with their checks, and sync exceptions to the "
        "operational store and Slack: what `recon run` does."
    ),
)


def reconcile_schedules(config: Config) -> list[dg.ScheduleDefinition]:
    """The full-reconciliation schedule at the configured interval (UTC); none when the interval is null."""
    if config.schedule.cron is None:
        return []
    return [
        dg.ScheduleDefinition(
            name="full_reconciliation",
            job=reconcile_job,
            cron_schedule=config.schedule.cron,
            execution_timezone="UTC",
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description=(
                f"Every {config.schedule.interval} (recon.yaml schedule.interval): the full reconciliation, so "
                "time-based rules and SLAs are re-evaluated even when no file arrives."
            ),
            tags={"recon/trigger": "schedule"},
        )
    ]
