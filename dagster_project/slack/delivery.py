"""Sending outbox items to Slack with slack-sdk's `WebClient` and its retry handlers.

Within one call the client retries by itself: `ratelimited` (429) after the `Retry-After` it was
given (while that wait is short), 5xx with backoff, and connection errors; a new message only
when the failed attempt certainly posted nothing (429, 503, connection refused). Whatever is still
failing after that comes back as a `SlackDeliveryError` saying whether to retry later (transient),
give up on the item (channel, message) or stop everything until a setting is fixed (config).

Messages posted here carry their outbox id in Slack message metadata, so an item whose earlier
attempt ended without an answer (a timeout: it may have been posted) is first looked up in its
channel or thread and never posted twice.

The token is read from the environment when a sender is created, passed to the `WebClient` and
nowhere else: not logged, not in any error message, not in `repr`.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, TextIO
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError
from slack_sdk.http_retry import (
    BackoffRetryIntervalCalculator,
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    RetryIntervalCalculator,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from dagster_project.slack.console import ConsoleSender
from dagster_project.slack.errors import (
    SlackChannelError,
    SlackConfigError,
    SlackDeliveryError,
    SlackMessageError,
    SlackScopeError,
    SlackTransientError,
    SlackUnavailableError,
)
from dagster_project.slack.outbox import DeliveryResult, OutboxItem, OutboxKind
from dagster_project.slack.settings import DEFAULT_BASE_URL, TOKEN_ENV, channel_setting, resolve_base_url

log = logging.getLogger(__name__)

# Message metadata carrying the outbox id (read back with include_all_metadata).
METADATA_EVENT_TYPE = "recon_outbox"
# How far back an earlier attempt is looked for: pages of the channel's history or the thread.
LOOKUP_PAGES = 3
LOOKUP_PAGE_SIZE = 200
# conversations.list pages read to turn a channel name into its id (chat.update needs the id).
CHANNEL_LIST_PAGES = 20
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_ERROR_CODE = re.compile(r"^[a-z0-9_]{1,64}$")

_TOKEN_FIX = "set a valid bot token (xoxb-...) in the environment"
_AUTH_ERRORS = {
    "invalid_auth": f"{TOKEN_ENV} is invalid or revoked (invalid_auth): {_TOKEN_FIX}",
    "not_authed": f"{TOKEN_ENV} was not accepted (not_authed): {_TOKEN_FIX}",
    "account_inactive": f"{TOKEN_ENV} belongs to a deleted user or app (account_inactive): {_TOKEN_FIX}",
    "token_revoked": f"{TOKEN_ENV} has been revoked (token_revoked): {_TOKEN_FIX}",
    "token_expired": f"{TOKEN_ENV} has expired (token_expired): {_TOKEN_FIX}",
    "not_allowed_token_type": f"{TOKEN_ENV} is not a bot token (not_allowed_token_type): {_TOKEN_FIX}",
}
_PERMISSION_ERRORS = {"no_permission", "ekm_access_denied", "team_access_not_granted", "access_denied"}
_CHANNEL_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "restricted_action",
    "restricted_action_read_only_channel",
    "restricted_action_thread_only_channel",
    "restricted_action_non_threadable_channel",
}
_MESSAGE_ERRORS = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "msg_blocks_too_long",
    "no_text",
    "too_many_attachments",
    "invalid_arguments",
    "invalid_metadata_format",
    "invalid_metadata_schema",
    "metadata_too_large",
    "message_not_found",
    "cant_update_message",
    "edit_window_closed",
    "thread_not_found",
}
_UNAVAILABLE_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack-sdk's 429 handler (sleeps `Retry-After` plus up to 1 s of jitter, then retries), but
    only while Slack asks for at most `max_wait` seconds: a longer wait is better spent by leaving
    the message in the outbox than by blocking the sensor that is sending it."""

    def __init__(self, max_retry_count: int = 3, max_wait: float = 10.0):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        return retry_after_seconds(response.headers) <= self.max_wait  # type: ignore[union-attr]


