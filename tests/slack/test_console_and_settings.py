"""No token: the console and the outbox. Settings: token from the environment, base URL precedence."""

from __future__ import annotations

import io

import pytest
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from dagster_project.slack.blocks import format_exception_blocks
from dagster_project.slack.console import ConsoleSender
from dagster_project.slack.delivery import SlackSender, create_sender
from dagster_project.slack.errors import SlackConfigError
from dagster_project.slack.outbox import OutboxItem, OutboxKind, OutcomeStatus, send_pending
from dagster_project.slack.settings import resolve_base_url
from tests.slack.conftest import TOKEN
from tests.slack.outbox_sim import MemoryOutbox
from tests.slack.samples import HOSTILE_ORDER_ID, divergence, exception

PAYLOAD = format_exception_blocks(exception(), [divergence(HOSTILE_ORDER_ID + "\x1b[2J", 5.0)])


def test_console_sender_prints_and_keeps_items_pending(capsys):
    outbox = MemoryOutbox([OutboxItem("out-1", OutboxKind.POST, "#integrations", PAYLOAD)])
    outcomes = outbox.run_pass(create_sender(environ={}))
    assert [(o.status, o.reason, o.attempted) for o in outcomes] == [(OutcomeStatus.PENDING, "console", False)]
    assert "SLACK_BOT_TOKEN is not set" in outcomes[0].error
    assert outbox.status["out-1"] == "pending" and outbox.items["out-1"].attempts == 0
    printed = capsys.readouterr().out
    assert printed.startswith(
        "── Slack post_parent → #integrations · outbox out-1 · not sent (SLACK_BOT_TOKEN not set) ──\n"
    )
    assert "== :red_circle: Amount mismatch: mapping error ==" in printed
    assert "  Owner: integrations" in printed and "[Acknowledge] [Assign to me] [Resolve] [Replay (dry run)]" in printed
    # Readable on a terminal (entities decoded) but unable to drive it (escape sequences dropped).
    assert "`<!channel> <https:\u200b//x|y>[2J`" in printed and "\x1b" not in printed


def test_console_sender_writes_where_told():
    out = io.StringIO()
    item = OutboxItem("r", OutboxKind.REPLY, "C0INTEGRAT", {"text": "just text"}, thread_ts="1.000001")
    [outcome] = send_pending([item], ConsoleSender(out=out))
    assert outcome.status is OutcomeStatus.PENDING
    assert out.getvalue() == (
        "── Slack thread_reply → C0INTEGRAT (thread 1.000001) · outbox r · not sent (SLACK_BOT_TOKEN not set) ──\n"
        "just text\n\n"
    )


def test_create_sender_reads_the_token_when_called():
    assert isinstance(create_sender(environ={"SLACK_BOT_TOKEN": "  "}), ConsoleSender)
    sender = create_sender(environ={"SLACK_BOT_TOKEN": TOKEN}, base_url="https://proxy.example/slack/api")
    assert isinstance(sender, SlackSender) and sender.base_url == "https://proxy.example/slack/api/"
    assert TOKEN not in repr(sender) and repr(sender) == "SlackSender(base_url='https://proxy.example/slack/api/')"


def test_from_env_without_a_token_names_the_variable():
    with pytest.raises(SlackConfigError, match="SLACK_BOT_TOKEN is not set"):
        SlackSender.from_env(environ={})
    with pytest.raises(SlackConfigError, match="SLACK_BOT_TOKEN is empty"):
        SlackSender(" ")


def test_sender_uses_slack_sdk_retry_handlers():
    handlers = SlackSender(TOKEN)._client.retry_handlers
    assert [type(h).__mro__[1] for h in handlers[:2]] == [RateLimitErrorRetryHandler, ServerErrorRetryHandler]
    assert isinstance(handlers[2], ConnectionErrorRetryHandler)


def test_base_url_precedence_env_then_recon_yaml_then_slack():
    assert resolve_base_url(None, environ={}) == "https://slack.com/api/"
    assert resolve_base_url("https://gw.example/slack", environ={}) == "https://gw.example/slack/"
    env = {"RECON_SLACK_BASE_URL": "http://127.0.0.1:9999/api"}
    assert resolve_base_url("https://gw.example/slack", environ=env) == "http://127.0.0.1:9999/api/"
    assert resolve_base_url("http://localhost:1/api/", environ={}) == "http://localhost:1/api/"


@pytest.mark.parametrize(
    ("configured", "env", "message"),
    [
        ("ftp://x/api", {}, r"slack.base_url in recon.yaml: 'ftp://x/api' is not an http\(s\) URL"),
        ("http://proxy.internal/api", {}, "plain http to a non-loopback host"),
        (None, {"RECON_SLACK_BASE_URL": "https://user:pw@gw.example/api"}, "RECON_SLACK_BASE_URL: give the base URL"),
    ],
)
def test_bad_base_urls_name_the_setting(configured, env, message):
    with pytest.raises(SlackConfigError, match=message):
        resolve_base_url(configured, environ=env)
