"""The bot token never shows: not in logs (slack-sdk's debug logs included), output, errors or reprs."""

from __future__ import annotations

import logging
import socket
import traceback

from slack_sdk.http_retry import FixedValueRetryIntervalCalculator

from dagster_project.slack.delivery import SlackSender
from dagster_project.slack.errors import SlackDeliveryError
from dagster_project.slack.outbox import OutboxItem, OutboxKind, send_pending
from tests.slack.conftest import TOKEN


def _item(item_id: str, channel: str = "#integrations", **extra) -> OutboxItem:
    return OutboxItem(item_id, OutboxKind.POST, channel, {"text": f"message {item_id}"}, **extra)


def test_token_never_appears_in_logs_output_or_errors(fake_slack, make_sender, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="slack_sdk")
    sender = make_sender(timeout=0.3)
    seen: list[str] = [repr(sender)]

    def run(*items: OutboxItem) -> None:
        seen.extend(repr(outcome) for outcome in send_pending(items, sender))
        for item in items:  # also the raw errors, with their whole chain, as a traceback would print them
            try:
                sender.deliver(item)
            except SlackDeliveryError as exc:
                seen.append("".join(traceback.format_exception(exc)))
                assert exc.__cause__ is None and exc.__context__ is None

    run(_item("ok"))
    fake_slack.rate_limit_next(1, retry_after=0)
    fake_slack.fail_next(1, status=503)
    run(_item("flaky"))
    fake_slack.delay_next(1, 0.6)
    run(_item("slow"), _item("slow-again", attempts=1))
    fake_slack.channel_error("finance-ops")
    run(_item("nowhere", channel="#finance-ops"))
    fake_slack.method_error("chat.postMessage", "missing_scope", needed="chat:write")
    run(_item("scope"))
    fake_slack.clear_faults()
    fake_slack.set_auth_error("invalid_auth")
    run(_item("auth"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = SlackSender(TOKEN, base_url=f"http://127.0.0.1:{port}/api/", timeout=0.3,
                         retry_interval=FixedValueRetryIntervalCalculator(0.01))  # fmt: skip
    run(_item("unreachable"))
    fake_slack.wait_idle()

    captured = capsys.readouterr()
    everything = "\n".join([caplog.text, captured.out, captured.err, *seen])
    assert "Sending a request" in caplog.text  # slack-sdk's debug logging was on, and was looked at
    assert TOKEN not in everything
    assert TOKEN.split("-")[-1] not in everything  # not even the secret part
