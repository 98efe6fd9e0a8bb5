"""Delivery against the loopback Slack fake: posts, threads, edits, faults, and never a double post."""

from __future__ import annotations

import socket
import time

import pytest
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator

from dagster_project.slack.blocks import format_exception_blocks, format_resolved_update, format_thread_reply
from dagster_project.slack.delivery import SlackSender
from dagster_project.slack.errors import SlackChannelError, SlackConfigError
from dagster_project.slack.outbox import OutboxItem, OutboxKind, OutcomeStatus, raise_for_config_error, send_pending
from tests.slack.conftest import TOKEN
from tests.slack.outbox_sim import MemoryOutbox
from tests.slack.samples import HOSTILE_ORDER_ID, divergence, divergences, exception

PARENT = format_exception_blocks(exception(), [divergence("ORD-1", 10.0), divergence(HOSTILE_ORDER_ID, 5.0)])


def post(item_id: str = "out-1", channel: str = "#integrations", **extra) -> OutboxItem:
    return OutboxItem(item_id, OutboxKind.POST, channel, PARENT, owner_team="integrations", **extra)


def reply(item_id: str, *, channel: str = "#integrations", **extra) -> OutboxItem:
    payload = format_thread_reply(exception(), status_change={"to_status": "ack", "actor": "asha"})
    return OutboxItem(item_id, OutboxKind.REPLY, channel, payload, owner_team="integrations", **extra)


def update(item_id: str, *, channel: str = "#integrations", **extra) -> OutboxItem:
    payload = format_resolved_update(exception(), [divergence("ORD-1", 10.0)], resolved_by="ravi")
    return OutboxItem(item_id, OutboxKind.UPDATE_PARENT, channel, payload, owner_team="integrations", **extra)


def outbox_ids(fake) -> list[str]:
    return [m.metadata["event_payload"]["outbox_id"] for m in fake.messages]


# ---------------------------------------------------------------- the happy paths


def test_post_reply_and_edit_in_place(fake_slack, make_sender):
    sender = make_sender()
    outbox = MemoryOutbox([post("p"), reply("r", parent_id="p"), update("u", parent_id="p")])
    assert outbox.run_until_sent(sender) == 1

    parent, answer = fake_slack.messages
    assert parent.channel == "C0INTEGRAT" and parent.thread_ts is None
    assert answer.thread_ts == parent.ts and answer.ts > parent.ts
    assert outbox.items["p"].message_ts == parent.ts and outbox.items["r"].message_ts == answer.ts
    # The parent was edited, not reposted: its blocks are now the resolved version.
    assert parent.edits == 1 and parent.blocks[0]["text"]["text"].startswith(":white_check_mark: Resolved")
    assert outbox.items["u"].message_ts == parent.ts and outbox.channel_ids["u"] == "C0INTEGRAT"
    assert parent.text.startswith("Resolved by ravi: amount_mismatch")
    # chat.update needs the channel id: the sender learnt it from the first post, no conversations.list.
    assert [c.method for c in fake_slack.calls] == ["chat.postMessage", "chat.postMessage", "chat.update"]


def test_edit_by_channel_name_looks_the_id_up(fake_slack, make_sender):
    sender = make_sender()
    [posted] = send_pending([post("p", channel="C0INTEGRAT")], sender)
    [edited] = send_pending([update("u", channel="#integrations", thread_ts=posted.message_ts)], make_sender())
    assert edited.status is OutcomeStatus.SENT and edited.message_ts == posted.message_ts
    assert [c.method for c in fake_slack.calls] == ["chat.postMessage", "conversations.list", "chat.update"]


def test_post_carries_blocks_fallback_text_and_the_outbox_id(fake_slack, make_sender):
    [outcome] = send_pending([post("out-9", channel="C0INTEGRAT")], make_sender())
    assert outcome.status is OutcomeStatus.SENT and outcome.attempted and outcome.channel_id == "C0INTEGRAT"
    [message] = fake_slack.messages
    assert message.text == PARENT["text"] and message.blocks == PARENT["blocks"]
    assert message.metadata == {"event_type": "recon_outbox", "event_payload": {"outbox_id": "out-9", "key": "out-9"}}
    assert message.ts == outcome.message_ts


def test_hostile_order_id_arrives_escaped(fake_slack, make_sender):
    send_pending([post()], make_sender())
    [message] = fake_slack.messages
    top = message.blocks[4]["text"]["text"]
    assert "`&lt;!channel&gt; &lt;https:\u200b//x|y&gt;`" in top
    assert "<!channel>" not in str(message.blocks) and "<https://x|y>" not in str(message.blocks)


