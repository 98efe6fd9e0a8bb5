"""The listeners for the replay buttons: "Replay (dry run)" on the exception message, "Execute replay" in the dry
run's thread reply, and the Execute modal.

A replay takes tens of seconds (a copy of the warehouse, a dbt build), so each listener acknowledges and checks
what it can at once, then hands the replay to the app's replay worker: one thread, so the app runs one replay at
a time (two DuckDB writers on the one warehouse file would fail) and a slow build never holds up the other
buttons. The result is posted in the exception's thread; a refusal is an ephemeral message to the clicking user.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

import duckdb
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.replay import dry_run, execute
from dagster_project.slack.blocks import ACTION_REPLAY_DRY_RUN
from dagster_project.slack_app import replay_messages as messages
from dagster_project.slack_app.apply import INTERNAL_ERROR, ActionRunner, refusal_text
from dagster_project.slack_app.clicks import Clicker, channel_of, clicker, exception_id_of
from dagster_project.slack_app.listener_pool import ListenerPool
from dagster_project.slack_app.replay_scope import (
    ExecuteValue,
    check_remap_unchanged,
    choose_replay,
    landing_from,
    may_execute,
    open_orders,
    operator_for,
    read_execute_value,
    statuses_digest,
)
from dagster_project.store import check_operator

log = logging.getLogger("recon.slack_app")

WAREHOUSE_BUSY = "the warehouse is busy (a pipeline run or a replay is writing it): click again when it is done"


def thread_of(body: dict[str, Any]) -> str | None:
    """The thread to answer in: the clicked message's thread, or the message itself when it is a parent."""
    message = body.get("message") or {}
    return message.get("thread_ts") or message.get("ts") or (body.get("container") or {}).get("message_ts") or None


def _slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return type(exc).__name__


