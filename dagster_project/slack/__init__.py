"""Slack for recon: Block Kit built by pure functions, escaped untrusted text, delivery through the outbox.

- `escape`: untrusted text (order ids, free text from sources) made inert: no mentions, no links.
- `limits`: Slack's size limits and the truncation that keeps every payload inside them.
- `blocks`: `format_..._blocks` / `format_...` functions returning `{"text": ..., "blocks": [...]}`.
- `delivery`: `SlackSender` (slack-sdk `WebClient` with retry handlers) and `create_sender`.
- `console`: `ConsoleSender`, used when no `SLACK_BOT_TOKEN` is set: prints, sends nothing.
- `outbox`: `OutboxItem`, `Outcome`, `send_pending`: at-least-once delivery, never posting twice.
- `render`: the store's queued payloads (data) to messages; `outbox_item` from a store outbox row.
"""

from dagster_project.slack.blocks import (
    format_escalation,
    format_exception_blocks,
    format_resolved_update,
    format_thread_reply,
)
from dagster_project.slack.console import ConsoleSender
from dagster_project.slack.delivery import DeliveryResult, SlackSender, create_sender
from dagster_project.slack.errors import (
    SlackChannelError,
    SlackConfigError,
    SlackDeliveryError,
    SlackMessageError,
    SlackScopeError,
    SlackTransientError,
    SlackUnavailableError,
)
from dagster_project.slack.escape import escape_mrkdwn
from dagster_project.slack.outbox import (
    OutboxItem,
    OutboxKind,
    Outcome,
    OutcomeStatus,
    raise_for_config_error,
    send_pending,
)
from dagster_project.slack.render import outbox_item, render_payload
from dagster_project.slack.settings import resolve_base_url

__all__ = [
    "ConsoleSender",
    "DeliveryResult",
    "OutboxItem",
    "OutboxKind",
    "Outcome",
    "OutcomeStatus",
    "SlackChannelError",
    "SlackConfigError",
    "SlackDeliveryError",
    "SlackMessageError",
    "SlackScopeError",
    "SlackSender",
    "SlackTransientError",
    "SlackUnavailableError",
    "create_sender",
    "escape_mrkdwn",
    "format_escalation",
    "format_exception_blocks",
    "format_resolved_update",
    "format_thread_reply",
    "outbox_item",
    "raise_for_config_error",
    "render_payload",
    "resolve_base_url",
    "send_pending",
]
