"""SLA escalation on a timer: `escalate_due` over the operational store, then the Slack outbox delivered.

The sensor launches no run (it returns a `SkipReason` saying what it did) and never opens the DuckDB warehouse:
escalation reads and writes only the store, so it runs while a pipeline run holds the warehouse.
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from dagster_project.defs.resources import ReconResource
from dagster_project.home import Home
from dagster_project.store import EscalationResult, escalate_due, open_store
from dagster_project.store.utc import utc_now
from sensors.delivery import deliver

ESCALATION_INTERVAL_SECONDS = 300
# Escalations named one by one in the tick's summary; the rest are counted.
LISTED = 10


def run_escalation(home: Home, now: datetime) -> str:
    """One escalation pass at `now` over the home's store (steps from `recon.yaml`), then delivery; the summary."""
    config = home.config()
    with open_store(home.store_url) as store:
        result = escalate_due(store, now, config.escalation_steps())
        delivered = deliver(store, config, now)
    return f"{describe(result)} {delivered}."


def describe(result: EscalationResult) -> str:
    if not result.escalations:
        text = "Nothing to escalate."
    else:
        steps = [f"exception {e.exception_id} step {e.step} to {e.channel}" for e in result.escalations[:LISTED]]
        more = len(result.escalations) - LISTED
        listed = ", ".join(steps) + (f" and {more} more" if more > 0 else "")
        text = f"Escalated {len(result.escalations)} step{'s' if len(result.escalations) != 1 else ''}: {listed}."
    if result.without_steps:
        text += (
            f" Overdue but without escalation steps: {', '.join(result.without_steps)} "
            "(set owners.<team>.escalation_channel in recon.yaml)."
        )
    return text


@dg.sensor(
    name="escalation_sensor",
    minimum_interval_seconds=ESCALATION_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Every 5 minutes: escalates open exceptions unacknowledged past their SLA up their owner team's steps "
        "(recon.yaml owners), then delivers the Slack outbox, including messages an earlier outage left. "
        "Reads and writes only the operational store; launches no run."
    ),
)
def escalation_sensor(recon: ReconResource) -> dg.SkipReason:
    return dg.SkipReason(run_escalation(recon.home_dir(), utc_now()))
