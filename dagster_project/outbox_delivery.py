"""Deliver the store's Slack outbox: pending messages → rendered Block Kit → Slack (or the console) → the outcome
recorded, one message at a time, so nothing is lost and nothing posted twice.

Runs after every exception sync, every escalation pass and every Slack button click. Each pass claims the
messages it sends (a lease in the store), so passes running at once in several processes never send the same
message twice. Outcome → store: sent → `mark_sent` with the message ts and the channel id Slack answered with
(for permalinks); refused by Slack for good (a missing channel, a scope, a malformed message) → `failed`, kept
with the error; a transient failure that may have reached Slack → one more attempt, still pending (the next try
looks for it in the channel before posting); not attempted (no token, rate limited, Slack unreachable, parent
not posted yet) → untouched, claim released. A bad token stops the pass and is raised last, as a
`SlackConfigError` naming the setting to fix.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from dagster_project.config import Config
from dagster_project.slack import (
    ConsoleSender,
    OutcomeStatus,
    SlackSender,
    create_sender,
    outbox_item,
    raise_for_config_error,
    send_pending,
)
from dagster_project.slack.outbox import OutboxItem, Outcome
from dagster_project.slack.settings import TOKEN_ENV
from dagster_project.store import Store, mark_failed, mark_sent
from dagster_project.store.outbox import claim_pending, release
from dagster_project.store.utc import utc_now

PAGE = 200
# How long a pass holds the messages it claimed: far longer than a pass takes; a crashed pass's claims expire.
LEASE = timedelta(minutes=10)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    # Still in the outbox after this pass, by why: console, transient, unavailable, waiting_for_parent, ...
    pending: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    console: bool = False

    @property
    def pending_total(self) -> int:
        return sum(self.pending.values())

    def summary(self) -> str:
        parts = [f"{self.sent} sent"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.pending_total:
            why = ", ".join(f"{count} {reason.replace('_', ' ')}" for reason, count in sorted(self.pending.items()))
            parts.append(f"{self.pending_total} left in the outbox ({why})")
        return ", ".join(parts)


def sender_for(config: Config) -> SlackSender | ConsoleSender:
    """Slack when `SLACK_BOT_TOKEN` is set (at `slack.base_url` / `RECON_SLACK_BASE_URL`), else the console."""
    return create_sender(base_url=config.slack.base_url)


NOT_CONFIGURED = f"{TOKEN_ENV} is not set, so the messages wait in the outbox"


def deliver_if_configured(store: Store, config: Config, *, now: datetime | None = None) -> str:
    """One delivery pass when a token is set, as one line of text (the sensors, the CLI actions, a replay).

    Without `SLACK_BOT_TOKEN` nothing is attempted: printing the whole outbox is for `recon run` and the demo,
    not for every sensor tick or button click. A wrong Slack setting raises `SlackConfigError`.
    """
    sender = sender_for(config)
    if isinstance(sender, ConsoleSender):
        return NOT_CONFIGURED
    return deliver_outbox(store, sender, now=now).summary()


def _items(store: Store, owner: str, after_id: int, now: datetime) -> list[OutboxItem]:
    """The next page of pending messages, claimed for this pass; a reply or edit whose parent is on the same
    page names it, so it goes out right after the parent within one pass."""
    messages = claim_pending(store, owner=owner, now=now, lease=LEASE, limit=PAGE, after_id=after_id)
    parents = {m.exception_id: str(m.id) for m in messages if m.kind == "post_parent"}
    items = []
    for message in messages:
        item = outbox_item(message, now=now)
        if item.needs_parent and not item.thread_ts and message.exception_id in parents:
            item = replace(item, parent_id=parents[message.exception_id])
        items.append(item)
    return items


def _record(store: Store, item: OutboxItem, outcome: Outcome, now: datetime, report: DeliveryReport) -> bool:
    """Write the outcome back; False when the message was left untouched (its claim is to be released)."""
    if outcome.status is OutcomeStatus.SENT:
        thread_ts = None if item.kind == "post_parent" else (item.thread_ts or outcome.message_ts)
        mark_sent(
            store,
            int(item.id),
            message_ts=outcome.message_ts,
            thread_ts=thread_ts,
            channel_id=outcome.channel_id,
            now=now,
        )
        report.sent += 1
        return True
    if outcome.status is OutcomeStatus.FAILED:
        mark_failed(store, int(item.id), error=outcome.error or "refused by Slack", final=True)
        report.failed += 1
        report.errors.append(f"outbox {item.id} to {item.channel}: {outcome.error}")
        return True
    report.pending[outcome.reason or "pending"] += 1
    if outcome.attempted:
        mark_failed(store, int(item.id), error=outcome.error or "unknown error", final=False)
    return outcome.attempted


def deliver_outbox(store: Store, sender: SlackSender | ConsoleSender, *, now: datetime | None = None) -> DeliveryReport:
    """One pass over every pending message, oldest first. Raises `SlackConfigError` (a bad or missing token,
    a wrong base URL) after recording what the pass did."""
    now = now or utc_now()
    report = DeliveryReport(console=isinstance(sender, ConsoleSender))
    outcomes: list[Outcome] = []
    after_id, owner = 0, uuid.uuid4().hex
    while items := _items(store, owner, after_id, now):
        page = send_pending(items, sender)
        by_id = {item.id: item for item in items}
        untouched = [int(o.item_id) for o in page if not _record(store, by_id[o.item_id], o, now, report)]
        release(store, untouched, owner=owner)
        outcomes += page
        after_id = int(items[-1].id)
        if any(outcome.reason in ("config", "unavailable") for outcome in page):
            break  # the rest would not be attempted either
    raise_for_config_error(outcomes)
    return report