class GatewayServerErrorRetryHandler(ServerErrorRetryHandler):
    """slack-sdk's server-error handler (500, 503) extended to 502 and 504, which a proxy in front
    of Slack (`slack.base_url`) answers when Slack is slow or down.

    A new message is retried here only after 503 (refused: nothing was posted). After 500, 502 or
    504 it may have been posted, so the item goes back to the outbox, whose next attempt looks for
    it before posting again. Reads and `chat.update` are idempotent and retried on all four.
    """

    STATUSES = (500, 502, 503, 504)

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if response is None or response.status_code not in self.STATUSES:
            return False
        return response.status_code == 503 or not creates_message(request)


class PostSafeConnectionErrorRetryHandler(ConnectionErrorRetryHandler):
    """slack-sdk's connection-error handler; for a new message only errors raised before the request
    was sent (`URLError`: refused, unresolvable, connect timeout). A reset or hang-up after sending
    leaves the item to the outbox, which looks for it before posting again."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if creates_message(request) and not isinstance(error, URLError):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


def creates_message(request: Any) -> bool:
    """Whether a retry of this request could post a second message (chat.postMessage)."""
    return urlsplit(request.url).path.rstrip("/").endswith("/chat.postMessage")


def retry_after_seconds(headers: Mapping[str, Any] | None) -> float:
    """The `Retry-After` header in seconds (1 when absent or unreadable)."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(float(raw), 0.0)
            except (TypeError, ValueError):
                return 1.0
    return 1.0


