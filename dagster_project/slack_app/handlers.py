"""The Bolt listeners for the exception message's buttons and the Resolve modal.

Each one acknowledges first (Slack wants an answer within 3 s), then acts: Acknowledge and Assign to me change
the store at once; Resolve opens a modal asking for the reason, and its submission resolves. A refused click
(the store's `TransitionError`, an unknown id, a value that is not an id) is answered with an ephemeral message
quoting the store, and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from dagster_project.errors import ReconError
from dagster_project.slack.blocks import ACTION_ACK, ACTION_ASSIGN_ME, ACTION_RESOLVE
from dagster_project.slack_app import modal
from dagster_project.slack_app.apply import INTERNAL_ERROR, ActionRunner, refusal_text
from dagster_project.slack_app.clicks import channel_of, clicker, exception_id_of
from dagster_project.store import acknowledge, assign, resolve
from dagster_project.store.queries import get_exception
from dagster_project.store.states import next_state

log = logging.getLogger("recon.slack_app")

STALE_MODAL = "this dialog is out of date: close it and click Resolve on the exception's message again"


def register(app: App, runner: ActionRunner) -> None:
    store = runner.store

    @app.action(ACTION_ACK)
    def on_acknowledge(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        who, channel = clicker(body), channel_of(body)

        def act(now):
            return acknowledge(store, exception_id_of(action.get("value")), who.actor, now=now)

        runner.apply("acknowledge", act, client=client, user_id=who.user_id, channel_id=channel)

    @app.action(ACTION_ASSIGN_ME)
    def on_assign_me(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        who, channel = clicker(body), channel_of(body)

        def act(now):
            return assign(store, exception_id_of(action.get("value")), who.assignee, who.actor, now=now)

        runner.apply("assign", act, client=client, user_id=who.user_id, channel_id=channel)

    @app.action(ACTION_RESOLVE)
    def on_resolve(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        who, channel = clicker(body), channel_of(body)
        try:
            exception_id = exception_id_of(action.get("value"))
            _check_resolvable(runner, exception_id)
        except ReconError as exc:
            log.info("Slack: resolve by %s refused: %s", who.user_id, exc)
            runner.tell(client, channel, who.user_id, refusal_text(str(exc)))
            return
        except Exception:
            log.exception("Slack: resolve by %s failed", who.user_id)
            runner.tell(client, channel, who.user_id, refusal_text(INTERNAL_ERROR))
            return
        error = None
        try:
            client.views_open(trigger_id=body.get("trigger_id"), view=modal.resolve_modal(exception_id, channel))
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
        except (SlackClientError, OSError) as exc:
            error = type(exc).__name__
        if error:
            log.warning("Slack: could not open the resolve modal for %s (%s)", who.user_id, error)
            text = f"could not open the Resolve dialog ({error}): click Resolve again"
            runner.tell(client, channel, who.user_id, refusal_text(text))

    @app.view(modal.CALLBACK_ID)
    def on_resolve_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        submission = modal.read_submission(view)
        if submission.exception_id is None:
            ack(response_action="errors", errors={modal.REASON_BLOCK_ID: STALE_MODAL})
            return
        if not submission.reason.strip():
            ack(**modal.reason_error(submission.exception_id))
            return
        ack()
        who = clicker(body)

        def act(now):
            return resolve(store, submission.exception_id, who.actor, submission.reason, now=now)

        runner.apply("resolve", act, client=client, user_id=who.user_id, channel_id=submission.channel_id)


def _check_resolvable(runner: ActionRunner, exception_id: int) -> None:
    """The store's own refusal, before the user types a reason for nothing (the submission checks again)."""
    with runner.store.session() as session:
        exception = get_exception(session, exception_id)
        next_state(exception.id, exception.state, "resolve")
