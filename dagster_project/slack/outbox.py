"""The outbox's side of Slack delivery: items in, one outcome per item out.

The store owns the outbox table and its loop; it hands pending items to `send_pending` and writes
back each `Outcome`: `message_ts` and `channel_id` when sent, the error when not, and one more
attempt when `attempted`. Semantics:

- At least once: an item leaves the outbox only with a recorded `message_ts`.
- Never twice: an item with a `message_ts` is never posted again; an item with earlier attempts
  (one may have reached Slack before a timeout) is looked up in its channel or thread, by the key
  carried in the message's metadata, before it is posted again (see `SlackSender`).
- Replies and parent edits need the parent's ts: `thread_ts`, or `parent_id` naming an item of
  the same pass (give items in creation order); without either they wait.
- One bad token or an unreachable Slack stops the pass: the rest stays pending, not attempted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

from dagster_project.slack.errors import (
    SlackConfigError,
    SlackDeliveryError,
    SlackTransientError,
    SlackUnavailableError,
)

log = logging.getLogger(__name__)


class OutboxKind(StrEnum):
    """The store's outbox kinds (`slack_outbox.kind`)."""

    POST = "post_parent"  # a new exception's parent message, in the owner team's channel
    REPLY = "thread_reply"  # a reply in the parent's thread (new divergences, state changes)
    UPDATE_PARENT = "update_parent"  # the parent edited in place (state changes, resolve), by the parent's ts
    ESCALATION = "escalation"  # a new message in the owner team's escalation channel
    ALERT = "alert"  # a failed run or asset check, to the data team's channel; about no exception


class OutcomeStatus(StrEnum):
    SENT = "sent"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class OutboxItem:
    """One message waiting in the outbox.

    `payload` is `{"text": ..., "blocks": [...]}` from `blocks.py` (`render.outbox_item` builds it from
    the store's snapshot). For `thread_reply` and `update_parent`, `thread_ts` is the parent message's
    ts, or `parent_id` the parent's outbox id. `message_ts` is set once Slack accepted the item.
    `idempotency_key` (else `id`) goes into the message's metadata, to recognise it after a timeout.
    `owner_team` only improves error messages.
    """

    id: str
    kind: OutboxKind
    channel: str
    payload: Mapping[str, Any]
    thread_ts: str | None = None
    message_ts: str | None = None
    attempts: int = 0
    parent_id: str | None = None
    owner_team: str | None = None
    idempotency_key: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", str(self.id))
        object.__setattr__(self, "kind", OutboxKind(self.kind))
        if not self.id or not self.channel:
            raise ValueError(f"outbox item {self.id!r}: id and channel are required")
        if not (self.payload or {}).get("text"):
            raise ValueError(f"outbox item {self.id}: the payload needs a fallback text")

    @property
    def needs_parent(self) -> bool:
        return self.kind in (OutboxKind.REPLY, OutboxKind.UPDATE_PARENT)

    @property
    def delivery_key(self) -> str:
        return self.idempotency_key or self.id


@dataclass(frozen=True)
class DeliveryResult:
    """What a sender did with one item. `recovered`: found already posted by an earlier attempt."""

    sent: bool
    message_ts: str | None = None
    channel_id: str | None = None
    recovered: bool = False
    detail: str | None = None


class Sender(Protocol):
    def deliver(self, item: OutboxItem) -> DeliveryResult: ...


@dataclass(frozen=True)
class Outcome:
    """The result for one item. `reason` says why it was not sent: config, channel, message,
    unavailable, transient, console, waiting_for_parent, not_attempted. `attempted`: Slack may
    have acted on the item, so count an attempt (and the next try looks for it before posting);
    False when Slack certainly did nothing (no token, bad token, rate limited, not reached)."""

    item_id: str
    status: OutcomeStatus
    message_ts: str | None = None
    channel_id: str | None = None
    error: str | None = None
    reason: str | None = None
    attempted: bool = False
    retry_after: float | None = None
    recovered: bool = False


