"""What can go wrong delivering to Slack, sorted by what the outbox does about it.

Every message says what to fix; none contains the token (slack-sdk's own error, whose response
carries the request headers, is never chained onto these).
"""

from __future__ import annotations

from dagster_project.errors import ReconError


class SlackDeliveryError(ReconError):
    """A message could not be delivered. `code` is Slack's error code when Slack answered;
    `maybe_delivered` is False only when Slack certainly did nothing (refused, rate limited, not reached)."""

    reason = "transient"
    maybe_delivered_by_default = True

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retry_after: float | None = None,
        maybe_delivered: bool | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after
        self.maybe_delivered = self.maybe_delivered_by_default if maybe_delivered is None else maybe_delivered


class SlackConfigError(SlackDeliveryError):
    """The token or the Slack app is wrong: nothing can be sent until someone fixes the setting named."""

    reason = "config"
    maybe_delivered_by_default = False


class SlackScopeError(SlackConfigError):
    """The Slack app lacks an OAuth scope (`missing_scope`)."""


class SlackChannelError(SlackDeliveryError):
    """This item's channel is wrong (missing, archived, bot not in it): permanent until the config changes."""

    reason = "channel"
    maybe_delivered_by_default = False


class SlackMessageError(SlackDeliveryError):
    """Slack refused this payload (too long, invalid blocks, message gone): retrying cannot help."""

    reason = "message"
    maybe_delivered_by_default = False


class SlackTransientError(SlackDeliveryError):
    """Worth retrying later; the item stays pending."""

    reason = "transient"


class SlackUnavailableError(SlackTransientError):
    """Slack is unreachable, timing out, failing (5xx) or rate limiting: stop this pass, retry later.

    After a timeout the message may have been posted anyway; the next attempt looks for it first.
    """

    reason = "unavailable"
