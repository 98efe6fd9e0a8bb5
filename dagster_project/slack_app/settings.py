"""Which way the Slack app talks to Slack, and its secrets: from the environment only, never printed.

Socket Mode when `SLACK_APP_TOKEN` is set (the app dials out to Slack over a WebSocket: no public URL needed);
otherwise HTTP, where Slack posts each click to the app's Request URL and Bolt checks its signature with
`SLACK_SIGNING_SECRET`. Both need `SLACK_BOT_TOKEN` for the Web API calls (edits, modals, ephemeral answers).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from dagster_project.errors import ReconError
from dagster_project.slack.settings import TOKEN_ENV

SIGNING_SECRET_ENV = "SLACK_SIGNING_SECRET"
APP_TOKEN_ENV = "SLACK_APP_TOKEN"
APP_TOKEN_PREFIX = "xapp-"


class Mode(enum.Enum):
    SOCKET = "socket"
    HTTP = "http"


@dataclass(frozen=True)
class AppSettings:
    """The mode and the secrets it needs; `repr` shows the mode only."""

    mode: Mode
    bot_token: str = field(repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)


def choose_mode(environ: Mapping[str, str]) -> AppSettings:
    """Socket Mode with `SLACK_APP_TOKEN`, else HTTP with `SLACK_SIGNING_SECRET`; `SLACK_BOT_TOKEN` either way.
    A missing or malformed setting is a `ReconError` naming the variable and what to do (never its value)."""
    bot_token = (environ.get(TOKEN_ENV) or "").strip()
    app_token = (environ.get(APP_TOKEN_ENV) or "").strip()
    signing_secret = (environ.get(SIGNING_SECRET_ENV) or "").strip()
    if not bot_token:
        raise ReconError(
            f"{TOKEN_ENV} is not set: the Slack app needs its bot token (xoxb-..., under OAuth & Permissions) "
            "in the environment"
        )
    if app_token:
        if not app_token.startswith(APP_TOKEN_PREFIX):
            raise ReconError(
                f"{APP_TOKEN_ENV} is not an app-level token (xapp-...): create one with the connections:write "
                "scope under Basic Information > App-Level Tokens, or unset it to use HTTP mode"
            )
        return AppSettings(Mode.SOCKET, bot_token, signing_secret or None, app_token)
    if not signing_secret:
        raise ReconError(
            f"{SIGNING_SECRET_ENV} is not set: HTTP mode needs the app's signing secret (Basic Information > "
            f"App Credentials) in the environment to verify Slack's requests; or set {APP_TOKEN_ENV} (xapp-...) "
            "to use Socket Mode"
        )
    return AppSettings(Mode.HTTP, bot_token, signing_secret, None)
