"""The last step of every recon sensor tick that wrote to the store: deliver the Slack outbox, in one line."""

from __future__ import annotations

from datetime import datetime

from dagster_project.config import Config
from dagster_project.outbox_delivery import deliver_outbox, sender_for
from dagster_project.slack import ConsoleSender
from dagster_project.slack.settings import TOKEN_ENV
from dagster_project.store import Store

NOT_CONFIGURED = f"Slack: {TOKEN_ENV} is not set, so the messages wait in the outbox"


def deliver(store: Store, config: Config, now: datetime) -> str:
    """Send every pending message (alerts, escalations, and whatever an earlier outage left) and say how it went.

    The sender is made here, after the tick's writes are committed, so a Slack setting that is wrong (raised as
    `SlackConfigError`, failing the tick) never costs an alert. Without `SLACK_BOT_TOKEN` nothing is attempted:
    the console sender is for the CLI, and a sensor printing the whole outbox every tick would only fill its log.
    """
    sender = sender_for(config)
    if isinstance(sender, ConsoleSender):
        return NOT_CONFIGURED
    return f"Slack: {deliver_outbox(store, sender, now=now).summary()}"
