"""The fake Slack's methods for the Slack app: views.open, chat.postEphemeral, apps.connections.open."""

from __future__ import annotations

from tests.slack.conftest import TOKEN
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_fake_slack import call

MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Resolve exception"}, "blocks": []}


def test_views_open_takes_each_trigger_once(fake_slack: FakeSlack):
    status, opened = call(fake_slack, "views.open", {"trigger_id": "t-1", "view": MODAL})
    assert (status, opened["ok"], opened["view"]["title"], opened["view"]["id"]) == (
        200,
        True,
        MODAL["title"],
        "VFAKE000001",
    )
    assert call(fake_slack, "views.open", {"trigger_id": "t-1", "view": MODAL})[1] == {
        "ok": False,
        "error": "exchanged_trigger_id",
    }
    assert call(fake_slack, "views.open", {"view": MODAL})[1]["error"] == "invalid_arguments"
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    assert call(fake_slack, "views.open", {"trigger_id": "t-2", "view": long_title})[1] == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": ["must be less than 25 characters [json-pointer:/view/title/text]"]},
    }
    assert [(v.id, v.trigger_id, v.view) for v in fake_slack.views] == [("VFAKE000001", "t-1", MODAL)]


def test_ephemerals_are_recorded_not_posted(fake_slack: FakeSlack):
    assert call(fake_slack, "chat.postEphemeral", {"channel": "#cx-ops", "user": "U1", "text": "only you"})[1] == {
        "ok": True,
        "message_ts": "1760000001.000001",
    }
    assert call(fake_slack, "chat.postEphemeral", {"channel": "C0CXOPS001", "text": "x"})[1]["error"] == (
        "user_not_found"
    )
    assert call(fake_slack, "chat.postEphemeral", {"channel": "#nowhere", "user": "U1", "text": "x"})[1]["error"] == (
        "channel_not_found"
    )
    assert [(e.channel, e.user, e.text) for e in fake_slack.ephemerals] == [("C0CXOPS001", "U1", "only you")]
    assert fake_slack.messages == []


def test_socket_mode_urls_go_to_the_app_token_only(fake_slack: FakeSlack):
    assert call(fake_slack, "apps.connections.open", token=TOKEN)[1]["error"] == "not_allowed_token_type"
    assert call(fake_slack, "apps.connections.open", token="xapp-other")[1]["error"] == "invalid_auth"
    assert call(fake_slack, "apps.connections.open", token=None)[1]["error"] == "not_authed"
    assert call(fake_slack, "apps.connections.open", token=fake_slack.app_token)[1]["error"] == "internal_error"
    fake_slack.socket_mode_url = "ws://127.0.0.1:9/link"
    assert call(fake_slack, "apps.connections.open", token=fake_slack.app_token)[1] == {
        "ok": True,
        "url": "ws://127.0.0.1:9/link",
    }
