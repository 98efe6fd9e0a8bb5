"""The Bolt app for a recon home: its Web API client at the home's Slack base URL, the bot token checked with
`auth.test` before anything is served, the store it acts on, and the button handlers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient

from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.slack import SlackSender, resolve_base_url
from dagster_project.slack.settings import TOKEN_ENV
from dagster_project.slack_app.apply import ActionRunner
from dagster_project.slack_app.handlers import register
from dagster_project.slack_app.listener_pool import ListenerPool
from dagster_project.slack_app.replay_handlers import ReplayButtons, register_replays
from dagster_project.slack_app.settings import AppSettings, Mode
from dagster_project.store import Store, open_store
from dagster_project.store.utc import utc_now

log = logging.getLogger("recon.slack_app")

# Seconds for one Web API call from a handler (views.open must land within the trigger's 3 s anyway).
CLIENT_TIMEOUT = 10
LISTENER_THREADS = 5
# Replays (dry runs and executes) run one at a time, on a thread of their own: see replay_handlers.py.
REPLAY_THREADS = 1


@dataclass
class ReconSlackApp:
    bolt: App
    settings: AppSettings
    store: Store
    runner: ActionRunner
    pool: ListenerPool
    bot: dict  # auth.test: team, team_id, user, user_id, bot_id, url
    replays: ListenerPool

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until the clicks already acknowledged are applied and delivered, and the replays they asked for
        (dry runs, executes) are done and answered."""
        deadline = None if timeout is None else time.monotonic() + timeout

        def left() -> float | None:
            return None if deadline is None else max(deadline - time.monotonic(), 0.0)

        # The listeners first: they are what queues replays.
        return self.pool.wait_idle(left()) and self.replays.wait_idle(left())

    def close(self, timeout: float | None = 30.0) -> None:
        """Finish the clicks in flight (up to `timeout` seconds), then let go of the store. A replay already
        running is finished (an execute cut short would hold its locks until they expire); queued ones are
        dropped, and logged."""
        if not self.pool.wait_idle(timeout):
            log.warning("Slack app: stopping with clicks still being applied")
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self.replays.in_flight():
            log.warning("Slack app: stopping: finishing the replay in progress; replays still queued are dropped")
        self.replays.shutdown(wait=True, cancel_futures=True)
        self.store.close()
        log.info("Slack app: stopped")


class _TokenFromClientFilter(logging.Filter):
    """Bolt warns that `token` is unused whenever SLACK_BOT_TOKEN is set and a client is given: here the client
    carries that very token (at the configured base URL), so the warning would only mislead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _quiet_bolt_token_warning() -> None:
    bolt_logger = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _TokenFromClientFilter) for f in bolt_logger.filters):
        bolt_logger.addFilter(_TokenFromClientFilter())


def build_app(home: Home, settings: AppSettings, *, clock: Callable[[], datetime] = utc_now) -> ReconSlackApp:
    """The app for `home`: store at `home.store_url`, Slack at `RECON_SLACK_BASE_URL` / `slack.base_url`.

    Raises a `ReconError` (before opening anything) when Slack refuses the bot token or cannot be reached."""
    base_url = resolve_base_url(home.config().slack.base_url)
    sender = SlackSender(settings.bot_token, base_url=base_url)
    bot = sender.check_auth()
    store = open_store(home.store_url)
    pool = ListenerPool(LISTENER_THREADS)
    replays = ListenerPool(REPLAY_THREADS, name="recon-slack-replay")
    _quiet_bolt_token_warning()
    try:
        bolt = App(
            name="recon",
            client=WebClient(token=settings.bot_token, base_url=base_url, timeout=CLIENT_TIMEOUT),
            signing_secret=settings.signing_secret or "",
            # HTTP requests must carry Slack's signature; Socket Mode's come over the app's own connection.
            request_verification_enabled=settings.mode is Mode.HTTP,
            # Bolt's own auth.test, whose answer it keeps to authorize every request.
            token_verification_enabled=True,
            listener_executor=pool,
        )
    except BoltError:
        error = ReconError(f"Slack refused {TOKEN_ENV} when the app started (auth.test): set a valid bot token")
    else:
        error = None
    if error is not None:  # raised outside the except: Bolt's error quotes Slack's answer
        pool.shutdown(wait=False)
        replays.shutdown(wait=False)
        store.close()
        raise error
    runner = ActionRunner(store, sender, clock)
    register(bolt, runner)
    register_replays(bolt, ReplayButtons(home, runner, replays))
    log.info(
        "Slack app: bot %s in workspace %s (%s mode)",
        bot.get("user") or "?",
        bot.get("team") or "?",
        settings.mode.value,
    )
    return ReconSlackApp(bolt, settings, store, runner, pool, bot, replays)
