"""Failed asset checks → alerts in the data team's channel, once per (run, asset, check), whatever the severity and
whether or not the run failed: a dbt test configured to warn fails its check while its run succeeds, and nobody
would hear of it otherwise.

The sensor follows the instance's run-end events (success, failure, cancellation) with a cursor (their storage id)
and reads each ended run's ASSET_CHECK_EVALUATION events. It does not follow the check evaluations themselves: on
the default instance (the home's `dagster/`, SQLite, one event database per run) event records other than asset
and run-status events cannot be read across runs by storage id, and `get_event_records`, which would, is deprecated.
Run-end events are kept in the instance-wide index with global ids on every storage. A check is therefore alerted
once its run has ended, which for recon's runs (a dbt build) is minutes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg

from dagster_project.config import DATA_TEAM
from dagster_project.defs.resources import ReconResource
from dagster_project.home import Home
from dagster_project.store import open_store, queue_alert
from dagster_project.store.utc import utc_now
from sensors.delivery import deliver

CHECK_ALERT_INTERVAL_SECONDS = 60
RUN_END_EVENTS = (
    dg.DagsterEventType.RUN_SUCCESS,
    dg.DagsterEventType.RUN_FAILURE,
    dg.DagsterEventType.RUN_CANCELED,
)
# Run-end events read per event type and tick; more wait for the next tick.
RUNS_PER_TICK = 100
# Failed checks named one by one in the tick's summary; the rest are counted.
LISTED = 5


@dataclass(frozen=True)
class CheckFailure:
    run_id: str
    job: str
    asset: str  # the asset key as `a/b`
    check: str
    severity: str  # WARN or ERROR
    description: str | None
    evaluated_at: datetime

    @property
    def key(self) -> str:
        """The alert's key: the run, and a digest of the asset key and check name (either may be long)."""
        digest = hashlib.sha256(f"{self.asset}\n{self.check}".encode()).hexdigest()[:16]
        return f"check_failed:{self.run_id}:{digest}"

    def payload(self) -> dict:
        return {
            "event": "check_failed",
            "asset": self.asset,
            "check": self.check,
            "severity": self.severity,
            "run_id": self.run_id,
            "job": self.job,
            "description": self.description,
            "evaluated_at": self.evaluated_at,
        }


def latest_run_end(instance: dg.DagsterInstance) -> int:
    """The storage id of the newest run-end event (-1 when no run ever ended)."""
    newest = [
        record.storage_id
        for event_type in RUN_END_EVENTS
        for record in instance.fetch_run_status_changes(event_type, limit=1).records
    ]
    return max(newest, default=-1)


def runs_ended_after(
    instance: dg.DagsterInstance, cursor: int, limit: int = RUNS_PER_TICK
) -> tuple[list[dg.EventLogRecord], int]:
    """The run-end events after storage id `cursor`, oldest first, and the next cursor.

    At most `limit` per event type are read; when one type has more, only the events up to its last one are
    returned (the other types' later events are read again next time), so nothing is ever skipped."""
    records: list[dg.EventLogRecord] = []
    complete_to: int | None = None
    for event_type in RUN_END_EVENTS:
        result = instance.fetch_run_status_changes(
            dg.RunStatusChangeRecordsFilter(event_type, after_storage_id=cursor), limit=limit, ascending=True
        )
        records += result.records
        if result.has_more:
            last = result.records[-1].storage_id
            complete_to = last if complete_to is None else min(complete_to, last)
    records = sorted(
        (record for record in records if complete_to is None or record.storage_id <= complete_to),
        key=lambda record: record.storage_id,
    )
    return records, records[-1].storage_id if records else cursor


def failed_checks(instance: dg.DagsterInstance, run_id: str) -> list[CheckFailure]:
    """The asset checks that did not pass in the run, in the order they were evaluated."""
    failures = []
    for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records:
        entry = record.event_log_entry
        evaluation = entry.dagster_event.asset_check_evaluation_data
        if evaluation.passed:
            continue
        failures.append(
            CheckFailure(
                run_id=run_id,
                job=entry.job_name,
                asset=evaluation.asset_key.to_user_string(),
                check=evaluation.check_name,
                severity=evaluation.severity.value,
                description=evaluation.description,
                evaluated_at=datetime.fromtimestamp(entry.timestamp, UTC),
            )
        )
    return failures


def alert_failed_checks(instance: dg.DagsterInstance, home: Home, cursor: int | None, now: datetime) -> tuple[int, str]:
    """One tick: the new cursor and the summary. The first tick (no cursor) only starts at the newest run end:
    the checks that failed before the sensor was first turned on are history, not news."""
    if cursor is None:
        latest = latest_run_end(instance)
        return latest, f"Started: failed asset checks of runs ending after event {latest} will be alerted."
    runs, next_cursor = runs_ended_after(instance, cursor)
    failures = [failure for run in runs for failure in failed_checks(instance, run.event_log_entry.run_id)]
    ended = f"{len(runs)} run{'s' if len(runs) != 1 else ''} ended"
    if not failures:
        return next_cursor, f"{ended}: no failed asset check."
    config = home.config()
    channel = config.channels()[DATA_TEAM]
    with open_store(home.store_url) as store:
        queued = [
            failure
            for failure in failures
            if queue_alert(store, key=failure.key, channel=channel, payload=failure.payload(), now=now)
        ]
        delivered = deliver(store, config, now)
    return next_cursor, f"{ended}: {describe(failures, queued, channel)} {delivered}."


def describe(failures: Sequence[CheckFailure], queued: Sequence[CheckFailure], channel: str) -> str:
    named = [f"{f.check} on {f.asset} ({f.severity}, run {f.run_id})" for f in failures[:LISTED]]
    more = len(failures) - LISTED
    text = f"{len(failures)} failed asset check{'s' if len(failures) != 1 else ''}, " + ", ".join(named)
    text += f" and {more} more" if more > 0 else ""
    already = len(failures) - len(queued)
    return text + f"; {len(queued)} alerted to {channel}" + (f", {already} already alerted." if already else ".")


@dg.sensor(
    name="asset_check_alert_sensor",
    minimum_interval_seconds=CHECK_ALERT_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Alerts the data team's Slack channel (owners.data_platform.channel) once per failed asset check of every "
        "ended run, WARN-severity dbt tests of successful runs included. Follows run-end events with a cursor."
    ),
)
def asset_check_alert_sensor(context: dg.SensorEvaluationContext, recon: ReconResource) -> dg.SkipReason:
    cursor = int(context.cursor) if context.cursor else None
    next_cursor, summary = alert_failed_checks(context.instance, recon.home_dir(), cursor, utc_now())
    context.update_cursor(str(next_cursor))
    return dg.SkipReason(summary)
