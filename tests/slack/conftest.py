"""Fixtures for the Slack tests: a fake Slack on loopback per test, senders pointed at it."""

from __future__ import annotations

import pytest
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator

from dagster_project.slack.delivery import SlackSender
from tests.slack.fake_slack import FakeSlack

# Looks like a real bot token, so a leak would be noticed by the token tests.
TOKEN = "xoxb-1111111111-2222222222-S3cr3tT0kenValue"


@pytest.fixture
def fake_slack(monkeypatch: pytest.MonkeyPatch):
    # urllib honours *_proxy variables; the fake must be reached directly.
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with FakeSlack(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def make_sender(fake_slack: FakeSlack):
    """A SlackSender on the fake with fast backoff (Retry-After waits stay real), overridable per test."""

    def make(token: str = TOKEN, **options) -> SlackSender:
        defaults = {"timeout": 2.0, "max_retries": 3, "retry_interval": FixedValueRetryIntervalCalculator(0.01)}
        return SlackSender(token, base_url=fake_slack.base_url, **{**defaults, **options})

    return make
