"""The fake itself: loopback only, Slack's auth and limits, faults in order, quick to stop."""

from __future__ import annotations

import json
import time
import urllib.request
from urllib.error import HTTPError

import pytest

from tests.slack.conftest import TOKEN
from tests.slack.fake_slack import FakeSlack


def call(fake: FakeSlack, method: str, body: dict | None = None, token: str | None = TOKEN) -> tuple[int, dict | str]:
    request = urllib.request.Request(fake.base_url + method, data=json.dumps(body or {}).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status, raw = response.status, response.read()
    except HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except json.JSONDecodeError:
        return status, raw.decode()


def test_only_loopback():
    with pytest.raises(ValueError, match="loopback"):
        FakeSlack(host="0.0.0.0")


def test_auth_is_required(fake_slack):
    assert call(fake_slack, "auth.test", token=None) == (200, {"ok": False, "error": "not_authed"})
    assert call(fake_slack, "auth.test", token="xoxb-wrong")[1]["error"] == "invalid_auth"
    assert call(fake_slack, "auth.test")[1]["ok"] is True
    assert call(fake_slack, "files.upload")[0] == 404


def test_slack_limits_and_increasing_ts(fake_slack):
    _, big = call(
        fake_slack, "chat.postMessage", {"channel": "C0INTEGRAT", "text": "x", "blocks": [{"type": "divider"}] * 51}
    )
    assert big["error"] == "invalid_blocks"
    assert (
        call(fake_slack, "chat.postMessage", {"channel": "C0INTEGRAT", "text": "x" * 40_001})[1]["error"]
        == "msg_too_long"
    )
    first = call(fake_slack, "chat.postMessage", {"channel": "#integrations", "text": "a"})[1]
    second = call(fake_slack, "chat.postMessage", {"channel": "integrations", "text": "b", "thread_ts": first["ts"]})[1]
    assert float(second["ts"]) > float(first["ts"]) and first["channel"] == "C0INTEGRAT"
    assert [(m.text, m.thread_ts) for m in fake_slack.messages] == [("a", None), ("b", first["ts"])]
    # chat.update wants the id, like Slack
    by_name = call(fake_slack, "chat.update", {"channel": "#integrations", "ts": first["ts"], "text": "c"})
    assert by_name[1]["error"] == "channel_not_found"


def test_faults_are_consumed_in_order(fake_slack):
    fake_slack.rate_limit_next(1, retry_after=7)
    fake_slack.fail_next(1, status=503)
    assert call(fake_slack, "auth.test") == (429, {"ok": False, "error": "ratelimited"})
    status, page = call(fake_slack, "auth.test")
    assert status == 503 and page.startswith("<html>")  # as a proxy in front of Slack would answer
    assert call(fake_slack, "auth.test")[0] == 200
    assert [c.status for c in fake_slack.calls] == [429, 503, 200]


def test_stop_does_not_wait_for_a_held_back_answer():
    fake = FakeSlack(token=TOKEN).start()
    fake.delay_next(1, 10)
    request = urllib.request.Request(fake.base_url + "auth.test", data=b"", method="POST")
    request.add_header("Authorization", f"Bearer {TOKEN}")
    with pytest.raises(TimeoutError):
        urllib.request.urlopen(request, timeout=0.2)
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2