class SlackSender:
    """Delivers outbox items through the Slack Web API (`chat.postMessage`, `chat.update`).

    Bot token scopes: `chat:write`; `channels:read`, `groups:read` when channels are given by name;
    `channels:history`, `groups:history` to look for an earlier attempt before posting again.
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        max_retries: int = 3,
        max_rate_limit_wait: float = 10.0,
        retry_interval: RetryIntervalCalculator | None = None,
    ):
        if not token or not token.strip():
            raise SlackConfigError(f"{TOKEN_ENV} is empty: {_TOKEN_FIX}")
        interval = retry_interval or BackoffRetryIntervalCalculator(backoff_factor=0.5)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._client = WebClient(
            token=token,
            base_url=self.base_url,
            timeout=timeout,  # type: ignore[arg-type]  # urllib takes float seconds
            retry_handlers=[
                BoundedRateLimitRetryHandler(max_retry_count=max_retries, max_wait=max_rate_limit_wait),
                GatewayServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
                PostSafeConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
            ],
        )
        self._channel_ids: dict[str, str] = {}

    @classmethod
    def from_env(
        cls, *, base_url: str | None = None, environ: Mapping[str, str] | None = None, **options: Any
    ) -> SlackSender:
        """A sender with the token from `SLACK_BOT_TOKEN`; `base_url` is `slack.base_url` from recon.yaml."""
        env = os.environ if environ is None else environ
        token = (env.get(TOKEN_ENV) or "").strip()
        if not token:
            raise SlackConfigError(f"{TOKEN_ENV} is not set: {_TOKEN_FIX}")
        return cls(token, base_url=resolve_base_url(base_url, env), **options)

    def __repr__(self) -> str:
        return f"SlackSender(base_url={self.base_url!r})"

    def check_auth(self) -> dict[str, Any]:
        """`auth.test`: the workspace and bot the token belongs to; `SlackConfigError` when it is wrong."""
        response = self._call("auth.test", None, self._client.auth_test)
        return {key: response.get(key) for key in ("team", "team_id", "user", "user_id", "bot_id", "url")}

    def deliver(self, item: OutboxItem) -> DeliveryResult:
        """Post, reply or edit as the item says; raise a `SlackDeliveryError` when it did not happen."""
        if item.kind is OutboxKind.UPDATE_PARENT:
            return self._update(item)
        if item.attempts > 0:
            earlier = self._find_earlier_attempt(item)
            if earlier is not None:
                return earlier
        return self._post(item)

    # ------------------------------------------------------------ API calls

    def _post(self, item: OutboxItem) -> DeliveryResult:
        response = self._call(
            "chat.postMessage",
            item,
            lambda: self._client.chat_postMessage(
                channel=item.channel,
                text=item.payload["text"],
                blocks=item.payload.get("blocks"),
                thread_ts=item.thread_ts if item.kind is OutboxKind.REPLY else None,
                metadata={
                    "event_type": METADATA_EVENT_TYPE,
                    "event_payload": {"outbox_id": item.id, "key": item.delivery_key},
                },
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        channel_id = response.get("channel")
        if channel_id:
            self._channel_ids[item.channel.lstrip("#")] = channel_id
        return DeliveryResult(sent=True, message_ts=response["ts"], channel_id=channel_id)

    def _update(self, item: OutboxItem) -> DeliveryResult:
        channel_id = self._channel_id(item)
        response = self._call(
            "chat.update",
            item,
            lambda: self._client.chat_update(
                channel=channel_id,
                ts=item.thread_ts,  # type: ignore[arg-type]  # checked by OutboxItem / send_pending
                text=item.payload["text"],
                blocks=item.payload.get("blocks") or [],
            ),
        )
        return DeliveryResult(sent=True, message_ts=response.get("ts"), channel_id=response.get("channel"))

    def _find_earlier_attempt(self, item: OutboxItem) -> DeliveryResult | None:
        """The message an earlier attempt of `item` posted, if it did (found by its metadata)."""
        try:
            channel_id = self._channel_id(item)
            for message in self._recent_messages(item, channel_id):
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == METADATA_EVENT_TYPE and payload.get("key") == item.delivery_key:
                    return DeliveryResult(sent=True, message_ts=message["ts"], channel_id=channel_id, recovered=True)
        except SlackScopeError as exc:
            log.warning(
                "Slack: cannot check whether outbox item %s was already posted (%s); posting it again", item.id, exc
            )
        return None

    def _recent_messages(self, item: OutboxItem, channel_id: str):
        cursor = None
        for _ in range(LOOKUP_PAGES):
            options = {"channel": channel_id, "limit": LOOKUP_PAGE_SIZE, "include_all_metadata": True}
            if cursor:
                options["cursor"] = cursor
            if item.kind is OutboxKind.REPLY:
                method, call = "conversations.replies", self._client.conversations_replies
                options["ts"] = item.thread_ts
            else:
                method, call = "conversations.history", self._client.conversations_history
            response = self._call(method, item, lambda c=call, o=options: c(**o))
            yield from response.get("messages") or []
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def _channel_id(self, item: OutboxItem) -> str:
        """The channel's id: as given when it is one, else looked up by name (cached)."""
        name = item.channel.lstrip("#")
        if _CHANNEL_ID.match(name):
            return name
        if name in self._channel_ids:
            return self._channel_ids[name]
        cursor = None
        for _ in range(CHANNEL_LIST_PAGES):
            options = {"types": "public_channel,private_channel", "exclude_archived": True, "limit": 200}
            if cursor:
                options["cursor"] = cursor
            response = self._call("conversations.list", item, lambda o=options: self._client.conversations_list(**o))
            for channel in response.get("channels") or []:
                self._channel_ids.setdefault(channel.get("name", ""), channel.get("id", ""))
            if name in self._channel_ids:
                return self._channel_ids[name]
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        raise _channel_error("channel_not_found", item)

    def _call(self, method: str, item: OutboxItem | None, call: Callable[[], Any]) -> Any:
        """Run one Web API call; translate every failure into a `SlackDeliveryError`."""
        try:
            return call()
        except SlackApiError as exc:
            response = exc.response
            code = str(response.get("error") or "")
            if not _ERROR_CODE.match(code):  # e.g. slack-sdk's note about an HTML page from a proxy
                code = f"http_{response.status_code}"
            needed = response.get("needed")
            error = classify_api_error(method, code, response.status_code, response.headers, item, needed)
        except SlackRequestError:
            error = SlackConfigError(
                f"Slack base URL {self.base_url!r} cannot be used; check slack.base_url in recon.yaml "
                "or RECON_SLACK_BASE_URL"
            )
        except (TimeoutError, URLError, OSError, http.client.HTTPException, SlackClientError) as exc:
            error = _unreachable(method, self.base_url, exc)
        # Raised outside the except blocks: slack-sdk's error holds the request headers, so it is not chained.
        raise error


