"""Slack's side of the HTTP conversation: interaction payloads as Slack sends them, signed the way Slack signs
them (https://docs.slack.dev/authentication/verifying-requests-from-slack/), implemented here independently of
slack-sdk's verifier: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode

from tests.store.rows import HOUR, T0

# Looks like a real signing secret (32 hex digits), so a leak would be noticed.
SIGNING_SECRET = "5e0c3a9d7b1f24e68c0a9b3d7f1e2c4a"
# The app's clock in these tests.
T1 = T0 + HOUR
CHANNEL = "C0LOGISTIC"
PARENT_TS = "1760000001.000001"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _user(user_id: str, username: str | None) -> dict[str, Any]:
    user = {"id": user_id, "team_id": "TFAKE"}
    if username is not None:
        user |= {"username": username, "name": username}
    return user


def button_click(
    action_id: str,
    value: str,
    *,
    user_id: str = "U0ASHA",
    username: str | None = "asha",
    channel: str = CHANNEL,
    trigger_id: str = "1001.2002.trigger-a",
) -> dict[str, Any]:
    """A `block_actions` payload: a click on a button of the exception message."""
    return {
        "type": "block_actions",
        "user": _user(user_id, username),
        "api_app_id": "AFAKEAPP",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": PARENT_TS, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": trigger_id,
        "team": {"id": "TFAKE", "domain": "fake"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "logistics-ops"},
        "message": {"type": "message", "ts": PARENT_TS, "bot_id": "BFAKEBOT", "text": "..."},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.test/actions/TFAKE/1/unused",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "recon_exception_actions",
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": "1760003600.000100",
            }
        ],
    }


def view_submission(
    view: dict[str, Any], reason: str | None, *, user_id: str = "U0ASHA", username: str | None = "asha"
) -> dict[str, Any]:
    """A `view_submission` payload: the modal the app opened (as the fake recorded it), submitted with `reason`."""
    state = {"recon_resolve_reason": {"reason": {"type": "plain_text_input", "value": reason}}}
    return {
        "type": "view_submission",
        "team": {"id": "TFAKE", "domain": "fake"},
        "user": _user(user_id, username),
        "api_app_id": "AFAKEAPP",
        "token": "legacy-verification-token",
        "trigger_id": "1001.2002.trigger-submit",
        "view": {**view, "id": "VFAKE000001", "team_id": "TFAKE", "state": {"values": state}, "hash": "1.abc"},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


class SlackPoster:
    """Posts interaction payloads to the app the way Slack does (form-encoded `payload=`), signed or not."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET):
        self.url = url
        self.secret = secret
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def post(
        self,
        payload: dict[str, Any],
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        signed: bool = True,
        signature: str | None = None,
    ) -> tuple[int, str]:
        """(HTTP status, body). `timestamp` defaults to now; `signature` replaces the computed one."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        if signed:
            stamp = str(int(time.time()) if timestamp is None else timestamp)
            request.add_header("X-Slack-Request-Timestamp", stamp)
            request.add_header("X-Slack-Signature", signature or sign(secret or self.secret, stamp, body))
        try:
            with self._opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except HTTPError as exc:
            return exc.code, exc.read().decode()


def answer(body: str) -> dict[str, Any] | str:
    """The app's answer body, parsed when it is JSON."""
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return body
