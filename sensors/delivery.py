"""The last step of every recon sensor tick that wrote to the store: deliver the Slack outbox, in one line."""

from __future__ import annotations

from datetime import datetime

from dagster_project.config import Config
from dagster_project.outbox_delivery import deliver_if_configured
from dagster_project.store import Store


def deliver(store: Store, config: Config, now: datetime) -> str:
    """Send every pending message (alerts, escalations, and whatever an earlier outage left) and say how it went.

    The sender is made here, after the tick's writes are committed, so a Slack setting that is wrong (raised as
    `SlackConfigError`, failing the tick) never costs an alert.
    """
    return f"Slack: {deliver_if_configured(store, config, now=now)}"
