"""Over real HTTP: a signed click acknowledges the exception and edits its message; a request that is unsigned,
signed with another secret, or stale (Slack's 5-minute window) gets 401 and changes nothing."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from dagster_project.store import Store
from dagster_project.store.models import SlackOutbox
from tests.slack.fake_slack import FakeMessage, FakeSlack
from tests.slack_app.interactions import T1, SlackPoster, button_click, sign
from tests.store.rows import T0, audit, dump, exception

OPENED = (1, 1, "system:sync", "opened", None, "open", None)


def outbox_status(store: Store) -> list[tuple]:
    with store.session() as session:
        return [(m.id, m.kind, m.status) for m in session.scalars(select(SlackOutbox).order_by(SlackOutbox.id))]


def status_field(message: FakeMessage) -> str:
    fields = next(block["fields"] for block in message.blocks if block.get("fields"))
    return next(f["text"] for f in fields if f["text"].startswith("*Status*"))


def test_a_signed_click_on_acknowledge_acknowledges_and_edits_the_message(
    served, slack: SlackPoster, store: Store, fake_slack: FakeSlack, posted: FakeMessage
):
    assert status_field(posted) == "*Status*\nopen"

    assert slack.post(button_click("recon_ack", "1")) == (200, "")
    served.settle()

    row = exception(store)
    assert (row.state, row.acknowledged_by, row.acknowledged_at, row.assignee, row.updated_at, row.opened_at) == (
        "acknowledged",
        "slack:U0ASHA",
        T1,
        None,
        T1,
        T0,
    )
    assert audit(store) == [OPENED, (2, 1, "slack:U0ASHA", "acknowledged", "open", "acknowledged", None)]
    assert outbox_status(store) == [(1, "post_parent", "sent"), (2, "update_parent", "sent")]
    [parent] = fake_slack.messages
    assert (parent.ts, parent.edits) == (posted.ts, 1)
    assert status_field(parent) == "*Status*\nacknowledged by slack:U0ASHA"
    assert fake_slack.ephemerals == []


def _unsigned(slack: SlackPoster, body: dict) -> tuple[int, str]:
    return slack.post(body, signed=False)


def _wrong_secret(slack: SlackPoster, body: dict) -> tuple[int, str]:
    return slack.post(body, secret="0" * 32)


def _stale(slack: SlackPoster, body: dict) -> tuple[int, str]:
    return slack.post(body, timestamp=int(time.time()) - 5 * 60 - 30)


def _from_the_future(slack: SlackPoster, body: dict) -> tuple[int, str]:
    return slack.post(body, timestamp=int(time.time()) + 5 * 60 + 30)


def _signature_of_another_body(slack: SlackPoster, body: dict) -> tuple[int, str]:
    stamp = str(int(time.time()))
    return slack.post(body, timestamp=int(stamp), signature=sign(slack.secret, stamp, b"payload=%7B%7D"))


@pytest.mark.parametrize(
    "send", [_unsigned, _wrong_secret, _stale, _from_the_future, _signature_of_another_body], ids=lambda f: f.__name__
)
def test_a_request_slack_did_not_sign_just_now_gets_401_and_changes_nothing(
    send, served, slack: SlackPoster, store: Store, fake_slack: FakeSlack
):
    before, calls = dump(store), len(fake_slack.calls)

    assert send(slack, button_click("recon_ack", "1")) == (401, '{"error": "invalid request"}')
    served.settle()

    assert dump(store) == before
    assert len(audit(store)) == 1
    assert len(fake_slack.calls) == calls  # no Slack call either: no edit, no ephemeral
    assert exception(store).state == "open"