def classify_api_error(
    method: str,
    code: str,
    status: int,
    headers: Mapping[str, Any] | None,
    item: OutboxItem | None,
    needed_scope: str | None = None,
) -> SlackDeliveryError:
    """What a Slack error answer means for the outbox (see `errors`)."""
    if code in _AUTH_ERRORS:
        return SlackConfigError(_AUTH_ERRORS[code], code=code)
    if code == "missing_scope":
        scope = needed_scope or "the scope it names"
        return SlackScopeError(
            f"the Slack app behind {TOKEN_ENV} lacks the OAuth scope {scope} needed for {method} (missing_scope): "
            "add it under OAuth & Permissions, reinstall the app and set the new bot token",
            code=code,
        )
    if code in _PERMISSION_ERRORS:
        message = f"the bot token in {TOKEN_ENV} may not call {method} ({code}): check the Slack app's permissions"
        return SlackConfigError(message, code=code)
    if code in _CHANNEL_ERRORS and item is not None:
        return _channel_error(code, item)
    if code in _MESSAGE_ERRORS:
        what = f"outbox item {item.id} ({item.kind} to {item.channel})" if item else method
        return SlackMessageError(f"Slack refused {what} on {method} ({code}); it will not be retried", code=code)
    if status == 429 or code == "ratelimited":
        wait = retry_after_seconds(headers)
        return SlackUnavailableError(
            f"Slack is rate limiting {method} (ratelimited, retry after {wait:g} s); the message stays in the outbox",
            code="ratelimited",
            retry_after=wait,
            maybe_delivered=False,
        )
    if status >= 500 or code in _UNAVAILABLE_ERRORS:
        return SlackUnavailableError(
            f"Slack failed on {method} (HTTP {status}, {code}); the message stays in the outbox", code=code
        )
    return SlackTransientError(f"Slack answered {code} on {method}; the message stays in the outbox", code=code)


def _channel_error(code: str, item: OutboxItem) -> SlackChannelError:
    setting = channel_setting(item.owner_team, escalation=item.kind is OutboxKind.ESCALATION)
    channel = item.channel
    if code == "channel_not_found":
        message = (
            f"Slack channel {channel} was not found (channel_not_found): set {setting} in recon.yaml to an "
            "existing channel the bot can see"
        )
    elif code == "not_in_channel":
        message = (
            f"the bot is not a member of Slack channel {channel} (not_in_channel): invite it to the channel, "
            f"or set {setting} in recon.yaml to one it is in"
        )
    elif code == "is_archived":
        message = f"Slack channel {channel} is archived (is_archived): set {setting} in recon.yaml to an active channel"
    else:
        message = (
            f"Slack does not let the bot post in {channel} ({code}): change the channel's settings, "
            f"or set {setting} in recon.yaml"
        )
    return SlackChannelError(message, code=code)


def _unreachable(method: str, base_url: str, exc: BaseException) -> SlackUnavailableError:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return SlackUnavailableError(
            f"Slack did not answer {method} in time at {base_url}; the message stays in the outbox "
            "(if it was posted anyway, the next attempt finds it instead of posting again)",
            code="timeout",
        )
    return SlackUnavailableError(
        f"cannot reach Slack at {base_url} for {method} ({type(reason).__name__}: {reason}); "
        "the message stays in the outbox",
        code="unreachable",
        # URLError: raised before the request was sent (refused, unresolvable); a reset may come after.
        maybe_delivered=not isinstance(exc, URLError),
    )


def create_sender(
    *, base_url: str | None = None, environ: Mapping[str, str] | None = None, out: TextIO | None = None, **options: Any
) -> SlackSender | ConsoleSender:
    """A `SlackSender` when `SLACK_BOT_TOKEN` is set, else a `ConsoleSender` (messages stay in the outbox).

    `base_url` is `slack.base_url` from recon.yaml; `RECON_SLACK_BASE_URL` overrides it.
    """
    env = os.environ if environ is None else environ
    if not (env.get(TOKEN_ENV) or "").strip():
        return ConsoleSender(out=out)
    return SlackSender.from_env(base_url=base_url, environ=env, **options)


__all__ = [
    "BoundedRateLimitRetryHandler",
    "DeliveryResult",
    "GatewayServerErrorRetryHandler",
    "PostSafeConnectionErrorRetryHandler",
    "SlackDeliveryError",
    "SlackSender",
    "classify_api_error",
    "create_sender",
    "retry_after_seconds",
]
