"""`send_pending` on its own, with stub senders: order, parents, stops, and no lost outcome."""

from __future__ import annotations

import pytest

from dagster_project.slack.errors import SlackConfigError, SlackTransientError, SlackUnavailableError
from dagster_project.slack.outbox import DeliveryResult, OutboxItem, OutboxKind, OutcomeStatus, send_pending

TEXT = {"text": "hello"}


class Stub:
    def __init__(self, *script):
        self.script = list(script)
        self.seen: list[OutboxItem] = []

    def deliver(self, item):
        self.seen.append(item)
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return DeliveryResult(sent=True, message_ts=step, channel_id="C1")


def item(item_id, kind=OutboxKind.POST, **extra):
    return OutboxItem(item_id, kind, "#ops", TEXT, **extra)


def test_parent_ts_flows_to_replies_and_edits_in_the_same_pass():
    stub = Stub("1.1", "1.2", "1.1")
    items = [item("p"), item("r", OutboxKind.REPLY, parent_id="p"), item("u", OutboxKind.UPDATE_PARENT, parent_id="p")]
    outcomes = send_pending(items, stub)
    assert [o.message_ts for o in outcomes] == ["1.1", "1.2", "1.1"]
    assert [i.thread_ts for i in stub.seen] == [None, "1.1", "1.1"]


def test_an_already_sent_parent_given_alongside_its_reply_supplies_the_ts():
    stub = Stub("2.1")
    outcomes = send_pending([item("p", message_ts="1.1"), item("r", OutboxKind.REPLY, parent_id="p")], stub)
    assert [o.status for o in outcomes] == [OutcomeStatus.SENT, OutcomeStatus.SENT]
    assert stub.seen[0].id == "r" and stub.seen[0].thread_ts == "1.1"


def test_a_transient_error_does_not_stop_the_pass_but_unavailability_does():
    stub = Stub(SlackTransientError("odd answer"), "1.2", SlackUnavailableError("down", retry_after=5))
    outcomes = send_pending([item("a"), item("b"), item("c"), item("d")], stub)
    assert [(o.status, o.reason) for o in outcomes] == [
        (OutcomeStatus.PENDING, "transient"),
        (OutcomeStatus.SENT, None),
        (OutcomeStatus.PENDING, "unavailable"),
        (OutcomeStatus.PENDING, "not_attempted"),
    ]
    assert outcomes[3].retry_after == 5 and outcomes[3].error == "not attempted: down"


def test_a_bug_in_a_sender_loses_no_outcome():
    stub = Stub("1.1", KeyError("ts"), "1.3")
    outcomes = send_pending([item("a"), item("b"), item("c")], stub)
    assert [o.status for o in outcomes] == [OutcomeStatus.SENT, OutcomeStatus.PENDING, OutcomeStatus.SENT]
    assert outcomes[1].attempted and outcomes[1].error == "unexpected error while delivering: KeyError"


def test_a_reply_without_any_parent_ts_waits():
    stub = Stub()
    [outcome] = send_pending([item("r", OutboxKind.REPLY)], stub)
    assert (outcome.status, outcome.reason, outcome.attempted) == (OutcomeStatus.PENDING, "waiting_for_parent", False)
    assert outcome.error == "waiting for the exception's parent message to be posted" and stub.seen == []


def test_config_error_stops_the_pass():
    outcomes = send_pending([item("a"), item("b")], Stub(SlackConfigError("SLACK_BOT_TOKEN is invalid")))
    assert [o.reason for o in outcomes] == ["config", "not_attempted"]


def test_items_are_checked_when_built():
    assert item("r", "thread_reply", thread_ts="1.1").kind is OutboxKind.REPLY
    assert item(7).id == "7"
    with pytest.raises(ValueError, match="fallback text"):
        OutboxItem("x", OutboxKind.POST, "#ops", {"blocks": []})
    with pytest.raises(ValueError):
        item("x", "carrier_pigeon")
