"""Where Slack settings come from: the token from the environment only, the API base URL from
`RECON_SLACK_BASE_URL`, else `slack.base_url` in `recon.yaml`, else Slack itself."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from dagster_project.slack.errors import SlackConfigError

TOKEN_ENV = "SLACK_BOT_TOKEN"
BASE_URL_ENV = "RECON_SLACK_BASE_URL"
BASE_URL_KEY = "slack.base_url"
DEFAULT_BASE_URL = "https://slack.com/api/"

# The recon.yaml keys naming an owner team's channels (quoted in errors so users know what to change).
CHANNEL_KEY = "owners.{team}.channel"
ESCALATION_CHANNEL_KEY = "owners.{team}.escalation_channel"


def resolve_base_url(configured: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The Slack Web API base URL, ending in `/`: env `RECON_SLACK_BASE_URL`, else `configured`
    (`slack.base_url` from recon.yaml), else https://slack.com/api/.

    Plain http is refused except on loopback (a test server): the bot token travels in a header.
    """
    env = os.environ if environ is None else environ
    from_env = (env.get(BASE_URL_ENV) or "").strip()
    setting = BASE_URL_ENV if from_env else f"{BASE_URL_KEY} in recon.yaml"
    url = from_env or (configured or "").strip() or DEFAULT_BASE_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SlackConfigError(f"{setting}: {url!r} is not an http(s) URL; write e.g. https://slack.com/api/")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise SlackConfigError(f"{setting}: give the base URL without credentials, query or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise SlackConfigError(
            f"{setting}: {url!r} uses plain http to a non-loopback host, which would send the bot token "
            "unencrypted; use https"
        )
    return url if url.endswith("/") else url + "/"


def channel_setting(owner_team: str | None, escalation: bool = False) -> str:
    """The recon.yaml key that chose a message's channel."""
    key = ESCALATION_CHANNEL_KEY if escalation else CHANNEL_KEY
    return key.format(team=owner_team or "<team>")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
