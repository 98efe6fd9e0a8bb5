"""Assign to me, Resolve (modal, reason, field error), and refused clicks answered with the store's own words."""

from __future__ import annotations

import http.client
import json
import logging
import threading
from urllib.parse import urlsplit

from dagster_project.store import Store, acknowledge, resolve
from tests.slack.fake_slack import FakeSlack
from tests.slack_app.interactions import CHANNEL, T1, SlackPoster, answer, button_click, view_submission
from tests.slack_app.test_signed_requests import OPENED, outbox_status, status_field
from tests.store.rows import HOUR, T0, audit, dump, exception


def _ephemerals(fake: FakeSlack) -> list[tuple[str, str, str]]:
    return [(e.channel, e.user, e.text) for e in fake.ephemerals]


# ---------------------------------------------------------------- assign to me


def test_assign_to_me_assigns_the_clicking_user_by_username(served, slack: SlackPoster, store: Store, fake_slack):
    assert slack.post(button_click("recon_assign_me", "1")) == (200, "")
    served.settle()

    row = exception(store)
    assert (row.state, row.assignee, row.acknowledged_by, row.acknowledged_at, row.updated_at) == (
        "assigned",
        "asha",
        "slack:U0ASHA",
        T1,
        T1,
    )
    assert audit(store) == [OPENED, (2, 1, "slack:U0ASHA", "assigned", "open", "assigned", None)]
    assert outbox_status(store) == [(1, "post_parent", "sent"), (2, "update_parent", "sent")]
    assert status_field(fake_slack.messages[0]) == "*Status*\nassigned to asha"


def test_assign_to_me_falls_back_to_the_user_id(served, slack: SlackPoster, store: Store):
    acknowledge(store, 1, "user:asha", now=T0 + HOUR / 2)

    assert slack.post(button_click("recon_assign_me", "1", user_id="U0RAVI", username=None)) == (200, "")
    served.settle()

    row = exception(store)
    assert (row.state, row.assignee, row.acknowledged_by) == ("assigned", "U0RAVI", "user:asha")
    assert audit(store)[-1] == (3, 1, "slack:U0RAVI", "assigned", "acknowledged", "assigned", None)


# ---------------------------------------------------------------- resolve


def test_resolve_opens_a_modal_and_its_submission_resolves(
    served, slack: SlackPoster, store: Store, fake_slack: FakeSlack
):
    before = dump(store)
    assert slack.post(button_click("recon_resolve", "1", trigger_id="1001.2002.trigger-r")) == (200, "")
    served.settle()

    # The click itself changes nothing: the modal asks for the reason, and is the confirmation.
    assert dump(store) == before
    [opened] = fake_slack.views
    assert opened.trigger_id == "1001.2002.trigger-r"
    modal = opened.view
    assert (modal["type"], modal["callback_id"], modal["title"]["text"], modal["submit"]["text"]) == (
        "modal",
        "recon_resolve_modal",
        "Resolve exception",
        "Resolve",
    )
    assert json.loads(modal["private_metadata"]) == {"exception_id": 1, "channel": CHANNEL}
    [reason_input] = [block for block in modal["blocks"] if block["type"] == "input"]
    assert (reason_input["block_id"], reason_input["element"]["type"], reason_input.get("optional", False)) == (
        "recon_resolve_reason",
        "plain_text_input",
        False,
    )

    status, body = slack.post(view_submission(modal, "carrier confirmed the deliveries by phone"))
    served.settle()

    assert (status, body) == (200, "")
    row = exception(store)
    assert (row.state, row.closed_at, row.closed_reason, row.updated_at) == (
        "resolved",
        T1,
        "carrier confirmed the deliveries by phone",
        T1,
    )
    assert audit(store) == [
        OPENED,
        (2, 1, "slack:U0ASHA", "resolved", "open", "resolved", "carrier confirmed the deliveries by phone"),
    ]
    assert outbox_status(store) == [(1, "post_parent", "sent"), (2, "update_parent", "sent")]
    [parent] = fake_slack.messages
    assert parent.edits == 1
    assert parent.blocks[0]["text"]["text"] == ":white_check_mark: Resolved: Delivery status conflict: unknown"
    assert parent.blocks[1]["text"]["text"] == (
        ":white_check_mark: *Resolved* by slack:U0ASHA\n>carrier confirmed the deliveries by phone"
    )
    assert not any(block["type"] == "actions" for block in parent.blocks)
    assert fake_slack.ephemerals == []