class ReplayButtons:
    """The replay listeners' state: the home, the worker, the dry runs queued or running (one per exception)."""

    def __init__(
        self,
        home: Home,
        runner: ActionRunner,
        worker: ListenerPool,
        environ: Mapping[str, str] = os.environ,
    ):
        self.home = home
        self.runner = runner
        self.worker = worker
        self.environ = environ
        self._pending: set[int] = set()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ helpers

    def _claim(self, exception_id: int) -> bool:
        with self._lock:
            if exception_id in self._pending:
                return False
            self._pending.add(exception_id)
            return True

    def _release(self, exception_id: int) -> None:
        with self._lock:
            self._pending.discard(exception_id)

    def _post(self, client: WebClient, channel: str | None, thread_ts: str | None, message: dict, who: Clicker) -> None:
        """A reply in the exception's thread; if Slack refuses it, the user is told (ephemerally) why."""
        error = None
        try:
            client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=message["text"], blocks=message["blocks"]
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            error = _slack_error(exc)
        if error:  # outside the except: slack-sdk's errors carry the request
            log.warning("Slack: could not post a replay result in %s (%s)", channel, error)
            self.runner.tell(
                client,
                channel,
                who.user_id,
                f":warning: The result could not be posted in the thread ({error}): run the command in a terminal "
                "(`recon replay --help`) to see it.",
            )

    def _guarded(self, what: str, who: Clicker, client: WebClient, channel: str | None, answer: Callable) -> Callable:
        """Run `job` (on the worker, or at once for the checks before queuing); a `ReconError` is answered with
        `answer(text)`, anything else logged. The returned runner says whether the job went through."""

        def run(job: Callable[[], None]) -> bool:
            try:
                job()
            except ReconError as exc:
                log.info("Slack: %s by %s refused: %s", what, who.user_id, exc)
                self.runner.tell(client, channel, who.user_id, answer(str(exc)))
            except duckdb.IOException:
                log.warning("Slack: %s by %s: the warehouse is locked", what, who.user_id)
                self.runner.tell(client, channel, who.user_id, answer(WAREHOUSE_BUSY))
            except Exception:
                log.exception("Slack: %s by %s failed", what, who.user_id)
                self.runner.tell(client, channel, who.user_id, answer(INTERNAL_ERROR))
            else:
                return True
            return False

        return run

    # ------------------------------------------------------------ Replay (dry run)

    def on_dry_run(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        who, channel, thread = clicker(body), channel_of(body), thread_of(body)
        run = self._guarded("replay dry run", who, client, channel, refusal_text)
        clicked: dict[str, int] = {}

        def check() -> None:
            clicked["id"] = exception_id_of(action.get("value"))
            open_orders(self.runner.store, clicked["id"])  # an unknown id is refused now, not after the queue

        if not run(check):
            return
        exception_id = clicked["id"]
        if not self._claim(exception_id):
            self.runner.tell(client, channel, who.user_id, messages.already_running_text(exception_id))
            return

        def job() -> None:
            try:
                run(lambda: self._dry_run(who, client, channel, thread, exception_id))
            finally:
                self._release(exception_id)

        try:
            self.worker.submit(job)
        except RuntimeError:  # the app is stopping
            self._release(exception_id)
            self.runner.tell(client, channel, who.user_id, refusal_text("the Slack app is stopping: click again"))

    def _dry_run(
        self, who: Clicker, client: WebClient, channel: str | None, thread: str | None, exception_id: int
    ) -> None:
        choice = choose_replay(self.home, self.runner.store, exception_id, self.environ)
        self.runner.tell(client, channel, who.user_id, messages.started_text(choice))
        log.info("Slack: replay dry run (%s) for exception %s by %s", choice.request.kind, exception_id, who.user_id)
        plan = dry_run(self.home, choice.request, landing=choice.landing)
        allowed = self.home.config().replay.operators
        if plan.request.kind == "remap":
            value = ExecuteValue(exception_id, "remap", statuses=statuses_digest(plan.request.statuses))
        else:
            value = ExecuteValue(exception_id, "orders", orders=plan.request.orders)
        message = messages.dry_run_message(
            choice, plan, asked_by=who.assignee, can_execute=may_execute(who, allowed), execute=value
        )
        self._post(client, channel, thread, message, who)

    # ------------------------------------------------------------ Execute replay

    def on_execute(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        who, channel, thread = clicker(body), channel_of(body), thread_of(body)
        clicked: dict[str, Any] = {}

        def check() -> None:
            clicked["value"] = read_execute_value(action.get("value"))
            allowed = self.home.config().replay.operators
            check_operator(operator_for(who, allowed), allowed)

        if not self._guarded("replay execute", who, client, channel, refusal_text)(check):
            return
        value = clicked["value"]
        error = None
        try:
            client.views_open(trigger_id=body.get("trigger_id"), view=messages.execute_modal(value, channel, thread))
        except (SlackApiError, SlackClientError, OSError) as exc:
            error = _slack_error(exc)
        if error:
            log.warning("Slack: could not open the execute modal for %s (%s)", who.user_id, error)
            text = f"could not open the Execute dialog ({error}): click Execute replay again"
            self.runner.tell(client, channel, who.user_id, refusal_text(text))

    def on_execute_submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        submission = messages.read_execute_submission(view)
        if submission.value is None:
            ack(response_action="errors", errors={messages.EXECUTE_REASON_BLOCK_ID: messages.STALE_EXECUTE_MODAL})
            return
        if not submission.reason.strip():
            ack(
                response_action="errors",
                errors={messages.EXECUTE_REASON_BLOCK_ID: messages.EXECUTE_REASON_REQUIRED},
            )
            return
        ack()
        who, value, channel = clicker(body), submission.value, submission.channel_id
        run = self._guarded(
            "replay execute", who, client, channel, lambda error: messages.execute_error_text(value.exception_id, error)
        )
        try:
            self.worker.submit(run, lambda: self._execute(who, client, submission))
        except RuntimeError:  # the app is stopping
            self.runner.tell(client, channel, who.user_id, refusal_text("the Slack app is stopping: execute again"))

    def _execute(self, who: Clicker, client: WebClient, submission: messages.ExecuteSubmission) -> None:
        value, channel = submission.value, submission.channel_id
        allowed = self.home.config().replay.operators
        operator = operator_for(who, allowed)
        check_operator(operator, allowed)  # again: recon.yaml may have changed since the modal opened
        landing = landing_from(self.environ) if value.kind == "orders" else None
        if value.kind == "remap":
            check_remap_unchanged(self.home, value)
        self.runner.tell(client, channel, who.user_id, messages.execute_started_text(value))
        log.info("Slack: replay execute (%s) for exception %s by %s", value.kind, value.exception_id, who.user_id)
        outcome = execute(self.home, value.request(), operator=operator, reason=submission.reason, landing=landing)
        log.info("Slack: replay %s %s", outcome.replay_id, "no-op" if outcome.no_op else outcome.status)
        message = messages.outcome_message(outcome, value, by=who.assignee, reason=submission.reason)
        self._post(client, channel, submission.thread_ts, message, who)


def register_replays(app: App, buttons: ReplayButtons) -> None:
    @app.action(ACTION_REPLAY_DRY_RUN)
    def on_replay_dry_run(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        buttons.on_dry_run(body, action, client)

    @app.action(messages.ACTION_REPLAY_EXECUTE)
    def on_replay_execute(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        buttons.on_execute(body, action, client)

    @app.view(messages.EXECUTE_CALLBACK_ID)
    def on_replay_execute_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        buttons.on_execute_submitted(ack, body, view, client)
