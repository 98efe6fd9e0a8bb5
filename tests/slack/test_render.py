"""The store's queued payloads (data) become the right Slack message, and go out through the fake."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from dagster_project.slack.limits import limit_violations
from dagster_project.slack.outbox import OutboxKind, OutcomeStatus, send_pending
from dagster_project.slack.render import outbox_item, render_payload
from tests.slack.samples import HOSTILE_ORDER_ID

NOW = datetime(2026, 2, 10, 6, 0, tzinfo=UTC)


def brief(order_id: str, exposure: str, summary: str) -> dict:
    return {
        "divergence_id": f"d-{order_id}",
        "order_id": order_id,
        "status": "open",
        "severity": "high",
        "exposure_amount": exposure,
        "currency": "INR",
        "divergence_start": "2026-02-09T20:27:56.000000Z",
        "resolved_at": None,
        "summary": summary,
    }


TOP = [brief("ORD-0000839", "98901.00", "ERP amount is 100x."), brief(HOSTILE_ORDER_ID, "49450.50", "x <!here>")]


def snapshot(**overrides) -> dict:
    """Shaped like `store.payloads.exception_snapshot`: counts as ints, amounts as text, times ISO."""
    base = {
        "exception_id": 42,
        "fingerprint": "fp-42",
        "cluster_id": "7647d7da",
        "state": "open",
        "occurrence": 1,
        "severity": "high",
        "owner_team": "integrations",
        "channel": "#integrations",
        "rule": "amount_mismatch",
        "classification": "mapping_error",
        "carrier": "parcelwave",
        "zone": "B",
        "payment_mode": None,
        "system": None,
        "opened_at": "2026-02-09T20:30:00.000000Z",
        "sla_due_at": "2026-02-10T00:30:00.000000Z",
        "escalation_step": 0,
        "acknowledged_by": None,
        "assignee": None,
        "closed_reason": None,
        "divergences": 9,
        "open_divergences": 9,
        "orders": 7,
        "exposure_amount": "148351.50",
        "currency": "INR",
        "top_divergences": TOP,
    }
    return {**base, **overrides}


def section_texts(payload: dict) -> list[str]:
    return [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]


def test_opened_parent_uses_the_snapshot_counts():
    payload = render_payload("post_parent", {"event": "opened", "exception": snapshot()}, now=NOW)
    assert payload["text"] == (
        "[high] amount_mismatch (mapping error) for integrations: 9 divergences in 7 orders, "
        "INR 148,351.50 at risk, SLA due 2026-02-10 00:30 UTC"
    )
    top = section_texts(payload)[1]
    assert top.startswith("*Top 2 of 7 orders by exposure*\n• `ORD-0000839` · INR 98,901.00 · ERP amount is 100x.")
    assert "`&lt;!channel&gt; &lt;https:\u200b//x|y&gt;` · INR 49,450.50 · x &lt;!here&gt;" in top
    assert payload["blocks"][5]["elements"][0]["text"] == "…and 5 more orders not shown"
    assert {b["value"] for b in payload["blocks"][-1]["elements"]} == {"42"}


def test_attached_reply_counts_the_divergences_it_was_not_given():
    payload = {"event": "attached", "exception": snapshot(), "count": 12, "divergences": TOP}
    message = render_payload("thread_reply", payload, now=NOW)
    assert section_texts(message)[0] == "*12 new divergences* joined this exception"
    assert message["blocks"][-1]["elements"][0]["text"].startswith("…and 10 more not shown")
    assert message["text"].endswith("ORD-0000839, &lt;!channel&gt; &lt;https:\u200b//x|y&gt; and 10 more")


def test_reopened_reply():
    payload = {"event": "reopened", "exception": snapshot(), "count": 1, "divergences": TOP[:1]}
    message = render_payload("thread_reply", payload, now=NOW)
    assert section_texts(message)[:2] == [
        ":arrows_counterclockwise: *Reopened*",
        "*1 new divergence* joined this exception · INR 98,901.00 more at risk",
    ]


@pytest.mark.parametrize(
    ("state", "extra", "status"),
    [
        ("acknowledged", {"acknowledged_by": "asha"}, "acknowledged by asha"),
        ("assigned", {"assignee": "ravi"}, "assigned to ravi"),
        ("open", {}, "open"),
    ],
)
def test_parent_edits_while_open_show_who_holds_it(state, extra, status):
    payload = {"event": state, "actor": "asha", "exception": snapshot(state=state, **extra)}
    message = render_payload("update_parent", payload, now=NOW)
    assert {"type": "mrkdwn", "text": f"*Status*\n{status}"} in message["blocks"][1]["fields"]
    assert message["blocks"][-1]["type"] == "actions"


def test_parent_edit_on_resolve():
    payload = {"event": "resolved", "actor": "ravi", "reason": "fixed the ERP minor units",
               "exception": snapshot(state="resolved", closed_reason="fixed the ERP minor units")}  # fmt: skip
    message = render_payload("update_parent", payload, now=NOW)
    assert (
        message["text"]
        == "Resolved by ravi: amount_mismatch (mapping error) for integrations, 9 divergences in 7 orders"
    )
    assert section_texts(message)[0] == ":white_check_mark: *Resolved* by ravi\n>fixed the ERP minor units"
    assert all(b["type"] != "actions" for b in message["blocks"])


def test_parent_edit_on_auto_resolve_and_ignore():
    auto = render_payload(
        "update_parent",
        {
            "event": "auto_resolved",
            "exception": snapshot(state="auto_resolved", closed_reason="every divergence resolved"),
        },
        now=NOW,
    )
    assert section_texts(auto)[0] == ":white_check_mark: *Auto-resolved*: the systems agree again"
    assert auto["text"].startswith("Resolved automatically: amount_mismatch")
    ignored = render_payload(
        "update_parent",
        {
            "event": "ignored",
            "actor": "asha",
            "reason": "test orders",
            "exception": snapshot(state="ignored_with_reason"),
        },
        now=NOW,
    )
    assert ignored["blocks"][0]["text"]["text"] == ":no_entry_sign: Ignored: Amount mismatch: mapping error"
    assert section_texts(ignored)[0] == ":no_entry_sign: *Ignored* by asha\n>test orders"
    assert ignored["text"].startswith("Ignored by asha: amount_mismatch")


def test_escalation():
    payload = {"event": "escalated", "step": 1, "steps": 2, "due_at": "2026-02-10T00:30:00.000000Z",
               "exception": snapshot()}  # fmt: skip
    message = render_payload("escalation", payload, now=NOW)
    assert section_texts(message)[0] == (
        "*integrations* has not acknowledged this high exception: SLA was due 2026-02-10 00:30 UTC "
        "(5 h 30 min ago). Escalation step 1 of 2."
    )


def test_every_rendering_is_inside_slacks_limits():
    payloads = [
        ("post_parent", {"event": "opened", "exception": snapshot()}),
        ("thread_reply", {"event": "attached", "exception": snapshot(), "count": 900, "divergences": TOP * 300}),
        ("update_parent", {"event": "resolved", "actor": "x" * 5000, "exception": snapshot(state="resolved")}),
        ("escalation", {"event": "escalated", "step": 3, "exception": snapshot(owner_team="o" * 5000)}),
    ]
    for kind, payload in payloads:
        assert limit_violations(render_payload(kind, payload, now=NOW)) == [], kind


def test_a_ready_message_is_kept_and_nonsense_refused():
    assert render_payload("post_parent", {"text": "hi"}, now=NOW) == {"text": "hi"}
    with pytest.raises(ValueError, match="exception snapshot or a Slack message text"):
        render_payload("post_parent", {"event": "opened"}, now=NOW)


@dataclass(frozen=True)
class StoreMessage:
    """Shaped like `store.outbox.OutboxMessage`."""

    id: int
    exception_id: int
    kind: str
    channel: str
    idempotency_key: str
    payload: dict[str, Any] = field(default_factory=dict)
    status: str = "pending"
    attempts: int = 0
    parent_ts: str | None = None


def test_store_messages_go_out_through_the_fake(fake_slack, make_sender):
    sender = make_sender()
    parent = StoreMessage(1, 42, "post_parent", "#integrations", "fp-42:post_parent:opened",
                          {"event": "opened", "exception": snapshot()})  # fmt: skip
    [sent] = send_pending([outbox_item(parent, now=NOW)], sender)
    assert sent.status is OutcomeStatus.SENT

    later = [
        StoreMessage(2, 42, "thread_reply", "#integrations", "fp-42:thread_reply:attached:ab",
                     {"event": "attached", "exception": snapshot(), "count": 2, "divergences": TOP},
                     parent_ts=sent.message_ts),
        StoreMessage(3, 42, "update_parent", "#integrations", "fp-42:update_parent:1:resolve:7",
                     {"event": "resolved", "actor": "ravi", "exception": snapshot(state="resolved")},
                     parent_ts=sent.message_ts),
        StoreMessage(4, 42, "thread_reply", "#integrations", "fp-42:thread_reply:x", {"event": "attached",
                     "exception": snapshot(), "count": 1, "divergences": TOP[:1]}),  # parent unknown: waits
    ]  # fmt: skip
    items = [outbox_item(m, now=NOW) for m in later]
    assert items[0].kind is OutboxKind.REPLY and items[0].owner_team == "integrations"
    outcomes = send_pending(items, sender)
    assert [o.status for o in outcomes] == [OutcomeStatus.SENT, OutcomeStatus.SENT, OutcomeStatus.PENDING]
    parent_message, reply_message = fake_slack.messages
    assert reply_message.thread_ts == parent_message.ts
    assert parent_message.edits == 1 and parent_message.text.startswith("Resolved by ravi")
    assert reply_message.metadata["event_payload"] == {"outbox_id": "2", "key": "fp-42:thread_reply:attached:ab"}