def test_an_item_with_a_recorded_ts_is_never_posted_again(fake_slack, make_sender):
    outcomes = send_pending([post(message_ts="1760000001.000001", attempts=3)], make_sender())
    assert outcomes[0].status is OutcomeStatus.SENT and outcomes[0].message_ts == "1760000001.000001"
    assert not outcomes[0].attempted and fake_slack.calls == []


def test_a_reply_waits_for_its_parent(fake_slack, make_sender):
    fake_slack.channel_error("integrations", "not_in_channel")
    outcomes = send_pending([post("p"), reply("r", parent_id="p")], make_sender())
    assert [o.status for o in outcomes] == [OutcomeStatus.FAILED, OutcomeStatus.PENDING]
    assert outcomes[1].reason == "waiting_for_parent" and not outcomes[1].attempted
    assert "invite it to the channel" in outcomes[0].error and "owners.integrations.channel" in outcomes[0].error


# ---------------------------------------------------------------- rate limits and server errors


def test_ratelimited_then_recovery_waits_retry_after_and_posts_once(fake_slack, make_sender):
    fake_slack.rate_limit_next(1, retry_after=1)
    started = time.monotonic()
    [outcome] = send_pending([post()], make_sender())
    elapsed = time.monotonic() - started
    assert outcome.status is OutcomeStatus.SENT
    assert 1.0 <= elapsed < 5.0  # Retry-After: 1, plus slack-sdk's jitter of under a second
    assert [(c.method, c.status) for c in fake_slack.calls] == [("chat.postMessage", 429), ("chat.postMessage", 200)]
    assert len(fake_slack.messages) == 1


def test_a_long_retry_after_is_left_to_the_outbox_instead_of_blocking(fake_slack, make_sender):
    fake_slack.rate_limit_next(1, retry_after=30)
    started = time.monotonic()
    outcomes = send_pending([post("a"), post("b")], make_sender(max_rate_limit_wait=5))
    assert time.monotonic() - started < 1.0
    assert [(o.status, o.reason) for o in outcomes] == [
        (OutcomeStatus.PENDING, "unavailable"),
        (OutcomeStatus.PENDING, "not_attempted"),
    ]
    assert outcomes[0].retry_after == 30 and outcomes[1].retry_after == 30
    assert "rate limiting" in outcomes[0].error and len(fake_slack.calls) == 1


def test_503_refusals_are_retried_in_the_call(fake_slack, make_sender):
    fake_slack.fail_next(2, status=503)
    [outcome] = send_pending([post()], make_sender())
    assert outcome.status is OutcomeStatus.SENT
    assert [c.status for c in fake_slack.calls] == [503, 503, 200]
    assert len(fake_slack.messages) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_post_that_may_have_happened_goes_back_to_the_outbox_and_is_looked_up(fake_slack, make_sender, status):
    fake_slack.fail_next(1, status=status)
    outbox = MemoryOutbox([post("p", channel="C0INTEGRAT")])
    [first] = outbox.run_pass(make_sender())
    assert (first.status, first.reason, first.attempted) == (OutcomeStatus.PENDING, "unavailable", True)
    assert f"HTTP {status}" in first.error
    [second] = outbox.run_pass(make_sender())
    assert second.status is OutcomeStatus.SENT and not second.recovered
    assert [(c.method, c.status) for c in fake_slack.calls] == [
        ("chat.postMessage", status),
        ("conversations.history", 200),
        ("chat.postMessage", 200),
    ]
    assert len(fake_slack.messages) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_idempotent_calls_are_retried_on_every_server_error(fake_slack, make_sender, status):
    sender = make_sender()
    [posted] = send_pending([post("p")], sender)
    fake_slack.fail_next(2, status=status)
    [edited] = send_pending([update("u", thread_ts=posted.message_ts)], sender)
    assert edited.status is OutcomeStatus.SENT
    assert [c.status for c in fake_slack.calls_to("chat.update")] == [status, status, 200]


