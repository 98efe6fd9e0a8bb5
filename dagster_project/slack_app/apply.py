"""A click applied: the store action, then the outbox delivered (the edit of the exception's message goes out);
a refusal answered to the clicking user alone, changing nothing.

Runs on Bolt's listener threads after `ack()`. Delivery passes are serialised within the process, so two clicks
at once do not send the same outbox item twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from dagster_project.errors import ReconError
from dagster_project.outbox_delivery import deliver_outbox
from dagster_project.slack import ConsoleSender, SlackSender
from dagster_project.slack.errors import SlackConfigError
from dagster_project.slack.escape import escape_mrkdwn
from dagster_project.store import Store

log = logging.getLogger("recon.slack_app")

INTERNAL_ERROR = "recon could not apply this click (an internal error, logged by the Slack app); nothing changed"


def refusal_text(error: str) -> str:
    """The ephemeral answer to a refused click: the store's own words."""
    return f":warning: Nothing changed: {escape_mrkdwn(error)}"


class ActionRunner:
    def __init__(self, store: Store, sender: SlackSender | ConsoleSender, clock: Callable[[], datetime]):
        self.store = store
        self.sender = sender
        self.clock = clock
        self._delivering = threading.Lock()

    def apply(
        self,
        what: str,
        action: Callable[[datetime], object],
        *,
        client: WebClient,
        user_id: str,
        channel_id: str | None,
    ) -> bool:
        """Run `action(now)` against the store; on success deliver the outbox, on refusal tell the user why."""
        try:
            action(self.clock())
        except ReconError as exc:
            log.info("Slack: %s by %s refused: %s", what, user_id, exc)
            self.tell(client, channel_id, user_id, refusal_text(str(exc)))
            return False
        except Exception:
            log.exception("Slack: %s by %s failed", what, user_id)
            self.tell(client, channel_id, user_id, refusal_text(INTERNAL_ERROR))
            return False
        log.info("Slack: %s by %s", what, user_id)
        self.deliver()
        return True

    def deliver(self) -> None:
        """One pass over the outbox; a bad token or a Slack outage is logged and the messages stay queued."""
        with self._delivering:
            try:
                report = deliver_outbox(self.store, self.sender, now=self.clock())
            except SlackConfigError as exc:
                log.error("Slack: outbox delivery stopped: %s", exc)
                return
            except Exception:
                log.exception("Slack: outbox delivery failed; the messages stay in the outbox")
                return
        log.info("Slack: outbox %s", report.summary())

    def tell(self, client: WebClient, channel_id: str | None, user_id: str, text: str) -> None:
        """An ephemeral message to `user_id` in `channel_id`: only they see it."""
        if not channel_id:
            log.warning("Slack: cannot answer %s (no channel in the request): %s", user_id, text)
            return
        error = None
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
        except (SlackClientError, OSError) as exc:
            error = type(exc).__name__
        if error:  # logged outside the except: slack-sdk's errors carry the request
            log.warning("Slack: could not answer %s in %s (%s): %s", user_id, channel_id, error, text)
