"""Socket Mode: the app opens a WebSocket to Slack (`apps.connections.open` with `SLACK_APP_TOKEN`, at the same
Web API base URL) and receives the clicks over it, so no public URL or signing secret is needed. slack-sdk's
built-in client: no extra dependency; it reconnects by itself."""

from __future__ import annotations

import logging
import threading

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError, SlackClientError

from dagster_project.errors import ReconError
from dagster_project.slack_app.app import ReconSlackApp
from dagster_project.slack_app.settings import APP_TOKEN_ENV

log = logging.getLogger("recon.slack_app")

_TOKEN_FIX = "set an app-level token (xapp-...) with the connections:write scope, and enable Socket Mode in the app"


def socket_mode_error(code: str) -> ReconError:
    """What an `apps.connections.open` refusal means, naming the setting to fix."""
    if code in ("invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"):
        return ReconError(f"Slack refused {APP_TOKEN_ENV} ({code}): {_TOKEN_FIX}")
    if code in ("not_allowed_token_type", "missing_scope"):
        return ReconError(f"{APP_TOKEN_ENV} cannot open a Socket Mode connection ({code}): {_TOKEN_FIX}")
    return ReconError(f"Slack did not open a Socket Mode connection ({code}); try again, or use HTTP mode")


def serve_socket_mode(app: ReconSlackApp, stop: threading.Event | None = None) -> None:
    """Connect, then serve until `stop` is set or the process is interrupted."""
    handler = SocketModeHandler(app.bolt, app_token=app.settings.app_token)
    error = None
    try:
        handler.connect()
    except SlackApiError as exc:
        error = socket_mode_error(str(exc.response.get("error") or f"HTTP {exc.response.status_code}"))
    except (SlackClientError, OSError) as exc:
        error = ReconError(f"cannot open a Socket Mode connection to Slack ({type(exc).__name__}); try again later")
    if error is not None:  # raised outside the except: slack-sdk's errors carry the request
        handler.close()
        raise error
    log.info("Slack app: Socket Mode, connected")
    try:
        (stop or threading.Event()).wait()
    finally:
        handler.close()
