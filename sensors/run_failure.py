"""A failed run → one alert in the data team's channel (`owners.data_platform.channel`), through the outbox.

The alert names the job, the run id, the failed steps and the first line of the root error. It is keyed by the run
id, so the same failure is never alerted twice. Every run of the instance is watched (`monitor_all_code_locations`):
`recon run` executes in-process on the home's instance, and such a run belongs to no code location, so a sensor
watching only its own location would never see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import dagster as dg

from dagster_project.config import DATA_TEAM
from dagster_project.defs.resources import ReconResource
from dagster_project.home import Home
from dagster_project.store import open_store, queue_alert
from dagster_project.store.utc import utc_now
from sensors.delivery import deliver

if TYPE_CHECKING:
    from dagster_shared.error import SerializableErrorInfo

RUN_FAILURE_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class RunFailure:
    job: str
    run_id: str
    steps: tuple[str, ...]  # the failed step keys, in the order they failed
    error: str  # the first line of the root error
    failed_at: datetime | None

    def payload(self) -> dict:
        return {
            "event": "run_failed",
            "job": self.job,
            "run_id": self.run_id,
            "steps": list(self.steps),
            "error": self.error,
            "failed_at": self.failed_at,
        }


def first_line(text: str | None) -> str | None:
    lines = (text or "").strip().splitlines()
    return lines[0].strip() if lines else None


def root_message(error: SerializableErrorInfo | None) -> str | None:
    """The first line of the innermost cause: the user's exception, not Dagster's wrapper around it."""
    if error is None:
        return None
    while error.cause is not None:
        error = error.cause
    return first_line(error.message)


def run_failure_of(context: dg.RunFailureSensorContext) -> RunFailure:
    """What the alert says, read from the instance: the failed steps, the root error, when the run ended."""
    run = context.dagster_run
    step_failures = context.get_step_failure_events()
    errors = [event.step_failure_data.error for event in step_failures]
    # A run marked failed from outside (its worker crashed or could not build the plan) has no failure data.
    job_failure = context.failure_event.job_failure_data
    errors.append(job_failure.error if job_failure is not None else None)
    error = next((message for message in map(root_message, errors) if message), None)
    record = context.instance.get_run_record_by_id(run.run_id)
    ended = record.end_time if record is not None else None
    return RunFailure(
        job=run.job_name,
        run_id=run.run_id,
        steps=tuple(dict.fromkeys(event.step_key for event in step_failures if event.step_key)),
        error=error or first_line(context.failure_event.message) or "the run failed",
        failed_at=datetime.fromtimestamp(ended, UTC) if ended is not None else None,
    )


def alert_run_failure(home: Home, failure: RunFailure, now: datetime) -> str:
    """Queue the alert (once per run) to the data team's channel, then deliver the outbox; the summary."""
    config = home.config()
    channel = config.channels()[DATA_TEAM]
    with open_store(home.store_url) as store:
        queued = queue_alert(
            store, key=f"run_failed:{failure.run_id}", channel=channel, payload=failure.payload(), now=now
        )
        delivered = deliver(store, config, now)
    where = f" at step {', '.join(failure.steps)}" if failure.steps else ""
    what = f"alert queued to {channel}" if queued else "already alerted"
    return f"Run {failure.run_id} of {failure.job} failed{where}: {what}. {delivered}."


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    minimum_interval_seconds=RUN_FAILURE_INTERVAL_SECONDS,
    monitor_all_code_locations=True,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Alerts the data team's Slack channel (owners.data_platform.channel) once per failed run: job, run id, "
        "failed steps, the error's first line. Queued in the operational store's outbox, then delivered."
    ),
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, recon: ReconResource) -> dg.SkipReason:
    return dg.SkipReason(alert_run_failure(recon.home_dir(), run_failure_of(context), utc_now()))