def send_pending(items: Iterable[OutboxItem], sender: Sender) -> list[Outcome]:
    """Deliver each item at most once; return one outcome per item, in order."""
    outcomes: list[Outcome] = []
    parent_ts: dict[str, str] = {}
    stopped: SlackDeliveryError | None = None
    for item in items:
        if item.message_ts:
            parent_ts[item.id] = item.message_ts
            outcomes.append(Outcome(item.id, OutcomeStatus.SENT, message_ts=item.message_ts))
            continue
        if stopped is not None:
            outcomes.append(_pending(item, f"not attempted: {stopped}", "not_attempted", stopped.retry_after))
            continue
        if item.needs_parent and not item.thread_ts:
            if item.parent_id not in parent_ts:
                parent = f" (outbox item {item.parent_id})" if item.parent_id else ""
                error = f"waiting for the exception's parent message{parent} to be posted"
                outcomes.append(_pending(item, error, "waiting_for_parent"))
                continue
            item = replace(item, thread_ts=parent_ts[item.parent_id])
        outcome = _send_one(item, sender)
        outcomes.append(outcome)
        if outcome.status is OutcomeStatus.SENT:
            parent_ts[item.id] = outcome.message_ts  # type: ignore[assignment]
        elif outcome.reason in ("config", "unavailable"):
            stopped = _stop_cause(outcome)
    return outcomes


def raise_for_config_error(outcomes: Iterable[Outcome]) -> None:
    """Raise the first configuration error among `outcomes` (its message names the setting to fix)."""
    for outcome in outcomes:
        if outcome.reason == "config":
            raise SlackConfigError(outcome.error or "Slack configuration error")


def _send_one(item: OutboxItem, sender: Sender) -> Outcome:
    try:
        result = sender.deliver(item)
    except SlackDeliveryError as exc:
        retry = isinstance(exc, SlackTransientError | SlackConfigError)
        status = OutcomeStatus.PENDING if retry else OutcomeStatus.FAILED
        log.warning("Slack: outbox item %s (%s to %s) %s: %s", item.id, item.kind, item.channel, status, exc)
        return Outcome(
            item.id,
            status,
            error=str(exc),
            reason=exc.reason,
            attempted=exc.maybe_delivered,
            retry_after=exc.retry_after,
        )
    except Exception as exc:  # a bug must not lose the outcomes of the items already sent in this pass
        log.exception("Slack: outbox item %s: unexpected error while delivering", item.id)
        error = f"unexpected error while delivering: {type(exc).__name__}"
        return Outcome(item.id, OutcomeStatus.PENDING, error=error, reason="transient", attempted=True)
    if not result.sent:
        return Outcome(item.id, OutcomeStatus.PENDING, error=result.detail, reason="console")
    log.info(
        "Slack: outbox item %s (%s) %s %s at ts %s",
        item.id,
        item.kind,
        "found already in" if result.recovered else "delivered to",
        result.channel_id or item.channel,
        result.message_ts,
    )
    return Outcome(
        item.id,
        OutcomeStatus.SENT,
        message_ts=result.message_ts,
        channel_id=result.channel_id,
        attempted=True,
        recovered=result.recovered,
    )


def _pending(item: OutboxItem, error: str, reason: str, retry_after: float | None = None) -> Outcome:
    return Outcome(item.id, OutcomeStatus.PENDING, error=error, reason=reason, retry_after=retry_after)


def _stop_cause(outcome: Outcome) -> SlackDeliveryError:
    cls = SlackConfigError if outcome.reason == "config" else SlackUnavailableError
    return cls(outcome.error or "", retry_after=outcome.retry_after)


def permalink(channel_id: str, message_ts: str) -> str:
    """A link to a sent message (and its thread) in Slack's archive format, which needs the channel's id, not its
    name: `https://slack.com/archives/<channel id>/p<ts without the dot>`."""
    return f"https://slack.com/archives/{channel_id}/p{message_ts.replace('.', '')}"