def test_an_empty_reason_is_a_field_error_and_changes_nothing(
    served, slack: SlackPoster, store: Store, fake_slack: FakeSlack
):
    slack.post(button_click("recon_resolve", "1"))
    served.settle()
    modal = fake_slack.views[0].view
    before, calls = dump(store), len(fake_slack.calls)

    error = {
        "response_action": "errors",
        "errors": {"recon_resolve_reason": "a reason is required to resolve exception 1"},
    }
    for reason in (None, "", "  \n\t "):
        status, body = slack.post(view_submission(modal, reason))
        served.settle()
        assert (status, answer(body)) == (200, error)

    assert dump(store) == before
    assert len(fake_slack.calls) == calls


def test_a_submission_without_our_metadata_asks_to_start_again(served, slack: SlackPoster, store: Store):
    before = dump(store)
    view = {"type": "modal", "callback_id": "recon_resolve_modal", "private_metadata": "{not json"}

    status, body = slack.post(view_submission(view, "fixed"))
    served.settle()

    assert (status, answer(body)) == (
        200,
        {
            "response_action": "errors",
            "errors": {
                "recon_resolve_reason": "this dialog is out of date: close it and click Resolve on the exception's "
                "message again"
            },
        },
    )
    assert dump(store) == before


# ---------------------------------------------------------------- refused clicks


def test_acknowledging_twice_answers_the_second_click_with_the_store_error(
    served, slack: SlackPoster, store: Store, fake_slack: FakeSlack
):
    slack.post(button_click("recon_ack", "1"))
    served.settle()
    after_first, messages = dump(store), [(m.ts, m.edits, m.blocks) for m in fake_slack.messages]

    assert slack.post(button_click("recon_ack", "1", user_id="U0RAVI", username="ravi")) == (200, "")
    served.settle()

    assert _ephemerals(fake_slack) == [
        (
            CHANNEL,
            "U0RAVI",
            ":warning: Nothing changed: exception 1 is acknowledged: only open exceptions can be acknowledged",
        )
    ]
    assert dump(store) == after_first
    assert [(m.ts, m.edits, m.blocks) for m in fake_slack.messages] == messages


def test_unknown_ids_and_malformed_values_are_refused(served, slack: SlackPoster, store: Store, fake_slack):
    before = dump(store)
    clicks = [
        ("recon_ack", "99"),
        ("recon_assign_me", "abc"),
        ("recon_resolve", "99"),
        ("recon_resolve", "1; drop table exceptions"),
        ("recon_ack", "99999999999999999999"),
    ]
    for action_id, value in clicks:
        assert slack.post(button_click(action_id, value)) == (200, "")
        served.settle()

    assert _ephemerals(fake_slack) == [
        (CHANNEL, "U0ASHA", ":warning: Nothing changed: no exception with id 99"),
        (CHANNEL, "U0ASHA", ":warning: Nothing changed: the button's value 'abc' is not an exception id"),
        (CHANNEL, "U0ASHA", ":warning: Nothing changed: no exception with id 99"),
        (
            CHANNEL,
            "U0ASHA",
            ":warning: Nothing changed: the button's value '1; drop table exceptions' is not an exception id",
        ),
        (
            CHANNEL,
            "U0ASHA",
            ":warning: Nothing changed: the button's value '99999999999999999999' is not an exception id",
        ),
    ]
    assert fake_slack.views == []
    assert dump(store) == before


def test_resolve_on_a_closed_exception_is_refused_before_the_modal(
    served, slack: SlackPoster, store: Store, fake_slack: FakeSlack
):
    resolve(store, 1, "user:asha", "fixed upstream", now=T0 + HOUR / 2)
    before = dump(store)

    slack.post(button_click("recon_resolve", "1"))
    served.settle()

    assert fake_slack.views == []
    assert _ephemerals(fake_slack) == [
        (
            CHANNEL,
            "U0ASHA",
            ":warning: Nothing changed: exception 1 is resolved: only open, acknowledged or assigned exceptions "
            "can be resolved",
        )
    ]
    assert dump(store) == before


def test_a_modal_submitted_after_someone_else_resolved_is_refused(
    served, slack: SlackPoster, store: Store, fake_slack: FakeSlack
):
    slack.post(button_click("recon_resolve", "1"))
    served.settle()
    modal = fake_slack.views[0].view
    resolve(store, 1, "user:ravi", "duplicate of exception 4", now=T0 + HOUR / 2)
    before = dump(store)

    assert slack.post(view_submission(modal, "fixed the mapping")) == (200, "")  # the modal closes
    served.settle()

    assert _ephemerals(fake_slack) == [
        (
            CHANNEL,
            "U0ASHA",
            ":warning: Nothing changed: exception 1 is resolved: only open, acknowledged or assigned exceptions "
            "can be resolved",
        )
    ]
    assert dump(store) == before