def test_acceptance_429_then_500_for_a_while_every_message_exactly_once(fake_slack, make_sender):
    """Slack rate limits, then fails for longer than one pass's retries; the outbox loop keeps going."""
    fake_slack.rate_limit_next(2, retry_after=1)
    fake_slack.fail_next(6, status=500)
    fake_slack.fail_next(2, status=503)
    sender = make_sender(max_retries=1)
    items = [post("p1"), reply("r1", parent_id="p1"), post("p2"), update("u1", parent_id="p1"), post("p3")]
    outbox = MemoryOutbox(items)

    passes = outbox.run_until_sent(sender, max_passes=10)

    assert passes > 1
    assert sorted(outbox_ids(fake_slack)) == ["p1", "p2", "p3", "r1"]  # each posted exactly once
    assert len(fake_slack.messages) == 4
    parent = next(m for m in fake_slack.messages if m.metadata["event_payload"]["outbox_id"] == "p1")
    assert parent.edits == 1 and fake_slack.replies(parent.ts)[0].metadata["event_payload"]["outbox_id"] == "r1"
    assert all(outbox.items[i].message_ts for i in ("p1", "r1", "p2", "u1", "p3"))


# ---------------------------------------------------------------- timeouts: maybe posted, never twice


def test_timeout_leaves_the_item_pending_and_the_retry_does_not_post_twice(fake_slack, make_sender):
    fake_slack.delay_next(1, 1.0)  # Slack does the work, the answer comes after the client gave up
    sender = make_sender(timeout=0.3)
    outbox = MemoryOutbox([post("p"), post("q")])

    first = outbox.run_pass(sender)
    assert [(o.status, o.reason) for o in first] == [
        (OutcomeStatus.PENDING, "unavailable"),
        (OutcomeStatus.PENDING, "not_attempted"),
    ]
    assert "did not answer chat.postMessage in time" in first[0].error
    assert outbox.items["p"].attempts == 1 and outbox.items["q"].attempts == 0
    assert len(fake_slack.messages) == 1  # it was posted after all

    second = outbox.run_pass(sender)
    assert [o.status for o in second] == [OutcomeStatus.SENT, OutcomeStatus.SENT]
    assert second[0].recovered and second[0].message_ts == fake_slack.messages[0].ts
    assert sorted(outbox_ids(fake_slack)) == ["p", "q"]
    assert fake_slack.wait_idle()


def test_timeout_on_a_reply_is_found_in_the_thread(fake_slack, make_sender):
    sender = make_sender(timeout=0.3)
    outbox = MemoryOutbox([post("p"), reply("r", parent_id="p")])
    fake_slack.delay_next(1, 1.0, methods=["chat.postMessage"])
    outbox.run_pass(sender)  # the parent times out (posted anyway); the reply waits for its ts
    fake_slack.delay_next(1, 1.0, methods=["chat.postMessage"])
    outbox.run_pass(sender)  # the parent is found; the reply times out (posted anyway)
    outbox.run_until_sent(sender)
    assert sorted(outbox_ids(fake_slack)) == ["p", "r"]
    assert "conversations.replies" in [c.method for c in fake_slack.calls]


def test_an_earlier_attempt_that_never_arrived_is_posted(fake_slack, make_sender):
    [outcome] = send_pending([post(attempts=2)], make_sender())
    assert outcome.status is OutcomeStatus.SENT and not outcome.recovered
    assert [c.method for c in fake_slack.calls] == ["conversations.list", "conversations.history", "chat.postMessage"]


def test_without_history_scope_the_retry_falls_back_to_posting(fake_slack, make_sender, caplog):
    fake_slack.method_error("conversations.history", "missing_scope", needed="channels:history")
    [outcome] = send_pending([post(channel="C0INTEGRAT", attempts=1)], make_sender())
    assert outcome.status is OutcomeStatus.SENT
    assert "lacks the OAuth scope channels:history" in caplog.text and "posting it again" in caplog.text


def test_unreachable_slack_keeps_everything_pending():
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = SlackSender(
        TOKEN,
        base_url=f"http://127.0.0.1:{port}/api/",
        timeout=0.5,
        retry_interval=FixedValueRetryIntervalCalculator(0.01),
    )
    outcomes = send_pending([post("a"), post("b")], sender)
    assert [o.reason for o in outcomes] == ["unavailable", "not_attempted"]
    assert "cannot reach Slack at http://127.0.0.1" in outcomes[0].error


# ---------------------------------------------------------------- configuration errors