def test_assigning_the_same_person_again_is_refused(served, slack: SlackPoster, store: Store, fake_slack):
    slack.post(button_click("recon_assign_me", "1"))
    served.settle()
    before = dump(store)

    slack.post(button_click("recon_assign_me", "1"))
    served.settle()

    assert _ephemerals(fake_slack) == [
        (CHANNEL, "U0ASHA", ":warning: Nothing changed: exception 1 is already assigned to asha")
    ]
    assert dump(store) == before


def test_a_modal_slack_would_not_open_is_reported_to_the_user(served, slack: SlackPoster, store: Store, fake_slack):
    fake_slack.method_error("views.open", "expired_trigger_id")
    before = dump(store)

    slack.post(button_click("recon_resolve", "1"))
    served.settle()

    assert _ephemerals(fake_slack) == [
        (
            CHANNEL,
            "U0ASHA",
            ":warning: Nothing changed: could not open the Resolve dialog (expired_trigger_id): click Resolve again",
        )
    ]
    assert dump(store) == before


# ---------------------------------------------------------------- Slack down after the click


def test_a_click_is_kept_when_slack_refuses_the_edit(served, slack: SlackPoster, store: Store, fake_slack, caplog):
    caplog.set_level(logging.INFO, logger="recon")
    fake_slack.set_auth_error("token_revoked")

    assert slack.post(button_click("recon_ack", "1")) == (200, "")
    served.settle()

    assert exception(store).state == "acknowledged"
    assert outbox_status(store) == [(1, "post_parent", "sent"), (2, "update_parent", "pending")]
    assert fake_slack.messages[0].edits == 0
    assert (
        "Slack: outbox delivery stopped: SLACK_BOT_TOKEN has been revoked (token_revoked): set a valid bot token "
        "(xoxb-...) in the environment"
    ) in caplog.messages

    fake_slack.clear_faults()  # the next click delivers what was left
    slack.post(button_click("recon_assign_me", "1"))
    served.settle()
    assert outbox_status(store) == [
        (1, "post_parent", "sent"),
        (2, "update_parent", "sent"),
        (3, "update_parent", "sent"),
    ]
    assert status_field(fake_slack.messages[0]) == "*Status*\nassigned to asha"


# ---------------------------------------------------------------- two people at once


def test_two_acknowledgements_at_once_one_wins_the_other_is_told(
    served, slack: SlackPoster, store: Store, fake_slack: FakeSlack
):
    users = {"U0ASHA": "asha", "U0RAVI": "ravi"}
    answers: dict[str, tuple[int, str]] = {}
    start = threading.Barrier(len(users))

    def click(user_id: str) -> None:
        start.wait()
        answers[user_id] = slack.post(button_click("recon_ack", "1", user_id=user_id, username=users[user_id]))

    threads = [threading.Thread(target=click, args=(user_id,)) for user_id in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    served.settle()

    assert answers == {"U0ASHA": (200, ""), "U0RAVI": (200, "")}
    winner = exception(store).acknowledged_by.removeprefix("slack:")
    [loser] = set(users) - {winner}
    assert audit(store) == [OPENED, (2, 1, f"slack:{winner}", "acknowledged", "open", "acknowledged", None)]
    assert _ephemerals(fake_slack) == [
        (
            CHANNEL,
            loser,
            ":warning: Nothing changed: exception 1 is acknowledged: only open exceptions can be acknowledged",
        )
    ]
    assert outbox_status(store) == [(1, "post_parent", "sent"), (2, "update_parent", "sent")]
    assert fake_slack.messages[0].edits == 1


# ---------------------------------------------------------------- oversized requests


def test_a_body_over_1_mb_is_refused_before_anything_reads_it(served, store: Store, fake_slack: FakeSlack):
    before, calls = dump(store), len(fake_slack.calls)
    parts = urlsplit(served.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Content-Length", str(1_000_001))
        connection.endheaders()  # the body never follows: the answer must not wait for it
        response = connection.getresponse()
        assert (response.status, response.read()) == (413, b"request body too large or of unknown length")
    finally:
        connection.close()
    assert dump(store) == before
    assert len(fake_slack.calls) == calls