def test_invalid_auth_names_the_setting_and_loses_nothing(fake_slack, make_sender):
    sender = make_sender(token="xoxb-revoked-token")
    with pytest.raises(SlackConfigError) as caught:
        sender.deliver(post())
    assert str(caught.value) == (
        "SLACK_BOT_TOKEN is invalid or revoked (invalid_auth): set a valid bot token (xoxb-...) in the environment"
    )
    outbox = MemoryOutbox([post("a"), post("b"), post("c")])
    outcomes = outbox.run_pass(sender)
    assert [(o.status, o.reason, o.attempted) for o in outcomes] == [
        (OutcomeStatus.PENDING, "config", False),  # Slack did nothing: no attempt used up
        (OutcomeStatus.PENDING, "not_attempted", False),
        (OutcomeStatus.PENDING, "not_attempted", False),
    ]
    assert all("SLACK_BOT_TOKEN" in o.error for o in outcomes)
    with pytest.raises(SlackConfigError, match="SLACK_BOT_TOKEN is invalid or revoked"):
        raise_for_config_error(outcomes)
    assert fake_slack.messages == [] and len(fake_slack.calls) == 2

    # Fixed token: everything goes out, once.
    assert outbox.run_until_sent(make_sender()) == 1
    assert sorted(outbox_ids(fake_slack)) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("not_authed", "SLACK_BOT_TOKEN was not accepted (not_authed)"),
        ("account_inactive", "SLACK_BOT_TOKEN belongs to a deleted user or app (account_inactive)"),
        ("token_revoked", "SLACK_BOT_TOKEN has been revoked (token_revoked)"),
    ],
)
def test_other_auth_errors(fake_slack, make_sender, code, expected):
    fake_slack.set_auth_error(code)
    with pytest.raises(SlackConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        make_sender().check_auth()


def test_missing_scope_names_the_scope(fake_slack, make_sender):
    fake_slack.method_error("chat.postMessage", "missing_scope", needed="chat:write")
    [outcome] = send_pending([post()], make_sender())
    assert outcome.reason == "config" and "lacks the OAuth scope chat:write" in outcome.error


def test_channel_not_found_fails_permanently_naming_channel_and_setting(fake_slack, make_sender):
    fake_slack.channel_error("finance-ops", "channel_not_found")
    items = [
        OutboxItem("f", OutboxKind.POST, "#finance-ops", PARENT, owner_team="finance_ops"),
        OutboxItem("e", OutboxKind.ESCALATION, "#finance-ops", PARENT, owner_team="finance_ops"),
        post("ok"),
    ]
    outcomes = send_pending(items, make_sender())
    assert [o.status for o in outcomes] == [OutcomeStatus.FAILED, OutcomeStatus.FAILED, OutcomeStatus.SENT]
    assert outcomes[0].error == (
        "Slack channel #finance-ops was not found (channel_not_found): set owners.finance_ops.channel in recon.yaml "
        "to an existing channel the bot can see"
    )
    assert "owners.finance_ops.escalation_channel" in outcomes[1].error
    with pytest.raises(SlackChannelError):
        make_sender().deliver(items[0])


def test_update_of_an_unknown_channel_name_fails_permanently(fake_slack, make_sender):
    [outcome] = send_pending([update("u", channel="#no-such-channel", thread_ts="1.000001")], make_sender())
    assert outcome.status is OutcomeStatus.FAILED and "#no-such-channel was not found" in outcome.error


def test_payload_slack_refuses_fails_permanently(fake_slack, make_sender):
    too_many = {"text": "x", "blocks": [{"type": "divider"}] * 51}
    too_long = {"text": "x" * 40_001}
    items = [
        OutboxItem("b", OutboxKind.POST, "C0INTEGRAT", too_many),
        OutboxItem("t", OutboxKind.POST, "C0INTEGRAT", too_long),
    ]
    outcomes = send_pending(items, make_sender())
    assert [(o.status, o.reason) for o in outcomes] == [(OutcomeStatus.FAILED, "message")] * 2
    assert "(invalid_blocks)" in outcomes[0].error and "(msg_too_long)" in outcomes[1].error


def test_500_orders_go_through_the_fake_in_one_message(fake_slack, make_sender):
    exc = exception(divergence_count=None, order_count=None)
    items = [
        OutboxItem("p", OutboxKind.POST, "C0INTEGRAT", format_exception_blocks(exc, divergences(500))),
        OutboxItem(
            "r",
            OutboxKind.REPLY,
            "C0INTEGRAT",
            format_thread_reply(exc, new_divergences=divergences(500), max_listed=None),
            parent_id="p",
        ),
    ]
    outcomes = send_pending(items, make_sender())
    assert [o.status for o in outcomes] == [OutcomeStatus.SENT, OutcomeStatus.SENT]
    assert len(fake_slack.messages[1].blocks) == 50
